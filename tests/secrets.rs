//! The secrets engine end to end: a tree of every file kind, `--staged` and `--history` on real
//! git repositories made here, and redaction in every output format.

use std::fs;
use std::path::Path;

use pipeguard_engine::analyzers::secrets::checks::crc32;

use crate::common::{json_report, pipeguard, rule_lines, sh};

/// Deterministic pseudo-random alphanumerics (xorshift): test tokens are built at run time so
/// that no credential-shaped literal sits in the test source.
pub(crate) fn alnum(seed: u64, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            A[(x % 62) as usize] as char
        })
        .collect()
}

pub(crate) fn github_token(seed: u64) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = alnum(seed, 30);
    let mut n = crc32(body.as_bytes());
    let mut check = Vec::new();
    for _ in 0..6 {
        check.push(B62[(n % 62) as usize]);
        n /= 62;
    }
    check.reverse();
    format!("ghp_{body}{}", String::from_utf8(check).unwrap())
}

pub(crate) fn aws_key_id(seed: u64) -> String {
    let s: String = alnum(seed, 64)
        .chars()
        .filter(|c| c.is_ascii_uppercase() || ('2'..='7').contains(c))
        .take(16)
        .collect();
    format!("AKIA{s}")
}

pub(crate) fn stripe_key(seed: u64) -> String {
    format!("sk_live_{}", alnum(seed, 32))
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// Plain credentials in every kind of file the other analyzers also read.
fn planted_tree(root: &Path) -> Vec<String> {
    let gh = github_token(1);
    let aws = aws_key_id(2);
    let stripe = stripe_key(3);
    let db = alnum(4, 18);
    let pw = format!("{}!{}", alnum(5, 10), alnum(6, 6));
    let slack = format!("xoxb-7301928456-5820193746152-{}", alnum(7, 24));
    write(
        root,
        "Dockerfile",
        &format!("FROM alpine:3.20\nENV GITHUB_TOKEN={gh}\nRUN true\n"),
    );
    write(
        root,
        "docker-compose.yml",
        &format!(
            "services:\n  db:\n    image: postgres:16\n    environment:\n      DATABASE_URL: postgres://app:{db}@db:5432/app\n"
        ),
    );
    write(
        root,
        "k8s/deploy.yaml",
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: a\n      image: a:1\n      env:\n        - name: AWS_ACCESS_KEY_ID\n          value: {aws}\n"
        ),
    );
    write(
        root,
        "infra/main.tf",
        &format!("provider \"stripe\" {{\n  api_key = \"{stripe}\"\n}}\n"),
    );
    write(
        root,
        ".github/workflows/ci.yml",
        &format!(
            "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    env:\n      SLACK_TOKEN: {slack}\n      OK: ${{{{ secrets.OK }}}}\n    steps:\n      - run: echo hi\n"
        ),
    );
    write(
        root,
        "src/settings.py",
        &format!("DEBUG = True\nadmin_password = \"{pw}\"\n"),
    );
    // Placeholders, hashes and UUIDs: never findings.
    write(
        root,
        "docs/setup.md",
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport GITHUB_TOKEN=<your-token>\npassword: ${DB_PASSWORD}\nid: 123e4567-e89b-12d3-a456-426614174000\ncommit: da39a3ee5e6b4b0d3255bfef95601890afd80709\n",
    );
    vec![gh, aws, stripe, db, pw, slack]
}

#[test]
fn tree_scan_finds_credentials_in_every_file_kind() {
    let dir = tempfile::tempdir().unwrap();
    planted_tree(dir.path());
    let out = pipeguard()
        .args(["scan", "--only", "secrets", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    let got = rule_lines(&report);
    let want: Vec<(String, String, u64)> = vec![
        ("secrets/github-token".into(), "Dockerfile".into(), 2),
        (
            "secrets/slack-token".into(),
            ".github/workflows/ci.yml".into(),
            6,
        ),
        (
            "secrets/connection-string-password".into(),
            "docker-compose.yml".into(),
            5,
        ),
        ("secrets/stripe-key".into(), "infra/main.tf".into(), 2),
        (
            "secrets/aws-access-key-id".into(),
            "k8s/deploy.yaml".into(),
            11,
        ),
        (
            "secrets/generic-credential".into(),
            "src/settings.py".into(),
            2,
        ),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want;
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "{got:#?}");
}

#[test]
fn no_secret_value_appears_in_any_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = planted_tree(dir.path());
    let outdir = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif", "junit", "github", "markdown"] {
        let summary = outdir.path().join(format!("{format}-summary.md"));
        let out = pipeguard()
            .args(["scan", "--only", "secrets", "--format", format])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .arg(dir.path())
            .assert()
            .code(1);
        let mut text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.get_output().stderr));
        text.push_str(&fs::read_to_string(&summary).unwrap_or_default());
        assert!(
            text.contains("redacted"),
            "{format}: no redaction marker:\n{text}"
        );
        for s in &secrets {
            // Neither the value nor any 8-character piece of it beyond the shown prefix.
            assert!(
                !text.contains(s.as_str()),
                "{format} shows a secret:\n{text}"
            );
            let tail = &s[4..];
            for i in 0..tail.len().saturating_sub(8) {
                let piece = &tail[i..i + 8];
                assert!(
                    !text.contains(piece),
                    "{format} shows `{piece}` of a secret:\n{text}"
                );
            }
        }
    }
    // Extra outputs of one run too.
    let sarif = outdir.path().join("r.sarif");
    let json = outdir.path().join("r.json");
    let junit = outdir.path().join("r.xml");
    let md = outdir.path().join("r.md");
    pipeguard()
        .args(["scan", "--only", "secrets", "--sarif"])
        .arg(&sarif)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--summary")
        .arg(&md)
        .arg(dir.path())
        .assert()
        .code(1);
    for p in [sarif, json, junit, md] {
        let text = fs::read_to_string(&p).unwrap();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{} shows a secret", p.display());
        }
    }
}

