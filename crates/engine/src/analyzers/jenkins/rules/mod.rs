//! Jenkins rules, one per file. Pipeline rules read the script [`Model`]; job rules
//! (`untrusted_pr_trust`, `sandbox_disabled`, job-XML parts of others) are called by the
//! config.xml analysis in `../job.rs`.

pub mod ci_deploys;
pub mod credentials_on_pr;
pub mod groovy_interpolation_secret;
pub mod hardcoded_credentials;
pub mod push_without_scan;
pub mod sandbox_disabled;
pub mod script_injection;
pub mod untrusted_pr_trust;

use super::model::{Doc, Model};
use crate::analyzers::{Output, ScanContext};

pub const PARSE_ERROR: &str = "jenkins/parse-error";

type Check = fn(&Doc<'_>, &Model, &mut Output);

/// Rules over a parsed pipeline script.
const PIPELINE_RULES: &[(&str, Check)] = &[
    (credentials_on_pr::ID, credentials_on_pr::check),
    (
        groovy_interpolation_secret::ID,
        groovy_interpolation_secret::check,
    ),
    (script_injection::ID, script_injection::check),
    (hardcoded_credentials::ID, hardcoded_credentials::check),
    (push_without_scan::ID, push_without_scan::check),
    (ci_deploys::ID, ci_deploys::check),
];

pub const IDS: &[&str] = &[
    PARSE_ERROR,
    untrusted_pr_trust::ID,
    credentials_on_pr::ID,
    groovy_interpolation_secret::ID,
    script_injection::ID,
    hardcoded_credentials::ID,
    push_without_scan::ID,
    ci_deploys::ID,
    sandbox_disabled::ID,
];

pub fn run_pipeline(doc: &Doc<'_>, model: &Model, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in PIPELINE_RULES {
        if cx.enabled(id) {
            check(doc, model, out);
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
