//! `github/cache-poisoning`: a job that publishes (release or tag triggers, release branches, a
//! publish step) restores a build cache that any run holding the repository's token can write.
//! Which actions restore a cache, and which input turns it on or off, is the table below.
//! A job on a release or tag event with no publishing step of its own is reported at regular
//! too when its workflow does not also run on pull requests (a release workflow's build or
//! version job, not a CI workflow's test job that also runs on tags).
//! Second form: a job on a privileged trigger that runs a pull request's code and saves a cache
//! (reported at the saving step).

use serde_yaml::Value;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Job, Model, Step};
use crate::analyzers::github::publish;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubCachePoisoning, check);

/// How an action's caching is controlled.
enum Mode {
    /// The action is a cache.
    Always,
    /// Caches unless the input is false (`cache: false`).
    OnUnlessFalse(&'static str),
    /// Caches unless the input is true (`lookup-only: true`, `ignore-cache: true`).
    OnUnlessTrue(&'static str),
    /// Caches when the input is set to a value other than false/empty.
    OptIn(&'static str),
}

const CACHING: &[(&str, Mode)] = &[
    ("actions/cache", Mode::Always),
    ("actions/cache/restore", Mode::Always),
    ("mozilla-actions/sccache-action", Mode::Always),
    ("actions/setup-go", Mode::OnUnlessFalse("cache")),
    ("astral-sh/setup-uv", Mode::OnUnlessFalse("enable-cache")),
    ("swatinem/rust-cache", Mode::OnUnlessTrue("lookup-only")),
    ("ramsey/composer-install", Mode::OnUnlessTrue("ignore-cache")),
    ("gradle/actions/setup-gradle", Mode::OnUnlessTrue("cache-disabled")),
    ("gradle/gradle-build-action", Mode::OnUnlessTrue("cache-disabled")),
    ("actions/setup-node", Mode::OptIn("cache")),
    ("actions/setup-python", Mode::OptIn("cache")),
    ("actions/setup-java", Mode::OptIn("cache")),
    ("actions/setup-dotnet", Mode::OptIn("cache")),
    ("ruby/setup-ruby", Mode::OptIn("bundler-cache")),
    ("pyo3/maturin-action", Mode::OptIn("sccache")),
    ("pnpm/action-setup", Mode::OptIn("cache")),
];

/// Setup actions whose cache key is a hash of a lockfile of the workspace (`go.sum`,
/// `package-lock.json`, `pom.xml`…): before the job's checkout there is none, and the action
/// restores (and saves) nothing.
const KEYED_ON_LOCKFILE: &[&str] = &[
    "actions/setup-go",
    "actions/setup-node",
    "actions/setup-python",
    "actions/setup-java",
    "actions/setup-dotnet",
    "ruby/setup-ruby",
];

/// Whether step `si` of the job is a lockfile-keyed setup action that runs before the job's
/// first `actions/checkout` (a job without one is not known to have an empty workspace).
fn before_checkout(job: &Job, si: usize, step: &Step) -> bool {
    let Some(action) = step.action() else { return false };
    KEYED_ON_LOCKFILE.contains(&action.as_str())
        && job
            .steps
            .iter()
            .position(|s| s.action().as_deref() == Some("actions/checkout"))
            .is_some_and(|first| si < first)
}

fn truthy(v: &str) -> bool {
    matches!(v.trim().trim_matches(['"', '\'']).to_ascii_lowercase().as_str(), "true" | "yes" | "1" | "on")
}

fn falsy(v: &str) -> bool {
    matches!(
        v.trim().trim_matches(['"', '\'']).to_ascii_lowercase().as_str(),
        "false" | "no" | "0" | "off" | ""
    )
}

/// An expression that is false on tag refs: `!startsWith(github.ref, 'refs/tags/')`,
/// `!(… github.ref_type == 'tag')`.
fn off_on_tags(v: &str) -> bool {
    let l = v.to_ascii_lowercase().replace(' ', "");
    l.contains("${{!") && (l.contains("refs/tags") || l.contains("ref_type=='tag'"))
}

/// The major version of a `uses:` reference: its ref (`@v5`, `@v10.0.0`) or, for a SHA pin,
/// the version comment on the line (`@<sha> # v5.0.0`).
fn major_version(m: &Model<'_>, a: &Facts<'_, '_>, step: &Step) -> Option<u32> {
    let uses = step.uses.as_deref()?;
    let git_ref = uses.rsplit_once('@')?.1;
    let digits = |text: &str| -> Option<u32> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let d: String = text.chars().take_while(char::is_ascii_digit).collect();
        d.parse().ok()
    };
    if let Some(v) = git_ref.strip_prefix(['v', 'V']).and(digits(git_ref)) {
        return Some(v);
    }
    let head = a.step_head(step);
    let line_no = m.file.line_index(head.start);
    let line = m.text(&m.file.line_range(line_no));
    let comment = line.split_once('#')?.1;
    // `# v5.0.0`, or `# ratchet:actions/setup-go@v3`
    digits(comment.rsplit_once('@').map_or(comment, |(_, v)| v))
}

/// Whether the step restores a cache: `Some(confidence)`. `tag_only`: every publishing event
/// of the job is a tag (so an expression false on tags turns the cache off); `release`: the job
/// runs on `release` (setup-uv 10 and later turn their default cache off there).
fn restores(
    m: &Model<'_>,
    a: &Facts<'_, '_>,
    step: &Step,
    tag_only: bool,
    release: bool,
) -> Option<Confidence> {
    let action = step.action()?;
    let version = || major_version(m, a, step);
    // Defaults that changed with the action's major version.
    if action == "actions/setup-node"
        && step.with_value("cache").is_none()
        && version().is_some_and(|v| v >= 5)
    {
        // v5: the package manager's cache is on unless `package-manager-cache: false`.
        return match step.with_value("package-manager-cache").map(|v| v.value.clone()) {
            Some(v) if v.contains("${{") => Some(Confidence::Low),
            Some(v) if falsy(&v) => None,
            _ => Some(Confidence::Medium),
        };
    }
    // setup-go caches by default only from v4 on; v3 and earlier need `cache: true`.
    if action == "actions/setup-go" && version().is_some_and(|v| v < 4) {
        return match step.with_value("cache").map(|v| v.value.clone()) {
            Some(v) if v.contains("${{") => Some(Confidence::Low),
            Some(v) if truthy(&v) => Some(Confidence::Medium),
            _ => None,
        };
    }
    if action == "astral-sh/setup-uv"
        && release
        && version().is_some_and(|v| v >= 10)
        && step
            .with_value("enable-cache")
            .is_none_or(|v| v.value.trim().eq_ignore_ascii_case("auto"))
    {
        return None;
    }
    let (_, mode) = CACHING.iter().find(|(a, _)| *a == action)?;
    let value = |k: &str| step.with_value(k).map(|v| v.value.clone());
    let expr = |v: &str| {
        if tag_only && off_on_tags(v) {
            None
        } else {
            Some(Confidence::Low)
        }
    };
    match mode {
        Mode::Always => Some(Confidence::Medium),
        Mode::OnUnlessFalse(k) => match value(k) {
            Some(v) if v.contains("${{") => expr(&v),
            Some(v) if falsy(&v) => None,
            _ => Some(Confidence::Medium),
        },
        Mode::OnUnlessTrue(k) => match value(k) {
            Some(v) if v.contains("${{") => expr(&v),
            Some(v) if truthy(&v) => None,
            _ => Some(Confidence::Medium),
        },
        Mode::OptIn(k) => match value(k) {
            Some(v) if v.contains("${{") => expr(&v),
            Some(v) if !falsy(&v) => Some(Confidence::Medium),
            _ => None,
        },
    }
}

/// The step of the job that publishes (a release/package action, a publish command, an image
/// push, an artifact upload on a release trigger), if any.
fn publish_step(job: &Job, release_trigger: bool) -> Option<String> {
    job.steps.iter().find_map(|s| {
        if let Some(a) = s.action() {
            if a == "docker/build-push-action" {
                return s
                    .with_value("push")
                    .filter(|v| !falsy(&v.value))
                    .map(|_| format!("pushes an image in step `{}`", s.label()));
            }
            if publish::is_publish_action(&a) {
                return Some(format!("publishes in step `{}`", s.label()));
            }
            // On a release or tag event an uploaded build is a release artifact a later job
            // ships; logs, test results and coverage are not.
            if release_trigger && a == "actions/upload-artifact" {
                let what = format!(
                    "{} {}",
                    s.with_value("name").map(|v| v.value.as_str()).unwrap_or_default(),
                    s.with_value("path").map(|v| v.value.as_str()).unwrap_or_default()
                )
                .to_ascii_lowercase();
                let diagnostic = ["log", "test", "coverage", "report", "result", "sarif", "junit"]
                    .iter()
                    .any(|w| what.contains(w));
                if !diagnostic {
                    return Some(format!("uploads release artifacts in step `{}`", s.label()));
                }
            }
        }
        let run = s.run.as_deref()?;
        let cmd = publish::release_commands(run).into_iter().next()?;
        Some(format!("runs `{cmd}` in step `{}`", s.label()))
    })
}

/// Why a job is a release job.
struct Release {
    why: String,
    /// Every publishing event is a tag (an expression false on tags turns the cache off).
    tag_only: bool,
    /// The job has a publishing step.
    has_step: bool,
    /// The job runs on a tag event (`release`, a tag push).
    tag_event: bool,
}

/// Why the job is a release job. A job on a release trigger with no publishing step of its own
/// is reported at regular when it runs on a tag event and the workflow has no pull-request
/// trigger, else (a release branch's CI, a test job of a workflow that also runs on tags and
/// pull requests) at pedantic only.
fn publishes(m: &Model<'_>, job: &Job, triggers: &[String]) -> Option<Release> {
    let mut reasons: Vec<(String, bool)> = Vec::new();
    if triggers.iter().any(|t| t == "release") {
        reasons.push(("runs on `release`".into(), true));
    }
    if triggers.iter().any(|t| t == "push")
        && let Some(push) = m.trigger("push")
    {
        let list = |k: &str| -> Vec<String> {
            let mut v = Vec::new();
            if let Some(x) = push.config.as_mapping().and_then(|c| c.get(k)) {
                crate::analyzers::github::model::all_scalars(x, &mut v);
            }
            v
        };
        let has_tags = push
            .config
            .as_mapping()
            .is_some_and(|c| c.contains_key(Value::from("tags")));
        if has_tags {
            reasons.push(("runs on tag pushes".into(), true));
        }
        if let Some(b) = list("branches").into_iter().find(|b| {
            let l = b.to_ascii_lowercase();
            l.contains("release") || (l.starts_with('v') && l[1..].starts_with(|c: char| c.is_ascii_digit()))
        }) {
            reasons.push((format!("runs on pushes to the release branch `{b}`"), false));
        }
    }
    let only_prs = triggers.iter().all(|t| t.starts_with("pull_request") || t == "merge_group");
    let tag_event = reasons.iter().any(|(_, tag)| *tag);
    let step = if only_prs { None } else { publish_step(job, tag_event) };
    let tag_only = reasons.iter().all(|(_, tag)| *tag);
    let (why, tag_only, has_step) = match (step, reasons.first()) {
        (Some(s), Some((r, _))) => (format!("{r} and {s}"), tag_only, true),
        (Some(s), None) => (s, false, true),
        (None, Some((r, _))) => (r.clone(), tag_only, false),
        (None, None) => return None,
    };
    Some(Release { why, tag_only, has_step, tag_event })
}

/// Whether a caching step also saves (restore-only forms and `save-if: false` do not).
fn saves(step: &Step) -> bool {
    let Some(action) = step.action() else { return false };
    if action == "actions/cache/restore" {
        return false;
    }
    if action == "swatinem/rust-cache"
        && step.with_value("save-if").is_some_and(|v| !v.value.contains("${{") && falsy(&v.value))
    {
        return false;
    }
    true
}

/// The second form: a job on a privileged trigger runs the PR's code and saves a cache. The
/// entry is written in the base branch's scope, where release and default-branch runs restore
/// it — even when the job itself holds no secret and a read-only token.
fn saves_after_untrusted(a: &Facts<'_, '_>, out: &mut Output, reported: &[(usize, usize)]) {
    let m = a.m;
    for (ji, (job, r)) in m.jobs.iter().zip(&a.jobs).enumerate() {
        if !r.runs_untrusted() {
            continue;
        }
        let Some(first) = r.first_untrusted_step() else { continue };
        let Some(exec) = r.execs.iter().filter(|e| e.runs_code).min_by_key(|e| e.step) else {
            continue;
        };
        let trigger = r.privileged.first().cloned().unwrap_or_default();
        for (si, step) in job.steps.iter().enumerate() {
            if reported.contains(&(ji, si)) || !saves(step) {
                continue;
            }
            // `actions/cache/save` saves where it stands; the others in their post step.
            let save = step.action().as_deref() == Some("actions/cache/save");
            if save && si < first {
                continue;
            }
            if !save && (before_checkout(job, si, step) || restores(m, a, step, false, false).is_none()) {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(step),
                    format!(
                        "step `{}` saves a cache in job `{}`, which runs on `{trigger}` and executes the pull request's code: the entry lands in the base branch's cache scope, where release and default-branch runs restore it",
                        step.label(),
                        job.id
                    ),
                )
                .related(m.file, a.trigger_bytes(&trigger), format!("`{trigger}` runs with the base branch's cache scope"))
                .related(m.file, exec.bytes.clone(), format!("runs untrusted code: {}", exec.what))
                .confidence(Confidence::Medium)
                .content(format!("{} cache save {}", job.id, step.label())),
            );
        }
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let mut reported: Vec<(usize, usize)> = Vec::new();
    for (ji, (job, r)) in m.jobs.iter().zip(&a.jobs).enumerate() {
        // Most jobs cache nothing: skip them before `publishes` reads every script for a
        // publish command (the rule's main cost).
        let caches = job
            .steps
            .iter()
            .any(|s| s.action().is_some_and(|a| CACHING.iter().any(|(c, _)| *c == a)));
        if !caches {
            continue;
        }
        let Some(Release { why, tag_only, has_step, tag_event }) = publishes(m, job, &r.triggers)
        else {
            continue;
        };
        // A job that checks out nothing ships what it downloaded (artifacts built elsewhere):
        // a restored cache cannot change those files.
        let builds = job.steps.iter().any(|s| s.action().as_deref() == Some("actions/checkout"));
        // The trigger form: a job of a release workflow (tag events, no pull-request trigger)
        // with no publishing step of its own that restores a cache runs in the release's
        // context (it builds, versions or signs what a later job ships, with the release's
        // token and secrets).
        let pr_ci = r.triggers.iter().any(|t| t.starts_with("pull_request") || t == "merge_group");
        let by_trigger = !has_step && tag_event && !pr_ci;
        let has_step = has_step && builds;
        let release = r.triggers.iter().any(|t| t == "release");
        for (si, step) in job.steps.iter().enumerate() {
            let Some(conf) = restores(m, a, step, tag_only, release) else { continue };
            if before_checkout(job, si, step) {
                continue;
            }
            if has_step || by_trigger {
                reported.push((ji, si));
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(step),
                    format!(
                        "step `{}` restores a build cache in job `{}`, which {why}: a cache entry written by any run with the repository's token ends up in the release; turn caching off here",
                        step.label(),
                        job.id
                    ),
                )
                .confidence(if has_step { conf } else { Confidence::Low })
                .persona(if has_step || by_trigger { Persona::Regular } else { Persona::Pedantic })
                .content(format!("{} cache {}", job.id, step.label())),
            );
        }
    }
    saves_after_untrusted(a, out, &reported);
}
