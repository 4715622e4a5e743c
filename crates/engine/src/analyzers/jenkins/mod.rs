//! Jenkins analyzer: Jenkinsfiles (declarative and scripted, parsed by [`groovy`]) and job
//! definitions (`config.xml`, see [`job`]).

use pipeguard_groovy as groovy;
pub mod job;
pub mod model;
pub mod rules;
pub mod xml;

use model::{Doc, Model, PrScope};

use crate::analyzers::{Analyzer, CiCredential, Output, ScanContext};
use crate::finding::{Family, Location};
use crate::source::FileKind;
use crate::source::SourceFile;

pub struct JenkinsAnalyzer;

impl Analyzer for JenkinsAnalyzer {
    fn family(&self) -> Family {
        Family::Jenkins
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::ids().collect()
    }

    fn accepts(&self, kind: FileKind) -> bool {
        matches!(kind, FileKind::Jenkinsfile | FileKind::JenkinsJob)
    }

    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
        match file.kind {
            FileKind::Jenkinsfile => analyze_jenkinsfile(file, cx, out),
            FileKind::JenkinsJob => job::analyze(file, cx, out),
            _ => {}
        }
    }
}

fn analyze_jenkinsfile(file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
    let script = match groovy::parse(&file.text) {
        Ok(s) => s,
        Err(e) => {
            if cx.enabled(rules::PARSE_ERROR) {
                out.parse_error(Family::Jenkins, file, e.at, e.message);
            } else {
                out.unparsed.push(file.path.clone());
            }
            return;
        }
    };
    let m = model::build(&script);
    let doc = Doc {
        file,
        text: &file.text,
        map: None,
        job: None,
        extra_triggers: Vec::new(),
    };
    rules::run_pipeline(&doc, &m, cx, out);
    let triggers = pipeline_triggers(&m, &[]);
    credential_records(&doc, &m, &triggers, out);
}

/// What starts a pipeline: a Jenkinsfile is built by a multibranch job (branches, and change
/// requests when the script handles them), plus its declared `triggers {}` and the job's.
pub(crate) fn pipeline_triggers(m: &Model, job_triggers: &[String]) -> Vec<String> {
    let mut t: Vec<String> = job_triggers.to_vec();
    if job_triggers.is_empty() {
        t.push("branch".into());
    }
    if m.pr_aware {
        t.push("change-request".into());
    }
    t.extend(m.triggers.iter().cloned());
    t.sort();
    t.dedup();
    t
}

/// One CiCredential per literal credential id and scope.
pub(crate) fn credential_records(doc: &Doc<'_>, m: &Model, triggers: &[String], out: &mut Output) {
    for b in &m.bindings {
        let Some(id) = &b.id else { continue };
        let untrusted = match b.scope.pr {
            PrScope::OnlyPr => true,
            PrScope::Any => m.pr_aware,
            PrScope::NoPr => false,
        };
        let stage = b.scope.stage.clone();
        let job = match (&doc.job, stage) {
            (Some(j), Some(s)) => format!("{j}#{s}"),
            (Some(j), None) => j.clone(),
            (None, Some(s)) => s,
            (None, None) => "pipeline".into(),
        };
        out.credentials.push(CiCredential {
            system: "jenkins".into(),
            name: id.clone(),
            path: doc.file.path.clone(),
            job,
            triggers: triggers.to_vec(),
            untrusted,
            location: Location::new(&doc.file.path, doc.file.span(doc.range(&b.span))),
        });
    }
}
