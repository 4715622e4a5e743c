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
    fs::write(out_dir.join("rule_ids.rs"), rule_ids(&files)).expect("write rule_ids.rs");
}

/// `RuleId`: one variant per rule of the catalogue that has its own file (the rules detected by
/// code; the secret patterns, lists under `rules:`, are data and keep string ids), with its id
/// and default severity from the catalogue.
fn rule_ids(files: &[PathBuf]) -> String {
    let mut rules: Vec<(String, String)> = Vec::new();
    for f in files {
        let text = fs::read_to_string(f).expect("read a rule file");
        let value: serde_json::Value = serde_yaml::from_str(&text).expect("valid YAML");
        let (Some(id), Some(severity)) = (
            value.get("id").and_then(|v| v.as_str()),
            value.get("severity").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        rules.push((id.to_string(), severity.to_string()));
    }
    rules.sort();
    let variant = |id: &str| -> String {
        id.split(['/', '-'])
            .map(|w| {
                let mut c = w.chars();
                c.next().map_or_else(String::new, |f| {
                    f.to_ascii_uppercase().to_string() + c.as_str()
                })
            })
            .collect()
    };
    let family = |id: &str| -> String { variant(id.split('/').next().unwrap_or(id)) };
    let mut code = String::from(
        "/// A rule detected by code, as declared in the catalogue (`rules/<family>/<name>.yaml`).\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]\n\
         pub enum RuleId {\n",
    );
    for (id, _) in &rules {
        let _ = writeln!(code, "    /// `{id}`\n    {},", variant(id));
    }
    code.push_str("}\n\nimpl RuleId {\n    pub const ALL: &[RuleId] = &[\n");
    for (id, _) in &rules {
        let _ = writeln!(code, "        RuleId::{},", variant(id));
    }
    code.push_str("    ];\n\n    /// The id as written in reports (`family/kebab-name`).\n    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for (id, _) in &rules {
        let _ = writeln!(code, "            RuleId::{} => {id:?},", variant(id));
    }
    code.push_str(
        "        }\n    }\n\n    #[allow(clippy::match_same_arms)] // one arm per rule, generated\n    pub const fn family(self) -> Family {\n        match self {\n",
    );
    for (id, _) in &rules {
        let _ = writeln!(
            code,
            "            RuleId::{} => Family::{},",
            variant(id),
            family(id)
        );
    }
    code.push_str("        }\n    }\n\n    /// Default severity, from the catalogue.\n    #[allow(clippy::match_same_arms)] // one arm per rule, generated\n    pub const fn default_severity(self) -> Severity {\n        match self {\n");
    for (id, sev) in &rules {
        let _ = writeln!(
            code,
            "            RuleId::{} => Severity::{},",
            variant(id),
            variant(sev)
        );
    }
    code.push_str("        }\n    }\n}\n");
    code
}
