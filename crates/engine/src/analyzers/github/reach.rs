//! Reachability of untrusted code in a job: which triggers fire it and who can fire them, which
//! untrusted code it checks out or downloads (sources), and which later steps execute that code
//! (executions). [`CodeFlow`] walks a job's steps once; the facts layer keeps the result.

use std::collections::BTreeSet;
use std::ops::Range;

use super::expr;
use super::model::{Model, Seg, Step, route_with};
use super::spans::map_range;
use pipeguard_shell::{Script, classify};

/// Triggers that run in the base repository's context (secrets, write token) and that people
/// without write access can fire.
pub const PRIVILEGED: &[&str] = &[
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
    "fork",
    "watch",
];

/// Triggers a fork pull request (or any GitHub user) can fire, privileged or not.
pub const OUTSIDER: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
    "workflow_run",
    "fork",
    "watch",
];

/// Where untrusted code enters a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// The PR's code (head sha/ref, merge ref, pull refs).
    Code,
    /// Artifacts uploaded by the triggering run.
    Artifact,
}

#[derive(Clone, Debug)]
pub struct Source {
    pub step: usize,
    pub bytes: Range<usize>,
    pub what: String,
    pub kind: SourceKind,
}

/// A step that executes untrusted code from a source.
#[derive(Clone, Debug)]
pub struct Exec {
    pub step: usize,
    pub bytes: Range<usize>,
    pub what: String,
    pub source: usize,
    /// Executes code (a build, a script, an action) rather than reading data.
    pub runs_code: bool,
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// `if:` restrictions on `github.event_name`.
pub fn restrict_triggers(all: &[String], cond: Option<&str>) -> Vec<String> {
    let Some(c) = cond else { return all.to_vec() };
    let c = c.replace('"', "'");
    let mut eq = Vec::new();
    let mut ne = Vec::new();
    for (op, list) in [("==", &mut eq), ("!=", &mut ne)] {
        let pat = format!("github.event_name {op} '");
        let mut rest = c.as_str();
        while let Some(i) = rest.find(&pat) {
            let after = &rest[i + pat.len()..];
            if let Some(end) = after.find('\'') {
                list.push(after[..end].to_string());
            }
            rest = after;
        }
        // `'x' == github.event_name`
        let pat2 = format!("' {op} github.event_name");
        let mut rest = c.as_str();
        while let Some(i) = rest.find(&pat2) {
            if let Some(start) = rest[..i].rfind('\'') {
                list.push(rest[start + 1..i].to_string());
            }
            rest = &rest[i + pat2.len()..];
        }
    }
    let mut out: Vec<String> = all.to_vec();
    if !eq.is_empty() && !c.contains("||") {
        out.retain(|t| eq.contains(t));
    } else if !eq.is_empty() && ne.is_empty() && eq.len() > 1 {
        // `a == 'x' || a == 'y'` — only those.
        out.retain(|t| eq.contains(t));
    }
    out.retain(|t| !ne.contains(t));
    out
}

pub fn fork_guard(cond: Option<&str>) -> bool {
    let Some(c) = cond else { return false };
    let c = lc(c).replace(' ', "");
    // `fork == false || (fork && label)` lets forks in: only a guard in every branch counts.
    if c.contains("||") {
        return false;
    }
    c.contains("head.repo.full_name==github.repository")
        || c.contains("github.repository==github.event.pull_request.head.repo.full_name")
        || c.contains("head.repo.fork==false")
        || c.contains("!github.event.pull_request.head.repo.fork")
        || c.contains("head.repo.id==github.event.pull_request.base.repo.id")
        || c.contains("github.event.pull_request.head.repo.owner.login==github.repository_owner")
}

pub fn gate_of(cond: Option<&str>) -> Option<String> {
    let c = lc(cond?);
    if c.contains("author_association") {
        return Some("an author-association check".into());
    }
    if c.contains("labels") || c.contains("label.name") {
        return Some("a label check".into());
    }
    if c.contains("github.actor") || c.contains("triggering_actor") || c.contains(".user.login") {
        return Some("an actor check".into());
    }
    None
}

/// Contexts that name the PR's head commit / branch / merge ref (untrusted code on a
/// privileged trigger).
fn pr_ref_context(ctx: &str) -> Option<&'static str> {
    let c = ctx;
    if c == "github.head_ref" {
        return Some("the PR head branch");
    }
    if let Some(ev) = c.strip_prefix("github.event.") {
        if ev.starts_with("pull_request.head.") || ev.starts_with("pull_request_target.head.") {
            return Some("the PR head");
        }
        if ev == "pull_request.merge_commit_sha" {
            return Some("the PR merge commit");
        }
        if ev.starts_with("workflow_run.head_") || ev.starts_with("workflow_run.pull_requests.") {
            return Some("the triggering run's head");
        }
        if ev.starts_with("check_suite.head_") || ev.starts_with("check_run.head_sha") {
            return Some("the checked commit");
        }
    }
    None
}

