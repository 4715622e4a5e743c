//! Bad input never crashes: a tree with a truncated YAML file, a binary file, a 50 MB file, a
//! symlink loop, a symlink out of the root and a non-UTF-8 file name is scanned to the end;
//! every skipped file is named; the exit code says the scan was incomplete.

use std::fs;
use std::os::unix::ffi::OsStrExt;

use crate::common::{json_report, pipeguard};

#[test]
fn hostile_tree_is_scanned_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir_all(p.join(".github/workflows")).unwrap();
    fs::create_dir_all(p.join("k8s")).unwrap();
    fs::write(
        p.join(".github/workflows/ci.yml"),
        "on: [push]\njobs:\n  build:\n    runs-on: [ubuntu-latest\n",
    )
    .unwrap();
    fs::write(
        p.join("k8s/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template: {spec: {containers: [",
    )
    .unwrap();
    fs::write(
        p.join("tool.bin"),
        b"\x7fELF\x02\x01\x01\0\0\0binary\0content",
    )
    .unwrap();
    let big = vec![b'a'; 50 * 1024 * 1024];
    fs::write(p.join("huge.log"), &big).unwrap();
    fs::create_dir_all(p.join("loop")).unwrap();
    std::os::unix::fs::symlink("../loop", p.join("loop/self")).unwrap();
    std::os::unix::fs::symlink("a", p.join("b")).unwrap();
    std::os::unix::fs::symlink("b", p.join("a")).unwrap();
    std::os::unix::fs::symlink("/etc", p.join("etc-link")).unwrap();
    let weird = std::ffi::OsStr::from_bytes(b"caf\xe9.Dockerfile");
    fs::write(p.join(weird), "FROM alpine:latest\nUSER 1000\n").unwrap();
    fs::write(p.join("Dockerfile"), "FROM alpine\nUSER root\n").unwrap();
    fs::write(p.join("latin1.txt"), b"caf\xe9 au lait\n").unwrap();

    let out = pipeguard()
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .arg(p)
        .assert()
        .code(0);
    // Dangling and looping symlinks are not analysed: notes (exit 0), errors only with --strict.
    pipeguard()
        .args(["scan", "--strict", "--fail-on", "never"])
        .arg(p)
        .assert()
        .code(2);
    let report = json_report(&out.get_output().stdout);
    let diags: Vec<(String, String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["level"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |level: &str, path: &str, needle: &str| {
        diags
            .iter()
            .any(|(l, p, m)| l == level && p == path && m.contains(needle))
    };
    assert!(has("note", "tool.bin", "binary"), "{diags:#?}");
    assert!(
        has("note", "huge.log", "exceeds the size limit"),
        "{diags:#?}"
    );
    assert!(has("note", "a", "dangling or loops"), "{diags:#?}");
    assert!(has("note", "b", "dangling or loops"), "{diags:#?}");
    assert!(
        has("note", "etc-link", "outside the scan root"),
        "{diags:#?}"
    );
    assert!(
        has("note", "caf\u{fffd}.Dockerfile", "not valid UTF-8"),
        "{diags:#?}"
    );

    // What could be analysed was: both Dockerfiles, including the one with the odd name.
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().into(),
                f["location"]["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        found.contains(&("docker/root-user".into(), "Dockerfile".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "docker/unpinned-base".into(),
            "caf\u{fffd}.Dockerfile".into()
        )),
        "{found:?}"
    );
    assert!(report["files"]["skipped"].as_u64().unwrap() >= 2);

    // Text output names every skipped file too.
    let out = pipeguard()
        .args(["scan", "--fail-on", "never"])
        .arg(p)
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for name in ["tool.bin", "huge.log", "etc-link"] {
        assert!(text.contains(name), "{name} not named:\n{text}");
    }
}

#[test]
fn size_limit_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.20\nUSER 1000\n",
    )
    .unwrap();
    fs::write(dir.path().join(".pipeguard.yml"), "max_file_size: 10B\n").unwrap();
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert!(
        report["diagnostics"]
            .to_string()
            .contains("exceeds the size limit of 10 B")
    );
}
