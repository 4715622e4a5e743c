//! `${{ }}` expressions: where they are in the source, which contexts flow into their value, and
//! whether an outsider controls those contexts. Parsing uses `github-actions-expressions`; text
//! it cannot parse falls back to a scan for dotted context names, so a syntax the crate does not
//! know never hides a tainted context.

use std::ops::Range;

use github_actions_expressions::{Expr, SpannedExpr, call::Function, context::Context};

/// One `${{ … }}` occurrence: the whole template and its inner expression text (byte ranges into
/// the text that was searched, shifted by the base offset given to `find`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub range: Range<usize>,
    pub body: Range<usize>,
}

/// Every `${{ … }}` in `text`; `base` is added to the ranges. String literals inside the
/// expression may contain `}}`.
pub fn find(text: &str, base: usize) -> Vec<Site> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = memchr::memmem::find(&bytes[i..], b"${{") {
        let start = i + p;
        let body_start = start + 3;
        let mut j = body_start;
        let mut in_str = false;
        let mut end = None;
        while j < bytes.len() {
            match bytes[j] {
                b'\'' => in_str = !in_str,
                b'}' if !in_str && bytes.get(j + 1) == Some(&b'}') => {
                    end = Some(j);
                    break;
                }
                b'\n' if in_str => in_str = false,
                _ => {}
            }
            j += 1;
        }
        let Some(end) = end else { break };
        out.push(Site {
            range: base + start..base + end + 2,
            body: base + body_start..base + end,
        });
        i = end + 2;
    }
    out
}

/// Contexts (lower-cased dotted patterns, indices as `*`) whose value can flow into the result.
pub fn dataflow_contexts(body: &str) -> Vec<String> {
    match Expr::parse(body) {
        Ok(e) => e
            .dataflow_contexts()
            .into_iter()
            .map(|(c, o)| pattern_of(c).unwrap_or_else(|| o.raw.to_ascii_lowercase()))
            .collect(),
        Err(_) => scan_contexts(body),
    }
}

/// Every context mentioned anywhere in the expression (conditions included).
pub fn all_contexts(body: &str) -> Vec<String> {
    match Expr::parse(body) {
        Ok(e) => e
            .contexts()
            .into_iter()
            .map(|(c, o)| pattern_of(c).unwrap_or_else(|| o.raw.to_ascii_lowercase()))
            .collect(),
        Err(_) => scan_contexts(body),
    }
}

fn pattern_of(c: &Context<'_>) -> Option<String> {
    c.as_pattern()
}

/// Dotted identifiers starting with a known context name (fallback for unparsable text).
fn scan_contexts(body: &str) -> Vec<String> {
    const HEADS: &[&str] = &[
        "github.", "env.", "inputs.", "secrets.", "steps.", "needs.", "matrix.", "vars.", "job.",
        "runner.",
    ];
    let lower = body.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.');
        if boundary && let Some(h) = HEADS.iter().find(|h| b[i..].starts_with(h.as_bytes())) {
            let mut j = i + h.len();
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'-' | b'.' | b'*'))
            {
                j += 1;
            }
            out.push(lower[i..j].trim_end_matches('.').to_string());
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Secret names referenced (`secrets.X`, `secrets['X']`); `GITHUB_TOKEN` included.
pub fn secret_names(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Keep the original case of the name: find it in the body text.
    for ctx in all_contexts(body) {
        if let Some(rest) = ctx.strip_prefix("secrets.") {
            let name = rest.split('.').next().unwrap_or(rest);
            if name == "*" || name.is_empty() {
                continue;
            }
            let original = find_case_insensitive(body, name).unwrap_or_else(|| name.to_string());
            if !out.contains(&original) {
                out.push(original);
            }
        }
    }
    out
}

fn find_case_insensitive(hay: &str, needle: &str) -> Option<String> {
    let lower = hay.to_ascii_lowercase();
    let i = lower.find(needle)?;
    hay.get(i..i + needle.len()).map(str::to_string)
}

/// Whether the expression dumps every secret: `toJSON(secrets)` or a computed `secrets[...]`.
pub fn dumps_secrets(body: &str) -> Option<&'static str> {
    let Ok(e) = Expr::parse(body) else {
        let l = body.to_ascii_lowercase().replace(' ', "");
        if l.contains("tojson(secrets)") {
            return Some("toJSON(secrets)");
        }
        return None;
    };
    dump_in(&e)
}

