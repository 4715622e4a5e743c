//! `pipeguard fix` for Dockerfiles: `--no-install-recommends` on `apt-get install`, and a
//! non-root `USER` at the end of an image whose final stage sets none. Edits at the parser's
//! spans; the fix pipeline re-scans the result.

use parse_dockerfile::Instruction;

use super::model::{Base, Model};
use super::rules;
use super::tools::{Manager, has_flag, install};
use crate::edit::{Edit, Fix, Proposal, newline_of};
use crate::finding::Finding;
use crate::source::SourceFile;

/// The user the `USER` fix sets: `nobody` by number, which needs no entry in `/etc/passwd`.
pub const NON_ROOT_USER: &str = "65534:65534";

fn unsafe_(f: &Finding, reason: impl Into<String>) -> Proposal {
    Proposal::Unsafe {
        rule_id: f.rule_id.clone(),
        fingerprint: f.fingerprint.clone(),
        line: f.location.start_line,
        reason: reason.into(),
    }
}

pub fn propose(file: &SourceFile, findings: &[Finding]) -> Vec<Proposal> {
    let (text, bodies) = super::heredoc::blank(&file.text);
    let Ok(dockerfile) = parse_dockerfile::parse(&text) else {
        return Vec::new();
    };
    let m = Model::new(file, &dockerfile, &bodies);
    let mut out = Vec::new();
    for f in findings {
        let Some(at) = file.offset_of(f.location.start_line, f.location.start_column) else {
            continue;
        };
        let id = f.rule_id.as_str();
        if id == rules::apt_no_recommends::ID.as_str() {
            out.push(no_recommends(&m, f, at));
        } else if id == rules::root_user::ID.as_str() {
            out.push(user(&m, f, at));
        }
    }
    out
}

fn no_recommends(m: &Model<'_, '_>, f: &Finding, at: usize) -> Proposal {
    let text = m.file.text.as_str();
    let Some(run) = m
        .runs
        .iter()
        .find(|r| r.commands().any(|c| c.span.start == at))
    else {
        return unsafe_(f, "the command could not be located");
    };
    let mut edits = Vec::new();
    for c in run.commands() {
        let Some(i) = install(c).filter(|i| i.manager == Manager::Apt) else {
            continue;
        };
        if c.program() == Some("aptitude")
            || has_flag(c.args(), None, &["no-install-recommends"])
            || (i.packages.is_empty() && !has_flag(c.args(), Some('f'), &["fix-broken"]))
        {
            continue;
        }
        let Some(w) = c.words.iter().skip(1).find(|w| w.text == "install") else {
            continue;
        };
        if text.get(w.span.clone()) != Some("install") {
            return unsafe_(f, "`install` is not written literally: edit by hand");
        }
        edits.push(Edit::insert(w.span.end, " --no-install-recommends"));
    }
    if edits.is_empty() {
        return unsafe_(f, "no literal `apt-get install` to edit");
    }
    Proposal::Fix(Fix {
        rule_id: f.rule_id.clone(),
        targets: vec![f.fingerprint.clone()],
        line: f.location.start_line,
        title: "add `--no-install-recommends` to `apt-get install`".into(),
        edits,
    })
}

fn user(m: &Model<'_, '_>, f: &Finding, at: usize) -> Proposal {
    let text = m.file.text.as_str();
    let Some(last) = m.final_stage() else {
        return unsafe_(f, "no final stage");
    };
    if last.from_span.start != at {
        return unsafe_(
            f,
            "an explicit `USER root`: the image asks for root; change it by hand",
        );
    }
    if last.index + 1 != m.stages.len() {
        return unsafe_(f, "the final stage is not the last one in the file");
    }
    if matches!(last.base, Base::Unresolved) {
        return unsafe_(f, "the base image is not known");
    }
    // A process that binds a privileged port or a base image that switches users itself needs
    // a person to decide.
    for idx in m.ancestry(last.index) {
        for ins in m.stages[idx].instructions {
            if let Instruction::Expose(e) = ins {
                let low = e.arguments.iter().any(|p| {
                    p.value
                        .split(['/', '-'])
                        .next()
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|n| n < 1024)
                });
                if low {
                    return unsafe_(
                        f,
                        "the image exposes a port below 1024, which a non-root process cannot bind",
                    );
                }
            }
        }
    }
    let nl = newline_of(text);
    let pre = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        nl
    };
    Proposal::Fix(Fix {
        rule_id: f.rule_id.clone(),
        targets: vec![f.fingerprint.clone()],
        line: f.location.start_line,
        title: format!(
            "run the image as uid {NON_ROOT_USER} (`USER` at the end); check that it runs unprivileged"
        ),
        edits: vec![Edit::insert(
            text.len(),
            format!("{pre}USER {NON_ROOT_USER}{nl}"),
        )],
    })
}
