//! Reachability per job: which triggers fire it and who can fire them, which untrusted code it
//! checks out or downloads, which later steps execute that code, and which secrets and token
//! permissions those steps can reach. The rules read this instead of spotting triggers.

use std::collections::BTreeSet;
use std::ops::Range;

use super::expr;
use super::model::{Job, Model, Seg, Step, route_with};
use pipeguard_shell::{self as shell, Script, classify};

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

/// An attacker-controlled expression expanded into a script.
#[derive(Clone, Debug)]
pub struct Injection {
    pub step: usize,
    pub bytes: Range<usize>,
    pub context: String,
    pub why: &'static str,
    /// `run` or `script` (github-script).
    pub sink: &'static str,
}

/// A secret referenced in a job: where, and in which step (None: job/workflow level).
#[derive(Clone, Debug)]
pub struct SecretRef {
    pub name: String,
    pub bytes: Range<usize>,
    pub step: Option<usize>,
    /// Referenced in a `run:` script (used once, not left behind for later steps).
    pub in_run: bool,
}

/// Per-step facts computed once.
#[derive(Default)]
pub struct StepInfo {
    pub script: Option<Script>,
    pub actions: Vec<classify::Action>,
    /// Byte range of the `run:` value in the source.
    pub run_bytes: Range<usize>,
}

pub struct JobReach {
    /// Triggers that can start the job (after `if: github.event_name == …`).
    pub triggers: Vec<String>,
    pub privileged: Vec<String>,
    /// Fork PRs are excluded by the job's `if:` (same-repository check).
    pub fork_guarded: bool,
    /// A gate (author association, label) that a maintainer must pass first.
    pub gate: Option<String>,
    pub sources: Vec<Source>,
    pub execs: Vec<Exec>,
    pub injections: Vec<Injection>,
    pub steps: Vec<StepInfo>,
    pub secrets: Vec<SecretRef>,
    /// Env var names bound to attacker-controlled expressions (workflow, job, per step).
    pub tainted_env: BTreeSet<String>,
}

impl JobReach {
    /// Untrusted code runs in the job on a privileged trigger that outsiders can fire.
    pub fn runs_untrusted(&self) -> bool {
        !self.privileged.is_empty()
            && !self.fork_guarded
            && (self.execs.iter().any(|e| e.runs_code) || !self.injections.is_empty())
    }

    /// The first step from which untrusted code runs.
    pub fn first_untrusted_step(&self) -> Option<usize> {
        let e = self.execs.iter().filter(|e| e.runs_code).map(|e| e.step);
        let i = self.injections.iter().map(|i| i.step);
        e.chain(i).min()
    }
}

pub struct Analysis<'m, 'f> {
    pub m: &'m Model<'f>,
    pub jobs: Vec<JobReach>,
}

impl<'m, 'f> Analysis<'m, 'f> {
    pub fn new(m: &'m Model<'f>) -> Self {
        let jobs = m.jobs.iter().map(|j| job_reach(m, j)).collect();
        Analysis { m, jobs }
    }

    /// Byte range of a trigger's key for related locations.
    pub fn trigger_bytes(&self, name: &str) -> Range<usize> {
        match self.m.trigger(name) {
            Some(t) => self.m.key_bytes(&t.route),
            None => 0..0,
        }
    }

    /// Map an offset into a step's decoded `run:` text to a source offset (line-accurate).
    pub fn run_offset(&self, job: usize, step: usize, off: usize) -> usize {
        let info = &self.jobs[job].steps[step];
        let Some(run) = self.m.jobs[job].steps[step].run.as_deref() else {
            return info.run_bytes.start;
        };
        map_scalar_offset(self.m, &info.run_bytes, run, off)
    }

    pub fn run_range(&self, job: usize, step: usize, r: &Range<usize>) -> Range<usize> {
        let s = self.run_offset(job, step, r.start);
        let e = self.run_offset(job, step, r.end.saturating_sub(1).max(r.start)) + 1;
        s..e.max(s)
    }

