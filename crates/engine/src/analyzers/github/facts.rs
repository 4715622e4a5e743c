//! The facts the GitHub rules query, computed once per file: for every job the triggers that can
//! start it and whether outsiders can fire them, its gates, the untrusted code it checks out or
//! downloads and the steps that execute it ([`reach`]), every expression expanded into code with
//! its taint ([`taint`]), the parsed scripts of its steps, and the secrets it references. The
//! rules under `rules/` turn these facts into findings; none of them walks a job on its own.

use std::ops::Range;

use super::model::{Job, Model, Seg, Step, route_with};
use super::reach::{self, CodeFlow, Exec, PRIVILEGED, Source, StepScript};
use super::taint::{self, EnvScope, SinkSite, Taint};
use super::{expr, spans};
use pipeguard_shell::{self as shell, Script, classify};

/// A secret referenced in a job: where, and in which step (None: job/workflow level).
#[derive(Clone, Debug)]
pub struct SecretRef {
    pub name: String,
    pub bytes: Range<usize>,
    pub step: Option<usize>,
    /// Referenced in a `run:` script (used once, not left behind for later steps).
    pub in_run: bool,
}

/// Per-step facts: the parsed `run:` script (when it can matter) and what its commands do.
#[derive(Default)]
pub struct StepFacts {
    pub script: Option<Script>,
    pub actions: Vec<classify::Action>,
    /// Byte range of the `run:` value in the source.
    pub run_bytes: Range<usize>,
}

impl StepFacts {
    /// Parsing every script is the analyzer's biggest cost: only scripts that can matter are
    /// parsed (`parse`: untrusted code entered the job; or naming a tool some rule looks for).
    fn new(m: &Model<'_>, step: &Step, parse: bool) -> StepFacts {
        let mut info = StepFacts::default();
        if let Some(run) = step.run.as_deref() {
            if parse || worth_parsing(run) {
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
        info
    }

    pub fn view(&self) -> StepScript<'_> {
        StepScript {
            script: self.script.as_ref(),
            actions: &self.actions,
            run_bytes: &self.run_bytes,
        }
    }
}

/// Facts of one job.
pub struct JobFacts {
    /// Triggers that can start the job (after `if: github.event_name == …`).
    pub triggers: Vec<String>,
    pub privileged: Vec<String>,
    /// Fork PRs are excluded by the job's `if:` (same-repository check).
    pub fork_guarded: bool,
    /// A gate (author association, label) that a maintainer must pass first.
    pub gate: Option<String>,
    pub sources: Vec<Source>,
    pub execs: Vec<Exec>,
    /// Every expression expanded into a step's code, with its taint.
    pub sinks: Vec<SinkSite>,
    pub steps: Vec<StepFacts>,
    pub secrets: Vec<SecretRef>,
    /// Step outputs written from literals only (`steps.<id>.outputs.<name>`, lower-cased).
    pub clean_outputs: std::collections::BTreeSet<String>,
}

impl JobFacts {
    /// Attacker-controlled text expanded into code: the sink sites with a taint.
    pub fn injections(&self) -> impl Iterator<Item = (&SinkSite, &Taint)> {
        self.sinks
            .iter()
            .filter_map(|s| s.taint.as_ref().map(|t| (s, t)))
    }

    /// Outsiders' text expanded into code (not what only writers choose).
    pub fn outsider_injections(&self) -> impl Iterator<Item = (&SinkSite, &Taint)> {
        self.injections()
            .filter(|(_, t)| t.origin == taint::Origin::Outsider)
    }

    /// Untrusted code runs in the job on a privileged trigger that outsiders can fire.
    pub fn runs_untrusted(&self) -> bool {
        !self.privileged.is_empty()
            && !self.fork_guarded
            && (self.execs.iter().any(|e| e.runs_code)
                || self.outsider_injections().next().is_some())
    }

