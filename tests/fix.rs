//! `pipeguard fix`: golden trees (tests/fixtures/fix/<case>/{before,after,listing.txt}). Each
//! case is repaired in a copy: the dry run prints a diff and writes nothing, `--write` produces
//! exactly `after/` and the listing (repairs and what has no safe repair) on stderr, and a second
//! run finds nothing left to repair. `PIPEGUARD_BLESS=1` rewrites `after/` and the listing.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{fixtures, pipeguard};

fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn copy(from: &Path, to: &Path) {
    for (rel, bytes) in files(from) {
        let p = to.join(&rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

fn case(name: &str) {
    let dir: PathBuf = fixtures().join("fix").join(name);
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("tree");
    copy(&dir.join("before"), &work);

    let dry = pipeguard().arg("fix").arg(&work).output().unwrap();
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let diff = String::from_utf8(dry.stdout).unwrap();
    assert!(diff.contains("--- a/") && diff.contains("+++ b/"), "{diff}");
    assert_eq!(
        files(&work),
        files(&dir.join("before")),
        "the dry run wrote files"
    );

    let run = pipeguard()
        .arg("fix")
        .arg(&work)
        .arg("--write")
        .output()
        .unwrap();
    assert!(run.status.success());
    let listing = String::from_utf8(run.stderr).unwrap();
    if std::env::var_os("PIPEGUARD_BLESS").is_some() {
        let _ = fs::remove_dir_all(dir.join("after"));
        copy(&work, &dir.join("after"));
        fs::write(dir.join("listing.txt"), &listing).unwrap();
    }
    let want = fs::read_to_string(dir.join("listing.txt")).unwrap();
    assert_eq!(listing, want);
    let got = files(&work);
    let expected = files(&dir.join("after"));
    for ((gp, gb), (ep, eb)) in got.iter().zip(&expected) {
        assert_eq!(gp, ep);
        assert_eq!(
            String::from_utf8_lossy(gb),
            String::from_utf8_lossy(eb),
            "{name}: {gp} differs from after/"
        );
    }
    assert_eq!(got.len(), expected.len());

    // Nothing left that a repair could fix; the listing of what has none is unchanged.
    let again = pipeguard()
        .arg("fix")
        .arg(&work)
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(again.stdout.is_empty());
}

#[test]
fn fix_script_injection_to_env() {
    case("injection");
}

#[test]
fn fix_persist_credentials() {
    case("persist");
}

#[test]
fn fix_permissions_crlf_and_comments() {
    case("permissions");
}

#[test]
fn fix_permissions_partial() {
    case("permissions-partial");
}

#[test]
fn fix_permissions_inferred() {
    case("permissions-inferred");
}

#[test]
fn fix_dockerfile() {
    case("docker");
}

#[test]
fn fix_check_exits_1_when_a_repair_is_available() {
    let tmp = tempfile::tempdir().unwrap();
    copy(&fixtures().join("fix/persist/before"), tmp.path());
    let out = pipeguard()
        .arg("fix")
        .arg(tmp.path())
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fix_does_not_write_through_symlinks() {
    #[cfg(unix)]
    {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside.yml");
        fs::write(&outside, "keep\n").unwrap();
        let tree = tmp.path().join("tree");
        copy(&fixtures().join("fix/persist/before"), &tree);
        let wf = tree.join(".github/workflows/build.yml");
        let text = fs::read(&wf).unwrap();
        fs::write(&outside, &text).unwrap();
        fs::remove_file(&wf).unwrap();
        std::os::unix::fs::symlink(&outside, &wf).unwrap();
        let _ = pipeguard()
            .arg("fix")
            .arg(&tree)
            .arg("--write")
            .output()
            .unwrap();
        assert_eq!(fs::read(&outside).unwrap(), text);
    }
}