/// `scan --history --only secrets` of a repository that has findings, as JSON.
fn history_report(root: &Path) -> serde_json::Value {
    let out = pipeguard()
        .args(["scan", "--history", "--only", "secrets", "--format", "json"])
        .arg(root)
        .assert()
        .code(1);
    json_report(&out.get_output().stdout)
}

fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sh(
        dir.path(),
        "git init -q -b main . && git config user.name Test && git config user.email test@example.com && git config commit.gpgsign false",
    );
    dir
}

#[test]
fn staged_scans_the_index_not_the_working_tree() {
    let dir = git_repo();
    let root = dir.path();
    write(root, "README.md", "hello\n");
    sh(root, "git add README.md && git commit -q -m init");
    let staged_secret = github_token(11);
    let unstaged_secret = stripe_key(12);
    // Staged content has a token; the working copy was cleaned afterwards (not staged).
    write(
        root,
        "app.env",
        &format!("A=1\nGITHUB_TOKEN={staged_secret}\n"),
    );
    sh(root, "git add app.env");
    write(root, "app.env", "A=1\nGITHUB_TOKEN=${GITHUB_TOKEN}\n");
    // A new file with a secret that is not staged is not part of the commit.
    write(root, "notes.txt", &format!("key {unstaged_secret}\n"));
    let before = fs::read_to_string(root.join("app.env")).unwrap();

    let out = pipeguard()
        .args(["scan", "--staged", "--format", "json"])
        .arg(root)
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![("secrets/github-token".into(), "app.env".into(), 2)]
    );
    assert_eq!(report["files"]["scanned"], 1);
    assert_eq!(fs::read_to_string(root.join("app.env")).unwrap(), before);
    let status = sh(root, "git status --porcelain");
    assert!(status.contains("AM app.env"), "{status}");

    // Nothing staged: passes.
    sh(root, "git commit -q -m add-env");
    pipeguard()
        .args(["scan", "--staged", "--only", "secrets"])
        .arg(root)
        .assert()
        .code(0);
}

#[test]
fn staged_in_a_repository_without_commits() {
    let dir = git_repo();
    let root = dir.path();
    write(root, "cfg/a.txt", &format!("token {}\n", github_token(21)));
    sh(root, "git add cfg/a.txt");
    let out = pipeguard()
        .args(["scan", "--staged", "--format", "json"])
        .arg(root)
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![("secrets/github-token".into(), "cfg/a.txt".into(), 1)]
    );
}