    /// The first step from which untrusted code runs.
    pub fn first_untrusted_step(&self) -> Option<usize> {
        let e = self.execs.iter().filter(|e| e.runs_code).map(|e| e.step);
        let i = self.outsider_injections().map(|(s, _)| s.step);
        e.chain(i).min()
    }
}

/// The facts of a workflow or action file.
pub struct Facts<'m, 'f> {
    pub m: &'m Model<'f>,
    pub jobs: Vec<JobFacts>,
}

impl<'m, 'f> Facts<'m, 'f> {
    pub fn new(m: &'m Model<'f>) -> Self {
        // Tainted job outputs reach other jobs through `needs.<job>.outputs.*`; a job listed
        // before the one it needs is computed again once those are known (bounded passes).
        let mut needs = taint::Needs::default();
        let mut jobs: Vec<JobFacts> = Vec::new();
        for _ in 0..3 {
            let mut next = needs.clone();
            jobs = m
                .jobs
                .iter()
                .map(|j| {
                    let (f, outs) = job_facts(m, j, &needs);
                    next.tainted.extend(outs);
                    next.clean.extend(
                        f.clean_outputs
                            .iter()
                            .filter(|c| c.starts_with("needs."))
                            .cloned(),
                    );
                    f
                })
                .collect();
            if next == needs {
                break;
            }
            needs = next;
        }
        Facts { m, jobs }
    }

    /// Byte range of a trigger's key for related locations.
    pub fn trigger_bytes(&self, name: &str) -> Range<usize> {
        match self.m.trigger(name) {
            Some(t) => self.m.key_bytes(&t.route),
            None => 0..0,
        }
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

    /// A command's range in step `si` of job `ji`'s decoded `run:` → its source range.
    pub fn run_range(&self, ji: usize, si: usize, r: &Range<usize>) -> Range<usize> {
        let run = self.m.jobs[ji].steps[si].run.as_deref().unwrap_or_default();
        spans::map_range(self.m, &self.jobs[ji].steps[si].run_bytes, run, r)
    }
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
        "curl",
        "wget",
        "iwr",
        "irm",
        "Invoke-",
    ];
    WORDS
        .get_or_init(|| aho_corasick::AhoCorasick::new(KEYWORDS).ok())
        .as_ref()
        .is_none_or(|ac| ac.is_match(run))
}

fn job_facts(
    m: &Model<'_>,
    job: &Job,
    needs: &taint::Needs,
) -> (JobFacts, std::collections::BTreeMap<String, taint::Origin>) {
    let all = m.trigger_names();
    let triggers = reach::restrict_triggers(&all, job.if_cond.as_deref());
    let privileged: Vec<String> = triggers
        .iter()
        .filter(|t| PRIVILEGED.contains(&t.as_str()))
        .cloned()
        .collect();
    let fork_guarded = reach::fork_guard(job.if_cond.as_deref());
    let mut gate = reach::gate_of(job.if_cond.as_deref());

    let mut env = EnvScope::job(m, job, needs);
    let mut steps = Vec::with_capacity(job.steps.len());
    let mut flow = CodeFlow::default();
    let mut sinks = Vec::new();
    for (si, step) in job.steps.iter().enumerate() {
        let scope = env.step(step);
        // A step that fails the job unless the commenter/author is trusted gates what follows.
        if gate.is_none() && flow.sources.is_empty() {
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
        let info = StepFacts::new(m, step, !flow.sources.is_empty());
        flow.step(m, si, step, info.view(), &scope.refs);
        taint::sink_sites(m, si, step, &scope, &mut sinks);
        env.note_outputs(step, &scope);
        steps.push(info);
    }
    let secrets = secret_refs(m, job, &steps);
    let outputs = env.job_outputs(m, job);
    // Other jobs' clean outputs stay in the set: this job's readers of them are quiet too.
    let facts = JobFacts {
        triggers,
        privileged,
        fork_guarded,
        gate,
        sources: flow.sources,
        execs: flow.execs,
        sinks,
        steps,
        secrets,
        clean_outputs: env.clean_outputs,
    };
    (facts, outputs)
}

/// Secrets referenced by the job (and the workflow-level env it inherits).
fn secret_refs(m: &Model<'_>, job: &Job, steps: &[StepFacts]) -> Vec<SecretRef> {
    let mut secrets = Vec::new();
    if !m.env.is_empty() {
        for site in m.sites_in(&m.value_bytes(&vec![Seg::Key("env".into())])) {
            for name in expr::secret_names(m.text(&site.body)) {
                secrets.push(SecretRef {
                    name,
                    bytes: site.range.clone(),
                    step: None,
                    in_run: false,
                });
            }
        }
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
    if !any_secret {
        return secrets;
    }
    for (si, step) in job.steps.iter().enumerate() {
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
    secrets
}
