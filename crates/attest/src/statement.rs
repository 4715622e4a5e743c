//! The in-toto Statement v1 and pipeguard's scan predicate (versioned by its type URI).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Our predicate, as written now; a breaking change to `ScanPredicate` gets a new version in
/// this URI. v2 (docs/predicate.schema.json) renamed `timestamp` to `time` and added the
/// top-level `policyDigest`, `repository` and `commit` that admission policies match on.
pub const PREDICATE_TYPE: &str = "https://pipeguard.dev/attestation/scan/v2";
/// The first version, still verified (attestations made before v2 stay valid).
pub const PREDICATE_TYPE_V1: &str = "https://pipeguard.dev/attestation/scan/v1";
/// Every predicate type `verify` accepts.
pub const PREDICATE_TYPES: [&str; 2] = [PREDICATE_TYPE, PREDICATE_TYPE_V1];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(default)]
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// `{"sha256": HEX}`.
pub type DigestSet = BTreeMap<String, String>;

pub fn sha256_set(hex: &str) -> DigestSet {
    BTreeMap::from([("sha256".to_string(), hex.to_string())])
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanPredicate {
    pub tool: Tool,
    /// RFC 3339 UTC time the attestation was made (`timestamp` in v1).
    #[serde(rename = "time", alias = "timestamp")]
    pub time: String,
    /// `pass` or `fail`.
    pub verdict: String,
    /// 0 (clean) – 100.
    pub risk_score: u8,
    pub fail_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_risk: Option<u8>,
    /// Reported findings per severity (critical, high, medium, low, info).
    pub counts: BTreeMap<String, u64>,
    pub total: u64,
    /// Per family: findings per severity and whether the family alone passes `failOn`.
    pub families: BTreeMap<String, FamilyResult>,
    /// Some file could not be analysed.
    #[serde(default)]
    pub incomplete: bool,
    pub rule_catalogue: Digested,
    pub config: ConfigRef,
    /// `sha256:HEX` of the policy in force (`config.digest` as one string; v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
    /// The source repository (origin URL without credentials; v2, `source.repository`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The source commit (v2, `source.commit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// Present when the verdict was read from a JSON report (`--scan-report`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_report: Option<Digested>,
    /// From `.pipeguard/jobs.lock`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<JobsRef>,
    /// The `pipeguard gate --decision-file` decision, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_decision: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyResult {
    pub verdict: String,
    pub total: u64,
    pub counts: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub digest: DigestSet,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRef {
    /// Where the policy came from (a path, `REF:path`), or none for built-in defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub digest: DigestSet,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The work tree had uncommitted changes to tracked files.
    #[serde(default)]
    pub dirty: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsRef {
    pub lock: Digested,
    pub fingerprints: Vec<JobFingerprint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFingerprint {
    pub source: String,
    pub id: String,
    pub fingerprint: String,
}

impl Statement {
    pub fn new(subject: Subject, predicate: &ScanPredicate) -> Statement {
        Statement {
            type_: STATEMENT_TYPE.into(),
            subject: vec![subject],
            predicate_type: PREDICATE_TYPE.into(),
            // Plain data: serialising cannot fail.
            predicate: serde_json::to_value(predicate).unwrap_or(Value::Null),
        }
    }

    /// The exact payload bytes that get signed: compact JSON; statement fields in declaration
    /// order, predicate keys sorted (it is held as a JSON value).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
