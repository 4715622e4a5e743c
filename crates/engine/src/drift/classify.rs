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
use crate::rules::RuleId;
use crate::source::SourceFile;

/// The drift class of an analyzer finding that is new in a job (`None`: the analyzer's rule is
/// not a drift class; its change is only `job-changed`).
pub fn from_finding(analyzer_rule: &str) -> Option<RuleId> {
    Some(match analyzer_rule {
        "github/unpinned-action" => RuleId::DriftUnpinnedActionAdded,
        "github/secrets-to-untrusted"
        | "jenkins/credentials-on-pr"
        | "jenkins/groovy-interpolation-secret" => RuleId::DriftSecretExposed,
        "github/remote-script" => RuleId::DriftRemoteScriptAdded,
        "github/secret-exfiltration" => RuleId::DriftSecretExfiltrationAdded,
        "github/untrusted-checkout" => RuleId::DriftUntrustedCheckoutAdded,
        "github/script-injection"
        | "github/env-file-injection"
        | "jenkins/script-injection"
        | "jenkins/webhook-injection" => RuleId::DriftInjectionAdded,
        "github/persisted-credentials" => RuleId::DriftPersistCredentialsAdded,
        "github/self-hosted-untrusted" => RuleId::DriftSelfHostedExposed,
        "jenkins/untrusted-pr-trigger" | "jenkins/untrusted-pr-trust" => {
            RuleId::DriftPrTrustWidened
        }
        _ => return None,
    })
}

