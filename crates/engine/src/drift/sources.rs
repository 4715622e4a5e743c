//! Where job definitions come from: the working tree (one walk, as `scan` does) or a git ref
//! (read through git2, no checkout).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::redact::{Redactor, keyed_placeholder};

use anyhow::Context;
use rayon::prelude::*;

use super::{Job, defines_jobs, extract};
use crate::discover::{self, FileKind, ReadLimits, ReadOutcome, WalkOptions};
use crate::finding::{Diagnostic, RawFinding};
use crate::source::SourceFile;

/// Jobs found, the files they came from (for spans), and what went wrong.
#[derive(Default)]
pub struct Found {
    pub jobs: Vec<Job>,
    pub files: BTreeMap<String, Arc<SourceFile>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files that define jobs but could not be parsed.
    pub failed: usize,
    /// Sources that exist but could not be read (a Jenkins job `jenkins pull` could not fetch):
    /// their jobs are unknown, not removed.
    pub unread: BTreeSet<String>,
    /// Secret values found in the job files (masked in every report of them).
    pub secret_values: Vec<String>,
}

/// What the analyzers find in a job file: the secret values (the secrets engine's, and the
/// values of secret-named fields the hard-coded-credential rules flag), and the findings that
/// drift classifies when they are new in a job (`classify::from_finding`).
fn analyze(file: &SourceFile) -> (Vec<String>, Vec<RawFinding>) {
    let config = crate::policy::config::Config::default();
    let cx = crate::analyzers::ScanContext {
        config: &config,
        online: None,
    };
    let mut values = Vec::new();
    let mut kept = Vec::new();
    for a in crate::analyzers::all() {
        if !a.accepts(file.kind) {
            continue;
        }
        let mut out = crate::analyzers::Output::default();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            a.analyze_file(file, &cx, &mut out);
        }));
        if run.is_ok() {
            for f in out.findings {
                values.extend(f.secret_values().iter().cloned());
                if super::classify::from_finding(&f.rule_id).is_some()
                    && f.secret_values().is_empty()
                    && reported(&f)
                {
                    kept.push(f);
                }
            }
        }
    }
    values.sort();
    values.dedup();
    (values, kept)
}

/// Whether the finding is one a regular scan reports as a risk: medium severity or more, not
/// only for the pedantic or auditor persona, not of low confidence (a push job that echoes
/// `github.ref_name` is a low-severity injection, not drift).
fn reported(f: &RawFinding) -> bool {
    use crate::finding::{Confidence, Persona, Severity};
    let severity = f.severity_hint.or_else(|| {
        crate::rules::RuleId::ALL
            .iter()
            .find(|r| r.as_str() == f.rule_id)
            .map(|r| r.default_severity())
    });
    severity.is_some_and(|s| s >= Severity::Medium)
        && f.persona.is_none_or(|p| p == Persona::Regular)
        && f.confidence != Some(Confidence::Low)
}

/// Give each job the analyzer findings inside it: a GitHub job or Jenkins stage its body, the
/// `(pipeline)` job or a config.xml what lies outside the stages.
fn attribute(file: &SourceFile, jobs: &mut [Job], findings: &[RawFinding]) {
    for f in findings {
        let loc = &f.location;
        let Some(at) = file.offset_of(loc.start_line, loc.start_column) else {
            continue;
        };
        let end = file
            .offset_of(loc.end_line, loc.end_column)
            .unwrap_or(at)
            .max(at);
        let inside = jobs
            .iter()
            .position(|j| j.anchors.body.as_ref().is_some_and(|b| b.contains(&at)));
        let target = inside.or_else(|| jobs.iter().position(|j| j.anchors.body.is_none()));
        let Some(k) = target else { continue };
        let hash = crate::finding::sha256_hex(format!("{}\n{}", f.rule_id, f.content).as_bytes());
        let key = format!("{} {}", f.rule_id, hash.get(..16).unwrap_or(&hash));
        let job = &mut jobs[k];
        job.profile.findings.insert(key.clone());
        job.anchors
            .findings
            .entry(key)
            .or_insert_with(|| super::FindingAnchor {
                rule: f.rule_id.clone(),
                range: at..end,
                message: f.message.clone(),
            });
    }
}

