//! Compare the approved jobs (lockfile or git ref) with today's: added, removed, changed, and
//! what each change means for security. Findings point into today's files.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use similar::TextDiff;

use super::github::{SCOPES, level_rank};
use super::lock::LockedJob;
use super::{Job, JobKind, Profile};
use crate::finding::{Location, RawFinding};
use crate::source::SourceFile;

pub const IDS: &[&str] = &[
    "drift/job-added",
    "drift/job-removed",
    "drift/job-changed",
    "drift/scan-removed",
    "drift/trigger-widened",
    "drift/permissions-widened",
    "drift/secret-added",
    "drift/push-added",
    "drift/deploy-added",
    "drift/runner-changed",
    "drift/sandbox-disabled",
    "drift/approval-removed",
];

/// One job's change, with a unified diff of its canonical forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDiff {
    pub source: String,
    pub id: String,
    /// `added`, `removed` or `changed`.
    pub status: String,
    pub old_fingerprint: Option<String>,
    pub new_fingerprint: Option<String>,
    pub diff: String,
}

/// Who can fire a trigger: 3 = anyone, in a privileged context (secrets, write token);
/// 2 = anyone, unprivileged (fork pull requests); 1 = people with write access or a schedule.
pub fn exposure(trigger: &str) -> u8 {
    match trigger {
        "pull_request_target"
        | "workflow_run"
        | "issue_comment"
        | "issues"
        | "discussion"
        | "discussion_comment"
        | "pull_request_review_comment"
        | "fork"
        | "watch"
        | "change-request"
        | "GhprbTrigger"
        | "fork-pull-request:TrustEveryone" => 3,
        "pull_request"
        | "pull_request_review"
        | "merge_group"
        | "any-build"
        | "pull-request"
        | "GenericTrigger" => 2,
        // Anyone's pull request, no approval (GHPRB permitAll).
        "GhprbTrigger:permitAll" => 4,
        t if t.starts_with("fork-pull-request:") => 2,
        _ => 1,
    }
}

/// GitHub-hosted runner labels; anything else (or `self-hosted`) runs on someone's machine.
fn self_hosted(label: &str) -> bool {
    if label.contains("${{") {
        return false;
    }
    let l = label.to_ascii_lowercase();
    !(l.starts_with("ubuntu-") || l.starts_with("windows-") || l.starts_with("macos-"))
}

struct Ctx<'a> {
    files: &'a BTreeMap<String, Arc<SourceFile>>,
    against: &'a str,
    findings: Vec<RawFinding>,
}

impl Ctx<'_> {
    fn at(
        &mut self,
        rule: &str,
        job: &Job,
        range: Option<&Range<usize>>,
        msg: String,
        detail: &str,
    ) {
        let range = range.unwrap_or(&job.anchors.job).clone();
        let f = match self.files.get(&job.source) {
            Some(file) => RawFinding::new(rule, file, range, msg),
            None => RawFinding::at(rule, Location::file(&job.source), msg),
        };
        self.findings.push(
            f.content(format!("{rule} {} {detail}", job.key()))
                .property("job", job.key()),
        );
    }
}

fn diff(old: &str, new: &str, a: &str, b: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(a, b)
        .to_string()
}

/// Compare; `against` names the old side in messages (`the lockfile`, `origin/main`). Jobs of
/// `unread` sources (they exist but could not be read) are not reported removed.
pub fn compare(
    old: &[LockedJob],
    new: &[Job],
    files: &BTreeMap<String, Arc<SourceFile>>,
    unread: &BTreeSet<String>,
    against: &str,
) -> (Vec<RawFinding>, Vec<JobDiff>) {
    let old_by: BTreeMap<String, &LockedJob> = old.iter().map(|j| (j.key(), j)).collect();
    let new_by: BTreeMap<String, &Job> = new.iter().map(|j| (j.key(), j)).collect();
    let mut cx = Ctx {
        files,
        against,
        findings: Vec::new(),
    };
    let mut diffs = Vec::new();
    for (key, job) in &new_by {
        let fp = job.fingerprint();
        match old_by.get(key) {
            None => {
                let msg = format!(
                    "job `{}` in {} is new: it is not in {}",
                    job.id, job.source, cx.against
                );
                cx.at("drift/job-added", job, None, msg, "");
                classify(&mut cx, &Profile::default(), job, true);
                diffs.push(JobDiff {
                    source: job.source.clone(),
                    id: job.id.clone(),
                    status: "added".into(),
                    old_fingerprint: None,
                    new_fingerprint: Some(fp),
                    diff: diff("", &job.canonical, "/dev/null", &format!("b/{key}")),
                });
            }
            Some(o) if o.fingerprint != fp => {
                let msg = format!(
                    "job `{}` in {} changed since {} ({} → {})",
                    job.id,
                    job.source,
                    cx.against,
                    short_fp(&o.fingerprint),
                    short_fp(&fp)
                );
                cx.at("drift/job-changed", job, None, msg, &fp);
                classify(&mut cx, &o.profile, job, false);
                diffs.push(JobDiff {
                    source: job.source.clone(),
                    id: job.id.clone(),
                    status: "changed".into(),
                    old_fingerprint: Some(o.fingerprint.clone()),
                    new_fingerprint: Some(fp),
                    diff: diff(
                        &o.canonical,
                        &job.canonical,
                        &format!("a/{key}"),
                        &format!("b/{key}"),
                    ),
                });
            }
            Some(_) => {}
        }
    }
    for (key, o) in &old_by {
        if new_by.contains_key(key) || unread.contains(&o.source) {
            continue;
        }
        let msg = format!(
            "job `{}` of {} was removed (it is in {})",
            o.id, o.source, cx.against
        );
        let f = RawFinding::at("drift/job-removed", Location::file(&o.source), msg)
            .content(format!("drift/job-removed {key}"))
            .property("job", key.clone());
        // Point at the file when it still exists (another job of it was kept).
        let f = match files.get(&o.source) {
            Some(file) => {
                let mut g = RawFinding::new("drift/job-removed", file, 0..0, f.message.clone())
                    .content(format!("drift/job-removed {key}"))
                    .property("job", key.clone());
                g.snippet = None;
                g
            }
            None => f,
        };
        cx.findings.push(f);
        if o.profile.scans_images {
            cx.findings.push(
                RawFinding::at(
                    "drift/scan-removed",
                    Location::file(&o.source),
                    format!("job `{}`, which scanned images, was removed", o.id),
                )
                .content(format!("drift/scan-removed {key}"))
                .property("job", key.clone()),
            );
        }
        diffs.push(JobDiff {
            source: o.source.clone(),
            id: o.id.clone(),
            status: "removed".into(),
            old_fingerprint: Some(o.fingerprint.clone()),
            new_fingerprint: None,
            diff: diff(&o.canonical, "", &format!("a/{key}"), "/dev/null"),
        });
    }
    diffs.sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
    (cx.findings, diffs)
}