/// A number identifying the PR (used in `refs/pull/N/…`, `gh pr checkout N`).
fn pr_number_context(ctx: &str) -> bool {
    matches!(
        ctx,
        "github.event.number"
            | "github.event.pull_request.number"
            | "github.event.issue.number"
            | "github.event.workflow_run.pull_requests.*.number"
    ) || ctx.ends_with("pull_requests.*.number")
}

/// An output of an earlier step or job that likely resolves the PR head (`steps.pr.outputs.sha`).
fn resolved_ref_context(ctx: &str) -> bool {
    let Some(name) = ctx
        .strip_prefix("steps.")
        .or_else(|| ctx.strip_prefix("needs."))
        .and_then(|r| r.split_once(".outputs.").map(|(_, n)| n))
    else {
        return false;
    };
    ["head", "sha", "ref", "branch", "pr", "commit", "pull"]
        .iter()
        .any(|k| name.contains(k))
}

/// Whether a value (with its `${{ }}` and env bindings) names untrusted PR code.
fn untrusted_ref_in(value: &str, env_refs: &BTreeSet<String>) -> Option<String> {
    let has_pull_path = value.contains("refs/pull/") || value.contains("pull/");
    for s in expr::find(value, 0) {
        for ctx in expr::all_contexts(&value[s.body.clone()]) {
            if let Some(why) = pr_ref_context(&ctx) {
                return Some(format!("{why} (`{ctx}`)"));
            }
            if pr_number_context(&ctx) && has_pull_path {
                return Some(format!("the PR's pull ref (`{ctx}`)"));
            }
            if resolved_ref_context(&ctx) {
                return Some(format!("a PR ref resolved by an earlier step (`{ctx}`)"));
            }
            if let Some(var) = ctx.strip_prefix("env.")
                && env_refs.contains(&lc(var))
            {
                return Some(format!("the PR head via `env.{var}`"));
            }
        }
    }
    // `$HEAD_SHA` bound to a PR head expression in env.
    for var in env_refs {
        if lc(value).contains(&format!("${var}")) || lc(value).contains(&format!("${{{var}}}")) {
            return Some(format!("the PR head via `${}`", var.to_ascii_uppercase()));
        }
    }
    None
}

fn is_checkout_action(a: &str) -> bool {
    a == "actions/checkout"
}

/// Actions that build or execute the code in the workspace.
fn action_executes(a: &str, step: &Step) -> Option<String> {
    const EXEC: &[&str] = &[
        "docker/build-push-action",
        "docker/bake-action",
        "gradle/gradle-build-action",
        "github/codeql-action/autobuild",
        "goreleaser/goreleaser-action",
        "pre-commit/action",
        "cypress-io/github-action",
        "borales/actions-yarn",
        "bahmutov/npm-install",
        "nick-fields/retry",
        "nick-invision/retry",
        "ruby/setup-ruby",
        "pnpm/action-setup",
        "rust-lang/crates-io-auth-action",
        "mxschmitt/action-tmate",
        "pypa/cibuildwheel",
        "pyo3/maturin-action",
        "turtlebrowser/get-conda",
        "devcontainers/ci",
    ];
    if !EXEC.contains(&a) {
        if a == "actions/github-script"
            && step.with_value("script").is_some_and(|s| {
                s.value.contains("require('./")
                    || s.value.contains("require(\"./")
                    || s.value.contains("require(`${")
            })
        {
            return Some("github-script requiring a file from the workspace".into());
        }
        return None;
    }
    match a {
        "ruby/setup-ruby" => step
            .with_value("bundler-cache")
            .filter(|v| v.value == "true")
            .map(|_| "ruby/setup-ruby with bundler-cache (bundle install)".into()),
        "pnpm/action-setup" => step
            .with_value("run_install")
            .filter(|v| v.value != "false" && !v.value.is_empty())
            .map(|_| "pnpm/action-setup with run_install".into()),
        _ => Some(a.to_string()),
    }
}

