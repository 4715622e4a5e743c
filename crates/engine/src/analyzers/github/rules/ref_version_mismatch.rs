//! `github/ref-version-mismatch`, offline: the version a `uses:` comment names cannot be the
//! pinned ref. A tag ref whose comment names another version (`@v3.8.2 # v3.8.1`); one commit of
//! an action commented as two different versions, or one full version pinned to two different
//! commits, across the repository's workflows and actions (one of them is wrong, or the tag
//! moved). At pedantic, a commit pin with no version comment at all. Checking a comment against
//! the tag's real commit needs the API: `github/stale-pin` under `scan --online`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::uses;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding, Severity};
use crate::online::{parse_uses, version};
use crate::rules::RuleId;
use crate::source::{FileKind, SourceFile};

declare_rule!(RuleId::GithubRefVersionMismatch, check);

/// The version a comment names (`v4.2.2`, `4.2.2`, `tag=v4.2.2`, `pin@v4`), as written and parsed.
fn comment_version(c: &str) -> Option<(String, Vec<u64>)> {
    c.split(|ch: char| ch.is_whitespace() || ch == ',' || ch == '(' || ch == ')')
        .map(|w| {
            let w = w.rsplit(['=', '@']).next().unwrap_or(w);
            w.trim_matches(['"', '\'', '`', ';'])
        })
        .find_map(|w| {
            let v = version(w)?;
            // A bare number (`# 2`) is too weak a signal; `v2` is a version.
            (v.len() > 1 || w.starts_with(['v', 'V'])).then(|| (w.to_string(), v))
        })
}

/// Two versions that can name one commit: equal, or one a prefix of the other (`v4`, `v4.2.2`).
fn compatible(a: &[u64], b: &[u64]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn is_sha(r: &str) -> bool {
    r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let pedantic = cx.persona() >= Persona::Pedantic;
    for u in uses::sites(m) {
        let Some(parsed) = parse_uses(&u.text) else {
            continue;
        };
        let sha = is_sha(&parsed.git_ref);
        // Only a tag ref can disagree with its comment in one file; commit pins are pedantic.
        if (sha && !pedantic) || (!sha && version(&parsed.git_ref).is_none()) {
            continue;
        }
        let comment = u.comment(m);
        let named = comment.as_deref().and_then(comment_version);
        if sha {
            if named.is_none() {
                let msg = match comment.as_deref() {
                    None | Some("") => format!(
                        "`{}` is pinned to a commit with no version comment: reviewers and update bots cannot tell which release it is; add `# vX.Y.Z`",
                        u.text
                    ),
                    Some(c) => format!(
                        "`{}`: the comment `{c}` names no version: reviewers and update bots cannot tell which release the commit is; add `# vX.Y.Z`",
                        u.text
                    ),
                };
                out.push(
                    RawFinding::new(ID, m.file, u.bytes(m), msg)
                        .persona(Persona::Pedantic)
                        .severity(Severity::Low)
                        .content(format!("unversioned pin {}", u.text)),
                );
            }
            continue;
        }
        let (Some(refv), Some((cw, cv))) = (version(&parsed.git_ref), named) else {
            continue;
        };
        if !compatible(&refv, &cv) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    u.bytes(m),
                    format!(
                        "`{}` is commented `{cw}`: the ref `{}` cannot be that version; correct the comment or the ref",
                        u.text, parsed.git_ref
                    ),
                )
                .content(format!("ref comment mismatch {}", u.text)),
            );
        }
    }
}

struct Pin {
    file: Arc<SourceFile>,
    bytes: Range<usize>,
    text: String,
    written: String,
    version: Vec<u64>,
}

/// `uses: owner/repo@<sha> # <version>` lines of a workflow or action (line-based).
fn pins(file: &Arc<SourceFile>, out: &mut BTreeMap<String, Vec<Pin>>) {
    let text = &file.text;
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let start = off;
        off += line.len();
        let t = line.trim_start();
        let t = t.strip_prefix("- ").map_or(t, str::trim_start);
        let Some(rest) = t.strip_prefix("uses:") else {
            continue;
        };
        let Some((value, comment)) = rest.split_once('#') else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        let Some(u) = parse_uses(value) else { continue };
        if !is_sha(&u.git_ref) {
            continue;
        }
        let Some((written, version)) = comment_version(comment.trim()) else {
            continue;
        };
        let Some(vs) = line.find(value) else { continue };
        let key = if u.path.is_empty() {
            u.repo.clone()
        } else {
            format!("{}/{}", u.repo, u.path)
        };
        out.entry(key).or_default().push(Pin {
            file: file.clone(),
            bytes: start + vs..start + vs + value.len(),
            text: value.to_string(),
            written,
            version,
        });
    }
}

