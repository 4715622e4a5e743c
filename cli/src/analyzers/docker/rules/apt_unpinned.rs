//! `docker/apt-unpinned`: `apt-get install` of packages without `=version`: every rebuild may
//! install different code. One finding per `RUN`, at the first such install.

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::{Manager, install};
use crate::analyzers::{Output, ScanContext};
use crate::finding::Finding;
use crate::shell::Word;

pub const ID: &str = "docker/apt-unpinned";

/// A package operand with no version: literal, no `=`, not a local `.deb`/path.
pub fn unpinned<'w>(packages: &[&'w Word], pin: &[char]) -> Vec<&'w Word> {
    packages
        .iter()
        .copied()
        .filter(|w| {
            let t = w.text.as_str();
            w.is_literal()
                && !t.is_empty()
                && !t.contains(pin)
                && !t.contains('/')
                && !t.ends_with(".deb")
                && !t.ends_with(".apk")
                && !t.ends_with(".rpm")
        })
        .collect()
}

pub fn list(words: &[&Word]) -> String {
    let mut names: Vec<&str> = words.iter().map(|w| w.text.as_str()).take(5).collect();
    if words.len() > 5 {
        names.push("…");
    }
    names.join(", ")
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        let hit = run.commands().find_map(|c| {
            let i = install(c).filter(|i| i.manager == Manager::Apt)?;
            let loose = unpinned(&i.packages, &['=']);
            (!loose.is_empty()).then(|| (c, list(&loose)))
        });
        if let Some((cmd, names)) = hit {
            out.push(
                Finding::new(
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
