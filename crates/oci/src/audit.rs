//! Judging what a registry holds: the pipeguard attestations of one image (for `verify
//! --image`), and every image of a repository (`registry audit`).

use pipeguard_attest::anykey::PublicKey;
use pipeguard_attest::statement::PREDICATE_TYPES;
use pipeguard_attest::verify::{self, Policy, Verified, VerifyError};

use crate::attach::{self, Found, Layout};
use crate::client::Client;
use crate::manifest::ACCEPT_ALL;
use crate::reference::Reference;

/// The outcome for one image digest.
#[derive(Debug)]
pub struct Evaluation {
    /// The first attestation that passed every check.
    pub passed: Option<(Layout, Verified)>,
    /// Each pipeguard candidate that did not pass, and why.
    pub failures: Vec<(Layout, Failure)>,
    /// Attestations of other predicate types (other tools), left alone.
    pub others: usize,
}

#[derive(Debug, Clone)]
pub enum Failure {
    /// Could not be read (digest mismatch, not JSON, a referrer for another subject…).
    Unreadable(String),
    /// Read, but did not verify or did not meet the policy.
    Verify(VerifyError),
}

impl Failure {
    /// Valid, signed by the key, for this image — but the policy refuses it (verdict, risk,
    /// age). Everything else means the attestation itself is not to be trusted.
    pub fn is_policy(&self) -> bool {
        matches!(
            self,
            Failure::Verify(
                VerifyError::Verdict { .. }
                    | VerifyError::Risk { .. }
                    | VerifyError::Expired { .. }
            )
        )
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreadable(s) => f.write_str(s),
            Failure::Verify(e) => write!(f, "{e}"),
        }
    }
}

/// Verify every candidate: attestations whose predicateType hint is pipeguard's (or absent).
/// The hint only picks candidates; the signed statement's own predicateType is what counts.
pub fn evaluate(found: Vec<Found>, key: &PublicKey, policy: &Policy) -> Evaluation {
    let mut eval = Evaluation {
        passed: None,
        failures: Vec::new(),
        others: 0,
    };
    for f in found {
        if f.predicate_type
            .as_deref()
            .is_some_and(|t| !PREDICATE_TYPES.contains(&t))
        {
            eval.others += 1;
            continue;
        }
        match f.envelope {
            Err(e) => eval.failures.push((f.layout, Failure::Unreadable(e))),
            Ok(env) => match verify::verify(&env, key, policy) {
                Ok(v) => {
                    if eval.passed.is_none() {
                        eval.passed = Some((f.layout, v));
                    }
                }
                Err(e) => eval.failures.push((f.layout, Failure::Verify(e))),
            },
        }
    }
    eval
}

/// One image (manifest or index digest) of a repository and the tags naming it.
#[derive(Debug)]
pub struct ImageResult {
    pub digest: String,
    pub tags: Vec<String>,
    pub evaluation: Evaluation,
}

/// Every tagged image of `repo` (cosign artefact and referrers tags excluded), judged against
/// `key` and `policy` (its `digest` is replaced per image).
pub async fn audit_repository(
    client: &Client,
    repo: &Reference,
    key: &PublicKey,
    policy: &Policy,
) -> anyhow::Result<Vec<ImageResult>> {
    let tags = client.tags(repo).await?;
    let mut by_digest: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for t in tags.iter().filter(|t| !attach::is_artifact_tag(t)) {
        let Some(m) = client.get_manifest(repo, t, &ACCEPT_ALL).await? else {
            // Deleted between the listing and now.
            continue;
        };
        by_digest.entry(m.digest).or_default().push(t.clone());
    }
    let mut out = Vec::new();
    for (digest, tags) in by_digest {
        let found = attach::fetch(client, repo, &digest).await?;
        let mut p = policy.clone();
        p.digest.clone_from(&digest);
        out.push(ImageResult {
            evaluation: evaluate(found, key, &p),
            digest,
            tags,
        });
    }
    Ok(out)
}