fn dump_in(e: &SpannedExpr<'_>) -> Option<&'static str> {
    match &e.inner {
        Expr::Call(call) => {
            if call.func == Function::ToJSON
                && call.args.iter().any(|a| match &a.inner {
                    Expr::Context(c) => c.as_pattern().as_deref() == Some("secrets"),
                    Expr::Identifier(i) => i.as_str().eq_ignore_ascii_case("secrets"),
                    _ => false,
                })
            {
                return Some("toJSON(secrets)");
            }
            call.args.iter().find_map(dump_in)
        }
        Expr::Context(c) => {
            let head_is_secrets = c.parts.first().is_some_and(|p| {
                matches!(&p.inner, Expr::Identifier(i) if i.as_str().eq_ignore_ascii_case("secrets"))
            });
            if head_is_secrets
                && let Some(second) = c.parts.get(1)
                && let Expr::Index(idx) = &second.inner
                && !matches!(idx.inner, Expr::Literal(_))
            {
                return Some("secrets[…] with a computed index");
            }
            c.parts.iter().find_map(dump_in)
        }
        Expr::Index(i) => dump_in(i),
        Expr::BinExpr(b) => dump_in(&b.lhs).or_else(|| dump_in(&b.rhs)),
        Expr::UnExpr { expr, .. } => dump_in(expr),
        _ => None,
    }
}

/// Event fields whose text is free-form and chosen by the author of the event.
const SUFFIXES: &[(&str, &str)] = &[
    (".title", "a title"),
    (".body", "a body"),
    (".message", "a commit message"),
    (".head_branch", "a branch name"),
    (".head.ref", "the PR's branch name"),
    (".head.label", "the PR's head label"),
    (".display_title", "a run title"),
    (".page_name", "a wiki page name"),
    (".author.name", "a commit author name"),
    (".author.email", "a commit author email"),
    (".committer.name", "a committer name"),
    (".committer.email", "a committer email"),
    (
        ".head.repo.default_branch",
        "the fork's default branch name",
    ),
    (".head.repo.description", "the fork's description"),
    (".head.repo.homepage", "the fork's homepage"),
    (".user.name", "a user's display name"),
    (".name", "a name"),
];

/// Whether a context's value is controlled by whoever opens a PR, an issue or a comment.
/// Returns a short reason. Numbers, SHAs, ids, repository names and logins are not.
pub fn attacker_controlled(ctx: &str) -> Option<&'static str> {
    let c = ctx;
    if c == "github.head_ref" {
        return Some("the PR's branch name");
    }
    // The whole event (or the whole `github` context) carries every attacker-chosen field.
    if c == "github.event" || c == "github" {
        return Some("the whole event");
    }
    let ev = c.strip_prefix("github.event.")?;
    // Fields whose text is free-form and chosen by the author of the event.
    // `.name` alone is too broad: only for labels/releases/pages/discussion categories.
    for (suffix, why) in SUFFIXES {
        if ev.ends_with(suffix) {
            if *suffix == ".name" {
                if ev.ends_with("label.name")
                    || ev.ends_with("labels.*.name")
                    || ev.starts_with("pages.")
                {
                    return Some("a label name");
                }
                continue;
            }
            if *suffix == ".user.name" {
                continue;
            }
            return Some(why);
        }
    }
    // Whole objects serialised into a script.
    if matches!(
        ev,
        "issue"
            | "pull_request"
            | "comment"
            | "review"
            | "review_comment"
            | "discussion"
            | "head_commit"
            | "commits"
            | "workflow_run"
            | "pages"
    ) {
        return Some("a whole event object");
    }
    if let Some(rest) = ev.strip_prefix("inputs.") {
        let _ = rest;
        return None;
    }
    None
}

/// Whether a context's value is chosen by someone with write access or a token (not by an
/// outsider): `repository_dispatch` payloads (dispatch inputs depend on their declared type:
/// see `taint::EnvScope`).
pub fn writer_controlled(ctx: &str) -> Option<&'static str> {
    let ev = ctx.strip_prefix("github.event.")?;
    if ev.starts_with("client_payload") {
        return Some("a repository_dispatch payload");
    }
    None
}

/// Attacker-controlled text that can contain a newline: git ref names cannot (no control
/// characters), so branch names inject into scripts but not into `$GITHUB_ENV` lines.
pub fn can_hold_newline(ctx: &str) -> bool {
    attacker_controlled(ctx).is_some()
        && !(ctx == "github.head_ref"
            || ctx.ends_with("label.name")
            || ctx.ends_with("labels.*.name")
            || ctx.ends_with(".head.ref")
            || ctx.ends_with(".head_branch")
            || ctx.ends_with(".head.label"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sites() {
        let t = "a ${{ github.x }} b ${{ format('}}', 1) }}";
        let s = find(t, 10);
        assert_eq!(s.len(), 2);
        assert_eq!(
            &t[s[0].range.start - 10..s[0].range.end - 10],
            "${{ github.x }}"
        );
        assert_eq!(
            &t[s[1].body.start - 10..s[1].body.end - 10],
            " format('}}', 1) "
        );
    }

    #[test]
    fn taint() {
        assert!(
            dataflow_contexts(" github.event.issue.title ")
                .iter()
                .any(|c| attacker_controlled(c).is_some())
        );
        assert!(
            dataflow_contexts("github.event.pull_request.number")
                .iter()
                .all(|c| attacker_controlled(c).is_none())
        );
        assert!(dataflow_contexts("github.event.comment.body == 'x'").is_empty());
        assert!(attacker_controlled("github.head_ref").is_some());
        assert!(attacker_controlled("github.event.workflow_run.head_branch").is_some());
        assert!(attacker_controlled("github.event.pull_request.head.sha").is_none());
        assert!(attacker_controlled("github.event.commits.*.message").is_some());
    }

    #[test]
    fn secrets() {
        assert_eq!(secret_names(" secrets.NPM_TOKEN "), vec!["NPM_TOKEN"]);
        assert_eq!(dumps_secrets(" toJSON(secrets) "), Some("toJSON(secrets)"));
        assert!(dumps_secrets("secrets[format('{0}', matrix.x)]").is_some());
        assert!(dumps_secrets("secrets['X']").is_none());
    }
}
