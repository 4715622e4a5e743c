//! What the online rules share: every `uses:` of another repository in a workflow or action,
//! with its place and its version comment, and the facts `scan --online` fetched about it.

use std::ops::Range;

use super::facts::Facts;
use super::model::{Seg, route_with};
use crate::online::{RepoFacts, UsesRef, parse_uses};

pub struct Used<'a> {
    pub uses: UsesRef,
    /// The `uses:` value as written.
    pub text: String,
    pub bytes: Range<usize>,
    /// `# v4.1.2` after the value on the same line.
    pub comment: Option<String>,
    pub facts: &'a RepoFacts,
}

/// Each `uses:` (steps and reusable-workflow jobs) whose repository has online facts.
pub fn used<'a>(a: &Facts<'_, '_>, facts: &'a crate::online::OnlineFacts) -> Vec<Used<'a>> {
    let m = a.m;
    let mut out = Vec::new();
    let mut push = |text: &str, route: super::model::Route| {
        let Some(u) = parse_uses(text) else { return };
        let Some(f) = facts.repo(&u.repo) else { return };
        let bytes = m.value_bytes(&route);
        let line_end = m.file.text[bytes.end..]
            .find('\n')
            .map_or(m.file.text.len(), |i| bytes.end + i);
        let comment = m.file.text[bytes.end..line_end]
            .split_once('#')
            .map(|(_, c)| c.trim().to_string())
            .filter(|c| !c.is_empty());
        out.push(Used {
            uses: u,
            text: text.to_string(),
            bytes,
            comment,
            facts: f,
        });
    };
    for job in &m.jobs {
        if let Some(u) = &job.uses {
            push(u, route_with(&job.route, Seg::Key("uses".into())));
        }
        for s in &job.steps {
            if let Some(u) = &s.uses {
                push(u, route_with(&s.route, Seg::Key("uses".into())));
            }
        }
    }
    out
}

/// The fetched `action.yml` (or reusable workflow) of a use, as a source file named after where
/// it lives (`github.com/OWNER/REPO/blob/REF/PATH`), for related locations.
pub fn remote_file(
    facts: &RepoFacts,
    u: &UsesRef,
) -> Option<std::sync::Arc<crate::source::SourceFile>> {
    let text = facts.files.get(&u.file_key())?.as_ref()?;
    let (file, kind) = if u.is_workflow() {
        (u.path.clone(), crate::source::FileKind::GithubWorkflow)
    } else if u.path.is_empty() {
        (
            "action.yml".to_string(),
            crate::source::FileKind::GithubAction,
        )
    } else {
        (
            format!("{}/action.yml", u.path),
            crate::source::FileKind::GithubAction,
        )
    };
    let path = format!("github.com/{}/blob/{}/{file}", u.repo, u.git_ref);
    Some(std::sync::Arc::new(crate::source::SourceFile::new(
        path,
        kind,
        text.clone(),
    )))
}
