//! The job lockfile (`.pipeguard/jobs.lock`): JSON, one entry per job, sorted, no timestamps —
//! reviewed like a dependency lockfile.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::{Job, JobKind, Profile, fingerprint_of};

pub const DEFAULT_LOCK: &str = ".pipeguard/jobs.lock";
pub const LOCK_VERSION: u32 = 1;
/// DSSE payloadType of a signed lockfile (`jobs.lock.sig` beside the lock).
pub const LOCK_PAYLOAD_TYPE: &str = "application/vnd.pipeguard.jobs-lock+json";

/// `jobs.lock` → `jobs.lock.sig`.
pub fn signature_path(lock: &Path) -> std::path::PathBuf {
    let mut s = lock.as_os_str().to_owned();
    s.push(".sig");
    s.into()
}

/// Sign the exact lockfile bytes; the envelope is one JSON line.
pub fn sign(lock_bytes: &[u8], key: &ed25519_dalek::SigningKey) -> String {
    pipeguard_attest::dsse::sign(LOCK_PAYLOAD_TYPE, lock_bytes, key).to_json_line()
}

/// Check that `sig_text` is a signature by `key` over exactly `lock_bytes`.
pub fn verify_signature(
    lock_bytes: &[u8],
    sig_text: &str,
    key: &ed25519_dalek::VerifyingKey,
    origin: &str,
) -> anyhow::Result<()> {
    let env = pipeguard_attest::dsse::Envelope::from_json(sig_text.trim())
        .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    let payload = pipeguard_attest::dsse::verify(&env, key, LOCK_PAYLOAD_TYPE)
        .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    if payload != lock_bytes {
        bail!(
            "{origin}: the signature is valid but for another version of the lockfile: the lockfile was changed after it was signed"
        );
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub version: u32,
    pub generator: String,
    pub jobs: Vec<LockedJob>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedJob {
    pub source: String,
    pub id: String,
    pub kind: JobKind,
    pub fingerprint: String,
    pub profile: Profile,
    /// The canonical form, so `drift --lock` can show what changed.
    pub canonical: String,
}

impl LockedJob {
    pub fn key(&self) -> String {
        format!("{}#{}", self.source, self.id)
    }
}

impl Lockfile {
    pub fn from_jobs(jobs: &[Job]) -> Lockfile {
        let mut entries: Vec<LockedJob> = jobs
            .iter()
            .map(|j| LockedJob {
                source: j.source.clone(),
                id: j.id.clone(),
                kind: j.kind,
                fingerprint: j.fingerprint(),
                profile: j.profile.clone(),
                canonical: j.canonical.clone(),
            })
            .collect();
        entries.sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
        Lockfile {
            version: LOCK_VERSION,
            generator: format!("pipeguard {}", env!("CARGO_PKG_VERSION")),
            jobs: entries,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parse and check a lockfile: version, and that every fingerprint matches its canonical
    /// form (a hand-edited fingerprint would otherwise hide a change).
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Lockfile> {
        let lock: Lockfile = serde_json::from_str(text)
            .with_context(|| format!("{origin}: not a pipeguard job lockfile"))?;
        if lock.version != LOCK_VERSION {
            bail!(
                "{origin}: lockfile version {} is not supported (expected {LOCK_VERSION})",
                lock.version
            );
        }
        for j in &lock.jobs {
            if fingerprint_of(&j.canonical) != j.fingerprint {
                bail!(
                    "{origin}: the fingerprint of job `{}` does not match its canonical form (edited by hand?); regenerate it with `pipeguard fingerprint --write`",
                    j.key()
                );
            }
        }
        Ok(lock)
    }

    pub fn load(path: &Path) -> anyhow::Result<Lockfile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read lockfile {}", path.display()))?;
        Lockfile::parse(&text, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_check() {
        let jobs = crate::drift::github::jobs(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: make test}]\n",
        )
        .unwrap();
        let lock = Lockfile::from_jobs(&jobs);
        assert_eq!(lock.jobs[0].id, "a");
        let text = lock.to_json();
        assert_eq!(Lockfile::parse(&text, "l").unwrap(), lock);
        let tampered = text.replacen("make test", "make deploy", 1);
        let err = Lockfile::parse(&tampered, "l").unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
        assert!(Lockfile::parse("{}", "l").is_err());
    }
}
