//! The import rules of the code base, checked on the source text (test modules and comments
//! left out):
//! - no analyzer family imports another family: what several share lives in `analyzers/common`;
//! - the commands (`cli/src`) reach the engine through its entry points, never through an
//!   analyzer family's internals;
//! - the engine's top-level modules form no cycle, and neither do the files of a family.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::repo_root;

/// Families and the modules every family may use.
const SHARED_ANALYZER_MODULES: &[&str] = &["common", "rule"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without its test module and comments.
fn code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every path that starts with `prefix` (e.g. `crate::`), as its segments; a `{a, b::c}` group
/// after the prefix gives each member.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        if i > 0 && code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let mut rest = &code[i + prefix.len()..];
        let mut segs = Vec::new();
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                for member in inner.split(',') {
                    let mut s = segs.clone();
                    s.extend(
                        member
                            .trim()
                            .split("::")
                            .map(|x| ident_at(x.trim()).to_string())
                            .filter(|x| !x.is_empty()),
                    );
                    out.push(s);
                }
                break;
            }
            let id = ident_at(rest);
            if id.is_empty() {
                out.push(segs);
                break;
            }
            segs.push(id.to_string());
            rest = &rest[id.len()..];
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => {
                    out.push(segs);
                    break;
                }
            }
        }
    }
    out
}

fn engine_src() -> PathBuf {
    repo_root().join("crates/engine/src")
}

/// Module of a file of the engine: `analyzers/github/model.rs` → `["analyzers", "github", "model"]`.
fn module_of(path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(engine_src()).unwrap();
    let mut segs: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if segs.last().is_some_and(|s| s == "mod" || s == "lib") {
        segs.pop();
    }
    segs
}

/// The engine module a path inside `file` refers to, resolving `crate::` and `super::`.
fn references(path: &Path) -> Vec<Vec<String>> {
    let c = code(path);
    let here = module_of(path);
    let mut refs = paths_after(&c, "crate::");
    for p in paths_after(&c, "super::") {
        // `module_of` already names a mod.rs by its directory, so `super` is one pop either way.
        let mut base = here.clone();
        base.pop();
        let mut segs = p.as_slice();
        while segs.first().is_some_and(|s| s == "super") {
            base.pop();
            segs = &segs[1..];
        }
        base.extend(segs.iter().cloned());
        refs.push(base);
    }
    refs
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    // Iterative depth-first search with colours.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for start in graph.keys() {
        if colour.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(
            start.as_str(),
            graph[start].iter().map(String::as_str).collect(),
        )];
        colour.insert(start, 1);
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if let Some(n) = next.pop() {
                match colour.get(n).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(n, 1);
                        let succ = graph
                            .get(n)
                            .map(|s| s.iter().map(String::as_str).collect())
                            .unwrap_or_default();
                        stack.push((n, succ));
                    }
                    1 => {
                        let mut cycle: Vec<String> =
                            stack.iter().map(|(m, _)| (*m).to_string()).collect();
                        let at = cycle.iter().position(|m| m == n).unwrap_or(0);
                        cycle.drain(..at);
                        cycle.push(n.to_string());
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                colour.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}

#[test]
fn no_family_imports_another() {
    let analyzers = engine_src().join("analyzers");
    let families: Vec<String> = fs::read_dir(&analyzers)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            p.is_dir()
                .then(|| p.file_name().unwrap().to_string_lossy().into_owned())
        })
        .filter(|f| !SHARED_ANALYZER_MODULES.contains(&f.as_str()))
        .collect();
    let mut errors = Vec::new();
    for fam in &families {
        for file in rust_files(&analyzers.join(fam)) {
            for r in references(&file) {
                if r.first().is_some_and(|s| s == "analyzers")
                    && let Some(other) = r.get(1)
                    && other != fam
                    && families.contains(other)
                {
                    errors.push(format!(
                        "{}: uses analyzers::{other}",
                        file.strip_prefix(repo_root()).unwrap().display()
                    ));
                }
            }
        }
    }
    errors.sort();
    errors.dedup();
    assert!(
        errors.is_empty(),
        "families import each other:\n{}",
        errors.join("\n")
    );
}

#[test]
fn commands_use_no_analyzer_internals() {
    let mut errors = Vec::new();
    for file in rust_files(&repo_root().join("cli/src")) {
        for r in paths_after(&code(&file), "pipeguard_engine::") {
            // `analyzers::<item>` (an entry point) is fine; `analyzers::<family>::…` is not.
            if r.first().is_some_and(|s| s == "analyzers") && r.len() > 2 {
                errors.push(format!(
                    "{}: uses pipeguard_engine::{}",
                    file.strip_prefix(repo_root()).unwrap().display(),
                    r.join("::")
                ));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "commands reach into analyzers:\n{}",
        errors.join("\n")
    );
}

#[test]
fn no_module_cycles() {
    let files = rust_files(&engine_src());
    // Top-level modules of the engine.
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Files of each family: `analyzers::github::model` → `analyzers::github::locate`.
    let mut family: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let tops: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_of(f).first().cloned())
        .collect();
    for file in &files {
        let here = module_of(file);
        let Some(h) = here.first() else { continue };
        top.entry(h.clone()).or_default();
        for r in references(file) {
            if let Some(t) = r.first()
                && t != h
                && tops.contains(t)
            {
                top.entry(h.clone()).or_default().insert(t.clone());
            }
            if here.len() >= 3
                && here[0] == "analyzers"
                && r.len() >= 3
                && r[0] == "analyzers"
                && r[1] == here[1]
            {
                let from = here[..3].join("::");
                let to = r[..3].join("::");
                if from != to && !to.ends_with("::rules") {
                    family.entry(from).or_default().insert(to);
                }
            }
        }
    }
    if let Some(c) = find_cycle(&top) {
        panic!("the engine's modules form a cycle: {}", c.join(" → "));
    }
    if let Some(c) = find_cycle(&family) {
        panic!("a family's files form a cycle: {}", c.join(" → "));
    }
    // The checker itself must see the graph: the engine module uses the analyzers.
    assert!(top.get("engine").is_some_and(|s| s.contains("analyzers")));
}
