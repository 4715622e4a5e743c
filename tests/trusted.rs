//! Trusted mode (`--trusted-config-ref`): the pull request under scan cannot silence the scan.
//! Each test builds a repository whose `main` is the trusted base and whose working tree is a
//! "pull request" adding a critical AWS key and a `pull_request_target` checkout of PR code, plus
//! one way of hiding them. With the trusted ref both are still reported, and the suppression the
//! pull request added is a `policy/suppression-added` finding at its exact place.

use std::fs;
use std::path::Path;

use crate::common::{json_report, pipeguard, rule_lines, sh};

const WORKFLOW: &str = "on: pull_request_target
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: make
";
const KEY_LINE: &str = "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2";

/// A repository with a clean `main`; the working tree (branch `pr`, committed) adds the key in
/// `deploy.env` and the workflow, then `hide` runs (shell, in the tree) and is committed too.
fn pull_request(hide: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("README.md"), "app\n").unwrap();
    sh(
        p,
        "git init -q -b main . && git add -A && git commit -qm base && git checkout -q -b pr",
    );
    fs::create_dir_all(p.join(".github/workflows")).unwrap();
    fs::write(p.join(".github/workflows/pr.yml"), WORKFLOW).unwrap();
    fs::write(p.join("deploy.env"), format!("{KEY_LINE}\n")).unwrap();
    sh(p, hide);
    sh(p, "git add -f -A && git commit -qm pr");
    dir
}

/// (rule, path, line) of every finding of `scan --format json ARGS PATH`, and the exit code.
fn scan(p: &Path, args: &[&str]) -> (Vec<(String, String, u64)>, i32) {
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .args(args)
        .arg(p)
        .output()
        .unwrap();
    let report = json_report(&out.stdout);
    (rule_lines(&report), out.status.code().unwrap_or(-1))
}

fn has(found: &[(String, String, u64)], rule: &str, path: &str, line: u64) -> bool {
    found
        .iter()
        .any(|(r, p, l)| r == rule && p == path && *l == line)
}

fn assert_not_silenced(found: &[(String, String, u64)], code: i32) {
    assert_eq!(code, 1, "{found:?}");
    assert!(
        has(found, "secrets/aws-access-key-id", "deploy.env", 1),
        "{found:?}"
    );
    assert!(
        has(
            found,
            "github/untrusted-checkout",
            ".github/workflows/pr.yml",
            9
        ),
        "{found:?}"
    );
}

const TRUSTED: [&str; 2] = ["--trusted-config-ref", "main"];

#[test]
fn pipeguardignore_added_by_the_change_is_refused_and_reported() {
    let d = pull_request("echo '*' > .pipeguardignore");
    let (untrusted, code) = scan(d.path(), &[]);
    assert_eq!((untrusted.len(), code), (0, 0), "{untrusted:?}");
    let (found, code) = scan(d.path(), &TRUSTED);
    assert_not_silenced(&found, code);
    assert!(
        has(&found, "policy/suppression-added", ".pipeguardignore", 1),
        "{found:?}"
    );
}

#[test]
fn dot_ignore_anywhere_added_by_the_change_is_refused_and_reported() {
    let d =
        pull_request("printf '# hide\\n*.env\\n*.yml\\n' > .github/.ignore && echo '*' > .ignore");
    let (found, code) = scan(d.path(), &TRUSTED);
    assert_not_silenced(&found, code);
    assert!(
        has(&found, "policy/suppression-added", ".github/.ignore", 2),
        "{found:?}"
    );
    assert!(
        has(&found, "policy/suppression-added", ".github/.ignore", 3),
        "{found:?}"
    );
    assert!(
        has(&found, "policy/suppression-added", ".ignore", 1),
        "{found:?}"
    );
    // The comment line adds nothing.
    assert!(
        !has(&found, "policy/suppression-added", ".github/.ignore", 1),
        "{found:?}"
    );
}

#[test]
fn gitignore_never_hides_a_tracked_file() {
    let d = pull_request("printf 'deploy.env\\n.github/\\n' > .gitignore");
    for args in [&[][..], &TRUSTED[..]] {
        let out = pipeguard()
            .args(["scan", "--format", "json"])
            .args(args)
            .arg(d.path())
            .output()
            .unwrap();
        let report = json_report(&out.stdout);
        assert_not_silenced(&rule_lines(&report), out.status.code().unwrap());
        let notes = report["diagnostics"].to_string();
        assert!(
            notes.contains("2 files tracked by git but matched by a .gitignore are scanned anyway"),
            "{notes}"
        );
    }
    // An untracked file a .gitignore lists stays out (build output, dependencies).
    fs::write(d.path().join("local.env"), format!("{KEY_LINE}\n")).unwrap();
    fs::write(
        d.path().join(".gitignore"),
        "deploy.env\n.github/\nlocal.env\n",
    )
    .unwrap();
    let (found, _) = scan(d.path(), &TRUSTED);
    assert!(!found.iter().any(|(_, p, _)| p == "local.env"), "{found:?}");
}

