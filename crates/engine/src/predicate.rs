//! Building the scan predicate: the scan outcome (from a live scan or a JSON report), the
//! source commit (git2), job fingerprints from the lockfile, the gate decision.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::finding::Severity;
use crate::report::Report;
use pipeguard_attest::statement::{
    ConfigRef, Digested, FamilyResult, JobFingerprint, JobsRef, ScanPredicate, SourceRef, Tool,
    sha256_set,
};

/// What the predicate needs from a scan, whatever its origin.
#[derive(Clone, Debug)]
pub struct ScanOutcome {
    pub tool: Tool,
    pub verdict: String,
    pub risk_score: u8,
    pub fail_on: String,
    pub max_risk: Option<u8>,
    pub counts: BTreeMap<String, u64>,
    pub total: u64,
    /// (family, severity) of each reported finding.
    pub findings: Vec<(String, String)>,
    /// Families that ran (reported even when clean); empty when unknown.
    pub families_run: Vec<String>,
    pub incomplete: bool,
}

fn family_of(rule_id: &str) -> String {
    rule_id.split('/').next().unwrap_or(rule_id).to_string()
}

fn zero_counts() -> BTreeMap<String, u64> {
    Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect()
}

impl ScanOutcome {
    pub fn from_report(r: &Report, families_run: &[crate::finding::Family]) -> ScanOutcome {
        let mut counts = zero_counts();
        for (s, n) in &r.summary.counts {
            counts.insert(s.as_str().to_string(), *n as u64);
        }
        ScanOutcome {
            tool: Tool {
                name: r.tool.name.clone(),
                version: r.tool.version.clone(),
            },
            verdict: r.summary.verdict.as_str().to_string(),
            risk_score: r.summary.risk_score,
            fail_on: r.summary.fail_on.as_str().to_string(),
            max_risk: r.summary.max_risk,
            counts,
            total: r.summary.total as u64,
            findings: r
                .findings
                .iter()
                .map(|f| (family_of(&f.rule_id), f.severity.as_str().to_string()))
                .collect(),
            families_run: families_run
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
            incomplete: r.incomplete(),
        }
    }

