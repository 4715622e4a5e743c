//! `pipeguard fix`: scan each GitHub workflow, action and Dockerfile of a tree on its own, ask
//! the analyzers for repairs ([`crate::edit::Proposal`]), and keep a repair only when a re-scan
//! of the edited text shows its findings gone and no new finding. One repair is applied at a
//! time and the file is planned again, so edits never go stale. Nothing is written here: the
//! caller prints [`FileFix::diff`] or writes [`FileFix::after`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analyzers;
use crate::discover::{self, Candidate, Origin, ReadLimits, ReadOutcome, WalkOptions};
use crate::edit::{self, Proposal};
use crate::engine::{self, Input, Policy, ScanRequest};
use crate::finding::{Family, Finding};
use crate::policy::config::{Config, FailOn};
use crate::rules::Registry;
use crate::source::{FileKind, SourceFile};

/// Repairs applied to one file before giving up on it (each is one re-scan or two).
const MAX_ROUNDS: usize = 200;

pub struct FixRequest<'a> {
    pub root: PathBuf,
    pub config: &'a Config,
    pub registry: &'a Registry,
    /// `fix --online`: facts for pinning `uses:` to the tag's commit and updating stale pins.
    pub online: Option<&'a crate::online::OnlineFacts>,
}

/// A repair that was kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub rule_id: String,
    pub line: u32,
    pub title: String,
}

/// A finding left as it was, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub line: u32,
    pub rule_id: String,
    pub reason: String,
}

pub struct FileFix {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    pub disk_path: PathBuf,
    pub before: String,
    pub after: String,
    /// The file starts with a byte-order mark (kept when written).
    pub bom: bool,
    pub applied: Vec<Applied>,
    /// Secret values found in the file: never shown in the diff.
    secrets: Vec<String>,
}

impl FileFix {
    /// A unified diff (`a/PATH`, `b/PATH`, three lines of context), secrets redacted.
    pub fn diff(&self) -> String {
        let d = similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", self.path), &format!("b/{}", self.path))
            .to_string();
        let mut d = crate::redact::Redactor::new(self.secrets.iter().cloned())
            .redact(&d)
            .into_owned();
        if !d.is_empty() && !d.ends_with('\n') {
            d.push('\n');
        }
        d
    }

    /// The new content as it goes to disk.
    pub fn bytes(&self) -> String {
        if self.bom {
            format!("\u{feff}{}", self.after)
        } else {
            self.after.clone()
        }
    }
}

#[derive(Default)]
pub struct FixOutcome {
    /// Files with at least one repair, in path order.
    pub files: Vec<FileFix>,
    /// Findings with no safe repair (only for rules that have one), in path order.
    pub skipped: Vec<Skipped>,
    /// Files examined.
    pub examined: usize,
}

impl FixOutcome {
    pub fn applied(&self) -> usize {
        self.files.iter().map(|f| f.applied.len()).sum()
    }
}

fn fixable(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::GithubWorkflow | FileKind::GithubAction | FileKind::Dockerfile
    )
}

/// Scan one file's text with the families that have repairs, through the full policy (inline
/// ignores, config) so that suppressed findings are not repaired.
pub fn scan_text(req: &FixRequest<'_>, path: &str, text: &str) -> anyhow::Result<Vec<Finding>> {
    Ok(scan_text_secrets(req, path, text)?.0)
}

/// [`scan_text`] and the secret values found in the text (for redacting the diff).
fn scan_text_secrets(
    req: &FixRequest<'_>,
    path: &str,
    text: &str,
) -> anyhow::Result<(Vec<Finding>, Vec<String>)> {
    let families = vec![Family::Github, Family::Docker];
    let collected = engine::collect(ScanRequest {
        root: req.root.clone(),
        root_display: ".".into(),
        input: Input::Candidates(vec![Candidate {
            rel: path.to_string(),
            origin: Origin::Memory {
                bytes: text.as_bytes().to_vec(),
                provenance: None,
            },
        }]),
        config: req.config,
        registry: req.registry,
        families,
        baseline: None,
        fail_on: FailOn::High,
        max_risk: None,
        trusted_ref: None,
        strict: false,
        online: req.online,
        validator: None,
    })?;
    let policy = Policy {
        registry: req.registry,
        config: req.config,
        baseline: None,
        fail_on: FailOn::High,
        max_risk: None,
        validator: None,
    };
    let mut secrets = collected.secret_values.clone();
    for f in &collected.findings {
        secrets.extend(f.secret_values().iter().cloned());
    }
    Ok((
        engine::finish(".".into(), vec![collected], &policy).findings,
        secrets,
    ))
}

