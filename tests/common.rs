//! Shared helpers for the suite.

use std::path::{Path, PathBuf};

use pipeguard_engine::engine::{self, Input, ScanRequest};
use pipeguard_engine::finding::Family;
use pipeguard_engine::policy::config::FailOn;
use pipeguard_engine::report::Report;
use pipeguard_engine::rules::Registry;

/// The package directory, read at run time (cargo sets it for tests): the compile-time value
/// goes stale when checkouts at different paths share one target directory.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        std::path::PathBuf::from,
    )
}

pub fn repo_root() -> PathBuf {
    manifest_dir().join("..")
}

pub fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures")
}

/// The built `pipeguard` binary.
pub fn pipeguard() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("pipeguard").expect("binary built");
    cmd.env_remove("GITHUB_STEP_SUMMARY").env("NO_COLOR", "1");
    cmd
}

/// Scan `root` through the library with its `.pipeguard.yml` (if any), all families.
#[allow(dead_code)]
pub fn scan(root: &Path) -> Report {
    scan_families(root, &Family::ALL)
}

/// Scan `root` through the library with only these families.
pub fn scan_families(root: &Path, families: &[Family]) -> Report {
    let registry = Registry::builtin().expect("catalogue");
    let config = pipeguard_engine::engine::load_config(
        &pipeguard_engine::engine::ConfigSource::Discover {
            root,
            explicit: None,
        },
        registry,
    )
    .expect("config");
    engine::scan(ScanRequest {
        root: root.to_path_buf(),
        root_display: ".".into(),
        input: Input::Tree,
        config: &config,
        registry,
        families: families.to_vec(),
        baseline: None,
        fail_on: FailOn::High,
        max_risk: None,
        trusted_ref: None,
        strict: false,
        online: None,
        validator: None,
    })
    .expect("scan")
}

/// One line per finding: `path:line:col severity rule-id message`, followed by
/// `[persona, confidence]` when they are not the defaults (regular, high).
pub fn finding_lines(report: &Report) -> String {
    let mut s = String::new();
    for f in &report.findings {
        let mut tags = Vec::new();
        if !f.persona.is_regular() {
            tags.push(f.persona.as_str());
        }
        if !f.confidence.is_high() {
            tags.push(f.confidence.as_str());
        }
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", tags.join(", "))
        };
        s.push_str(&format!(
            "{}:{}:{} {} {} {}{tags}\n",
            f.location.path,
            f.location.start_line,
            f.location.start_column,
            f.severity,
            f.rule_id,
            f.message
        ));
        for r in &f.related {
            s.push_str(&format!(
                "    related {}:{}:{} {}\n",
                r.location.path, r.location.start_line, r.location.start_column, r.message
            ));
        }
    }
    s
}

/// Parse the JSON report printed by `scan --format json`.
pub fn json_report(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout).expect("scan --format json prints JSON")
}

/// (rule_id, path, line) of every finding in a JSON report.
pub fn rule_lines(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["start_line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// A Python interpreter with jsonschema, securesystemslib, cryptography (scripts/test sets
/// PIPEGUARD_PYTHON to its virtualenv).
pub fn python() -> String {
    std::env::var("PIPEGUARD_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Run a shell command in `dir`, panicking with its output if it fails (test setup only).
pub fn sh(dir: &Path, script: &str) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "`{script}` failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Path of the built `pipeguard` binary.
#[allow(dead_code)]
pub fn built_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pipeguard"))
}

/// A copy of the fixture repository `tests/fixtures/repos/<name>` outside any git work tree
/// (made once per test process), so that its report paths are relative to the scan root
/// whether or not the project itself is a git checkout.
#[allow(dead_code)]
pub fn fixture_repo_copy(name: &str) -> PathBuf {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static COPIES: OnceLock<Mutex<HashMap<String, tempfile::TempDir>>> = OnceLock::new();
    let mut copies = COPIES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = copies.entry(name.to_string()).or_insert_with(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        copy_tree(&fixtures().join("repos").join(name), tmp.path());
        tmp
    });
    dir.path().to_path_buf()
}

/// Copy a directory tree (regular files and directories only).
#[allow(dead_code)]
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read fixture dir") {
        let e = e.expect("entry");
        let t = e.file_type().expect("file type");
        if t.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else if t.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}
