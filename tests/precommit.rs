//! The pre-commit hooks for real: pre-commit (from PyPI, in scripts/test's virtualenv) installs
//! this repository as a hook repository (`language: rust` → `cargo install`), and a consumer
//! repository's commits are refused or accepted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{repo_root, sh};

/// pre-commit next to $PIPEGUARD_PYTHON, else on PATH.
fn pre_commit() -> Option<PathBuf> {
    if let Ok(py) = std::env::var("PIPEGUARD_PYTHON") {
        let p = Path::new(&py).with_file_name("pre-commit");
        if p.is_file() {
            return Some(p);
        }
    }
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("pre-commit"))
}

/// A GitHub classic token with a valid CRC-32 checksum, built at run time so that no credential
/// sits in this file.
fn planted_github_token() -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let body: String = (0..30)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            B62[(state % 62) as usize] as char
        })
        .collect();
    let mut crc: u32 = 0xffff_ffff;
    for b in body.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut n = !crc;
    let mut check = Vec::new();
    while n > 0 {
        check.push(B62[(n % 62) as usize]);
        n /= 62;
    }
    while check.len() < 6 {
        check.push(b'0');
    }
    check.reverse();
    format!("ghp_{body}{}", String::from_utf8(check).unwrap())
}

fn git_env(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
}

fn show(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The working tree (tracked and new files) copied into a stable directory and committed with a
/// fixed date, so an unchanged tree gives the same revision and pre-commit reuses its install.
fn hook_repo(base: &Path) -> (PathBuf, String) {
    let repo = base.join("hookrepo");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    sh(
        &repo_root(),
        &format!(
            "git ls-files -z -co --exclude-standard -- . ':!:tests/fixtures' | tar --null -T - -cf - | tar -xpf - -C '{}'",
            repo.display()
        ),
    );
    sh(
        &repo,
        "git init -q -b main . && git add -A && GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z git commit -q -m hooks",
    );
    let rev = sh(&repo, "git rev-parse HEAD").trim().to_string();
    (repo, rev)
}

#[test]
fn hooks_refuse_a_planted_key_and_accept_a_clean_commit() {
    let help = Command::new(env!("CARGO_BIN_EXE_pipeguard"))
        .args(["scan", "--help"])
        .output()
        .unwrap();
    if !String::from_utf8_lossy(&help.stdout).contains("--staged") {
        eprintln!(
            "SKIPPED hooks_refuse_a_planted_key_and_accept_a_clean_commit: this build has no `scan --staged` yet"
        );
        return;
    }
    let Some(pc) = pre_commit() else {
        eprintln!(
            "SKIPPED hooks_refuse_a_planted_key_and_accept_a_clean_commit: pre-commit not installed (run scripts/test)"
        );
        return;
    };
    // Stable across runs: the hook install (a release build) happens once per source change.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("precommit-e2e");
    let (hooks, rev) = hook_repo(&base);
    let consumer = tempfile::tempdir().unwrap();
    let dir = consumer.path();
    sh(dir, "git init -q -b main .");
    let config = std::fs::read_to_string(repo_root().join("docs/pre-commit.md")).unwrap();
    let snippet = config
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("docs/pre-commit.md starts with the consumer config")
        .replace(
            "https://github.com/pipeguard/pipeguard",
            &hooks.display().to_string(),
        )
        .replace("v0.1.0", &rev);
    std::fs::write(dir.join(".pre-commit-config.yaml"), snippet).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(&pc);
        git_env(&mut cmd)
            .args(args)
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", base.join("home"))
            .env("CARGO_TARGET_DIR", base.join("target"))
            .env("PRE_COMMIT_COLOR", "never")
            .env("NO_COLOR", "1");
        cmd.output().unwrap()
    };
    let o = run(&["install-hooks"]);
    assert!(o.status.success(), "install-hooks: {}", show(&o));
    let o = run(&["install"]);
    assert!(o.status.success(), "install: {}", show(&o));
    let commit = |msg: &str| {
        let mut cmd = Command::new("git");
        git_env(&mut cmd)
            .args(["commit", "-m", msg])
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", base.join("home"))
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    pc.parent()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            );
        cmd.output().unwrap()
    };

    std::fs::write(
        dir.join("deploy.sh"),
        format!(
            "#!/bin/sh\nexport GITHUB_TOKEN=\"{}\"\n",
            planted_github_token()
        ),
    )
    .unwrap();
    sh(dir, "git add .pre-commit-config.yaml deploy.sh");
    let o = commit("add deploy script");
    let out = show(&o);
    assert!(!o.status.success(), "a planted key must be refused:\n{out}");
    assert!(out.contains("secrets/github-token"), "{out}");
    assert!(
        !out.contains(&planted_github_token()),
        "the key is redacted in the output:\n{out}"
    );
    assert!(sh(dir, "git rev-list --all --count 2>/dev/null || echo 0").trim() == "0");

    std::fs::write(
        dir.join("deploy.sh"),
        "#!/bin/sh\nexport GITHUB_TOKEN=\"$(cat /run/secrets/github_token)\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM ubuntu:latest\nRUN echo build\n",
    )
    .unwrap();
    sh(dir, "git add deploy.sh Dockerfile");
    let o = commit("add deploy script");
    let out = show(&o);
    assert!(
        !o.status.success(),
        "a root container must be refused by pipeguard-scan:\n{out}"
    );
    assert!(out.contains("docker/root-user"), "{out}");

    std::fs::write(dir.join("Dockerfile"), "FROM ubuntu:24.04@sha256:2e863c44b718727c860746568e1d54afd13b2fa71b160f5cd9058fc436217b30\nRUN echo build\nUSER 10001\n").unwrap();
    sh(dir, "git add Dockerfile");
    let o = commit("add deploy script");
    assert!(o.status.success(), "a clean commit passes:\n{}", show(&o));
    assert_eq!(sh(dir, "git rev-list --count HEAD").trim(), "1");
}
