//! `pipeguard registry audit`: the images of a registry repository judged by their pipeguard
//! attestations, as findings of the `registry/*` rules in the usual Report (every output format).
//! The network side is in the `pipeguard-oci` crate; this module only turns its results into raw
//! findings, which `engine::registry_audit` hands to the one engine tail.

use crate::finding::{Location, RawFinding};
use crate::rules::RuleId;

pub const UNATTESTED: &str = RuleId::RegistryUnattestedImage.as_str();
pub const INVALID: &str = RuleId::RegistryInvalidAttestation.as_str();
pub const FAILING: &str = RuleId::RegistryFailingAttestation.as_str();

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

/// The raw findings of an audit: one per image that does not pass.
pub fn findings(images: &[AuditedImage]) -> Vec<RawFinding> {
    images.iter().filter_map(finding).collect()
}
