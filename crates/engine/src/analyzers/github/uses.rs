//! Every `uses:` of a workflow or action as written, with its place and the comment after it on
//! the same line (offline: the rules that read references without the API share this).

use std::ops::Range;

use super::model::{Model, Route, Seg, route_with};

pub struct UseSite {
    /// The `uses:` value as written (trimmed).
    pub text: String,
    pub job: usize,
    /// `None`: the job's own `uses:` (a reusable-workflow call).
    pub step: Option<usize>,
    pub route: Route,
}

impl UseSite {
    /// The value's place in the source (located on demand: most rules need it only for a hit).
    pub fn bytes(&self, m: &Model<'_>) -> Range<usize> {
        quoted_end(m, m.value_bytes(&self.route))
    }

    /// The text after `#` on the value's line, trimmed (`None`: no comment; `Some("")`: a bare
    /// `#`).
    pub fn comment(&self, m: &Model<'_>) -> Option<String> {
        trailing_comment(m, &self.bytes(m))
    }
}

/// A quoted scalar ends at its closing quote (the located span of a quoted value can run on
/// over a trailing comment).
fn quoted_end(m: &Model<'_>, bytes: Range<usize>) -> Range<usize> {
    let v = m.text(&bytes);
    let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return bytes;
    };
    match v[1..].find(q) {
        Some(i) => bytes.start..bytes.start + i + 2,
        None => bytes,
    }
}

/// The comment after the value at `bytes`, on its last line.
pub fn trailing_comment(m: &Model<'_>, bytes: &Range<usize>) -> Option<String> {
    let bytes = &quoted_end(m, bytes.clone());
    let text = &m.file.text;
    let end = bytes.end.min(text.len());
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let rest = text.get(end..line_end)?;
    let (before, after) = rest.split_once('#')?;
    // `key: value  # c`: only spaces (or a closing quote / flow punctuation) before the `#`.
    if !before
        .chars()
        .all(|c| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ']'))
    {
        return None;
    }
    Some(after.trim().to_string())
}

/// Every `uses:` of jobs and steps, in source order of jobs.
pub fn sites(m: &Model<'_>) -> Vec<UseSite> {
    let mut out = Vec::new();
    for (ji, job) in m.jobs.iter().enumerate() {
        if let Some(u) = &job.uses {
            out.push(UseSite {
                text: u.trim().to_string(),
                job: ji,
                step: None,
                route: route_with(&job.route, Seg::Key("uses".into())),
            });
        }
        for s in &job.steps {
            if let Some(u) = &s.uses {
                out.push(UseSite {
                    text: u.trim().to_string(),
                    job: ji,
                    step: Some(s.index),
                    route: route_with(&s.route, Seg::Key("uses".into())),
                });
            }
        }
    }
    out
}

/// `owner/repo[/path]` and the ref of a repository reference (not `./`, `$/`, `docker://`), as
/// written; the path is kept raw so odd segments stay visible.
pub fn split_repo_ref(text: &str) -> Option<(&str, &str)> {
    let t = text.trim();
    if t.starts_with("./") || t.starts_with("$/") || t.starts_with("docker://") || t.contains("${{")
    {
        return None;
    }
    let (path, r) = t.rsplit_once('@')?;
    if !path.contains('/') || r.is_empty() {
        return None;
    }
    Some((path, r))
}

/// A condition that is statically false (`false`, `${{ false }}`, a constant-folded falsy
/// expression): the step never runs.
pub fn never_runs(cond: Option<&str>) -> bool {
    let Some(c) = cond else { return false };
    let c = c.trim();
    let body = c
        .strip_prefix("${{")
        .and_then(|x| x.strip_suffix("}}"))
        .unwrap_or(c);
    if body.contains("${{") {
        return false;
    }
    match github_actions_expressions::Expr::parse(body) {
        Ok(e) => e.consteval().is_some_and(|v| !v.as_boolean()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_conditions() {
        assert!(never_runs(Some("false")));
        assert!(never_runs(Some("${{ false }}")));
        assert!(never_runs(Some("${{ 1 == 2 }}")));
        assert!(!never_runs(Some("true")));
        assert!(!never_runs(Some("github.event_name == 'push'")));
        assert!(!never_runs(None));
    }

    #[test]
    fn repo_refs() {
        assert_eq!(
            split_repo_ref("actions/checkout@v4"),
            Some(("actions/checkout", "v4"))
        );
        assert_eq!(split_repo_ref("./x"), None);
        assert_eq!(split_repo_ref("docker://alpine:3"), None);
        assert_eq!(split_repo_ref("a/b//c/@x"), Some(("a/b//c/", "x")));
    }
}

#[cfg(test)]
mod comment_tests {
    use super::*;
    use crate::analyzers::github::model::DocKind;
    use crate::source::{FileKind, SourceFile};

    #[test]
    fn comments_after_quoted_values() {
        let text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: \"a/b@v1\" # v1.2.0\n      - uses: 'c/d@v2' # v2\n      - uses: e/f@v3 # v3\n";
        let f = SourceFile::new(
            ".github/workflows/x.yml",
            FileKind::GithubWorkflow,
            text.into(),
        );
        let m = Model::parse(&f, DocKind::Workflow)
            .map_err(|e| e.message)
            .unwrap();
        let got: Vec<Option<String>> = sites(&m).iter().map(|u| u.comment(&m)).collect();
        assert_eq!(
            got,
            [Some("v1.2.0".into()), Some("v2".into()), Some("v3".into())],
            "{:?}",
            sites(&m)
                .iter()
                .map(|u| &text[u.bytes(&m)])
                .collect::<Vec<_>>()
        );
    }
}
