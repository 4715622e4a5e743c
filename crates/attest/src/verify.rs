//! Verifying a scan attestation for a deploy gate: signature, payloadType, statement type,
//! subject digest, predicate type, then the policy (verdict, risk, age). Every failure has its
//! own message.

use crate::anykey::PublicKey;
use crate::dsse::{self, DsseError, Envelope, INTOTO_PAYLOAD_TYPE};
use crate::statement::{PREDICATE_TYPE, PREDICATE_TYPES, STATEMENT_TYPE, ScanPredicate, Statement};
use crate::time::{format_duration, parse_rfc3339};

/// What the verifier requires.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `sha256:<hex>` the statement's subject must carry.
    pub digest: String,
    pub max_risk: Option<u8>,
    /// Seconds.
    pub max_age: Option<u64>,
    pub require_verdict: Option<String>,
    /// Unix seconds "now".
    pub now: i64,
}

/// Clock skew tolerated for attestations dated in the future.
const SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Dsse(#[from] DsseError),
    #[error("the signed payload is not a JSON in-toto statement: {0}")]
    StatementJson(String),
    #[error("statement _type is `{0}`, expected `{STATEMENT_TYPE}`")]
    StatementType(String),
    #[error("the statement has no subject with a digest")]
    NoSubject,
    #[error("no subject has digest {wanted}: the attestation is for {found}")]
    SubjectDigest { wanted: String, found: String },
    #[error("predicateType is `{0}`, expected `{PREDICATE_TYPE}` (or v1)")]
    PredicateType(String),
    #[error("the predicate is not a pipeguard scan predicate: {0}")]
    Predicate(String),
    #[error("verdict is `{found}`, but `{required}` is required")]
    Verdict { found: String, required: String },
    #[error("risk score {score} is above the maximum {max}")]
    Risk { score: u8, max: u8 },
    #[error("the attestation is {age} old, older than the maximum age {max} (made {at})")]
    Expired {
        age: String,
        max: String,
        at: String,
    },
    #[error("the attestation is dated in the future ({0})")]
    Future(String),
    #[error("the predicate timestamp `{0}` is not an RFC 3339 time")]
    Timestamp(String),
}

/// The outcome of a successful verification.
#[derive(Clone, Debug)]
pub struct Verified {
    pub statement: Statement,
    pub predicate: ScanPredicate,
}

pub fn verify(env: &Envelope, key: &PublicKey, policy: &Policy) -> Result<Verified, VerifyError> {
    // Only the bytes the signature covers are looked at from here on.
    let payload = dsse::verify_with(env, key, INTOTO_PAYLOAD_TYPE)?;
    let statement: Statement =
        crate::strict::from_slice(&payload).map_err(VerifyError::StatementJson)?;
    if statement.type_ != STATEMENT_TYPE {
        return Err(VerifyError::StatementType(statement.type_));
    }
    let subjects: Vec<String> = statement
        .subject
        .iter()
        .flat_map(|s| {
            s.digest
                .iter()
                .map(|(a, h)| format!("{a}:{}", h.to_ascii_lowercase()))
        })
        .collect();
    if subjects.is_empty() {
        return Err(VerifyError::NoSubject);
    }
    if !subjects.contains(&policy.digest) {
        return Err(VerifyError::SubjectDigest {
            wanted: policy.digest.clone(),
            found: subjects.join(", "),
        });
    }
    if !PREDICATE_TYPES.contains(&statement.predicate_type.as_str()) {
        return Err(VerifyError::PredicateType(statement.predicate_type));
    }
    let predicate: ScanPredicate = serde_json::from_value(statement.predicate.clone())
        .map_err(|e| VerifyError::Predicate(e.to_string()))?;
    if let Some(required) = &policy.require_verdict
        && predicate.verdict != *required
    {
        return Err(VerifyError::Verdict {
            found: predicate.verdict.clone(),
            required: required.clone(),
        });
    }
    if let Some(max) = policy.max_risk
        && predicate.risk_score > max
    {
        return Err(VerifyError::Risk {
            score: predicate.risk_score,
            max,
        });
    }
    let at = parse_rfc3339(&predicate.time)
        .ok_or_else(|| VerifyError::Timestamp(predicate.time.clone()))?;
    if at > policy.now + SKEW_SECS {
        return Err(VerifyError::Future(predicate.time.clone()));
    }
    if let Some(max) = policy.max_age {
        let age = u64::try_from(policy.now - at).unwrap_or(0);
        if age > max {
            return Err(VerifyError::Expired {
                age: format_duration(age),
                max: format_duration(max),
                at: predicate.time.clone(),
            });
        }
    }
    Ok(Verified {
        statement,
        predicate,
    })
}
