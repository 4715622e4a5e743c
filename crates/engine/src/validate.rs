//! Liveness of found secrets (`scan --validate`). The engine links no network crate: the command
//! supplies a [`SecretValidator`] (the `pipeguard-validate` crate), the engine hands it each unique
//! secret once and records its answer on every finding of that secret before the policy runs.
//! What a validator answers is a status and a short detail; both still go through the one
//! redaction pass with the rest of the report.

use std::collections::{BTreeMap, HashMap};

use crate::finding::{RawFinding, Severity};

/// What the provider said of a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The provider accepted it: anyone holding it can use it now.
    Live,
    /// The provider refused it: revoked, expired or never valid.
    Revoked,
    /// No answer that decides: no check exists for this kind, a companion value is missing, the
    /// request failed, timed out or was rate-limited.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Revoked => "revoked",
            Status::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "live" => Some(Status::Live),
            "revoked" => Some(Status::Revoked),
            "unknown" => Some(Status::Unknown),
            _ => None,
        }
    }
}

/// One unique secret to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub rule_id: String,
    pub value: String,
    /// The other secrets found in the same files, by rule (an AWS secret access key needs its
    /// access key id; a Twilio API key its secret).
    pub companions: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    /// Why, in a few words (`GitHub: 401 to GET /user`); never the secret.
    pub detail: String,
}

impl Verdict {
    pub fn unknown(detail: impl Into<String>) -> Verdict {
        Verdict {
            status: Status::Unknown,
            detail: detail.into(),
        }
    }
}

/// Checks secrets with their providers. One verdict per candidate, in order.
pub trait SecretValidator: Sync {
    fn validate(&self, candidates: &[Candidate]) -> Vec<Verdict>;
}

/// The secret a secrets finding is about (its first marked value).
fn secret_of(f: &RawFinding) -> Option<&str> {
    if !f.rule_id.starts_with("secrets/") {
        return None;
    }
    f.secret_values().first().map(String::as_str)
}

/// Ask `validator` about every unique secret of `findings` (all parts of a run) and record the
/// answer as the `validation` / `validation_detail` properties and in the message.
pub fn annotate(findings: &mut [&mut RawFinding], validator: &dyn SecretValidator) {
    // The secrets of each file, for the companions.
    let mut by_path: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for f in findings.iter() {
        if let Some(v) = secret_of(f) {
            by_path
                .entry(f.location.path.as_str())
                .or_default()
                .push((f.rule_id.clone(), v.to_string()));
        }
    }
    // BTreeMap: candidates in a stable order, whatever the order of the parts.
    let mut unique: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for f in findings.iter() {
        if let Some(v) = secret_of(f) {
            let companions = unique
                .entry((f.rule_id.clone(), v.to_string()))
                .or_default();
            for c in by_path.get(f.location.path.as_str()).into_iter().flatten() {
                if c.1 != v && !companions.contains(c) {
                    companions.push(c.clone());
                }
            }
        }
    }
    let candidates: Vec<Candidate> = unique
        .into_iter()
        .map(|((rule_id, value), mut companions)| {
            companions.sort();
            Candidate {
                rule_id,
                value,
                companions,
            }
        })
        .collect();
    if candidates.is_empty() {
        return;
    }
    let verdicts = validator.validate(&candidates);
    let answers: HashMap<(&str, &str), &Verdict> = candidates
        .iter()
        .zip(verdicts.iter())
        .map(|(c, v)| ((c.rule_id.as_str(), c.value.as_str()), v))
        .collect();
    for f in findings.iter_mut() {
        let Some(v) = secret_of(f) else { continue };
        let verdict = answers
            .get(&(f.rule_id.as_str(), v))
            .map_or_else(|| Verdict::unknown("not checked"), |v| (*v).clone());
        f.message = format!(
            "{} — {}: {}",
            f.message,
            verdict.status.as_str(),
            verdict.detail
        );
        f.properties
            .insert("validation".into(), verdict.status.as_str().into());
        f.properties
            .insert("validation_detail".into(), verdict.detail.clone());
    }
}

/// The severity a finding gets from its validation: a live secret is critical whatever the rule
/// says (anyone can use it now); a revoked one drops a level (it still has to be removed, it
/// cannot be used). Unknown leaves it.
pub fn severity_after(severity: Severity, properties: &BTreeMap<String, String>) -> Severity {
    match properties.get("validation").and_then(|s| Status::parse(s)) {
        Some(Status::Live) => Severity::Critical,
        Some(Status::Revoked) => match severity {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            other => other,
        },
        _ => severity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileKind, SourceFile};
    use std::sync::Mutex;

    struct Recorder {
        seen: Mutex<Vec<Candidate>>,
    }

    impl SecretValidator for Recorder {
        fn validate(&self, candidates: &[Candidate]) -> Vec<Verdict> {
            if let Ok(mut s) = self.seen.lock() {
                s.extend(candidates.iter().cloned());
            }
            candidates
                .iter()
                .map(|c| Verdict {
                    status: if c.value.ends_with('1') {
                        Status::Live
                    } else {
                        Status::Revoked
                    },
                    detail: format!("checked {}", c.rule_id),
                })
                .collect()
        }
    }

    fn finding(rule: &str, path: &str, text: &str) -> RawFinding {
        let file = SourceFile::new(path.to_string(), FileKind::Other, text.to_string());
        RawFinding::new(rule, &file, 0..text.len(), "Key in plain text")
            .redact(&file, 0..text.len())
    }

    #[test]
    fn each_unique_secret_is_checked_once_with_its_companions() {
        let mut a = finding("secrets/aws-secret-access-key", "a.env", "secretvalue1");
        let mut b = finding("secrets/aws-access-key-id", "a.env", "AKIAKEYID0");
        let mut c = finding("secrets/aws-secret-access-key", "copy.env", "secretvalue1");
        let mut d = finding("docker/root-user", "Dockerfile", "USER root");
        let rec = Recorder {
            seen: Mutex::new(Vec::new()),
        };
        annotate(&mut [&mut a, &mut b, &mut c, &mut d], &rec);
        let seen = rec.seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].rule_id, "secrets/aws-access-key-id");
        assert_eq!(
            seen[1].companions,
            vec![(
                "secrets/aws-access-key-id".to_string(),
                "AKIAKEYID0".to_string()
            )]
        );
        assert_eq!(
            a.properties.get("validation").map(String::as_str),
            Some("live")
        );
        assert_eq!(
            c.properties.get("validation").map(String::as_str),
            Some("live")
        );
        assert_eq!(
            b.properties.get("validation").map(String::as_str),
            Some("revoked")
        );
        assert!(
            a.message
                .ends_with("— live: checked secrets/aws-secret-access-key")
        );
        assert!(!d.properties.contains_key("validation"));
    }

    #[test]
    fn live_is_critical_and_revoked_drops_a_level() {
        let mut p = BTreeMap::new();
        assert_eq!(severity_after(Severity::Medium, &p), Severity::Medium);
        p.insert("validation".to_string(), "live".to_string());
        assert_eq!(severity_after(Severity::Medium, &p), Severity::Critical);
        p.insert("validation".to_string(), "revoked".to_string());
        assert_eq!(severity_after(Severity::Critical, &p), Severity::High);
        assert_eq!(severity_after(Severity::Low, &p), Severity::Low);
        p.insert("validation".to_string(), "unknown".to_string());
        assert_eq!(severity_after(Severity::High, &p), Severity::High);
    }
}