impl Found {
    fn add(&mut self, path: &str, kind: FileKind, mut text: String) {
        // A byte order mark is not content (SourceFile drops it too, so spans stay right).
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        match extract(path, kind, &text) {
            Ok(mut jobs) => {
                let file = SourceFile::new(path, kind, text);
                let (secrets, findings) = analyze(&file);
                attribute(&file, &mut jobs, &findings);
                if !secrets.is_empty() {
                    // The lockfile and every diff keep a keyed hash of a secret, never the
                    // value: a changed secret is still a changed job.
                    let redactor = Redactor::new(&secrets);
                    let key = crate::redact::lock_key();
                    for job in &mut jobs {
                        if let Cow::Owned(c) =
                            redactor.replace(&job.canonical, |v| keyed_placeholder(&key, v))
                        {
                            job.canonical = c;
                        }
                    }
                    self.secret_values.extend(secrets);
                }
                for job in &mut jobs {
                    if let Cow::Owned(c) = crate::redact::strip_url_credentials(&job.canonical) {
                        job.canonical = c;
                    }
                }
                self.jobs.extend(jobs);
                self.files.insert(path.to_string(), Arc::new(file));
            }
            Err(e) => {
                self.failed += 1;
                self.diagnostics
                    .push(Diagnostic::error(path, format!("cannot fingerprint: {e}")));
            }
        }
    }

    fn finish(mut self) -> Found {
        self.jobs
            .sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
        self.diagnostics.sort();
        self
    }
}

/// Could a file at this path define jobs? Cheap test before reading a blob.
fn candidate_name(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    (lower.contains(".github/workflows/") && (lower.ends_with(".yml") || lower.ends_with(".yaml")))
        || name.starts_with("jenkinsfile")
        || name.ends_with(".jenkinsfile")
        || name == "config.xml"
}

pub fn working_tree(root: &Path, exclude: &[String], max_file_size: u64) -> anyhow::Result<Found> {
    let walk = discover::walk(&WalkOptions {
        root: root.to_path_buf(),
        exclude: exclude.to_vec(),
        trusted_ignores: None,
    })?;
    let limits = ReadLimits { max_file_size };
    let read: Vec<ReadOutcome> = walk
        .candidates
        .into_par_iter()
        .filter(|c| candidate_name(&c.rel))
        .map(|c| discover::read(c, limits))
        .collect();
    let mut found = Found {
        diagnostics: walk
            .diagnostics
            .into_iter()
            .filter(|d| candidate_name(&d.path))
            .collect(),
        ..Found::default()
    };
    for r in read {
        match r {
            ReadOutcome::File(f, _) if defines_jobs(f.kind) => {
                let (path, kind) = (f.path.clone(), f.kind);
                found.add(&path, kind, f.text);
            }
            ReadOutcome::File(..) => {}
            ReadOutcome::Skipped(d) => found.diagnostics.push(d),
            ReadOutcome::Failed(d) => {
                found.failed += 1;
                found.diagnostics.push(d);
            }
        }
    }
    Ok(found.finish())
}

