//! Distribution: the workflows, the action and the examples under pipeguard, zizmor (pedantic)
//! and actionlint; the Dockerfile under pipeguard's docker rules and hadolint; the release script
//! on a copy of the tree against a locally built asset set; the checksum tables; the prebuilt
//! pre-commit hook against a loopback release; the static binary (when one is given).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{built_binary, repo_root, sh};
use crate::release_host::{ReleaseServer, release_layout};

/// A peer tool: the shared peer directory, else PATH (scripts/test's virtualenv).
fn peer(name: &str) -> Option<PathBuf> {
    let shared = PathBuf::from("/root/.cache/pipeguard-peers/bin").join(name);
    if shared.is_file() {
        return Some(shared);
    }
    Command::new(name)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from(name))
}

fn show(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The GitHub YAML the project ships: its workflows, the action, the action's examples.
fn github_yaml() -> Vec<PathBuf> {
    let mut files = vec![repo_root().join("action.yml")];
    for dir in [".github/workflows", "github-action/examples"] {
        let mut v: Vec<PathBuf> = std::fs::read_dir(repo_root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yml"))
            .collect();
        v.sort();
        files.extend(v);
    }
    files
}

#[test]
fn release_and_ci_workflows_exist() {
    for f in ["release.yml", "ci.yml"] {
        assert!(
            repo_root().join(".github/workflows").join(f).is_file(),
            "{f}"
        );
    }
    let ci = std::fs::read_to_string(repo_root().join(".github/workflows/ci.yml")).unwrap();
    assert!(
        ci.contains("run: bash .ci/run"),
        "ci.yml runs what .ci/run runs"
    );
}

/// pipeguard itself at `--fail-on low` (the files laid out as a repository: workflows under
/// .github/workflows): no finding at all.
#[test]
fn pipeguard_finds_nothing_in_workflows_action_and_examples_at_low() {
    let t = tempfile::tempdir().unwrap();
    let wf = t.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    for f in github_yaml() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name == "action.yml" {
            std::fs::copy(&f, t.path().join("action.yml")).unwrap();
        } else {
            let dest = if f.starts_with(repo_root().join("github-action")) {
                wf.join(format!("example-{name}"))
            } else {
                wf.join(&name)
            };
            std::fs::copy(&f, dest).unwrap();
        }
    }
    let o = Command::new(built_binary())
        .args(["scan", ".", "--fail-on", "low", "--format", "json"])
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    assert_eq!(
        report["files"]["scanned"].as_u64(),
        Some(github_yaml().len() as u64),
        "every file analysed: {}",
        show(&o)
    );
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{:#}",
        report["findings"]
    );
    assert!(o.status.success(), "{}", show(&o));
}

#[test]
fn zizmor_pedantic_finds_nothing() {
    let Some(zizmor) = peer("zizmor") else {
        eprintln!(
            "SKIPPED zizmor_pedantic_finds_nothing: zizmor is not installed (scripts/test installs it)"
        );
        return;
    };
    let o = Command::new(zizmor)
        .current_dir(repo_root())
        .args([
            "--offline",
            "--no-progress",
            "--persona",
            "pedantic",
            "--format",
            "plain",
        ])
        .args(github_yaml())
        .output()
        .unwrap();
    let out = show(&o);
    assert!(
        o.status.success() && out.contains("No findings to report"),
        "{out}"
    );
}

#[test]
fn actionlint_finds_nothing() {
    let Some(actionlint) = peer("actionlint") else {
        eprintln!(
            "SKIPPED actionlint_finds_nothing: actionlint is not installed (scripts/test installs it)"
        );
        return;
    };
    // actionlint checks workflows (action.yml's steps are checked through pipeguard and zizmor).
    let workflows: Vec<PathBuf> = github_yaml()
        .into_iter()
        .filter(|p| !p.ends_with("action.yml"))
        .collect();
    let o = Command::new(actionlint)
        .current_dir(repo_root())
        .args(["-no-color"])
        .args(&workflows)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(show(&o).trim(), "", "no warnings at all");
}

/// The Dockerfile: multi-stage, `FROM scratch` with the CA bundle, a non-root numeric USER, the
/// binary as ENTRYPOINT, OCI labels; nothing from pipeguard's docker rules (any severity) and no
/// hadolint warning.
#[test]
fn dockerfile_is_clean_and_minimal() {
    let text = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert!(froms[0].contains("@sha256:") && froms[0].ends_with(" AS build"));
    assert_eq!(froms[1], "FROM scratch");
    let last = &text[text.find("FROM scratch").unwrap()..];
    for needle in [
        "COPY --from=build /etc/ssl/certs/ca-certificates.crt",
        "USER 65532:65532",
        "ENTRYPOINT [\"/usr/local/bin/pipeguard\"]",
        "org.opencontainers.image.source=",
        "org.opencontainers.image.version=",
        "org.opencontainers.image.licenses=\"Apache-2.0\"",
    ] {
        assert!(last.contains(needle), "final stage lacks {needle}");
    }
    assert!(text.contains("+crt-static") && text.contains("--profile dist"));

    let t = tempfile::tempdir().unwrap();
    std::fs::copy(repo_root().join("Dockerfile"), t.path().join("Dockerfile")).unwrap();
    let o = Command::new(built_binary())
        .args(["scan", ".", "--fail-on", "info", "--format", "json"])
        .current_dir(t.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files"]["by_kind"]["dockerfile"].as_u64(), Some(1));
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{:#}",
        report["findings"]
    );

    let Some(hadolint) = peer("hadolint") else {
        eprintln!(
            "SKIPPED the hadolint half of dockerfile_is_clean_and_minimal: hadolint is not installed (scripts/test installs it)"
        );
        return;
    };
    let o = Command::new(hadolint)
        .args(["--no-color", "--failure-threshold", "style"])
        .arg(repo_root().join("Dockerfile"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(show(&o).trim(), "", "hadolint: no warning of any level");
}

/// The action's and the Jenkins library's tables pin the same checksums.
#[test]
fn checksum_tables_agree() {
    let read = |rel: &str| -> Vec<String> {
        std::fs::read_to_string(repo_root().join(rel))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let action = read("github-action/checksums.txt");
    assert_eq!(
        action,
        read("jenkins-plugin-shim/resources/io/pipeguard/checksums.txt")
    );
    for line in &action {
        let (sum, asset) = line.split_once("  ").expect("`<sha256>  <asset>`");
        assert!(
            sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()),
            "{line}"
        );
        assert!(asset.starts_with("pipeguard-"), "{line}");
    }
}

/// README, docs, action.yml, the Jenkins library, the hooks and the Dockerfile name the workspace
/// version.
#[test]
fn the_tree_names_one_version() {
    let o = Command::new("bash")
        .arg(repo_root().join("scripts/release.sh"))
        .args(["--check", env!("CARGO_PKG_VERSION")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
}

const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// scripts/release.sh on a copy of the tree, with the SHA256SUMS of an asset set packed from the
/// built binary: the version moves everywhere, both tables pin the sums, the checks pass; a stale
/// mention or a short SHA256SUMS is caught. The real tree is never touched.
#[test]
fn release_script_bumps_pins_and_checks_a_copy() {
    let t = tempfile::tempdir().unwrap();
    let copy = t.path().join("tree");
    std::fs::create_dir_all(&copy).unwrap();
    sh(
        &repo_root(),
        &format!(
            "git ls-files -z -co --exclude-standard -- . ':!:tests/fixtures' ':!:bench' | tar --null -T - -cf - | tar -xpf - -C '{}'",
            copy.display()
        ),
    );
    let old = env!("CARGO_PKG_VERSION");
    let new = "7.8.9";
    let sums_text = release_layout(&t.path().join("assets"), new, &TARGETS);
    let sums = t.path().join(format!("assets/v{new}/SHA256SUMS"));
    assert_eq!(sums_text.lines().count(), 5);
    let release = |args: &[&str]| {
        Command::new("bash")
            .arg(copy.join("scripts/release.sh"))
            .args(args)
            .current_dir(&copy)
            .env("CARGO_TARGET_DIR", t.path().join("target"))
            .output()
            .unwrap()
    };
    let o = release(&[new, "--sums", &sums.display().to_string()]);
    assert!(o.status.success(), "{}", show(&o));
    assert!(
        show(&o).contains(&format!("release.sh: {old} -> {new} done")),
        "{}",
        show(&o)
    );

    let read = |rel: &str| std::fs::read_to_string(copy.join(rel)).unwrap();
    assert!(read("Cargo.toml").contains(&format!("version = \"{new}\"")));
    assert!(read("Cargo.toml").contains(&format!(
        "pipeguard-github = {{ path = \"github-action\", version = \"{new}\" }}"
    )));
    assert!(
        read("Cargo.lock").contains(&format!("name = \"pipeguard\"\nversion = \"{new}\"")),
        "Cargo.lock follows"
    );
    let action: serde_yaml::Value = serde_yaml::from_str(&read("action.yml")).unwrap();
    assert_eq!(action["inputs"]["version"]["default"].as_str(), Some(new));
    assert!(read("jenkins-plugin-shim/vars/pipeguard.groovy").contains(&format!("'{new}'")));
    assert!(read("README.md").contains(&format!("@Library('pipeguard@v{new}')")));
    assert!(read("README.md").contains(&format!("rev: v{new}")));
    assert!(read("README.md").contains(&format!("ghcr.io/pipeguard/pipeguard:{new}")));
    assert!(
        read(".pre-commit-hooks.yaml").contains(&format!("ghcr.io/pipeguard/pipeguard:{new} scan"))
    );
    assert!(read("Dockerfile").contains(&format!("ARG VERSION={new}")));
    assert!(read("docs/pre-commit.md").contains(&format!("rev: v{new}")));
    for rel in [
        "README.md",
        "action.yml",
        "docs/github-action.md",
        "docs/jenkins.md",
        "jenkins-plugin-shim/examples/Jenkinsfile",
    ] {
        assert!(
            !read(rel).contains(&format!("v{old}")),
            "{rel} still names v{old}"
        );
    }
    for table in [
        "github-action/checksums.txt",
        "jenkins-plugin-shim/resources/io/pipeguard/checksums.txt",
    ] {
        let text = read(table);
        for line in sums_text.lines() {
            assert!(text.contains(line), "{table} lacks {line}");
        }
    }
    let o = release(&["--check", new]);
    assert!(o.status.success(), "{}", show(&o));
    let o = release(&["--check-sums", new, &sums.display().to_string()]);
    assert!(o.status.success(), "{}", show(&o));
    // Pinning again replaces the version's lines instead of adding more.
    let o = release(&[new, "--sums", &sums.display().to_string()]);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        read("github-action/checksums.txt")
            .lines()
            .filter(|l| l.contains(&format!("pipeguard-{new}-")))
            .count(),
        5
    );

    // The old version is no longer what the tree names.
    let o = release(&["--check", old]);
    assert!(!o.status.success(), "{}", show(&o));
    // A stale mention is named with its file and line.
    let readme = read("README.md").replacen(&format!("rev: v{new}"), "rev: v7.8.8", 1);
    std::fs::write(copy.join("README.md"), readme).unwrap();
    let o = release(&["--check", new]);
    assert!(!o.status.success());
    assert!(
        show(&o).contains("README.md:") && show(&o).contains(": 7.8.8 (expected 7.8.9)"),
        "{}",
        show(&o)
    );
    // A SHA256SUMS without every target is refused.
    let short = t.path().join("SHORT");
    std::fs::write(
        &short,
        sums_text.lines().take(4).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let o = release(&["--check-sums", new, &short.display().to_string()]);
    assert!(!o.status.success());
    assert!(show(&o).contains("has no asset for"), "{}", show(&o));
}

/// The prebuilt pre-commit hooks' script against a release on loopback: download, verify, run;
/// the next run starts the cached binary; a tampered asset is refused and nothing runs.
#[test]
fn prebuilt_hook_installs_the_verified_release_binary() {
    let target = sh(
        &repo_root(),
        "sh jenkins-plugin-shim/resources/io/pipeguard/install.sh target",
    );
    let target = target.trim();
    if target.is_empty() {
        eprintln!(
            "SKIPPED prebuilt_hook_installs_the_verified_release_binary: no release target for this machine"
        );
        return;
    }
    let version = env!("CARGO_PKG_VERSION");
    let t = tempfile::tempdir().unwrap();
    let hooks = t.path().join("hooks");
    for rel in [
        "Cargo.toml",
        "precommit/prebuilt.sh",
        "jenkins-plugin-shim/resources/io/pipeguard/install.sh",
    ] {
        let dest = hooks.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(repo_root().join(rel), dest).unwrap();
    }
    std::fs::create_dir_all(hooks.join("github-action")).unwrap();
    let sums = release_layout(&t.path().join("release"), version, &[target]);
    std::fs::write(hooks.join("github-action/checksums.txt"), &sums).unwrap();
    let server = ReleaseServer::start(&t.path().join("release"));
    let run = |server: &ReleaseServer, cache: &Path| {
        Command::new("sh")
            .arg(hooks.join("precommit/prebuilt.sh"))
            .arg("--version")
            .env("PIPEGUARD_RELEASE_URL", server.url())
            .env("PIPEGUARD_CACHE", cache)
            .output()
            .unwrap()
    };
    let cache = t.path().join("cache");
    let o = run(&server, &cache);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("pipeguard {version}")
    );
    assert!(
        cache
            .join(format!("{version}/{target}/pipeguard"))
            .is_file()
    );
    assert_eq!(server.hits(), 1);
    let o = run(&server, &cache);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(server.hits(), 1, "the second run uses the cached binary");

    let asset = t.path().join(format!(
        "release/v{version}/pipeguard-{version}-{target}.tar.gz"
    ));
    let mut bytes = std::fs::read(&asset).unwrap();
    bytes.push(0);
    std::fs::write(&asset, bytes).unwrap();
    let fresh = t.path().join("fresh");
    let o = run(&server, &fresh);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    assert!(show(&o).contains("checksum mismatch"), "{}", show(&o));
    assert!(!fresh.join(format!("{version}/{target}/pipeguard")).exists());
    assert!(String::from_utf8_lossy(&o.stdout).is_empty(), "nothing ran");
}

/// The static build (`PIPEGUARD_STATIC_BIN`, e.g. from docs/releasing.md's command): static, runs
/// under `env -i` from an empty directory, and its JSON report of the fixtures equals the
/// ordinary build's byte for byte. Building it costs a fat-LTO build, so the suite does not.
#[test]
fn static_binary_matches_the_ordinary_build() {
    let Some(bin) = std::env::var_os("PIPEGUARD_STATIC_BIN") else {
        eprintln!(
            "SKIPPED static_binary_matches_the_ordinary_build: set PIPEGUARD_STATIC_BIN to a +crt-static build (docs/releasing.md)"
        );
        return;
    };
    let o = Command::new("bash")
        .arg(repo_root().join("scripts/static-check"))
        .arg(&bin)
        .arg(built_binary())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
    assert!(show(&o).contains("byte for byte"), "{}", show(&o));
}
