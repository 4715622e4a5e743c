//! `pipeguard fix` for Dockerfiles: `--no-install-recommends` on `apt-get install`, a non-root
//! `USER` at the end of an image whose final stage sets none, and (`fix --online`) a base image
//! pinned to the digest its tag has in the registry (`FROM node:22` → `FROM
//! node:22@sha256:…`, the tag kept for the reader). Edits at the parser's spans; the fix pipeline
//! re-scans the result. The digests come in as [`crate::online::ImageFact`]s: the engine asks
//! no registry itself.

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

/// A `FROM` whose base image a digest could pin, or why it cannot be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaseImage {
    /// A literal registry image without a digest: the reference as written.
    Pinnable(String),
    /// Built from an `ARG`/variable: what the reference is made of is decided at build time.
    FromArg(String),
    /// Already pinned by digest.
    Pinned,
    /// `scratch`.
    Scratch,
    /// An earlier stage of the file, not an image.
    Stage,
    /// A variable with no default: the image is not known.
    Unresolved,
}

/// Every `FROM` of a Dockerfile (line, what it is), in file order. Empty when it does not parse.
pub fn base_images(file: &SourceFile) -> Vec<(u32, BaseImage)> {
    let (text, bodies) = super::heredoc::blank(&file.text);
    let Ok(dockerfile) = parse_dockerfile::parse(&text) else {
        return Vec::new();
    };
    let m = Model::new(file, &dockerfile, &bodies);
    m.stages
        .iter()
        .map(|s| (file.position(s.from_span.start).line, classify(&m, s)))
        .collect()
}

fn classify(m: &Model<'_, '_>, s: &super::model::Stage<'_, '_>) -> BaseImage {
    match &s.base {
        Base::Stage(_) => BaseImage::Stage,
        Base::Scratch => BaseImage::Scratch,
        Base::Unresolved => BaseImage::Unresolved,
        Base::Image(img) if img.has_digest() => BaseImage::Pinned,
        Base::Image(_) => {
            let raw = m.file.text.get(s.image_span.clone()).unwrap_or_default();
            if raw.contains('$') || raw.trim() != s.image_text.trim() {
                BaseImage::FromArg(raw.trim().to_string())
            } else {
                BaseImage::Pinnable(raw.trim().to_string())
            }
        }
    }
}

pub fn propose(
    file: &SourceFile,
    findings: &[Finding],
    online: Option<&crate::online::OnlineFacts>,
) -> Vec<Proposal> {
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
        } else if let Some(facts) = online
            && (id == rules::base_not_digest::ID.as_str()
                || id == rules::unpinned_base::ID.as_str())
        {
            out.push(pin(&m, f, at, findings, facts));
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

/// `FROM image:tag` → `FROM image:tag@sha256:…` (the index digest of a multi-platform image, so
/// `--platform` and the builder's platform choose from it as before). Every `FROM` of the same
/// image is pinned by one repair: identical findings are told apart by their order only, so
/// pinning one of them alone would look like the next one was still there.
fn pin(
    m: &Model<'_, '_>,
    f: &Finding,
    at: usize,
    findings: &[Finding],
    facts: &crate::online::OnlineFacts,
) -> Proposal {
    use crate::online::ImageFact;
    let Some(stage) = m.stages.iter().find(|s| s.image_span.start == at) else {
        return unsafe_(f, "the `FROM` could not be located");
    };
    let image = match classify(m, stage) {
        BaseImage::Pinnable(i) => i,
        BaseImage::FromArg(raw) => {
            return unsafe_(
                f,
                format!(
                    "the image `{raw}` is made of build arguments: pin the digest where the argument is set"
                ),
            );
        }
        _ => return unsafe_(f, "the base image is not a registry image"),
    };
    match facts.images.get(&image) {
        Some(ImageFact::Digest { digest, index }) => {
            let mut edits = Vec::new();
            let mut targets = Vec::new();
            for g in findings.iter().filter(|g| g.rule_id == f.rule_id) {
                let Some(s) = m
                    .file
                    .offset_of(g.location.start_line, g.location.start_column)
                    .and_then(|o| m.stages.iter().find(|s| s.image_span.start == o))
                else {
                    continue;
                };
                if classify(m, s) != BaseImage::Pinnable(image.clone()) {
                    continue;
                }
                let span = s.image_span.clone();
                let end = m
                    .file
                    .text
                    .get(span.clone())
                    .map_or(span.end, |r| span.start + r.trim_end().len());
                edits.push(Edit::insert(end, format!("@{digest}")));
                targets.push(g.fingerprint.clone());
            }
            Proposal::Fix(Fix {
                rule_id: f.rule_id.clone(),
                targets,
                line: f.location.start_line,
                title: format!(
                    "pin `{image}` to the digest of its {} ({digest})",
                    if *index {
                        "multi-platform index"
                    } else {
                        "manifest"
                    }
                ),
                edits,
            })
        }
        Some(ImageFact::Missing) => unsafe_(
            f,
            format!("the registry has no `{image}` (no such tag or repository)"),
        ),
        Some(ImageFact::Error(why)) => unsafe_(f, format!("no digest from the registry: {why}")),
        None => unsafe_(f, format!("the digest of `{image}` was not looked up")),
    }
}