fn counts(findings: &[Finding]) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.rule_id.as_str()).or_insert(0) += 1;
    }
    m
}

/// Why the re-scan rejects a repair, if it does: a target still reported, or any rule reported
/// more often than before (a finding the repair introduced).
fn verify(before: &[Finding], after: &[Finding], fix: &edit::Fix) -> Option<String> {
    let left: Vec<&Finding> = after
        .iter()
        .filter(|f| f.rule_id == fix.rule_id && fix.targets.contains(&f.fingerprint))
        .collect();
    if let Some(f) = left.first() {
        return Some(format!(
            "the re-scan still reports it (line {})",
            f.location.start_line
        ));
    }
    let b = counts(before);
    let a = counts(after);
    for (rule, n) in &a {
        let mut allowed = b.get(rule).copied().unwrap_or(0);
        if *rule == fix.rule_id {
            allowed = allowed.saturating_sub(fix.targets.len());
        }
        if *n > allowed {
            let new = after
                .iter()
                .find(|f| {
                    f.rule_id == *rule && !before.iter().any(|x| x.fingerprint == f.fingerprint)
                })
                .or_else(|| after.iter().find(|f| f.rule_id == *rule));
            return Some(match new {
                Some(f) => format!(
                    "the repair would add `{rule}` at line {}",
                    f.location.start_line
                ),
                None => format!("the repair would add `{rule}`"),
            });
        }
    }
    None
}

/// One file's repair: new text, what was applied, what was skipped, the secrets it holds.
type Repaired = (String, Vec<Applied>, Vec<Skipped>, Vec<String>);
type PerFile = anyhow::Result<Option<(FileFix, Vec<Skipped>)>>;

/// Repair one file's text.
fn fix_file(
    req: &FixRequest<'_>,
    all: &[Box<dyn analyzers::Analyzer>],
    path: &str,
    kind: FileKind,
    original: &str,
) -> anyhow::Result<Repaired> {
    let mut text = original.to_string();
    let mut applied = Vec::new();
    let mut rejected: BTreeMap<(String, String), Skipped> = BTreeMap::new();
    let mut unsafe_now: BTreeMap<(String, String), Skipped> = BTreeMap::new();
    let (mut findings, secrets) = scan_text_secrets(req, path, &text)?;
    // Lines are reported as they are in the original file (fingerprints survive the edits).
    let original_line: BTreeMap<String, u32> = findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.location.start_line))
        .collect();
    for _ in 0..MAX_ROUNDS {
        let file = SourceFile::new(path, kind, text.clone());
        let mut proposals = Vec::new();
        for a in all.iter().filter(|a| a.accepts(kind)) {
            let mine: Vec<Finding> = findings
                .iter()
                .filter(|f| f.family() == Some(a.family()))
                .cloned()
                .collect();
            if !mine.is_empty() {
                proposals.extend(a.propose_fixes(&file, &mine, req.online));
            }
        }
        unsafe_now.clear();
        let mut progressed = false;
        for p in proposals {
            let fx = match p {
                Proposal::Unsafe {
                    rule_id,
                    fingerprint,
                    line,
                    reason,
                } => {
                    unsafe_now.insert(
                        (rule_id.clone(), fingerprint),
                        Skipped {
                            path: path.to_string(),
                            line,
                            rule_id,
                            reason,
                        },
                    );
                    continue;
                }
                Proposal::Fix(fx) => fx,
            };
            if fx
                .targets
                .iter()
                .all(|t| rejected.contains_key(&(fx.rule_id.clone(), t.clone())))
            {
                continue;
            }
            let reject = |reason: String, rejected: &mut BTreeMap<(String, String), Skipped>| {
                for t in &fx.targets {
                    rejected.insert(
                        (fx.rule_id.clone(), t.clone()),
                        Skipped {
                            path: path.to_string(),
                            line: fx.line,
                            rule_id: fx.rule_id.clone(),
                            reason: format!("{}: {reason}", fx.title),
                        },
                    );
                }
            };
            let Some(new) = edit::apply(&text, &fx.edits) else {
                reject("its edits overlap".into(), &mut rejected);
                continue;
            };
            let after = scan_text(req, path, &new)?;
            if let Some(why) = verify(&findings, &after, &fx) {
                reject(why, &mut rejected);
                continue;
            }
            text = new;
            findings = after;
            applied.push(Applied {
                rule_id: fx.rule_id.clone(),
                line: fx
                    .targets
                    .iter()
                    .filter_map(|t| original_line.get(t))
                    .min()
                    .copied()
                    .unwrap_or(fx.line),
                title: fx.title.clone(),
            });
            progressed = true;
            break;
        }
        if !progressed {
            break;
        }
    }
    // What is still reported and had no repair kept.
    let present: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.fingerprint.clone()))
        .collect();
    let mut skipped: Vec<Skipped> = unsafe_now
        .into_iter()
        .chain(rejected)
        .filter(|(k, _)| present.contains(k))
        .map(|(_, s)| s)
        .collect();
    for s in &mut skipped {
        if let Some(f) = findings
            .iter()
            .find(|f| f.rule_id == s.rule_id && f.location.start_line == s.line)
        {
            s.line = original_line.get(&f.fingerprint).copied().unwrap_or(s.line);
        }
    }
    skipped.sort();
    skipped.dedup();
    applied.sort_by_key(|a| a.line);
    Ok((text, applied, skipped, secrets))
}

