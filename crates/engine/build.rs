#![allow(clippy::expect_used)] // build script: a failure here is a broken checkout
//! Embed the rule catalogue (`rules/**/*.yaml`) into the binary, as written (for `rules
//! show` and the catalogue digest) and converted to JSON: every command loads the catalogue,
//! and JSON parses several times faster than YAML (the hook latency of pre-commit).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let rules_dir = manifest.join("rules");
    println!("cargo:rerun-if-changed={}", rules_dir.display());
    let mut files = Vec::new();
    collect(&rules_dir, &mut files);
    files.sort();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let json_dir = out_dir.join("rules_json");
    fs::create_dir_all(&json_dir).expect("create OUT_DIR/rules_json");
    let mut json_code = String::from("pub static RULE_FILES_JSON: &[&str] = &[\n");
    for (i, f) in files.iter().enumerate() {
        let text = fs::read_to_string(f).expect("read a rule file");
        let value: serde_json::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: invalid YAML: {e}", f.display()));
        let path = json_dir.join(format!("{i}.json"));
        fs::write(&path, value.to_string()).expect("write a rule file as JSON");
        let _ = writeln!(json_code, "    include_str!({:?}),", path.to_string_lossy());
    }
    json_code.push_str("];\n");
    let mut code = String::from("pub static RULE_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&rules_dir)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let abs = fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            abs.to_string_lossy()
        );
    }
    code.push_str("];\n");
    code.push_str(&json_code);
    // Directories too, so that adding a file re-runs the script.
    let mut dirs = vec![rules_dir.clone()];
    while let Some(d) = dirs.pop() {
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.path().is_dir() {
                    println!("cargo:rerun-if-changed={}", e.path().display());
                    dirs.push(e.path());
                }
            }
        }
    }
    let out = out_dir.join("rule_files.rs");
    fs::write(out, code).expect("write rule_files.rs");
}
