//! `pipeguard registry audit`: the images of a registry repository judged by their pipeguard
//! attestations, as findings of the `registry/*` rules in the usual Report (every output format).
//! The network side is in the `pipeguard-oci` crate; this module only turns its results into a
//! report.

use std::collections::HashMap;

use crate::finding::{Location, RawFinding};
use crate::policy::config::{Config, FailOn};
use crate::policy::{self, PolicyInput};
use crate::report::{FileStats, Report, SCHEMA_VERSION, Tool, rules_of};
use crate::rules::Registry;

pub const UNATTESTED: &str = "registry/unattested-image";
pub const INVALID: &str = "registry/invalid-attestation";
pub const FAILING: &str = "registry/failing-attestation";
pub const IDS: &[&str] = &[UNATTESTED, INVALID, FAILING];

/// What the audit found for one image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageStatus {
    /// A valid, passing, in-threshold pipeguard attestation.
    Passed,
    /// No pipeguard attestation (`others`: attestations of other predicate types).
    Unattested { others: usize },
    /// pipeguard attestations that do not verify (signature, key, subject, unreadable).
    Invalid(Vec<String>),
    /// Valid attestations whose verdict, risk score or age the policy refuses.
    Failing(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct AuditedImage {
    /// `registry/repository`.
    pub repository: String,
    /// `sha256:HEX`.
    pub digest: String,
    pub tags: Vec<String>,
    pub status: ImageStatus,
}

fn finding(img: &AuditedImage) -> Option<RawFinding> {
    let tags = if img.tags.is_empty() {
        String::new()
    } else {
        format!(
            " (tag{} {})",
            if img.tags.len() == 1 { "" } else { "s" },
            img.tags.join(", ")
        )
    };
    let what = format!("{}@{}{tags}", img.repository, img.digest);
    let (rule, message) = match &img.status {
        ImageStatus::Passed => return None,
        ImageStatus::Unattested { others } => (
            UNATTESTED,
            format!(
                "{what} has no pipeguard attestation{}",
                if *others > 0 {
                    format!(" ({others} attestation(s) of other predicate types)")
                } else {
                    String::new()
                }
            ),
        ),
        ImageStatus::Invalid(why) => (
            INVALID,
            format!(
                "{what}: no pipeguard attestation verifies: {}",
                why.join("; ")
            ),
        ),
        ImageStatus::Failing(why) => (
            FAILING,
            format!("{what}: the attestation does not pass: {}", why.join("; ")),
        ),
    };
    // One finding per image: the path is the image by digest, so it stays put when tags move.
    let mut f = RawFinding::at(
        rule,
        Location::file(&format!("{}@{}", img.repository, img.digest)),
        message,
    );
    f = f.content(&img.digest);
    Some(f)
}

/// The report of an audit of `repository` (`root` in the report).
pub fn report(
    repository: &str,
    images: &[AuditedImage],
    registry: &Registry,
    config: &Config,
    fail_on: FailOn,
) -> Report {
    // The policy as `engine::finish` applies it (not called: the engine lists these rule ids,
    // so this module may not depend on it).
    let outcome = policy::apply(
        images.iter().filter_map(finding).collect(),
        &PolicyInput {
            registry,
            config,
            suppressions: &HashMap::new(),
            baseline: None,
            fail_on,
            max_risk: None,
        },
    );
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::current(),
        root: repository.to_string(),
        rules: rules_of(registry, &outcome.findings),
        summary: outcome.summary,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        diagnostics: Vec::new(),
        files: FileStats {
            scanned: images.len(),
            ..FileStats::default()
        },
        credentials: Vec::new(),
        drift: Vec::new(),
    }
}