    /// A JSON report (docs/json-report.md, schema_version 1) read back from a file.
    pub fn from_json(text: &str, origin: &str) -> anyhow::Result<ScanOutcome> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| anyhow!("{origin}: not a pipeguard JSON report (invalid JSON: {e})"))?;
        match v["schema_version"].as_u64() {
            Some(1) => {}
            Some(n) => {
                bail!("{origin}: JSON report schema_version {n} is not supported (expected 1)")
            }
            None => bail!(
                "{origin}: not a pipeguard JSON report (no schema_version; use `scan --format json`)"
            ),
        }
        let s = &v["summary"];
        let field = |k: &str| anyhow!("{origin}: summary.{k} is missing or has the wrong type");
        let verdict = s["verdict"].as_str().ok_or_else(|| field("verdict"))?;
        if !matches!(verdict, "pass" | "fail") {
            bail!("{origin}: summary.verdict `{verdict}` is neither pass nor fail");
        }
        let risk = s["risk_score"]
            .as_u64()
            .filter(|r| *r <= 100)
            .ok_or_else(|| field("risk_score (0–100)"))?;
        let mut counts = zero_counts();
        let obj = s["counts"].as_object().ok_or_else(|| field("counts"))?;
        for (k, n) in obj {
            if !counts.contains_key(k) {
                bail!("{origin}: summary.counts has unknown severity `{k}`");
            }
            counts.insert(k.clone(), n.as_u64().ok_or_else(|| field("counts"))?);
        }
        let findings = v["findings"]
            .as_array()
            .ok_or_else(|| anyhow!("{origin}: `findings` is missing"))?
            .iter()
            .map(|f| {
                let rule = f["rule_id"].as_str().unwrap_or_default();
                let sev = f["severity"].as_str().unwrap_or_default();
                if rule.is_empty() || !counts.contains_key(sev) {
                    bail!("{origin}: a finding lacks rule_id or a valid severity");
                }
                Ok((family_of(rule), sev.to_string()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let failed = v["files"]["failed"].as_u64().unwrap_or(0) > 0
            || v["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["level"] == "error"));
        Ok(ScanOutcome {
            tool: Tool {
                name: v["tool"]["name"]
                    .as_str()
                    .unwrap_or("pipeguard")
                    .to_string(),
                version: v["tool"]["version"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_string(),
            },
            verdict: verdict.to_string(),
            risk_score: risk as u8,
            fail_on: s["fail_on"].as_str().unwrap_or("high").to_string(),
            max_risk: s["max_risk"].as_u64().map(|m| m.min(100) as u8),
            total: s["total"].as_u64().unwrap_or(findings.len() as u64),
            counts,
            findings,
            families_run: Vec::new(),
            incomplete: failed,
        })
    }

    /// Per family: counts, and `fail` when it has a finding at or above `fail_on`.
    pub fn families(&self) -> BTreeMap<String, FamilyResult> {
        let threshold = severity_rank(&self.fail_on);
        let mut out: BTreeMap<String, FamilyResult> = self
            .families_run
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    FamilyResult {
                        verdict: "pass".into(),
                        total: 0,
                        counts: zero_counts(),
                    },
                )
            })
            .collect();
        for (fam, sev) in &self.findings {
            let r = out.entry(fam.clone()).or_insert_with(|| FamilyResult {
                verdict: "pass".into(),
                total: 0,
                counts: zero_counts(),
            });
            r.total += 1;
            *r.counts.entry(sev.clone()).or_default() += 1;
            if threshold.is_some_and(|t| severity_rank(sev).is_some_and(|s| s >= t)) {
                r.verdict = "fail".into();
            }
        }
        out
    }
}

fn severity_rank(s: &str) -> Option<u8> {
    match s {
        "info" => Some(0),
        "low" => Some(1),
        "medium" => Some(2),
        "high" => Some(3),
        "critical" => Some(4),
        _ => None,
    }
}

/// Everything besides the scan outcome that goes into the predicate.
pub struct Extras {
    pub timestamp: String,
    pub config: ConfigRef,
    pub source: Option<SourceRef>,
    pub scan_report: Option<Digested>,
    pub jobs: Option<JobsRef>,
    pub gate_decision: Option<Value>,
}

pub fn build(outcome: &ScanOutcome, cx: Extras) -> ScanPredicate {
    // v2: what admission policies match on, at the top level.
    let policy_digest = cx
        .config
        .digest
        .get("sha256")
        .map(|h| format!("sha256:{h}"));
    let repository = cx.source.as_ref().and_then(|s| s.repository.clone());
    let commit = cx.source.as_ref().and_then(|s| s.commit.clone());
    ScanPredicate {
        tool: outcome.tool.clone(),
        time: cx.timestamp,
        verdict: outcome.verdict.clone(),
        risk_score: outcome.risk_score,
        fail_on: outcome.fail_on.clone(),
        max_risk: outcome.max_risk,
        counts: outcome.counts.clone(),
        total: outcome.total,
        families: outcome.families(),
        incomplete: outcome.incomplete,
        rule_catalogue: Digested {
            path: None,
            digest: sha256_set(&crate::rules::catalogue_digest()),
        },
        config: cx.config,
        policy_digest,
        repository,
        commit,
        source: cx.source,
        scan_report: cx.scan_report,
        jobs: cx.jobs,
        gate_decision: cx.gate_decision,
    }
}

/// The repository (origin URL without credentials), HEAD commit, branch and dirtiness of the
/// work tree containing `path`; `None` outside git.
pub fn source_of(path: &Path) -> Option<SourceRef> {
    let repo = git2::Repository::discover(path).ok()?;
    let commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let branch = repo
        .head()
        .ok()
        .filter(git2::Reference::is_branch)
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let repository = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(strip_credentials));
    let dirty = repo.workdir().is_some()
        && repo
            .statuses(Some(
                git2::StatusOptions::new()
                    .include_untracked(false)
                    .include_ignored(false),
            ))
            .is_ok_and(|s| !s.is_empty());
    Some(SourceRef {
        repository,
        commit,
        branch,
        dirty,
    })
}

/// `https://user:token@host/x` → `https://host/x`: a remote URL may embed a CI token.
pub fn strip_credentials(url: &str) -> String {
    // A repository URL means nothing in its query or fragment, and tokens travel there
    // (`?access_token=…`).
    let url = url.split(['?', '#']).next().unwrap_or(url);
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if path.is_empty() && !rest.contains('/') {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}/{path}")
        }
    } else {
        url.to_string()
    }
}