/// One job's change, with a unified diff of its canonical forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDiff {
    pub source: String,
    pub id: String,
    /// `added`, `removed`, `changed` or `moved` (then `source#id` is the new key, the diff names
    /// the old one).
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
        rule: RuleId,
        job: &Job,
        range: Option<&Range<usize>>,
        msg: String,
        detail: &str,
    ) {
        let rule = rule.as_str();
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

/// What identifies a job apart from its name and place: a GitHub job's own definition (without
/// its id and its workflow's top level), a stage's body without its header, a config.xml whole.
fn content_key(kind: JobKind, canonical: &str) -> String {
    match kind {
        JobKind::GithubJob => serde_json::from_str::<serde_json::Value>(canonical)
            .ok()
            .and_then(|v| v.get("job").map(super::canon::pretty_sorted))
            .unwrap_or_else(|| canonical.to_string()),
        JobKind::JenkinsStage => canonical
            .split_once('\n')
            .map_or(canonical, |(_, rest)| rest)
            .to_string(),
        JobKind::JenkinsPipeline | JobKind::JenkinsJob => canonical.to_string(),
    }
}

/// Pairs (old key, new key) of jobs that were moved or renamed: first the same content (see
/// `content_key`) under another key, then the same id in a file that was renamed (the old file
/// is gone, the new one did not exist).
fn moves(
    old_by: &BTreeMap<String, &LockedJob>,
    new_by: &BTreeMap<String, &Job>,
    unread: &BTreeSet<String>,
) -> Vec<(String, String)> {
    let removed: Vec<&String> = old_by
        .iter()
        .filter(|(k, o)| !new_by.contains_key(*k) && !unread.contains(&o.source))
        .map(|(k, _)| k)
        .collect();
    let added: Vec<&String> = new_by.keys().filter(|k| !old_by.contains_key(*k)).collect();
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    let old_sources: BTreeSet<&str> = old_by.values().map(|o| o.source.as_str()).collect();
    let new_sources: BTreeSet<&str> = new_by.values().map(|j| j.source.as_str()).collect();
    let mut by_content: BTreeMap<(JobKind, String), Vec<&String>> = BTreeMap::new();
    for k in &removed {
        let o = old_by[*k];
        by_content
            .entry((o.kind, content_key(o.kind, &o.canonical)))
            .or_default()
            .push(k);
    }
    let mut used: BTreeSet<&String> = BTreeSet::new();
    let mut pairs = Vec::new();
    let mut rest = Vec::new();
    for k in &added {
        let j = new_by[*k];
        let hit = by_content
            .get_mut(&(j.kind, content_key(j.kind, &j.canonical)))
            .and_then(|v| (!v.is_empty()).then(|| v.remove(0)));
        match hit {
            Some(o) => {
                used.insert(o);
                pairs.push(((*o).clone(), (*k).clone()));
            }
            None => rest.push(*k),
        }
    }
    // Same id in a renamed file: among several candidates (`analysis` in three renamed
    // workflows) the most similar old job, and only if it is similar at all.
    let mut scored: Vec<(u32, &String, &String)> = Vec::new();
    for k in rest {
        let j = new_by[k];
        if old_sources.contains(j.source.as_str()) {
            continue;
        }
        for o in &removed {
            let old = old_by[*o];
            if used.contains(*o)
                || old.id != j.id
                || old.kind != j.kind
                || new_sources.contains(old.source.as_str())
            {
                continue;
            }
            let ratio = TextDiff::from_lines(&old.canonical, &j.canonical).ratio();
            if ratio >= 0.5 {
                // Ratio in thousandths, for a total order.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                scored.push(((ratio * 1000.0) as u32, *o, k));
            }
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
    let mut taken: BTreeSet<&String> = BTreeSet::new();
    for (_, o, k) in scored {
        if used.contains(o) || taken.contains(k) {
            continue;
        }
        used.insert(o);
        taken.insert(k);
        pairs.push((o.clone(), k.clone()));
    }
    pairs.sort();
    pairs
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
    let pairs = moves(&old_by, &new_by, unread);
    let moved_to: BTreeMap<&String, &String> = pairs.iter().map(|(o, n)| (n, o)).collect();
    let moved_from: BTreeSet<&String> = pairs.iter().map(|(o, _)| o).collect();
    // What each file's jobs already ran on: a new job is compared with its workflow's.
    let mut file_triggers: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for o in old {
        let t = file_triggers.entry(o.source.as_str()).or_default();
        t.extend(o.profile.triggers.iter().cloned());
        // The whole Jenkinsfile (a scripted one is only its `(pipeline)` job) runs on whatever
        // builds the file: a new stage in it runs on nothing new.
        if o.kind == JobKind::JenkinsPipeline {
            t.insert("any-build".into());
        }
    }
    let mut cx = Ctx {
        files,
        against,
        findings: Vec::new(),
    };
    let mut diffs = Vec::new();
    let mut new_files: BTreeMap<&str, Vec<&Job>> = BTreeMap::new();
    for (key, job) in &new_by {
        let fp = job.fingerprint();
        if let Some(okey) = moved_to.get(key) {
            let o = old_by[*okey];
            let same = content_key(o.kind, &o.canonical) == content_key(job.kind, &job.canonical);
            let msg = format!(
                "job `{}` of {} is now `{}` in {}{}",
                o.id,
                o.source,
                job.id,
                job.source,
                if same { "" } else { ", and changed" }
            );
            cx.at(RuleId::DriftJobMoved, job, None, msg, okey);
            if !same {
                let msg = format!(
                    "job `{}` in {} changed since {} (moved from {}#{})",
                    job.id, job.source, cx.against, o.source, o.id
                );
                cx.at(RuleId::DriftJobChanged, job, None, msg, &fp);
            }
            classify(&mut cx, &o.profile, job, false);
            diffs.push(JobDiff {
                source: job.source.clone(),
                id: job.id.clone(),
                status: "moved".into(),
                old_fingerprint: Some(o.fingerprint.clone()),
                new_fingerprint: Some(fp),
                diff: diff(
                    &o.canonical,
                    &job.canonical,
                    &format!("a/{okey}"),
                    &format!("b/{key}"),
                ),
            });
            continue;
        }
        match old_by.get(key) {
            None => {
                let msg = format!(
                    "job `{}` in {} is new: it is not in {}",
                    job.id, job.source, cx.against
                );
                cx.at(RuleId::DriftJobAdded, job, None, msg, "");
                // A new job in an existing file widens nothing its siblings already ran on; a
                // new file's triggers are `privileged-workflow-added`, once per file.
                let base = Profile {
                    triggers: match file_triggers.get(job.source.as_str()) {
                        Some(t) => t.clone(),
                        None => {
                            new_files.entry(job.source.as_str()).or_default().push(job);
                            job.profile.triggers.clone()
                        }
                    },
                    ..Profile::default()
                };
                classify(&mut cx, &base, job, true);
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
                cx.at(RuleId::DriftJobChanged, job, None, msg, &fp);
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
    for (source, jobs) in &new_files {
        let privileged: BTreeSet<&str> = jobs
            .iter()
            .flat_map(|j| j.profile.triggers.iter())
            .filter(|t| exposure(t) >= 3)
            .map(String::as_str)
            .collect();
        let Some(first) = jobs.first().filter(|_| !privileged.is_empty()) else {
            continue;
        };
        let list = join(privileged.iter().copied());
        let msg = format!(
            "new {source} runs jobs on {list}, which outsiders can fire with the repository's secrets"
        );
        cx.at(
            RuleId::DriftPrivilegedWorkflowAdded,
            first,
            first.anchors.triggers.as_ref(),
            msg,
            &list,
        );
    }
    for (key, o) in &old_by {
        if new_by.contains_key(key) || unread.contains(&o.source) || moved_from.contains(key) {
            continue;
        }
        let msg = format!(
            "job `{}` of {} was removed (it is in {})",
            o.id, o.source, cx.against
        );
        let f = RawFinding::at(RuleId::DriftJobRemoved, Location::file(&o.source), msg)
            .content(format!("{} {key}", RuleId::DriftJobRemoved))
            .property("job", key.clone());
        // Point at the file when it still exists (another job of it was kept).
        let f = match files.get(&o.source) {
            Some(file) => {
                let mut g = RawFinding::new(RuleId::DriftJobRemoved, file, 0..0, f.message.clone())
                    .content(format!("{} {key}", RuleId::DriftJobRemoved))
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
                    RuleId::DriftScanRemoved,
                    Location::file(&o.source),
                    format!("job `{}`, which scanned images, was removed", o.id),
                )
                .content(format!("{} {key}", RuleId::DriftScanRemoved))
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
    classify_findings(cx, o, job, added);
    let n = &job.profile;
    let a = &job.anchors;
    if o.scans_images && !n.scans_images {
        let msg = format!(
            "job `{}` no longer scans images (it did in {})",
            job.id, cx.against
        );
        cx.at(RuleId::DriftScanRemoved, job, None, msg, "");
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
            RuleId::DriftTriggerWidened,
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
                RuleId::DriftPermissionsWidened,
                job,
                a.permissions.as_ref(),
                msg,
                &list,
            );
        }
    }
    // `secrets.GITHUB_TOKEN` is the job's own token, there whether named or not: what it may do
    // is `permissions-widened`.
    let new_secrets: BTreeSet<&String> = n
        .secrets
        .difference(&o.secrets)
        .filter(|s| s.as_str() != "GITHUB_TOKEN")
        .collect();
    for s in new_secrets {
        let msg = format!("job `{}` now references secret `{s}`", job.id);
        cx.at(RuleId::DriftSecretAdded, job, a.secrets.get(s), msg, s);
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
        cx.at(
            RuleId::DriftSandboxDisabled,
            job,
            a.sandbox.as_ref(),
            msg,
            "",
        );
    }
    if !added && n.approvals < o.approvals && (n.deploys || n.pushes_images || o.deploys) {
        let msg = format!(
            "job `{}` lost {} `input` approval step(s) ({} → {}) and still deploys or publishes",
            job.id,
            o.approvals - n.approvals,
            o.approvals,
            n.approvals
        );
        cx.at(
            RuleId::DriftApprovalRemoved,
            job,
            a.deploy.as_ref(),
            msg,
            "",
        );
    }
    if n.pushes_images && !o.pushes_images {
        let msg = format!("job `{}` now pushes images", job.id);
        cx.at(RuleId::DriftPushAdded, job, a.push.as_ref(), msg, "");
    }
    if n.deploys && !o.deploys {
        let msg = format!("job `{}` now deploys", job.id);
        cx.at(RuleId::DriftDeployAdded, job, a.deploy.as_ref(), msg, "");
    }
    if !added && n.runners != o.runners {
        let relevant = match job.kind {
            // Onto a machine that is not GitHub-hosted (a move between two self-hosted or
            // third-party labels, `depot-…-4` → `depot-…-8`, is not a new exposure).
            JobKind::GithubJob => {
                n.runners.iter().any(|r| self_hosted(r))
                    && (added || !o.runners.iter().any(|r| self_hosted(r)))
            }
            // Every Jenkins agent is someone's machine: a label it did not run on before
            // matters (dropping one, `Linux, docker&&highmem` → `Linux`, does not).
            _ => !n.runners.is_subset(&o.runners),
        };
        if relevant {
            let msg = format!(
                "job `{}` now runs on {} (before: {})",
                job.id,
                join(n.runners.iter().map(String::as_str)),
                join(o.runners.iter().map(String::as_str))
            );
            let detail = join(n.runners.iter().map(String::as_str));
            cx.at(
                RuleId::DriftRunnerChanged,
                job,
                a.runner.as_ref(),
                msg,
                &detail,
            );
        }
    }
}

/// Analyzer findings new in the job, each as the drift class of its rule, and guards lost by a
/// job outsiders can start in a privileged context.
fn classify_findings(cx: &mut Ctx<'_>, o: &Profile, job: &Job, added: bool) {
    // Per analyzer rule: only when the job has more findings of it than before (a finding whose
    // content names the job or a moved line is not new), the findings not seen before.
    let count = |p: &Profile, rule: &str| {
        p.findings
            .iter()
            .filter(|k| k.split(' ').next() == Some(rule))
            .count()
    };
    for key in job.profile.findings.difference(&o.findings) {
        let Some(anchor) = job.anchors.findings.get(key) else {
            continue;
        };
        if count(&job.profile, &anchor.rule) <= count(o, &anchor.rule) {
            continue;
        }
        let Some(rule) = from_finding(&anchor.rule) else {
            continue;
        };
        // In a new job these are what any scan reports (a default checkout, a tag pin): drift
        // reports them when a reviewed job changes to them.
        if added
            && matches!(
                rule,
                RuleId::DriftPersistCredentialsAdded | RuleId::DriftUnpinnedActionAdded
            )
        {
            continue;
        }
        let msg = format!(
            "{} `{}` now has a {} finding: {}",
            if added { "new job" } else { "job" },
            job.id,
            anchor.rule,
            anchor.message
        );
        cx.at(rule, job, Some(&anchor.range), msg, key);
    }
    for e in job.profile.exposures.difference(&o.exposures) {
        let msg = format!(
            "{} `{}` hands a secret to third-party code or the network: {e}",
            if added { "new job" } else { "job" },
            job.id
        );
        cx.at(
            RuleId::DriftSecretExposed,
            job,
            job.anchors.exposures.get(e),
            msg,
            e,
        );
    }
    if added || job.kind != JobKind::GithubJob {
        return;
    }
    let privileged: Vec<&str> = job
        .profile
        .triggers
        .iter()
        .filter(|t| exposure(t) >= 3)
        .map(String::as_str)
        .collect();
    let lost: Vec<&str> = o
        .guards
        .difference(&job.profile.guards)
        .map(String::as_str)
        .collect();
    if !privileged.is_empty() && !lost.is_empty() {
        let msg = format!(
            "job `{}` runs on {} and lost its guard ({}) that kept outsiders out",
            job.id,
            join(privileged.iter().copied()),
            join(lost.iter().copied())
        );
        let detail = join(lost.iter().copied());
        cx.at(RuleId::DriftGuardRemoved, job, None, msg, &detail);
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