    /// The `uses:` value (or the step's first line) for pointing at a step.
    pub fn step_head(&self, step: &Step) -> Range<usize> {
        if step.uses.is_some() {
            return self
                .m
                .value_bytes(&route_with(&step.route, Seg::Key("uses".into())));
        }
        if step.run.is_some() {
            return self
                .m
                .key_bytes(&route_with(&step.route, Seg::Key("run".into())));
        }
        self.m.key_bytes(&step.route)
    }
}

/// Decoded-scalar offset → source offset. Block scalars map line by line; flow scalars add the
/// opening quote.
pub fn map_scalar_offset(m: &Model<'_>, src: &Range<usize>, decoded: &str, off: usize) -> usize {
    let text = m.text(src);
    let mut off = off.min(decoded.len());
    while off > 0 && !decoded.is_char_boundary(off) {
        off -= 1;
    }
    let line_no = decoded[..off].matches('\n').count();
    let col = off - decoded[..off].rfind('\n').map_or(0, |i| i + 1);
    let is_block = text.starts_with('|') || text.starts_with('>');
    let mut lines = text.split_inclusive('\n');
    let mut pos = src.start;
    if is_block {
        // Skip the header line (`|`, `|-`, `>+2` …).
        if let Some(h) = lines.next() {
            pos += h.len();
        }
    }
    let quote = usize::from(!is_block && (text.starts_with('"') || text.starts_with('\'')));
    // Blank lines of the decoded text may be absent from, or indented in, the source.
    for (i, l) in lines.enumerate() {
        if i == line_no {
            let indent = if i == 0 && !is_block {
                quote
            } else {
                l.len() - l.trim_start_matches([' ', '\t']).len()
            };
            return (pos + indent + col)
                .min(pos + l.len())
                .min(src.end.max(src.start));
        }
        pos += l.len();
    }
    src.start
}

