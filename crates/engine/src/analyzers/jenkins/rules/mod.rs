//! Jenkins rules, one per file. Pipeline rules read the script [`Model`]; job rules
//! (`untrusted_pr_trust`, `sandbox_disabled`, job-XML parts of others) are called by the
//! config.xml analysis in `../job.rs`.

use super::model::{Doc, Model};
use super::xml::Element;
use crate::analyzers::rule::{self, declare_rules};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;
use crate::source::SourceFile;

pub const PARSE_ERROR: RuleId = RuleId::JenkinsParseError;

/// A rule over a parsed pipeline script.
type Check = fn(&Doc<'_>, &Model, &mut Output);
/// A rule over a job's config.xml (called by the job analysis in `../job.rs`).
type JobCheck = fn(&SourceFile, &Element, &str, &mut Output);

declare_rules! {
    PIPELINE_RULES: Check = [
        credentials_on_pr,
        groovy_interpolation_secret,
        script_injection,
        webhook_injection,
        hardcoded_credentials,
        push_without_scan,
        ci_deploys,
        pr_controlled_load,
        approval_without_submitter,
    ];
    JOB_RULES: JobCheck = [untrusted_pr_trust, untrusted_pr_trigger, sandbox_disabled];
}

/// Every rule id the family reports, `jenkins/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(PARSE_ERROR, PIPELINE_RULES).chain(JOB_RULES.iter().map(|r| r.id.as_str()))
}

pub fn run_pipeline(doc: &Doc<'_>, model: &Model, cx: &ScanContext<'_>, out: &mut Output) {
    for r in PIPELINE_RULES {
        if crate::limits::budget_exceeded() {
            break;
        }
        if cx.enabled(r.id) {
            (r.check)(doc, model, out);
        }
    }
}

/// "stage `x`", "job `y`" or "the pipeline", for messages.
pub(crate) fn where_(doc: &Doc<'_>, stage: Option<&String>) -> String {
    match (stage, &doc.job) {
        (Some(s), _) => format!("stage `{s}`"),
        (None, Some(j)) => format!("job `{j}`"),
        (None, None) => "the pipeline".to_string(),
    }
}