#[test]
fn history_reports_the_commit_that_introduced_a_removed_secret() {
    let dir = git_repo();
    let root = dir.path();
    let secret = aws_key_id(31);
    write(root, "README.md", "hello\n");
    sh(root, "git add . && git commit -q -m first");
    write(
        root,
        "deploy/config.ini",
        &format!("[aws]\nkey = {secret}\n"),
    );
    sh(root, "git add . && git commit -q -m 'add deploy config'");
    let introduced = sh(root, "git rev-parse HEAD").trim().to_string();
    // Later versions keep the secret (one finding, still the first commit), then drop it.
    write(
        root,
        "deploy/config.ini",
        &format!("[aws]\nregion = eu-west-1\nkey = {secret}\n"),
    );
    sh(root, "git commit -q -am 'region'");
    write(root, "deploy/config.ini", "[aws]\nregion = eu-west-1\n");
    sh(root, "git commit -q -am 'remove key'");
    let removed = sh(root, "git rev-parse HEAD").trim().to_string();
    // A branch that is not checked out is reachable too.
    sh(
        root,
        &format!(
            "git checkout -q -b side && printf 'tok {}\\n' > side.txt && git add side.txt && git commit -q -m side && git checkout -q main",
            github_token(32)
        ),
    );

    // The working tree is clean.
    pipeguard()
        .args(["scan", "--only", "secrets"])
        .arg(root)
        .assert()
        .code(0);

    let report = history_report(root);
    let mut got = rule_lines(&report);
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "secrets/aws-access-key-id".into(),
                "deploy/config.ini".into(),
                2
            ),
            ("secrets/github-token".into(), "side.txt".into(), 1),
        ]
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "secrets/aws-access-key-id")
        .unwrap();
    assert_eq!(f["provenance"]["commit"], introduced.as_str());
    assert_eq!(f["provenance"]["author"], "Test <test@example.com>");
    assert!(f["provenance"]["date"].as_str().unwrap().contains('T'));
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains(&secret));

    // Only commits after `removed`: the side branch's token, not the removed key.
    let out = pipeguard()
        .args(["scan", "--history", "--since"])
        .arg(&removed)
        .args(["--only", "secrets", "--format", "json"])
        .arg(root)
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![("secrets/github-token".into(), "side.txt".into(), 1)]
    );

    pipeguard()
        .args([
            "scan",
            "--history",
            "--since",
            "no-such-ref",
            "--only",
            "secrets",
        ])
        .arg(root)
        .assert()
        .code(2);
}

/// History scans compare each blob with its path's previous version: an edit elsewhere in a file
/// repeats nothing, and a key changed deep inside a PEM block is a new key of the editing commit.
#[test]
fn history_scans_what_each_commit_added() {
    let dir = git_repo();
    let root = dir.path();
    let pem = |body: &[String]| {
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            body.join("\n")
        )
    };
    let mut body: Vec<String> = (0..25).map(|i| alnum(4100 + i, 64)).collect();
    let token = github_token(42);
    let filler = |tag: &str| -> String {
        (0..200).fold(String::new(), |mut s, i| {
            s.push_str(&format!("setting_{i} = {tag}{i}\n"));
            s
        })
    };
    let file = |body: &[String], tag: &str| format!("{}{}token {token}\n", pem(body), filler(tag));
    let head = |root: &Path| sh(root, "git rev-parse HEAD").trim().to_string();
    write(root, "deploy/keys.txt", &file(&body, "a"));
    sh(root, "git add . && git commit -q -m keys");
    let first = head(root);
    // An edit far from both secrets.
    write(root, "deploy/keys.txt", &file(&body, "b"));
    sh(root, "git commit -q -am filler");
    // One line of key material 21 lines (1.3 KB) below the BEGIN line.
    body[20] = alnum(9999, 64);
    write(root, "deploy/keys.txt", &file(&body, "b"));
    sh(root, "git commit -q -am rekey");
    let rekey = head(root);

    let report = history_report(root);
    let mut got: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["start_line"].as_u64().unwrap(),
                f["provenance"]["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        ("secrets/github-token".to_string(), 228, first.clone()),
        ("secrets/private-key".to_string(), 1, first),
        ("secrets/private-key".to_string(), 1, rekey),
    ];
    want.sort();
    assert_eq!(got, want);
}

/// The config's `exclude` holds for staged and historical blobs as for the working tree.
#[test]
fn staged_and_history_honour_exclude() {
    let dir = git_repo();
    let root = dir.path();
    write(root, ".pipeguard.yml", "exclude:\n  - fixtures/\n");
    write(
        root,
        "fixtures/fake.env",
        &format!("T={}\n", github_token(51)),
    );
    write(root, "app/real.env", &format!("T={}\n", github_token(52)));
    sh(root, "git add .");
    let want = vec![(
        "secrets/github-token".to_string(),
        "app/real.env".to_string(),
        1,
    )];
    for mode in ["--staged", "--history"] {
        if mode == "--history" {
            sh(root, "git commit -q -m add");
        }
        let out = pipeguard()
            .args(["scan", mode, "--only", "secrets", "--format", "json"])
            .arg(root)
            .assert()
            .code(1);
        let report = json_report(&out.get_output().stdout);
        assert_eq!(rule_lines(&report), want, "{mode}");
    }
}

#[test]
fn history_and_staged_outside_a_repository_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--staged", "--history"] {
        let out = pipeguard()
            .args(["scan", flag, "--only", "secrets"])
            .arg(dir.path())
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("not inside a git repository"), "{err}");
    }
}

