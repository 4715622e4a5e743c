//! Jenkins analyzer: Jenkinsfiles (declarative and scripted, parsed by [`groovy`]) and job
//! definitions (`config.xml`, see [`job`]).

use pipeguard_groovy as groovy;
pub mod job;
pub mod model;
pub mod rules;
pub mod sources;
pub mod xml;

use model::{Doc, Model, PrScope};

use crate::analyzers::{Analyzer, CiCredential, Output, ScanContext};
use crate::finding::{Family, Location, RawFinding, Severity};
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
    let script = groovy::parse_recovering(&file.text);
    report_skipped(file, &script.skipped, None, "", cx, out);
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

/// At most this many `jenkins/parse-error` findings for the places skipped in one script; the
/// last one counts the rest.
const MAX_SKIPPED_FINDINGS: usize = 10;

/// A `jenkins/parse-error` finding (low) for each place the parser could not read and skipped,
/// at the position it stopped, naming the lines skipped. The script was still analysed: the file
/// is recovered, not unparsed, so the exit code does not change. `map` maps offsets of an inline
/// job script into its config.xml.
pub(crate) fn report_skipped(
    file: &SourceFile,
    skipped: &[groovy::Skipped],
    map: Option<&groovy::OffsetMap>,
    what: &str,
    cx: &ScanContext<'_>,
    out: &mut Output,
) {
    if skipped.is_empty() || !cx.enabled(rules::PARSE_ERROR) {
        return;
    }
    let m = |r: std::ops::Range<usize>| map.map_or(r.clone(), |m| m.map_range(&r));
    for (i, s) in skipped.iter().enumerate().take(MAX_SKIPPED_FINDINGS) {
        let at = m(s.at..s.at).start;
        let stop = file.position(at);
        // The finding points at the start of what was skipped; the message says where the
        // parser stopped when that is elsewhere (a missing `)` noticed lines later).
        let (start, what_skipped) = if s.span.is_empty() {
            (at, "nothing skipped".to_string())
        } else {
            let r = m(s.span.clone());
            let a = file.position(r.start).line;
            let b = file.position(r.end.saturating_sub(1).max(r.start)).line;
            let lines = if a == b {
                format!("line {a}")
            } else {
                format!("lines {a}–{b}")
            };
            (r.start, format!("skipped {lines}"))
        };
        let stopped = if file.position(start) == stop {
            String::new()
        } else {
            format!(" at {}:{}", stop.line, stop.column)
        };
        let more = match skipped.len() - i {
            n if i + 1 == MAX_SKIPPED_FINDINGS && n > 1 => {
                format!("; {} more unreadable place(s) in this file", n - 1)
            }
            _ => String::new(),
        };
        out.push(
            RawFinding::new(
                rules::PARSE_ERROR,
                file,
                start..start,
                format!(
                    "{what}could not parse{stopped}: {}; {what_skipped} and analysed the rest of the file{more}",
                    s.message
                ),
            )
            .severity(Severity::Low)
            .content(format!("parse-error {what}{}", s.message))
            .property("recovered", "true"),
        );
    }
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
