//! Job definitions (`config.xml` of a JENKINS_HOME-style tree): freestyle `project`,
//! pipeline `flow-definition`, `WorkflowMultiBranchProject`, organisation folders. Inline
//! pipeline scripts are analysed like Jenkinsfiles with spans mapped back into the XML; shell
//! builders are classified for pushes/deploys; fork-PR trust and sandboxing are checked.

use super::model::{self, Binding, Doc, Event, EventKind, Model, PrScope, Scope};
use super::rules::{self, hardcoded_credentials, webhook_injection};
use super::xml::{self, Element};
use super::{credential_records, pipeline_triggers, report_skipped};
use crate::analyzers::common::secrets::is_secret_name;
use crate::analyzers::{Output, ScanContext};
use crate::finding::Family;
use crate::source::SourceFile;
use pipeguard_groovy as groovy;
use pipeguard_shell::{self as shell, classify};

/// `jobs/team/jobs/app/config.xml` → `team/app`; otherwise the parent directory's name.
pub fn job_name(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let mut names = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if *p == "jobs"
            && let Some(n) = parts.get(i + 1)
            && i + 2 < parts.len()
        {
            names.push(*n);
        }
    }
    if names.is_empty() {
        if parts.len() >= 2 {
            return parts[parts.len() - 2].to_string();
        }
        return path.to_string();
    }
    names.join("/")
}

/// Triggers of a job: its `<triggers>` (short class names), and for branch sources what they
/// discover (`branch`, `change-request`).
fn triggers(root: &Element) -> Vec<String> {
    let mut out = Vec::new();
    root.walk("", &mut |el, _| {
        if el.name == "triggers" {
            for t in &el.children {
                out.push(t.short_name().to_string());
            }
        }
        let n = el.short_name();
        if n.ends_with("PullRequestDiscoveryTrait") || n.contains("ForkPullRequest") {
            out.push("change-request".into());
        }
        if n.ends_with("BranchDiscoveryTrait") {
            out.push("branch".into());
        }
    });
    out.sort();
    out.dedup();
    out
}

/// Triggers that start builds of pull-request code.
fn pr_trigger(t: &str) -> bool {
    t == "change-request"
        || t.contains("Ghprb")
        || t.contains("PullRequest")
        || t.contains("MergeRequest")
        || t == "GitLabPushTrigger"
}