#[test]
fn inline_ignores_added_by_the_change_are_refused_and_reported() {
    let d = pull_request(
        "printf '%s # pipeguard:ignore[*] test key\\n' \"$(cat deploy.env)\" > deploy.env && \
         sed -i 's|ref: \\(.*\\)$|ref: \\1  # pipeguard:ignore[github/*]|' .github/workflows/pr.yml",
    );
    let (untrusted, _) = scan(d.path(), &[]);
    assert!(
        !has(&untrusted, "secrets/aws-access-key-id", "deploy.env", 1),
        "{untrusted:?}"
    );
    let (found, code) = scan(d.path(), &TRUSTED);
    assert_not_silenced(&found, code);
    assert!(
        has(&found, "policy/suppression-added", "deploy.env", 1),
        "{found:?}"
    );
    assert!(
        has(
            &found,
            "policy/suppression-added",
            ".github/workflows/pr.yml",
            9
        ),
        "{found:?}"
    );
}

#[test]
fn suppressions_of_the_trusted_ref_still_count() {
    // The directive and the ignore file are on main already: the PR only adds other things.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("test.env"),
        format!("{KEY_LINE} # pipeguard:ignore[secrets/*] documented test key\n"),
    )
    .unwrap();
    fs::create_dir_all(p.join("vendor")).unwrap();
    fs::write(p.join("vendor/keys.env"), format!("{KEY_LINE}\n")).unwrap();
    fs::write(p.join(".pipeguardignore"), "vendor/\n").unwrap();
    sh(
        p,
        "git init -q -b main . && git add -A && git commit -qm base && git checkout -q -b pr && echo x > other.txt && git add -A && git commit -qm pr",
    );
    let (found, code) = scan(p, &TRUSTED);
    assert_eq!((found.len(), code), (0, 0), "{found:?}");

    // `inline_ignores: off` on the trusted ref: no inline directive counts, none is "added".
    fs::write(p.join(".pipeguard.yml"), "inline_ignores: off\n").unwrap();
    sh(
        p,
        "git add -A && git commit -qm policy && git branch -f main HEAD",
    );
    let (found, _) = scan(p, &TRUSTED);
    assert!(
        has(&found, "secrets/aws-access-key-id", "test.env", 1),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, _, _)| r == "policy/suppression-added"),
        "{found:?}"
    );
}

#[test]
fn inline_ignores_on_in_the_trusted_policy_honours_the_change_s_directives() {
    let d = pull_request(
        "printf '%s # pipeguard:ignore[secrets/*] test key\\n' \"$(cat deploy.env)\" > deploy.env",
    );
    let p = d.path();
    // The trusted base opts in to honouring every inline directive.
    sh(
        p,
        "git checkout -q main && echo 'inline_ignores: on' > .pipeguard.yml && git add -A && \
         git commit -qm policy && git checkout -q pr && git merge -q main -m merge",
    );
    let (found, _) = scan(p, &TRUSTED);
    assert!(
        !has(&found, "secrets/aws-access-key-id", "deploy.env", 1),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, _, _)| r == "policy/suppression-added"),
        "{found:?}"
    );
}

#[test]
fn baseline_edited_by_the_change_is_read_from_the_trusted_ref() {
    let d = pull_request("true");
    let p = d.path();
    // The pull request records its own findings as "accepted".
    fs::create_dir_all(p.join(".pipeguard")).unwrap();
    pipeguard()
        .args(["baseline", "--write"])
        .arg(p.join(".pipeguard/baseline.json"))
        .arg(p)
        .assert()
        .success();
    sh(p, "git add -A && git commit -qm baseline");
    let bl = p.join(".pipeguard/baseline.json");
    let bl = bl.to_str().unwrap();
    let (untrusted, code) = scan(p, &["--baseline", bl]);
    assert_eq!((untrusted.len(), code), (0, 0), "{untrusted:?}");

    let (found, code) = scan(p, &["--baseline", bl, "--trusted-config-ref", "main"]);
    assert_not_silenced(&found, code);
    let added: Vec<_> = found
        .iter()
        .filter(|(r, f, _)| r == "policy/suppression-added" && f == ".pipeguard/baseline.json")
        .collect();
    assert!(added.len() >= 2, "{found:?}");
}