/// Jobs defined at `refname` under `root` (paths relative to `root`, as in the working tree).
pub fn at_ref(
    root: &Path,
    refname: &str,
    exclude: &[String],
    max_file_size: u64,
) -> anyhow::Result<Found> {
    let (repo, rel_root) = crate::git::open(root)?;
    let commit = repo
        .revparse_single(refname)
        .with_context(|| format!("unknown git ref `{refname}`"))?
        .peel_to_commit()
        .with_context(|| format!("`{refname}` does not name a commit"))?;
    let tree = commit.tree()?;
    let prefix = if rel_root.is_empty() {
        String::new()
    } else {
        format!("{}/", rel_root.trim_end_matches('/'))
    };
    let excludes = discover::Excludes::new(exclude)?;
    // The same rules as the walk of the working tree: config `exclude`, the `.ignore` and
    // `.pipeguardignore` files (of this tree), symlinks never followed; a `.gitignore` never
    // hides a tracked file, so it does not apply here.
    let ignores = crate::trust::Trusted::open(root, refname)?.ignore_files()?;
    let mut blobs: Vec<(String, git2::Oid)> = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) && entry.filemode() != 0o120_000 {
            let full = format!("{dir}{}", entry.name().unwrap_or_default());
            if let Some(rel) = full.strip_prefix(&prefix)
                && candidate_name(rel)
                && !excludes.excludes(rel)
                && !ignores.is_ignored(rel)
            {
                blobs.push((rel.to_string(), entry.id()));
            }
        }
        git2::TreeWalkResult::Ok
    })?;
    let mut found = Found::default();
    for (rel, oid) in blobs {
        let blob = repo.find_blob(oid)?;
        let bytes = blob.content();
        if bytes.len() as u64 > max_file_size {
            found.diagnostics.push(Diagnostic::note(
                &rel,
                format!("skipped at {refname}: larger than the size limit"),
            ));
            continue;
        }
        let text = String::from_utf8_lossy(bytes).into_owned();
        let kind = discover::classify(&rel, &text);
        if defines_jobs(kind) {
            found.add(&rel, kind, text);
        }
    }
    // Old definitions that fail to parse are only a note: drift still compares the rest.
    for d in &mut found.diagnostics {
        d.message = format!("at {refname}: {}", d.message);
    }
    Ok(found.finish())
}

impl Found {
    /// A Jenkins job (`team/app`) whose config.xml could not be pulled: an error diagnostic
    /// naming it, and its source (`jobs/team/jobs/app/config.xml`) marked unread.
    pub fn not_pulled(&mut self, job: &str, error: &str) {
        let mut path = String::new();
        for seg in job.split('/') {
            path.push_str("jobs/");
            path.push_str(seg);
            path.push('/');
        }
        path.push_str("config.xml");
        self.failed += 1;
        self.diagnostics.push(Diagnostic::error(
            &path,
            format!("job `{job}` could not be pulled: {error}"),
        ));
        self.diagnostics.sort();
        self.unread.insert(path);
    }

    /// The same jobs under `prefix` (e.g. `jenkins-home:`), for sources outside the tree.
    #[must_use]
    pub fn prefixed(self, prefix: &str) -> Found {
        Found {
            jobs: self
                .jobs
                .into_iter()
                .map(|mut j| {
                    j.source = format!("{prefix}{}", j.source);
                    j
                })
                .collect(),
            files: self
                .files
                .into_values()
                .map(|f| {
                    let path = format!("{prefix}{}", f.path);
                    let file = SourceFile::new(path.clone(), f.kind, f.text.clone());
                    (path, Arc::new(file))
                })
                .collect(),
            diagnostics: self
                .diagnostics
                .into_iter()
                .map(|mut d| {
                    d.path = format!("{prefix}{}", d.path);
                    d
                })
                .collect(),
            failed: self.failed,
            unread: self
                .unread
                .into_iter()
                .map(|p| format!("{prefix}{p}"))
                .collect(),
            secret_values: self.secret_values,
        }
    }

    pub fn merge(&mut self, other: Found) {
        self.jobs.extend(other.jobs);
        self.files.extend(other.files);
        self.diagnostics.extend(other.diagnostics);
        self.failed += other.failed;
        self.unread.extend(other.unread);
        self.secret_values.extend(other.secret_values);
        self.jobs
            .sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
        self.diagnostics.sort();
    }
}

/// Jobs in job files read from elsewhere (a live Jenkins' config.xml, by JENKINS_HOME path):
/// classified and fingerprinted as the working tree's are.
pub fn from_files(files: Vec<(String, String)>, max_file_size: u64) -> Found {
    let mut found = Found::default();
    for (rel, text) in files {
        if text.len() as u64 > max_file_size {
            found.diagnostics.push(Diagnostic::note(
                &rel,
                "skipped: larger than the size limit".to_string(),
            ));
            continue;
        }
        let kind = discover::classify(&rel, &text);
        if defines_jobs(kind) {
            found.add(&rel, kind, text);
        }
    }
    found.finish()
}
