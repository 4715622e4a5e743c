//! `fix --online` pins Dockerfile base images to the digest of their tag, asked of a real
//! registry: Debian's `docker-registry` on loopback (the helper of tests/registry.rs), images
//! copied in with `skopeo` (a single-platform manifest and a two-platform OCI index). The built
//! binary's dry-run diff, `--write`, `--check` exit codes, the re-scan, and a registry that is
//! down (a note, the file unchanged, exit 0).

use std::path::Path;

use crate::common::pipeguard;
use crate::registry::{LiveRegistry, have_all};

fn fix(dir: &Path, registry: &str, extra: &[&str]) -> (i32, String, String) {
    let out = pipeguard()
        .arg("fix")
        .arg(dir)
        .args(["--online", "--insecure-registry", registry])
        // No GitHub API here: nothing in the tree uses an action, so it is not called.
        .args(["--github-api-url", "http://127.0.0.1:9"])
        .arg("--online-cache")
        .arg(dir.join(".cache"))
        .args(extra)
        .env("DOCKER_CONFIG", dir.join(".docker"))
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn dockerfile(host: &str, pinned: &str) -> String {
    format!(
        "# syntax=docker/dockerfile:1\n\
         ARG VER=1.1\n\
         FROM {host}/base/app:1.0 AS build\n\
         RUN true\n\
         FROM --platform=linux/amd64 {host}/base/multi:2 AS multi\n\
         FROM {host}/base/app:${{VER}} AS argd\n\
         FROM build AS again\n\
         FROM scratch AS empty\n\
         FROM {host}/base/app:1.0@{pinned} AS pinned\n\
         FROM {host}/base/app AS untagged\n\
         FROM {host}/base/app:missing AS missing\n\
         FROM {host}/base/app:1.0 AS build2\n\
         USER 1000\n"
    )
}

/// (rule, line) of the docker pin findings of a scan.
fn pin_findings(dir: &Path) -> Vec<(String, u64)> {
    let out = pipeguard()
        .arg("scan")
        .arg(dir)
        .args([
            "--format",
            "json",
            "--persona",
            "pedantic",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let report = crate::common::json_report(&out.stdout);
    let mut v: Vec<(String, u64)> = crate::common::rule_lines(&report)
        .into_iter()
        .filter(|(r, _, _)| r == "docker/base-not-digest" || r == "docker/unpinned-base")
        .map(|(r, _, l)| (r, l))
        .collect();
    v.sort();
    v
}

#[test]
fn fix_online_pins_base_images_to_the_registry_digest() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let app = reg.push_image("base/app:1.0", "app one");
    let latest = reg.push_image("base/app:latest", "app latest");
    let multi = reg.push_index("base/multi:2", &["amd64", "arm64"]);
    assert_ne!(app, latest);
    let h = reg.host.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    let before = dockerfile(&h, &app);
    std::fs::write(dir.join("Dockerfile"), &before).unwrap();
    assert_eq!(
        pin_findings(&dir),
        vec![
            ("docker/base-not-digest".to_string(), 3),
            ("docker/base-not-digest".to_string(), 5),
            ("docker/base-not-digest".to_string(), 6),
            ("docker/base-not-digest".to_string(), 11),
            ("docker/base-not-digest".to_string(), 12),
            ("docker/unpinned-base".to_string(), 10),
        ]
    );

    // Dry run: the diff, nothing written; --check exits 1.
    let (code, diff, err) = fix(&dir, &h, &[]);
    assert_eq!(code, 0, "{err}");
    let expected = before
        .replace(
            &format!("FROM {h}/base/app:1.0 AS build"),
            &format!("FROM {h}/base/app:1.0@{app} AS build"),
        )
        .replace(
            &format!("{h}/base/multi:2 AS"),
            &format!("{h}/base/multi:2@{multi} AS"),
        )
        .replace(
            &format!("FROM {h}/base/app AS untagged"),
            &format!("FROM {h}/base/app@{latest} AS untagged"),
        );
    assert!(
        diff.contains(&format!(
            "-FROM {h}/base/app:1.0 AS build\n+FROM {h}/base/app:1.0@{app} AS build\n"
        )),
        "{diff}{err}"
    );
    assert!(
        diff.contains(&format!(
            "+FROM --platform=linux/amd64 {h}/base/multi:2@{multi} AS multi\n"
        )),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("+FROM {h}/base/app@{latest} AS untagged\n")),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("+FROM {h}/base/app:1.0@{app} AS build2\n")),
        "{diff}"
    );
    assert_eq!(diff.matches("\n+FROM").count(), 4, "{diff}");
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
        before
    );
    for want in [
        format!(
            "Dockerfile:3: docker/base-not-digest: pin `{h}/base/app:1.0` to the digest of its manifest ({app})"
        ),
        format!(
            "Dockerfile:5: docker/base-not-digest: pin `{h}/base/multi:2` to the digest of its multi-platform index ({multi})"
        ),
        format!(
            "Dockerfile:6: docker/base-not-digest: not repaired: the image `{h}/base/app:${{VER}}` is made of build arguments"
        ),
        format!(
            "Dockerfile:10: docker/unpinned-base: pin `{h}/base/app` to the digest of its manifest ({latest})"
        ),
        format!(
            "Dockerfile:11: docker/base-not-digest: not repaired: the registry has no `{h}/base/app:missing`"
        ),
        "pipeguard fix: 3 repairs in 1 file (dry run: --write applies)".to_string(),
        "pipeguard: registry: 4 base images, 4 manifest requests, 3 digests".to_string(),
    ] {
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
    }
    let (code, _, err) = fix(&dir, &h, &["--check"]);
    assert_eq!(code, 1, "{err}");

    // --write: exactly the pins; the re-scan shows only what was listed.
    let (code, _, err) = fix(&dir, &h, &["--write"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
        expected
    );
    assert_eq!(
        pin_findings(&dir),
        vec![
            ("docker/base-not-digest".to_string(), 6),
            ("docker/base-not-digest".to_string(), 11),
        ]
    );
    let (code, diff, err) = fix(&dir, &h, &["--check"]);
    assert_eq!((code, diff.as_str()), (0, ""), "{err}");
    assert!(err.contains("pipeguard fix: 0 repairs"), "{err}");

    // The registry down: a note per registry, every image listed, the file unchanged, exit 0.
    drop(reg);
    std::fs::write(dir.join("Dockerfile"), &before).unwrap();
    let (code, diff, err) = fix(&dir, &h, &["--write"]);
    assert_eq!((code, diff.as_str()), (0, ""), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
        before
    );
    assert!(
        err.contains(&format!(
            "pipeguard: registry {h}: 4 distinct base images left unpinned (no answer)"
        )),
        "{err}"
    );
    assert!(
        err.contains("pipeguard: registry: 4 base images, 1 manifest requests, 0 digests"),
        "{err}"
    );
    for line in [3, 5, 10, 11, 12] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("Dockerfile:{line}: docker/"))
                    && l.contains(&format!(
                        "not repaired: no digest from the registry: `{h}` could not be reached"
                    ))),
            "line {line}:\n{err}"
        );
    }
    assert!(
        err.contains("pipeguard fix: 0 repairs in 0 files written"),
        "{err}"
    );
    let (code, _, err) = fix(&dir, &h, &["--check"]);
    assert_eq!(
        code, 0,
        "a registry that is down is a note, not a failure: {err}"
    );
}