/// The value most pins of a group agree on (ties: the highest version, then the first seen),
/// with how many pins hold it.
fn majority<K: Ord + Clone>(group: &[&Pin], key: impl Fn(&Pin) -> K) -> Option<(K, usize)> {
    let mut counts: BTreeMap<K, (usize, Vec<u64>, usize)> = BTreeMap::new();
    for (i, p) in group.iter().enumerate() {
        let e = counts
            .entry(key(p))
            .or_insert((0, p.version.clone(), usize::MAX - i));
        e.0 += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| (a.1.0, &a.1.1, a.1.2).cmp(&(b.1.0, &b.1.1, b.1.2)))
        .map(|(k, (n, _, _))| (k, n))
}

fn sha_of(p: &Pin) -> String {
    p.text.rsplit('@').next().unwrap_or("").to_ascii_lowercase()
}

/// Across files: one commit commented as incompatible versions, or one full version (three
/// numbers) pinned to two commits. Offline, which pin is wrong is not known: the ones that
/// disagree with the majority of the repository's pins are reported.
pub fn check_project(files: &[Arc<SourceFile>], cx: &ScanContext<'_>, out: &mut Output) {
    if cx.persona() < RULE.persona {
        return;
    }
    let mut all: BTreeMap<String, Vec<Pin>> = BTreeMap::new();
    let mut sorted: Vec<&Arc<SourceFile>> = files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::GithubWorkflow | FileKind::GithubAction))
        .collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for f in sorted {
        pins(f, &mut all);
    }
    for (action, list) in &all {
        let mut reported: Vec<usize> = Vec::new();
        // One commit, incompatible version comments.
        let mut by_sha: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, p) in list.iter().enumerate() {
            by_sha.entry(sha_of(p)).or_default().push(i);
        }
        for (sha, idx) in &by_sha {
            let group: Vec<&Pin> = idx.iter().map(|&i| &list[i]).collect();
            let Some((best, n)) = majority(&group, |p| p.version.clone()) else {
                continue;
            };
            let Some(rep) = group.iter().find(|p| p.version == best) else {
                continue;
            };
            for &i in idx {
                let p = &list[i];
                if compatible(&p.version, &best) {
                    continue;
                }
                reported.push(i);
                out.push(disagreement(
                    action,
                    p,
                    rep,
                    format!(
                        "`{action}` commit {sha} is commented `{}` here, but {n} pin(s) of the same commit say `{}` ({}): one commit cannot be both releases; this comment is probably wrong",
                        p.written, rep.written, rep.file.path
                    ),
                ));
            }
        }
        // One full version, different commits.
        let mut by_version: BTreeMap<Vec<u64>, Vec<usize>> = BTreeMap::new();
        for (i, p) in list.iter().enumerate() {
            if p.version.len() >= 3 && !reported.contains(&i) {
                by_version.entry(p.version.clone()).or_default().push(i);
            }
        }
        for idx in by_version.values() {
            let group: Vec<&Pin> = idx.iter().map(|&i| &list[i]).collect();
            let Some((best, n)) = majority(&group, sha_of) else {
                continue;
            };
            let Some(rep) = group.iter().find(|p| sha_of(p) == best) else {
                continue;
            };
            for &i in idx {
                let p = &list[i];
                if sha_of(p) == best {
                    continue;
                }
                out.push(disagreement(
                    action,
                    p,
                    rep,
                    format!(
                        "`{action}` `{}` is pinned to commit {} here, but {n} pin(s) of that release use commit {best} ({}): one release has one commit; this pin is probably wrong, or the tag was moved",
                        p.written,
                        sha_of(p),
                        rep.file.path
                    ),
                ));
            }
        }
    }
}

fn disagreement(action: &str, p: &Pin, rep: &Pin, msg: String) -> RawFinding {
    RawFinding::new(ID, &p.file, p.bytes.clone(), msg)
        .related(&rep.file, rep.bytes.clone(), format!("`{}` # {}", rep.text, rep.written))
        .confidence(Confidence::Medium)
        .content(format!("pin disagreement {action} {}", p.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments() {
        assert_eq!(comment_version("v4.2.2").map(|x| x.1), Some(vec![4, 2, 2]));
        assert_eq!(comment_version("tag=v1.2").map(|x| x.1), Some(vec![1, 2]));
        assert_eq!(comment_version("pin@v4").map(|x| x.1), Some(vec![4]));
        assert_eq!(comment_version("2.7.0").map(|x| x.1), Some(vec![2, 7, 0]));
        assert_eq!(comment_version("some comment"), None);
        assert_eq!(comment_version("2"), None);
        assert!(compatible(&[4], &[4, 2, 2]));
        assert!(!compatible(&[3, 8, 1], &[3, 8, 2]));
    }
}
