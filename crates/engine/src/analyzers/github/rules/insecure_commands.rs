//! `github/insecure-commands`: `ACTIONS_ALLOW_UNSECURE_COMMANDS` re-enables the deprecated
//! `::set-env` / `::add-path` workflow commands, which any text printed to the log can issue.

use crate::analyzers::github::model::KeyValue;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubInsecureCommands, check);
const VAR: &str = "ACTIONS_ALLOW_UNSECURE_COMMANDS";

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let mut envs: Vec<&KeyValue> = m.env.iter().collect();
    for job in &m.jobs {
        envs.extend(job.env.iter());
        for s in &job.steps {
            envs.extend(s.env.iter());
        }
    }
    for kv in envs {
        // The runner enables the commands only for a value it reads as true (`yes` does not).
        let v = kv.value.trim().to_ascii_lowercase();
        if !kv.name.eq_ignore_ascii_case(VAR) || !matches!(v.as_str(), "true" | "1") {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.key_bytes(&kv.route),
                format!("`{VAR}` enables `::set-env`/`::add-path`: any output a step prints (a test name, a PR title) can set variables and PATH for the rest of the job"),
            )
            .content(VAR),
        );
    }
    // Set through the env file from a script.
    for (ji, job) in m.jobs.iter().enumerate() {
        for (si, s) in job.steps.iter().enumerate() {
            let Some(run) = s.run.as_deref() else {
                continue;
            };
            if let Some(i) = run.find(&format!("{VAR}=true")) {
                let r = a.run_range(ji, si, &(i..i + VAR.len()));
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        r,
                        format!(
                            "`{VAR}=true` enables `::set-env`/`::add-path` for the following steps"
                        ),
                    )
                    .content(format!("{} {VAR}", job.id)),
                );
            }
        }
    }
}