/// Words of the commands the rules look for in scripts (image push/scan, deploys, PR fetches).
/// A false match only costs a parse.
fn worth_parsing(run: &str) -> bool {
    static WORDS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    const KEYWORDS: &[&str] = &[
        "push",
        "trivy",
        "grype",
        "snyk",
        "scout",
        "anchore",
        "clair",
        "dockle",
        "twistcli",
        "wizcli",
        "jf ",
        "jfrog",
        "pipeguard",
        "docker",
        "podman",
        "nerdctl",
        "buildah",
        "executor",
        "kaniko",
        "crane",
        "skopeo",
        "ko ",
        "jib",
        "publishImage",
        "kubectl",
        "helm",
        "terraform",
        "tofu",
        "terragrunt",
        "pulumi",
        "cdk",
        "serverless",
        "sls ",
        "aws ",
        "az ",
        "gcloud",
        "argocd",
        "flux",
        "skaffold",
        "heroku",
        "fly",
        "vercel",
        "netlify",
        "eb ",
        "kamal",
        "ansible",
        "wrangler",
        "firebase",
        "surge",
        "deploy",
        "git ",
        "gh ",
        "hub ",
    ];
    WORDS
        .get_or_init(|| aho_corasick::AhoCorasick::new(KEYWORDS).ok())
        .as_ref()
        .is_none_or(|ac| ac.is_match(run))
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// `if:` restrictions on `github.event_name`.
fn restrict_triggers(all: &[String], cond: Option<&str>) -> Vec<String> {
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

fn fork_guard(cond: Option<&str>) -> bool {
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

fn gate_of(cond: Option<&str>) -> Option<String> {
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

fn job_reach(m: &Model<'_>, job: &Job) -> JobReach {
    let all = m.trigger_names();
    let triggers = restrict_triggers(&all, job.if_cond.as_deref());
    let privileged: Vec<String> = triggers
        .iter()
        .filter(|t| PRIVILEGED.contains(&t.as_str()))
        .cloned()
        .collect();
    let fork_guarded = fork_guard(job.if_cond.as_deref());
    let mut gate = gate_of(job.if_cond.as_deref());

    // Env bindings: names bound to PR-head expressions and to attacker-controlled text.
    let mut ref_env = BTreeSet::new();
    let mut tainted_env = BTreeSet::new();
    let bind = |kvs: &[super::model::KeyValue],
                ref_env: &mut BTreeSet<String>,
                tainted: &mut BTreeSet<String>| {
        for kv in kvs {
            if untrusted_ref_in(&kv.value, &BTreeSet::new()).is_some() {
                ref_env.insert(lc(&kv.name));
            }
            if expr::find(&kv.value, 0).iter().any(|s| {
                expr::dataflow_contexts(&kv.value[s.body.clone()])
                    .iter()
                    .any(|c| expr::attacker_controlled(c).is_some())
            }) {
                tainted.insert(kv.name.clone());
            }
        }
    };
    bind(&m.env, &mut ref_env, &mut tainted_env);
    bind(&job.env, &mut ref_env, &mut tainted_env);

    let mut steps = Vec::with_capacity(job.steps.len());
    let mut sources: Vec<Source> = Vec::new();
    let mut execs: Vec<Exec> = Vec::new();
    let mut injections = Vec::new();

    for (si, step) in job.steps.iter().enumerate() {
        let mut step_ref_env = ref_env.clone();
        let mut step_tainted = tainted_env.clone();
        bind(&step.env, &mut step_ref_env, &mut step_tainted);
        let mut info = StepInfo::default();
        let action = step.action();
        // A step that fails the job unless the commenter/author is trusted gates what follows.
        if gate.is_none() && sources.is_empty() {
            let body = step
                .run
                .as_deref()
                .or_else(|| step.with_value("script").map(|v| v.value.as_str()))
                .unwrap_or_default();
            if body.contains("author_association") || body.contains("authorAssociation") {
                gate = Some(format!(
                    "an author-association check in step `{}`",
                    step.label()
                ));
            }
        }
        if let Some(run) = step.run.as_deref() {
            // Parsing every script is the analyzer's biggest cost: only scripts that can matter
            // (after untrusted code entered the job, or naming a tool some rule looks for).
            if !sources.is_empty() || worth_parsing(run) {
                let script = shell::parse(run);
                info.actions = classify::classify(&script);
                info.script = Some(script);
            }
            if info.script.is_some()
                || run.contains("${{")
                || run.contains("GITHUB_")
                || run.contains("ACTIONS_ALLOW")
            {
                info.run_bytes = m.value_bytes(&route_with(&step.route, Seg::Key("run".into())));
            }
        }
        let head = |m: &Model<'_>| {
            if step.uses.is_some() {
                m.value_bytes(&route_with(&step.route, Seg::Key("uses".into())))
            } else {
                m.key_bytes(&step.route)
            }
        };

        // Executions of earlier sources.
        if !sources.is_empty() {
            let src_idx = sources.len() - 1;
            let kind = sources[src_idx].kind.clone();
            let mut what = None;
            let mut bytes = None;
            if let Some(script) = &info.script {
                let run = step.run.as_deref().unwrap_or_default();
                let repo = info
                    .actions
                    .iter()
                    .find(|a| a.kind == classify::Kind::RunsRepoCode);
                if let Some(a) = repo {
                    what = Some(format!("runs `{}`", a.tool));
                    let r = script.commands[a.command].span.clone();
                    bytes = Some(map_range(m, &info.run_bytes, run, &r));
                } else if kind == SourceKind::Artifact
                    && let Some((r, w)) = consumes_files(script)
                {
                    what = Some(w);
                    bytes = Some(map_range(m, &info.run_bytes, run, &r));
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
                if let Some(why) = untrusted_ref_in(&kv.value, &step_ref_env) {
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
        if let Some(script) = &info.script {
            let run = step.run.as_deref().unwrap_or_default();
            if let Some((r, what)) = script_source(script, run, &step_ref_env) {
                let idx = sources.len();
                sources.push(Source {
                    step: si,
                    bytes: map_range(m, &info.run_bytes, run, &r),
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
                        bytes: map_range(m, &info.run_bytes, run, &cr),
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

        // Injections into run: and github-script script:.
        let sink = if step.run.is_some() {
            Some(("run", route_with(&step.route, Seg::Key("run".into()))))
        } else if action.as_deref() == Some("actions/github-script") {
            step.with_value("script")
                .map(|kv| ("script", kv.route.clone()))
        } else {
            None
        };
        if let Some((sink, route)) = sink {
            let r = m.value_bytes(&route);
            for site in m.sites_in(&r) {
                let body = m.text(&site.body);
                for ctx in expr::dataflow_contexts(body) {
                    let why = expr::attacker_controlled(&ctx).or_else(|| {
                        ctx.strip_prefix("env.")
                            .filter(|v| step_tainted.iter().any(|t| t.eq_ignore_ascii_case(v)))
                            .map(|_| "an env var set from attacker-controlled text")
                    });
                    if let Some(why) = why {
                        injections.push(Injection {
                            step: si,
                            bytes: site.range.clone(),
                            context: ctx,
                            why,
                            sink,
                        });
                        break;
                    }
                }
            }
        }
        steps.push(info);
    }

    // Secrets referenced by the job (and the workflow-level env it inherits).
    let mut secrets = Vec::new();
    let mut add_sites =
        |r: &Range<usize>, step: Option<usize>, in_run: bool, secrets: &mut Vec<SecretRef>| {
            for site in m.sites_in(r) {
                for name in expr::secret_names(m.text(&site.body)) {
                    secrets.push(SecretRef {
                        name,
                        bytes: site.range.clone(),
                        step,
                        in_run,
                    });
                }
            }
        };
    if !m.env.is_empty() {
        add_sites(
            &m.value_bytes(&vec![Seg::Key("env".into())]),
            None,
            false,
            &mut secrets,
        );
    }
    // Job-level parts outside steps.
    let steps_r = if job.steps.is_empty() {
        0..0
    } else {
        m.value_bytes(&route_with(&job.route, Seg::Key("steps".into())))
    };
    for site in m.sites_in(&job.bytes) {
        if steps_r.start <= site.range.start && site.range.end <= steps_r.end && !steps_r.is_empty()
        {
            continue;
        }
        for name in expr::secret_names(m.text(&site.body)) {
            secrets.push(SecretRef {
                name,
                bytes: site.range.clone(),
                step: None,
                in_run: false,
            });
        }
    }
    let any_secret = m
        .sites_in(&steps_r)
        .any(|x| m.text(&x.body).to_ascii_lowercase().contains("secrets"));
    for (si, step) in job.steps.iter().enumerate() {
        if !any_secret {
            break;
        }
        let run_r = &steps[si].run_bytes;
        let step_bytes = m.value_bytes(&step.route);
        for site in m.sites_in(&step_bytes) {
            let in_run =
                !run_r.is_empty() && run_r.start <= site.range.start && site.range.end <= run_r.end;
            for name in expr::secret_names(m.text(&site.body)) {
                secrets.push(SecretRef {
                    name,
                    bytes: site.range.clone(),
                    step: Some(si),
                    in_run,
                });
            }
        }
    }
    let _ = &mut add_sites;

    JobReach {
        triggers,
        privileged,
        fork_guarded,
        gate,
        sources,
        execs,
        injections,
        steps,
        secrets,
        tainted_env,
    }
}

pub fn map_range(
    m: &Model<'_>,
    src: &Range<usize>,
    decoded: &str,
    r: &Range<usize>,
) -> Range<usize> {
    let s = map_scalar_offset(m, src, decoded, r.start);
    // End: the end of the first line of the command keeps multi-line commands readable.
    let first_line_end = decoded[r.start.min(decoded.len())..r.end.min(decoded.len())]
        .find('\n')
        .map_or(r.end, |i| r.start + i);
    let e = map_scalar_offset(
        m,
        src,
        decoded,
        first_line_end.saturating_sub(1).max(r.start),
    ) + 1;
    s..e.max(s + 1)
}
