//! The decision log: `gate`, `attest`, `verify` and `registry audit` append one JSON line per
//! decision (who, what, which policy, allowed or refused, why) to `--audit-log FILE`. Each entry
//! carries its sequence number, the hash of the previous entry and its own hash, so that
//! `pipeguard audit verify FILE` detects an edited, removed or reordered entry.
//!
//! `hash` = `sha256:` + SHA-256 of the entry's JSON without `hash` (fields in the order below,
//! compact); `prev` = the previous entry's `hash`, [`GENESIS`] for the first. A chain alone
//! cannot show that entries were cut off *at the end*: record the head (`audit verify` prints
//! it) somewhere the writer cannot change, and pass it back with `--head`.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde::{Deserialize, Serialize};

/// `prev` of the first entry.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log: hostile-input bounds apply when it is read back.
const MAX_LINE: usize = 64 * 1024;
const MAX_LOG: u64 = 1 << 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    /// RFC 3339 UTC.
    pub time: String,
    /// `gate`, `attest`, `verify`, `registry-audit`.
    pub command: String,
    /// Who asked: the CI actor (GITHUB_ACTOR, GITLAB_USER_LOGIN, BUILD_USER_ID) or the OS user.
    pub actor: String,
    /// What was decided on: `IMAGE@sha256:…`, `o/r#123`, a repository.
    pub subject: String,
    /// `sha256:HEX` of the policy in force, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
    /// `allowed` or `refused`.
    pub decision: String,
    pub reasons: Vec<String>,
    pub prev: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// What a caller records; the log fills in seq, time, prev and hash.
#[derive(Clone, Debug)]
pub struct Decision {
    pub command: String,
    pub subject: String,
    pub policy_digest: Option<String>,
    pub allowed: bool,
    pub reasons: Vec<String>,
}

impl Entry {
    fn compute_hash(&self) -> String {
        let mut e = self.clone();
        e.hash = None;
        let bytes = serde_json::to_vec(&e).unwrap_or_default();
        format!("sha256:{}", crate::hash::sha256_hex(&bytes))
    }
}

/// The CI actor, else the OS user.
pub fn actor() -> String {
    for var in [
        "GITHUB_ACTOR",
        "GITLAB_USER_LOGIN",
        "BUILD_USER_ID",
        "USER",
        "USERNAME",
    ] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return v.trim().chars().take(200).collect();
        }
    }
    "unknown".into()
}

/// Append a decision (file locked against concurrent writers; created when missing).
pub fn append(path: &Path, d: &Decision, now: i64) -> anyhow::Result<Entry> {
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("cannot open the audit log {}", path.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock the audit log {}", path.display()))?;
    let last = last_entry(&mut f).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let (seq, prev) = match last {
        Some(e) => (e.seq + 1, e.hash.unwrap_or_default()),
        None => (1, GENESIS.to_string()),
    };
    let mut entry = Entry {
        seq,
        time: crate::time::format_rfc3339(now),
        command: d.command.clone(),
        actor: actor(),
        subject: d.subject.chars().take(1000).collect(),
        policy_digest: d.policy_digest.clone(),
        decision: if d.allowed { "allowed" } else { "refused" }.into(),
        reasons: d
            .reasons
            .iter()
            .take(100)
            .map(|r| r.chars().take(2000).collect())
            .collect(),
        prev,
        hash: None,
    };
    entry.hash = Some(entry.compute_hash());
    let mut line = serde_json::to_vec(&entry).unwrap_or_default();
    line.push(b'\n');
    f.write_all(&line)
        .and_then(|()| f.sync_data())
        .with_context(|| format!("cannot write the audit log {}", path.display()))?;
    Ok(entry)
}

/// The last entry of an open log (read from the tail), checked for its own hash.
fn last_entry(f: &mut std::fs::File) -> Result<Option<Entry>, String> {
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len == 0 {
        return Ok(None);
    }
    let start = len.saturating_sub(2 * MAX_LINE as u64);
    f.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
    let mut tail = Vec::new();
    f.take(2 * MAX_LINE as u64)
        .read_to_end(&mut tail)
        .map_err(|e| e.to_string())?;
    if tail.last() != Some(&b'\n') {
        return Err(
            "the audit log does not end with a complete line; run `pipeguard audit verify`".into(),
        );
    }
    let body = &tail[..tail.len() - 1];
    let line = body.rsplit(|&b| b == b'\n').next().unwrap_or(body);
    let entry = parse_line(line)?;
    Ok(Some(entry))
}

fn parse_line(line: &[u8]) -> Result<Entry, String> {
    if line.len() > MAX_LINE {
        return Err(format!("an entry is longer than {MAX_LINE} bytes"));
    }
    let e: Entry =
        crate::strict::from_slice(line).map_err(|e| format!("not an audit entry: {e}"))?;
    match &e.hash {
        Some(h) if *h == e.compute_hash() => Ok(e),
        Some(_) => Err(format!(
            "entry {} was edited: its hash does not match its content",
            e.seq
        )),
        None => Err(format!("entry {} has no hash", e.seq)),
    }
}

/// The outcome of `audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub entries: u64,
    /// The last entry's hash ([`GENESIS`] for an empty log).
    pub head: String,
}