/// git / gh commands in a script that fetch or check out PR code.
fn script_source(
    script: &Script,
    run: &str,
    env_refs: &BTreeSet<String>,
) -> Option<(Range<usize>, String)> {
    for cmd in &script.commands {
        let Some(prog) = cmd.program() else { continue };
        let args: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
        let text = run.get(cmd.span.clone()).unwrap_or_default();
        let hit = match prog {
            "gh" | "hub" if args.first() == Some(&"pr") && args.get(1) == Some(&"checkout") => {
                Some(format!("`{prog} pr checkout`"))
            }
            "git" => {
                let sub = cmd.subcommand().unwrap_or_default();
                let pulls = args
                    .iter()
                    .any(|a| a.contains("pull/") || a.contains("refs/pull"));
                match sub {
                    "fetch" | "pull" | "checkout" | "switch" | "reset" | "merge" | "rebase"
                    | "cherry-pick" | "clone" | "worktree" | "remote" => {
                        if pulls {
                            Some(format!("`git {sub}` of a pull request ref"))
                        } else {
                            untrusted_ref_in(text, env_refs)
                                .map(|why| format!("`git {sub}` of {why}"))
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(what) = hit {
            return Some((cmd.span.clone(), what));
        }
    }
    None
}

/// Artifact downloads of the triggering run.
fn artifact_source(
    m: &Model<'_>,
    step: &Step,
    action: Option<&str>,
    run: Option<&str>,
) -> Option<String> {
    let from_run =
        |v: &str| v.contains("workflow_run.id") || v.contains("github.event.workflow_run");
    if let Some(a) = action {
        match a {
            "actions/download-artifact" => {
                let rid = step.with_value("run-id").map_or("", |v| v.value.as_str());
                if from_run(rid) {
                    return Some(
                        "artifacts of the triggering run (actions/download-artifact)".into(),
                    );
                }
            }
            "dawidd6/action-download-artifact"
                if m.has_trigger("workflow_run")
                    || step.with.iter().any(|w| from_run(&w.value)) =>
            {
                return Some("artifacts of another run (dawidd6/action-download-artifact)".into());
            }
            "actions/github-script" => {
                let s = step.with_value("script").map_or("", |v| v.value.as_str());
                if (s.contains("downloadArtifact") || s.contains("listWorkflowRunArtifacts"))
                    && (from_run(s) || m.has_trigger("workflow_run"))
                {
                    return Some(
                        "artifacts of the triggering run (github-script downloadArtifact)".into(),
                    );
                }
            }
            _ => {}
        }
    }
    if let Some(r) = run
        && r.contains("gh run download")
        && (from_run(r) || step.env.iter().any(|e| from_run(&e.value)))
    {
        return Some("artifacts of the triggering run (`gh run download`)".into());
    }
    None
}

/// Commands that unpack or consume downloaded files.
fn consumes_files(script: &Script) -> Option<(Range<usize>, String)> {
    for cmd in &script.commands {
        let Some(p) = cmd.program() else { continue };
        let hit = match p {
            "unzip" | "tar" | "7z" | "gunzip" => Some(format!("`{p}` unpacks it")),
            "cat" | "jq" | "source" | "." | "head" | "read" | "xargs" => {
                Some(format!("`{p}` reads it"))
            }
            _ => None,
        };
        if let Some(h) = hit {
            return Some((cmd.span.clone(), h));
        }
    }
    None
}

/// A step's parsed `run:` script (when it was parsed), what its commands do, and where the
/// `run:` value is in the source.
#[derive(Clone, Copy)]
pub struct StepScript<'s> {
    pub script: Option<&'s Script>,
    pub actions: &'s [classify::Action],
    pub run_bytes: &'s Range<usize>,
}

/// Untrusted code entering a job and the steps that execute it, gathered step by step.
#[derive(Default)]
pub struct CodeFlow {
    pub sources: Vec<Source>,
    pub execs: Vec<Exec>,
}

impl CodeFlow {
    /// Record what step `si` executes of earlier sources and which sources it adds. `refs` are
    /// the env names bound to PR-head expressions in the step's scope.
    pub fn step(
        &mut self,
        m: &Model<'_>,
        si: usize,
        step: &Step,
        info: StepScript<'_>,
        refs: &BTreeSet<String>,
    ) {
        let action = step.action();
        let head = |m: &Model<'_>| {
            if step.uses.is_some() {
                m.value_bytes(&route_with(&step.route, Seg::Key("uses".into())))
            } else {
                m.key_bytes(&step.route)
            }
        };
        let sources = &mut self.sources;
        let execs = &mut self.execs;

        // Executions of earlier sources.
        if !sources.is_empty() {
            let src_idx = sources.len() - 1;
            let kind = sources[src_idx].kind.clone();
            let mut what = None;
            let mut bytes = None;
            if let Some(script) = info.script {
                let run = step.run.as_deref().unwrap_or_default();
                let repo = info
                    .actions
                    .iter()
                    .find(|a| a.kind == classify::Kind::RunsRepoCode);
                if let Some(a) = repo {
                    what = Some(format!("runs `{}`", a.tool));
                    let r = script.commands[a.command].span.clone();
                    bytes = Some(map_range(m, info.run_bytes, run, &r));
                } else if kind == SourceKind::Artifact
                    && let Some((r, w)) = consumes_files(script)
                {
                    what = Some(w);
                    bytes = Some(map_range(m, info.run_bytes, run, &r));
                }
            } else if step.is_local_action() {
                what = Some(format!(
                    "runs the local action `{}`",
                    step.uses.as_deref().unwrap_or_default()
                ));
            } else if let Some(a) = action.as_deref()
                && let Some(w) = action_executes(a, step)
            {
                what = Some(format!("runs {w}"));
            }
            if let Some(w) = what {
                execs.push(Exec {
                    step: si,
                    bytes: bytes.unwrap_or_else(|| head(m)),
                    runs_code: w.starts_with("runs"),
                    what: w,
                    source: src_idx,
                });
            }
        }

        // New sources in this step.
        if let Some(a) = action.as_deref()
            && is_checkout_action(a)
        {
            let r = step.with_value("ref").map(|v| (v, "ref"));
            let repo = step.with_value("repository").map(|v| (v, "repository"));
            for (kv, field) in [r, repo].into_iter().flatten() {
                if let Some(why) = untrusted_ref_in(&kv.value, refs) {
                    sources.push(Source {
                        step: si,
                        bytes: m.value_bytes(&kv.route),
                        what: format!("checks out {why} with `{field}:`"),
                        kind: SourceKind::Code,
                    });
                    break;
                }
            }
        }
        if let Some(script) = info.script {
            let run = step.run.as_deref().unwrap_or_default();
            if let Some((r, what)) = script_source(script, run, refs) {
                let idx = sources.len();
                sources.push(Source {
                    step: si,
                    bytes: map_range(m, info.run_bytes, run, &r),
                    what: format!("fetches PR code: {what}"),
                    kind: SourceKind::Code,
                });
                // The same script may build it right after.
                if let Some(a) = info.actions.iter().find(|a| {
                    a.kind == classify::Kind::RunsRepoCode
                        && script.commands[a.command].span.start > r.start
                }) {
                    let cr = script.commands[a.command].span.clone();
                    execs.push(Exec {
                        step: si,
                        bytes: map_range(m, info.run_bytes, run, &cr),
                        what: format!("runs `{}`", a.tool),
                        source: idx,
                        runs_code: true,
                    });
                }
            }
        }
        if let Some(what) = artifact_source(m, step, action.as_deref(), step.run.as_deref()) {
            sources.push(Source {
                step: si,
                bytes: head(m),
                what: format!("downloads {what}"),
                kind: SourceKind::Artifact,
            });
        }
    }
}

/// Env names (lower-cased) bound to PR-head expressions, added to `refs`.
pub fn bind_refs(kvs: &[super::model::KeyValue], refs: &mut BTreeSet<String>) {
    for kv in kvs {
        if untrusted_ref_in(&kv.value, &BTreeSet::new()).is_some() {
            refs.insert(lc(&kv.name));
        }
    }
}
