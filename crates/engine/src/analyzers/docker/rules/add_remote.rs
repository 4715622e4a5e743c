//! `docker/add-remote`: `ADD https://…` (or a git URL) fetches content at build time without any
//! integrity check, unless `--checksum=` is given (or a git source is pinned to a commit).

use parse_dockerfile::{Instruction, Source};

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerAddRemote, check);

fn is_remote(src: &str) -> bool {
    let l = src.to_ascii_lowercase();
    ["http://", "https://", "ftp://", "git://", "git@", "ssh://"]
        .iter()
        .any(|p| l.starts_with(p))
}

/// `…#<40 hex>`: a git source pinned to a commit.
fn git_pinned(src: &str) -> bool {
    src.rsplit_once('#').is_some_and(|(_, r)| {
        let r = r.split(':').next().unwrap_or(r);
        r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit())
    })
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        for ins in stage.instructions {
            let Instruction::Add(add) = ins else { continue };
            if add.options.iter().any(|f| f.name.value == "checksum") {
                continue;
            }
            for src in &add.src {
                let Source::Path(p) = src else { continue };
                if !is_remote(&p.value) || git_pinned(&p.value) {
                    continue;
                }
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        p.span.clone(),
                        format!(
                            "ADD downloads `{}` at build time without verifying its checksum",
                            p.value
                        ),
                    )
                    .content(format!("ADD {}", p.value)),
                );
            }
        }
    }
}
