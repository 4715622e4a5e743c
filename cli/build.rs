#![allow(clippy::expect_used)] // build script: a failure here is a broken checkout
//! One test per rule fixture folder (`tests/fixtures/rules/<family>/<rule>/{pos,neg}`), so that
//! `cargo test curl_pipe_shell` runs that rule's fixtures alone: writes
//! `$OUT_DIR/rule_fixture_tests.rs`, included by the suite's `rule_fixtures` module.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn dirs(p: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../tests/fixtures/rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::new();
    for family in dirs(&root) {
        println!("cargo:rerun-if-changed={}", root.join(&family).display());
        let _ = writeln!(code, "mod {family} {{");
        for rule in dirs(&root.join(&family)) {
            println!(
                "cargo:rerun-if-changed={}",
                root.join(&family).join(&rule).display()
            );
            for kind in ["pos", "neg"] {
                let name = format!("{}_{kind}", rule.replace('-', "_"));
                let _ = writeln!(
                    code,
                    "    #[test]\n    fn {name}() {{\n        super::fixture({family:?}, {rule:?}, {kind:?});\n    }}"
                );
            }
        }
        code.push_str("}\n");
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("rule_fixture_tests.rs"), code).expect("write rule_fixture_tests.rs");
}