/// Verify the whole chain; the first break is the error, naming its line.
pub fn verify_file(path: &Path, expected_head: Option<&str>) -> anyhow::Result<Checked> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the audit log {}", path.display()))?;
    if meta.len() > MAX_LOG {
        bail!("{}: larger than {MAX_LOG} bytes", path.display());
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the audit log {}", path.display()))?;
    verify_bytes(&bytes, expected_head).map_err(|e| anyhow!("{}: {e}", path.display()))
}

pub fn verify_bytes(bytes: &[u8], expected_head: Option<&str>) -> Result<Checked, String> {
    if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
        return Err("the last line is incomplete (the log was cut or is being written)".into());
    }
    // Every entry's own hash first: an edit is named as such.
    let mut entries = Vec::new();
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if !body.is_empty() {
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                return Err(format!("line {}: empty line", i + 1));
            }
            entries.push(parse_line(line).map_err(|m| format!("line {}: {m}", i + 1))?);
        }
    }
    let mut prev_hash = GENESIS.to_string();
    let mut prev_seq = 0u64;
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        if e.prev != prev_hash || e.seq != prev_seq + 1 {
            let later_missing = entries[i + 1..]
                .iter()
                .any(|l| l.seq > prev_seq && l.seq < e.seq);
            return Err(if i == 0 {
                format!(
                    "line {n}: the first entry (seq {}) does not start the chain: entries before it were removed",
                    e.seq
                )
            } else if e.seq <= prev_seq || later_missing {
                format!(
                    "line {n}: entry {} comes after entry {prev_seq}: entries were reordered",
                    e.seq
                )
            } else if e.seq > prev_seq + 1 {
                let gone = e.seq - prev_seq - 1;
                format!(
                    "line {n}: entry {} follows entry {prev_seq}: {gone} entr{} removed",
                    e.seq,
                    if gone == 1 { "y was" } else { "ies were" }
                )
            } else {
                format!(
                    "line {n}: entry {} does not chain to entry {prev_seq} (prev hash differs): the log was rewritten",
                    e.seq
                )
            });
        }
        prev_seq = e.seq;
        prev_hash = e.hash.clone().unwrap_or_default();
    }
    if let Some(h) = expected_head
        && h != prev_hash
    {
        return Err(format!(
            "the head is {prev_hash}, not the expected {h}: entries were removed from the end or the log was replaced"
        ));
    }
    Ok(Checked {
        entries: entries.len() as u64,
        head: prev_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u32) -> Decision {
        Decision {
            command: "verify".into(),
            subject: format!("r/app@sha256:{n:064}"),
            policy_digest: Some(format!("sha256:{}", "a".repeat(64))),
            allowed: n.is_multiple_of(2),
            reasons: vec![format!("reason {n}")],
        }
    }

    #[test]
    fn chain_detects_edit_drop_swap() {
        let tmp = tempfile_dir();
        let p = tmp.join("audit.jsonl");
        for n in 0..4 {
            append(&p, &d(n), 1_795_435_200 + i64::from(n)).unwrap();
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let ok = verify_bytes(text.as_bytes(), None).unwrap();
        assert_eq!(ok.entries, 4);
        let lines: Vec<&str> = text.lines().collect();
        let join = |ls: &[&str]| ls.iter().fold(String::new(), |acc, l| acc + l + "\n");
        // edit
        let edited = text.replacen("reason 1", "reason X", 1);
        let e = verify_bytes(edited.as_bytes(), None).unwrap_err();
        assert!(e.contains("line 2: entry 2 was edited"), "{e}");
        // drop
        let e = verify_bytes(join(&[lines[0], lines[2], lines[3]]).as_bytes(), None).unwrap_err();
        assert!(
            e.contains("line 2: entry 3 follows entry 1: 1 entry was removed"),
            "{e}"
        );
        // swap
        let e = verify_bytes(
            join(&[lines[0], lines[2], lines[1], lines[3]]).as_bytes(),
            None,
        )
        .unwrap_err();
        assert!(
            e.contains("line 2: entry 3 comes after entry 1: entries were reordered"),
            "{e}"
        );
        // drop the first
        let e = verify_bytes(join(&lines[1..]).as_bytes(), None).unwrap_err();
        assert!(e.contains("entries before it were removed"), "{e}");
        // cut at the end: only with the head
        let e = verify_bytes(join(&lines[..3]).as_bytes(), Some(&ok.head)).unwrap_err();
        assert!(e.contains("removed from the end"), "{e}");
        std::fs::remove_dir_all(tmp).ok();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!(
            "pg-audit-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}