pub fn analyze(file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
    let root = match xml::parse(&file.text) {
        Ok(r) => r,
        Err(e) => {
            if cx.enabled(rules::PARSE_ERROR) {
                out.parse_error(Family::Jenkins, file, e.at, e.message);
            } else {
                out.unparsed.push(file.path.clone());
            }
            return;
        }
    };
    let job = job_name(&file.path);
    let trig = triggers(&root);
    let pr_built = trig.iter().any(|t| pr_trigger(t));
    let multibranch = root.name.ends_with("WorkflowMultiBranchProject")
        || root.name.ends_with("OrganizationFolder");

    let webhook_vars = webhook_injection::job_webhook_vars(&root);
    for r in rules::JOB_RULES {
        if crate::limits::budget_exceeded() {
            break;
        }
        if cx.enabled(r.id) {
            (r.check)(file, &root, &job, out);
        }
    }

    // Inline pipeline script.
    if let Some(def) = root.child("definition")
        && def
            .attr("class")
            .is_some_and(|c| c.contains("CpsFlowDefinition"))
        && let Some(script) = def.child("script")
    {
        let jc = JobContext {
            job: &job,
            trig: &trig,
            pr_built,
            webhook_vars: &webhook_vars,
        };
        analyze_script(file, script, &jc, cx, out);
    }

    // Freestyle: shell builders, credential bindings, plain-text secrets.
    let mut m = Model {
        pr_aware: pr_built,
        ..Model::default()
    };
    let scope = Scope {
        stage: None,
        pr: PrScope::Any,
        pr_span: None,
        cred_vars: Vec::new(),
        method: None,
    };
    let mut secrets = Vec::new();
    root.walk("", &mut |el, parent| {
        let short = el.short_name();
        if matches!(short, "Shell" | "BatchFile" | "PowerShell")
            && let Some(cmd) = el.child("command")
        {
            if !webhook_vars.is_empty() && cx.enabled(webhook_injection::ID) {
                webhook_injection::shell_builder(
                    file,
                    &cmd.text,
                    &cmd.text_map,
                    short,
                    &webhook_vars,
                    out,
                );
            }
            let parsed = shell::parse(&cmd.text);
            for a in classify::classify(&parsed) {
                let kind = match a.kind {
                    classify::Kind::ImageScan => EventKind::Scan,
                    classify::Kind::ImageBuild => EventKind::Build,
                    classify::Kind::ImagePush => EventKind::Push,
                    classify::Kind::Deploy => EventKind::Deploy,
                    _ => continue,
                };
                let Some(c) = parsed.commands.get(a.command) else {
                    continue;
                };
                m.events.push(Event {
                    kind,
                    tool: a.tool,
                    span: cmd.text_map.map_range(&c.span),
                    scope: scope.clone(),
                });
            }
        }
        if el.name == "credentialsId" && !multibranch {
            let (id, span) = el.trimmed();
            if !id.is_empty() {
                m.bindings.push(Binding {
                    id: Some(id.to_string()),
                    span,
                    vars: Vec::new(),
                    how: parent.rsplit('.').next().unwrap_or(parent).to_string(),
                    scope: scope.clone(),
                });
            }
        }
        let password_param =
            el.name == "defaultValue" && parent.ends_with("PasswordParameterDefinition");
        if (is_secret_name(&el.name) || password_param) && el.children.is_empty() {
            let (v, span) = el.trimmed();
            if !v.is_empty() && !encrypted(v) && !model::not_a_secret(&el.name, v) {
                secrets.push((el.name.clone(), span));
            }
        }
    });
    let doc = Doc {
        file,
        text: &file.text,
        map: None,
        job: Some(job.clone()),
        extra_triggers: trig.clone(),
    };
    // Only bindings run the pipeline/freestyle rules here; the env/steps lists stay empty.
    rules::run_pipeline(&doc, &m, cx, out);
    if cx.enabled(hardcoded_credentials::ID) {
        for (name, span) in secrets {
            hardcoded_credentials::xml_secret(file, &name, span, out);
        }
    }
    credential_records(&doc, &m, &trig, out);
}

/// `{AQAAABAAAAAQ…}`: a value Jenkins encrypted with its master key.
fn encrypted(v: &str) -> bool {
    v.len() > 2
        && v.starts_with('{')
        && v.ends_with('}')
        && v[1..v.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
}

/// What the job's XML says around its inline script.
struct JobContext<'a> {
    job: &'a str,
    trig: &'a [String],
    pr_built: bool,
    webhook_vars: &'a model::WebhookVars,
}

fn analyze_script(
    file: &SourceFile,
    script: &Element,
    jc: &JobContext<'_>,
    cx: &ScanContext<'_>,
    out: &mut Output,
) {
    let JobContext {
        job,
        trig,
        pr_built,
        webhook_vars,
    } = *jc;
    let text = &script.text;
    let parsed = groovy::parse_recovering(text);
    report_skipped(
        file,
        &parsed.skipped,
        Some(&script.text_map),
        "inline pipeline script: ",
        cx,
        out,
    );
    let mut m = model::build_with(&parsed, webhook_vars.clone());
    m.pr_aware |= pr_built;
    let doc = Doc {
        file,
        text,
        map: Some(&script.text_map),
        job: Some(job.to_string()),
        extra_triggers: trig.to_vec(),
    };
    rules::run_pipeline(&doc, &m, cx, out);
    let all = pipeline_triggers(&m, trig);
    credential_records(&doc, &m, &all, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_from_jenkins_home_paths() {
        assert_eq!(job_name("jobs/app/config.xml"), "app");
        assert_eq!(job_name("home/jobs/team/jobs/app/config.xml"), "team/app");
        assert_eq!(job_name("x/config.xml"), "x");
        assert_eq!(job_name("config.xml"), "config.xml");
    }

    #[test]
    fn encrypted_values() {
        assert!(encrypted("{AQAAABAAAAAQabc+/=}"));
        assert!(!encrypted("hunter22"));
    }
}
