//! `docker/expose-ssh`: `EXPOSE 22` — an SSH server in a container is a second way in that
//! bypasses the orchestrator's access control and audit (`kubectl exec` / `docker exec` exist).

use parse_dockerfile::Instruction;

use crate::analyzers::docker::model::{Model, substitute};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerExposeSsh, check);

/// `22`, `22/tcp`, or a range containing 22 (`20-25`).
fn includes_ssh(port: &str) -> bool {
    let p = port.split('/').next().unwrap_or(port);
    let p = p.rsplit(':').next().unwrap_or(p);
    match p.split_once('-') {
        Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => (a..=b).contains(&22),
            _ => false,
        },
        None => p == "22",
    }
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        for (i, ins) in stage.instructions.iter().enumerate() {
            let Instruction::Expose(e) = ins else {
                continue;
            };
            let vars = stage.vars_at(&m.globals, i);
            for port in &e.arguments {
                let value = substitute(&port.value, &vars);
                if !includes_ssh(&value) {
                    continue;
                }
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        port.span.clone(),
                        format!("EXPOSE {value}: the image exposes the SSH port"),
                    )
                    .content(format!("EXPOSE {value}")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports() {
        assert!(super::includes_ssh("22"));
        assert!(super::includes_ssh("22/tcp"));
        assert!(super::includes_ssh("20-30/tcp"));
        assert!(!super::includes_ssh("2222"));
        assert!(!super::includes_ssh("8022"));
    }
}