fn short_fp(fp: &str) -> &str {
    fp.get(..19).unwrap_or(fp)
}

fn classify(cx: &mut Ctx<'_>, o: &Profile, job: &Job, added: bool) {
    let n = &job.profile;
    let a = &job.anchors;
    if o.scans_images && !n.scans_images {
        let msg = format!(
            "job `{}` no longer scans images (it did in {})",
            job.id, cx.against
        );
        cx.at("drift/scan-removed", job, None, msg, "");
    }
    let old_max = o.triggers.iter().map(|t| exposure(t)).max().unwrap_or(0);
    let widened: Vec<&String> = n
        .triggers
        .iter()
        .filter(|t| !o.triggers.contains(*t) && exposure(t) > old_max.max(1))
        .collect();
    if !widened.is_empty() {
        let list = join(widened.iter().map(|s| s.as_str()));
        let msg = if added {
            format!("new job `{}` can be started by outsiders: {list}", job.id)
        } else {
            format!(
                "job `{}` can now be started by {list} (before: {})",
                job.id,
                join(o.triggers.iter().map(String::as_str))
            )
        };
        cx.at(
            "drift/trigger-widened",
            job,
            a.triggers.as_ref(),
            msg,
            &list,
        );
    }
    if !added && job.kind == JobKind::GithubJob && !o.permissions.is_empty() {
        let wider: Vec<String> = SCOPES
            .iter()
            .filter_map(|s| {
                let before = o.permissions.get(*s).map_or("none", String::as_str);
                let now = n.permissions.get(*s).map_or("none", String::as_str);
                (level_rank(now) > level_rank(before)).then(|| format!("{s}: {before} → {now}"))
            })
            .collect();
        if !wider.is_empty() {
            let list = wider.join(", ");
            let msg = format!("job `{}` token permissions widened: {list}", job.id);
            cx.at(
                "drift/permissions-widened",
                job,
                a.permissions.as_ref(),
                msg,
                &list,
            );
        }
    }
    let new_secrets: BTreeSet<&String> = n.secrets.difference(&o.secrets).collect();
    for s in new_secrets {
        let msg = format!("job `{}` now references secret `{s}`", job.id);
        cx.at("drift/secret-added", job, a.secrets.get(s), msg, s);
    }
    if n.unsandboxed && !o.unsandboxed {
        let msg = if added {
            format!(
                "new job `{}` runs Groovy outside the script-security sandbox",
                job.id
            )
        } else {
            format!(
                "job `{}` now runs its Groovy outside the script-security sandbox (it was sandboxed in {})",
                job.id, cx.against
            )
        };
        cx.at("drift/sandbox-disabled", job, a.sandbox.as_ref(), msg, "");
    }
    if !added && n.approvals < o.approvals && (n.deploys || n.pushes_images || o.deploys) {
        let msg = format!(
            "job `{}` lost {} `input` approval step(s) ({} → {}) and still deploys or publishes",
            job.id,
            o.approvals - n.approvals,
            o.approvals,
            n.approvals
        );
        cx.at("drift/approval-removed", job, a.deploy.as_ref(), msg, "");
    }
    if n.pushes_images && !o.pushes_images {
        let msg = format!("job `{}` now pushes images", job.id);
        cx.at("drift/push-added", job, a.push.as_ref(), msg, "");
    }
    if n.deploys && !o.deploys {
        let msg = format!("job `{}` now deploys", job.id);
        cx.at("drift/deploy-added", job, a.deploy.as_ref(), msg, "");
    }
    if !added && n.runners != o.runners {
        let relevant = match job.kind {
            JobKind::GithubJob => n.runners.iter().any(|r| self_hosted(r)),
            // Every Jenkins agent is someone's machine: any move matters.
            _ => true,
        };
        if relevant {
            let msg = format!(
                "job `{}` now runs on {} (before: {})",
                job.id,
                join(n.runners.iter().map(String::as_str)),
                join(o.runners.iter().map(String::as_str))
            );
            let detail = join(n.runners.iter().map(String::as_str));
            cx.at("drift/runner-changed", job, a.runner.as_ref(), msg, &detail);
        }
    }
}

fn join<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(", ")
    }
}
