//! `github/insecure-commands`: `ACTIONS_ALLOW_UNSECURE_COMMANDS` re-enables the deprecated
//! `::set-env` / `::add-path` workflow commands, which any text printed to the log can issue.

use serde_yaml::Value;

use crate::analyzers::github::model::{KeyValue, Seg, route_with, scalar};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Persona, RawFinding};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubInsecureCommands, check);
const VAR: &str = "ACTIONS_ALLOW_UNSECURE_COMMANDS";

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
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
    // `env: ${{ matrix.K }}` whose matrix entries set the variable (auditor: the whole `env:`
    // is computed, so what it sets is only visible in the matrix).
    if cx.persona() >= Persona::Auditor {
        for job in &m.jobs {
            let routes = std::iter::once(job.route.clone()).chain(job.steps.iter().map(|s| s.route.clone()));
            for route in routes {
                let Some(Value::String(env)) = m.value_at(&route).and_then(|v| v.get("env")) else {
                    continue;
                };
                let inner = env.trim().trim_start_matches("${{").trim_end_matches("}}").trim();
                let Some(key) = inner.strip_prefix("matrix.") else { continue };
                let Some(entries) = m
                    .value_at(&job.route)
                    .and_then(|j| j.get("strategy"))
                    .and_then(|s| s.get("matrix"))
                    .and_then(|mx| mx.get(key))
                    .and_then(Value::as_sequence)
                else {
                    continue;
                };
                let sets = entries.iter().any(|e| {
                    e.as_mapping().is_some_and(|mp| {
                        mp.iter().any(|(k, v)| {
                            scalar(k).is_some_and(|k| k.eq_ignore_ascii_case(VAR))
                                && scalar(v).is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1"))
                        })
                    })
                });
                if sets {
                    out.push(
                        RawFinding::new(
                            ID,
                            m.file,
                            m.value_bytes(&route_with(&route, Seg::Key("env".into()))),
                            format!("`env: {}` sets `{VAR}` from the matrix, enabling `::set-env`/`::add-path`", env.trim()),
                        )
                        .persona(Persona::Auditor)
                        .content(format!("{} matrix {VAR}", job.id)),
                    );
                }
            }
        }
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