/// `{source, id, fingerprint}` of every job in a jobs lockfile
/// (`{"version":1,"jobs":[{"source","id","fingerprint",…}]}`), or of the payload of a DSSE
/// envelope wrapping one (signed lockfile; the signature is checked by `drift`, not here).
pub fn jobs_from_lock(bytes: &[u8], origin: &str) -> anyhow::Result<JobsRef> {
    let mut v: Value = serde_json::from_slice(bytes)
        .map_err(|e| anyhow!("{origin}: not a jobs lockfile (invalid JSON: {e})"))?;
    if v.get("payloadType").is_some()
        && let Some(p) = v.get("payload").and_then(Value::as_str)
    {
        use base64::Engine;
        let payload = base64::engine::general_purpose::STANDARD
            .decode(p)
            .map_err(|_| anyhow!("{origin}: signed lockfile payload is not base64"))?;
        v = serde_json::from_slice(&payload)
            .map_err(|e| anyhow!("{origin}: signed lockfile payload is not JSON: {e}"))?;
    }
    let jobs = v["jobs"]
        .as_array()
        .ok_or_else(|| anyhow!("{origin}: not a jobs lockfile (no `jobs` array)"))?;
    let fingerprints = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let get = |k: &str| {
                j[k].as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("{origin}: jobs[{i}] has no string `{k}`"))
            };
            Ok(JobFingerprint {
                source: get("source")?,
                id: get("id")?,
                fingerprint: get("fingerprint")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(JobsRef {
        lock: Digested {
            path: Some(origin.to_string()),
            digest: sha256_set(&crate::finding::sha256_hex(bytes)),
        },
        fingerprints,
    })
}

/// The gate decision file written by `pipeguard gate --decision-file`: a JSON object with at
/// least a string `decision`; embedded as is.
pub fn gate_decision(path: &Path) -> anyhow::Result<Value> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {origin}"))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{origin}: not a gate decision file (invalid JSON: {e})"))?;
    if !v.is_object() || !v["decision"].is_string() {
        bail!("{origin}: not a gate decision file (expected an object with a string `decision`)");
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped() {
        assert_eq!(
            strip_credentials("https://x-access-token:ghs_abc@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(
            strip_credentials("https://github.com/o/r"),
            "https://github.com/o/r"
        );
    }

    #[test]
    fn lockfile_jobs() {
        let lock = br#"{"version":1,"generator":"pipeguard 0.1.0","jobs":[{"source":".github/workflows/ci.yml","id":"build","kind":"github","fingerprint":"sha256:aa","profile":{}}]}"#;
        let j = jobs_from_lock(lock, "jobs.lock").unwrap();
        assert_eq!(j.fingerprints.len(), 1);
        assert_eq!(j.fingerprints[0].id, "build");
        assert!(jobs_from_lock(b"{}", "jobs.lock").is_err());
        assert!(
            jobs_from_lock(br#"{"jobs":[{"id":"x"}]}"#, "jobs.lock")
                .unwrap_err()
                .to_string()
                .contains("jobs[0]")
        );
    }

    #[test]
    fn report_json_outcome_and_families() {
        let text = r#"{"schema_version":1,"tool":{"name":"pipeguard","version":"0.1.0"},"summary":{"counts":{"info":0,"low":0,"medium":1,"high":1,"critical":0},"total":2,"risk_score":29,"verdict":"fail","fail_on":"high"},"findings":[{"rule_id":"docker/root-user","severity":"high"},{"rule_id":"github/x","severity":"medium"}],"files":{"failed":0}}"#;
        let o = ScanOutcome::from_json(text, "r.json").unwrap();
        assert_eq!(o.risk_score, 29);
        let f = o.families();
        assert_eq!(f["docker"].verdict, "fail");
        assert_eq!(f["github"].verdict, "pass");
        assert_eq!(f["github"].counts["medium"], 1);
        assert!(
            ScanOutcome::from_json("{}", "r.json")
                .unwrap_err()
                .to_string()
                .contains("schema_version")
        );
    }
}