/// A zip archive of `files`, in memory.
fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn tree_scan_reads_archive_members_and_still_skips_other_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let gh = github_token(41);
    let aws = aws_key_id(42);
    fs::create_dir_all(root.join("dist")).unwrap();
    fs::write(
        root.join("dist/deploy-bundle.zip"),
        zip_of(&[("deploy/.env", &format!("A=1\nGITHUB_TOKEN={gh}\n"))]),
    )
    .unwrap();
    // A jar inside a tar.gz: depth 2.
    let stage = root.join("stage");
    fs::create_dir_all(stage.join("release")).unwrap();
    fs::write(
        stage.join("release/app.jar"),
        zip_of(&[("application.properties", &format!("aws.key={aws}\n"))]),
    )
    .unwrap();
    sh(
        root,
        "tar czf dist/release.tar.gz -C stage release && rm -r stage",
    );
    fs::write(
        root.join("logo.png"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    )
    .unwrap();

    let out = pipeguard()
        .args(["scan", "--only", "secrets", "--format", "json"])
        .arg(root)
        .assert()
        .code(1);
    let stdout = out.get_output().stdout.clone();
    let report = json_report(&stdout);
    assert_eq!(
        rule_lines(&report),
        vec![
            (
                "secrets/github-token".into(),
                "dist/deploy-bundle.zip!deploy/.env".into(),
                2
            ),
            (
                "secrets/aws-access-key-id".into(),
                "dist/release.tar.gz!release/app.jar!application.properties".into(),
                1
            ),
        ]
    );
    let text = String::from_utf8_lossy(&stdout);
    assert!(!text.contains(&gh) && !text.contains(&aws));
    let notes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == "logo.png")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(notes, vec!["skipped: binary file"]);

    // `secrets.archives: false` leaves archives out again (skipped as binary files).
    write(root, ".pipeguard.yml", "secrets:\n  archives: false\n");
    pipeguard()
        .args(["scan", "--only", "secrets"])
        .arg(root)
        .assert()
        .code(0);
    // The command line overrides the config both ways (the last of the two flags wins).
    let on = pipeguard()
        .args([
            "scan",
            "--only",
            "secrets",
            "--format",
            "json",
            "--archives",
        ])
        .arg(root)
        .assert()
        .code(1);
    assert_eq!(rule_lines(&json_report(&on.get_output().stdout)).len(), 2);
    fs::remove_file(root.join(".pipeguard.yml")).unwrap();
    pipeguard()
        .args(["scan", "--only", "secrets", "--archives", "--no-archives"])
        .arg(root)
        .assert()
        .code(0);
}

#[test]
fn history_finds_encoded_and_archived_secrets_and_every_copy() {
    let dir = git_repo();
    let root = dir.path();
    let gh = github_token(51);
    let stripe = stripe_key(52);
    write(root, "README.md", "hello\n");
    sh(root, "git add . && git commit -q -m first");
    let encoded = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("token={gh}"),
    );
    write(
        root,
        "k8s/config.yaml",
        &format!("data:\n  blob: {encoded}\n"),
    );
    fs::write(
        root.join("bundle.zip"),
        zip_of(&[("conf/app.env", &format!("STRIPE={stripe}\n"))]),
    )
    .unwrap();
    sh(root, "git add . && git commit -q -m 'config and bundle'");
    // The same file copied to two more paths, one in a later commit inside a moved directory.
    sh(
        root,
        "mkdir -p backup && cp k8s/config.yaml backup/config.yaml && git add . && git commit -q -m copy",
    );
    sh(root, "git mv k8s deploy && git commit -q -m move");

    let report = history_report(root);
    let findings = report["findings"].as_array().unwrap();
    let decoded: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "secrets/github-token")
        .collect();
    // The two copies still in the working tree are tree findings; the history finding is at the
    // path where the blob first appeared, and lists every other path as related.
    let paths: Vec<&str> = decoded
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "backup/config.yaml",
            "deploy/config.yaml",
            "k8s/config.yaml"
        ],
        "{findings:#?}"
    );
    let f = decoded[2];
    assert!(f["provenance"]["commit"].is_string());
    assert_eq!(f["location"]["start_line"], 2);
    assert_eq!(f["properties"]["decoded"], "base64");
    assert!(f["message"].as_str().unwrap().contains("base64-encoded"));
    let related: Vec<&str> = f["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(related, vec!["backup/config.yaml", "deploy/config.yaml"]);
    assert!(findings.iter().any(|f| f["rule_id"] == "secrets/stripe-key"
        && f["location"]["path"] == "bundle.zip!conf/app.env"));
    let text = report.to_string();
    for s in [&gh, &stripe, &encoded] {
        assert!(!text.contains(s.as_str()));
    }
}