/// Plan the repairs of every fixable file under `req.root` (or of `req.root` itself).
pub fn plan(req: &FixRequest<'_>) -> anyhow::Result<FixOutcome> {
    let walk = discover::walk(&WalkOptions {
        root: req.root.clone(),
        exclude: req.config.exclude.clone(),
        trusted_ignores: None,
    })?;
    let limits = ReadLimits {
        max_file_size: req.config.max_file_size(),
    };
    let all = analyzers::all();
    let results: Vec<PerFile> = walk
        .candidates
        .into_par_iter()
        .map(|c| {
            let disk_path = match &c.origin {
                Origin::Disk(p) => p.clone(),
                Origin::Memory { .. } => return Ok(None),
            };
            let ReadOutcome::File(file, _) = discover::read(c, limits) else {
                return Ok(None);
            };
            if !fixable(file.kind) {
                return Ok(None);
            }
            let (after, applied, skipped, secrets) =
                fix_file(req, &all, &file.path, file.kind, &file.text)?;
            Ok(Some((
                FileFix {
                    path: file.path.clone(),
                    disk_path,
                    before: file.text.clone(),
                    after,
                    bom: file.bom,
                    applied,
                    secrets,
                },
                skipped,
            )))
        })
        .collect();
    let mut out = FixOutcome::default();
    for r in results {
        let Some((f, mut s)) = r? else { continue };
        out.examined += 1;
        out.skipped.append(&mut s);
        if !f.applied.is_empty() {
            out.files.push(f);
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.sort();
    Ok(out)
}

pub use crate::analyzers::docker::fix::BaseImage;

/// Every `FROM` of the Dockerfiles under `root` (path, line, what its base is), in path and
/// line order: what `fix --online` asks a registry about ([`BaseImage::Pinnable`]) and why the
/// others are left.
pub fn base_images_in_tree(
    root: &Path,
    config: &Config,
) -> anyhow::Result<Vec<(String, u32, BaseImage)>> {
    let walk = discover::walk(&WalkOptions {
        root: root.to_path_buf(),
        exclude: config.exclude.clone(),
        trusted_ignores: None,
    })?;
    let limits = ReadLimits {
        max_file_size: config.max_file_size(),
    };
    let mut out = Vec::new();
    for c in walk.candidates {
        if let ReadOutcome::File(f, _) = discover::read(c, limits)
            && f.kind == FileKind::Dockerfile
        {
            for (line, b) in crate::analyzers::docker::fix::base_images(&f) {
                out.push((f.path.clone(), line, b));
            }
        }
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok(out)
}

/// Where a fix goes on disk, refusing symlinks (a planted link must not redirect the write).
pub fn write(f: &FileFix) -> anyhow::Result<()> {
    write_at(&f.disk_path, &f.bytes())
}

fn write_at(path: &Path, content: &str) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        anyhow::bail!(
            "cannot write {}: it is a symlink, and pipeguard does not write through symlinks",
            path.display()
        );
    }
    std::fs::write(path, content)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}
