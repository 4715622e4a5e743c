//! `docker/apt-unpinned`: `apt-get install` of packages without `=version`: every rebuild may
//! install different code. One finding per `RUN`, at the first such install.

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::run::Run;
use crate::analyzers::docker::tools::{Manager, install};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use pipeguard_shell::Word;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerAptUnpinned, check);

/// Package names of the operands: literal words as written, and a word that is exactly `$VAR`
/// / `${VAR}` expanded from a literal assignment in the same `RUN` (`buildDeps='gcc make'`) or
/// from the stage's ARG/ENV, split on whitespace; other words with expansions as written
/// (`pkg-"$MAJOR"` is a name without a version). Unknown whole variables are skipped.
pub fn package_names(m: &Model<'_, '_>, run: &Run, packages: &[&Word]) -> Vec<String> {
    let mut out = Vec::new();
    for w in packages {
        if w.is_literal() {
            out.push(w.text.clone());
            continue;
        }
        // `pkg-"${MAJOR}"` names a package; only a word that is a whole variable is a list.
        let whole = match w.expansions.as_slice() {
            [exp] => exp
                .variable
                .as_ref()
                .filter(|name| w.text == format!("${name}") || w.text == format!("${{{name}}}")),
            _ => None,
        };
        let Some(name) = whole else {
            if !w.text.starts_with('$') {
                out.push(w.text.clone());
            }
            continue;
        };
        let from_script = run
            .commands()
            .find_map(|c| {
                c.assignments
                    .iter()
                    .find(|(n, v)| n == name && v.is_literal())
                    .map(|(_, v)| v.text.clone())
            })
            .or_else(|| run.assigned(name));
        let value = from_script.or_else(|| {
            m.stages
                .get(run.stage)
                .and_then(|s| s.vars_at(&m.globals, run.index).get(name.as_str()).cloned())
        });
        if let Some(v) = value {
            out.extend(
                v.split_whitespace()
                    .filter(|t| *t != "\\" && !t.contains('$'))
                    .map(str::to_string),
            );
        }
    }
    out
}

/// Package names with no version (no `pin` character), not local `.deb`/`.apk`/paths.
pub fn unpinned(names: &[String], pin: &[char]) -> Vec<String> {
    names
        .iter()
        .filter(|t| {
            !t.is_empty()
                && !t.contains(pin)
                && !t.contains('/')
                && !t.ends_with(".deb")
                && !t.ends_with(".apk")
                && !t.ends_with(".rpm")
        })
        .cloned()
        .collect()
}

pub fn list(names: &[String]) -> String {
    let mut shown: Vec<&str> = names.iter().map(String::as_str).take(5).collect();
    if names.len() > 5 {
        shown.push("…");
    }
    shown.join(", ")
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        let hit = run.commands().find_map(|c| {
            let i = install(c).filter(|i| i.manager == Manager::Apt)?;
            let loose = unpinned(&package_names(m, run, &i.packages), &['=']);
            (!loose.is_empty()).then(|| (c, list(&loose)))
        });
        if let Some((cmd, names)) = hit {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    format!("apt packages installed without a pinned version: {names}"),
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
}
