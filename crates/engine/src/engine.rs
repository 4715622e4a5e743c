//! The scan pipeline: discover → read (once, in parallel) → analyzers → policy → report.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use pipeguard_attest::fsread::{self, Follow};
use std::sync::Arc;

use rayon::prelude::*;

use crate::analyzers::{self, Analyzer, Output, ScanContext};
use crate::discover::{self, Candidate, FileKind, ReadLimits, ReadOutcome, WalkOptions};
use crate::drift::classify::JobDiff;
use crate::finding::{CiCredential, Diagnostic, DiagnosticLevel, Family, Provenance, RawFinding};
use crate::policy::baseline::Baseline;
use crate::policy::config::InlineIgnores;
use crate::policy::config::{CONFIG_FILE, Config, FailOn};
use crate::policy::suppress::FileSuppressions;
use crate::policy::{self, PolicyInput};
use crate::report::{FileStats, Report, SCHEMA_VERSION, Tool, join_credentials};
use crate::rules::Registry;
use crate::trust::Trusted;

/// Where the policy comes from.
pub enum ConfigSource<'a> {
    /// `explicit` (`--config FILE`) if given, else `.pipeguard.yml` at the scan root, else
    /// defaults.
    Discover {
        root: &'a Path,
        explicit: Option<&'a Path>,
    },
    /// `.pipeguard.yml` at a git ref of the repository holding `root` (trusted mode: a pull
    /// request cannot switch checks off).
    TrustedRef { root: &'a Path, refname: &'a str },
}

/// Load and validate the policy.
pub fn load_config(source: &ConfigSource<'_>, registry: &Registry) -> anyhow::Result<Config> {
    let schema = analyzers::config_schema(registry);
    match *source {
        ConfigSource::Discover { root, explicit } => {
            let dir = if root.is_file() {
                root.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                root.to_path_buf()
            };
            let (path, follow) = match explicit {
                // A path typed by the user is followed, unless it lies in the scanned tree
                // (where the code under review may have made it a symlink).
                Some(p) => (p.to_path_buf(), follow_for(p, &dir)),
                None => {
                    let Some(p) = config_dirs(&dir)
                        .into_iter()
                        .map(|d| d.join(CONFIG_FILE))
                        .find(|p| std::fs::symlink_metadata(p).is_ok())
                    else {
                        return Ok(Config {
                            digest: crate::finding::sha256_hex(b""),
                            ..Config::default()
                        });
                    };
                    (p, Follow::No)
                }
            };
            let origin = path.display().to_string();
            let text = read_config_text(&path, follow)
                .map_err(|e| anyhow::anyhow!("cannot read config {origin}: {e}"))?;
            check_config_limits(&text, &origin)?;
            Config::parse(&text, &origin, &schema).map_err(|e| sanitize_config_error(e).into())
        }
        ConfigSource::TrustedRef { root, refname } => {
            let dir = if root.is_file() {
                root.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                root.to_path_buf()
            };
            let (repo, rel) = crate::git::open(&dir)?;
            // The nearest `.pipeguard.yml` at the ref, from the scan root up to the top.
            let mut found = None;
            let mut at = rel.trim_matches('/').to_string();
            loop {
                let tree_path = crate::git::join(&at, CONFIG_FILE);
                if let Some(bytes) = crate::git::read_at_ref(&repo, refname, &tree_path)? {
                    found = Some((tree_path, bytes));
                    break;
                }
                if at.is_empty() {
                    break;
                }
                at = at
                    .rsplit_once('/')
                    .map_or_else(String::new, |(p, _)| p.to_string());
            }
            let tree_path = found
                .as_ref()
                .map_or_else(|| CONFIG_FILE.to_string(), |(p, _)| p.clone());
            let origin = format!("{refname}:{tree_path}");
            match found.map(|(_, b)| b) {
                Some(bytes) => {
                    if bytes.len() as u64 > CONFIG_MAX_BYTES {
                        anyhow::bail!(
                            "{origin}: the config is larger than the limit of {CONFIG_MAX_BYTES} bytes"
                        );
                    }
                    let text = String::from_utf8(bytes)
                        .with_context(|| format!("{origin} is not UTF-8"))?;
                    check_config_limits(&text, &origin)?;
                    Config::parse(&text, &origin, &schema)
                        .map_err(|e| sanitize_config_error(e).into())
                }
                None => Ok(Config::parse("", &origin, &schema)?),
            }
        }
    }
}

/// The directories a scan of `dir` looks for `.pipeguard.yml` in, nearest first: `dir`, then
/// its ancestors up to the top of the git work tree holding it (only `dir` outside git).
pub fn config_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![dir.to_path_buf()];
    let Some(top) = repo_top(dir) else {
        return dirs;
    };
    let Ok(abs) = std::fs::canonicalize(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return dirs;
    };
    if !abs.starts_with(&top) {
        return dirs;
    }
    let mut at = abs.as_path();
    while at != top {
        let Some(parent) = at.parent() else { break };
        dirs.push(parent.to_path_buf());
        at = parent;
    }
    dirs
}

/// The canonical top of the git work tree holding `dir`, if any.
fn repo_top(dir: &Path) -> Option<PathBuf> {
    let d = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let repo = git2::Repository::discover(d).ok()?;
    std::fs::canonicalize(repo.workdir()?).ok()
}

/// Where the reports' paths start: the scan root (a directory, or the directory of one file)
/// relative to the top of the git work tree holding it, `/`-separated; empty outside git (the
/// paths are then relative to the scan root) or at the top.
pub fn repo_prefix(root: &Path) -> String {
    let dir = root_dir_of(root);
    let d = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    match (repo_top(&d), std::fs::canonicalize(&d)) {
        (Some(top), Ok(abs)) => abs
            .strip_prefix(&top)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// `rel` (relative to the scan root) relative to the repository: `prefix/rel`.
fn rebase_path(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() || rel.starts_with('/') {
        rel.to_string()
    } else if rel.is_empty() || rel == "." {
        prefix.to_string()
    } else {
        format!("{prefix}/{rel}")
    }
}

/// The inverse of [`rebase_path`].
fn unbase_path(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        return path.to_string();
    }
    if path == prefix {
        return ".".to_string();
    }
    path.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('/'))
        .map_or_else(|| path.to_string(), str::to_string)
}

impl Collected {
    /// Make every path of this part repository-relative (see [`repo_prefix`]): before the
    /// policy, so that fingerprints, inline suppressions and the baseline see the same paths
    /// whichever directory of the repository is scanned.
    pub fn rebase(&mut self, prefix: &str) {
        if prefix.is_empty() {
            return;
        }
        let re = |s: &mut String| *s = rebase_path(prefix, s);
        for f in &mut self.findings {
            re(&mut f.location.path);
            for r in &mut f.related {
                re(&mut r.location.path);
            }
            for r in &mut f.redactions {
                re(&mut r.path);
            }
        }
        for d in &mut self.diagnostics {
            re(&mut d.path);
        }
        for c in &mut self.credentials {
            re(&mut c.path);
            re(&mut c.location.path);
        }
        self.suppressions = std::mem::take(&mut self.suppressions)
            .into_iter()
            .map(|(k, v)| (rebase_path(prefix, &k), v))
            .collect();
    }
}

/// The largest baseline read (one entry per accepted finding).
pub const BASELINE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The directory a scan of `root` (a directory or one file) reads its implicit files from.
fn root_dir_of(root: &Path) -> PathBuf {
    if root.is_file() {
        root.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        root.to_path_buf()
    }
}

/// `--baseline FILE`: a regular file of bounded size (not `/dev/zero`, not a FIFO), and not a
/// symlink when it lies inside the scanned tree.
fn read_baseline(path: &Path, scan_dir: &Path) -> anyhow::Result<Baseline> {
    let origin = path.display().to_string();
    let text = fsread::read_text(path, BASELINE_MAX_BYTES, follow_for(path, scan_dir))
        .map_err(|e| anyhow::anyhow!("cannot read baseline {origin}: {e}"))?;
    Baseline::parse(&text, &origin)
}

/// The largest config file read (`.pipeguard.yml` or `--config`).
pub const CONFIG_MAX_BYTES: u64 = 1024 * 1024;

/// Whether a file argument may be followed if it is a symlink: not when it lies inside the
/// scanned tree `dir` (the code under review controls what is there).
pub fn follow_for(path: &Path, dir: &Path) -> Follow {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    match (std::fs::canonicalize(parent), std::fs::canonicalize(dir)) {
        (Ok(p), Ok(d)) if p.starts_with(&d) => Follow::No,
        _ => Follow::Yes,
    }
}

fn read_config_text(path: &Path, follow: Follow) -> std::io::Result<String> {
    let bytes = fsread::read_file(path, CONFIG_MAX_BYTES, follow)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8"))?;
    // A byte order mark is not YAML content (editors on Windows write one).
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text))
}

/// The YAML limits (nesting, flow collections) before the config's YAML parser runs.
fn check_config_limits(text: &str, origin: &str) -> anyhow::Result<()> {
    crate::limits::yaml(text).map_err(|e| {
        anyhow::Error::new(sanitize_config_error(crate::policy::config::ConfigError {
            file: origin.to_string(),
            line: Some(e.line),
            column: None,
            message: e.message,
        }))
    })
}

/// A config error names the file, the place and the offending key, never the file's values:
/// a `.pipeguard.yml` that is really someone's key or password file must not be printed. Quoted
/// values in the parser's message (`invalid type: string "…"`) are elided, keys (`` `k` ``)
/// shortened and stripped of control characters.
pub fn sanitize_config_error(
    mut e: crate::policy::config::ConfigError,
) -> crate::policy::config::ConfigError {
    e.message = elide_values(&e.message);
    e
}

fn elide_values(msg: &str) -> String {
    const KEY_MAX: usize = 40;
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(['"', '`']) {
        out.push_str(&rest[..i]);
        let q = rest.as_bytes()[i] as char;
        let after = &rest[i + 1..];
        let Some(j) = after.find(q) else {
            // Unterminated: drop the rest.
            out.push(q);
            out.push('…');
            out.push(q);
            return out;
        };
        let inner = &after[..j];
        out.push(q);
        if q == '"' {
            out.push('…');
        } else {
            let clean: String = inner.chars().filter(|c| !c.is_control()).collect();
            if clean.chars().count() > KEY_MAX {
                out.extend(clean.chars().take(KEY_MAX));
                out.push('…');
            } else {
                out.push_str(&clean);
            }
        }
        out.push(q);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect()
}

/// Where the files come from.
pub enum Input {
    /// Walk a directory (or one file).
    Tree,
    /// Files already collected (staged blobs, history blobs).
    Candidates(Vec<Candidate>),
}

/// What decides the verdict: the rule catalogue, the config, the baseline and the thresholds.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub registry: &'a Registry,
    pub config: &'a Config,
    pub baseline: Option<&'a Baseline>,
    pub fail_on: FailOn,
    pub max_risk: Option<u8>,
    /// `scan --validate`: asks each found secret's provider whether it works.
    pub validator: Option<&'a dyn crate::validate::SecretValidator>,
}

/// What one source of a run (a tree or staged scan, the git history, a drift comparison)
/// produced before the policy: raw findings and what is known about the files. [`finish`]
/// turns one or more of these into the report.
#[derive(Default)]
pub struct Collected {
    pub findings: Vec<RawFinding>,
    /// In the order they are reported.
    pub diagnostics: Vec<Diagnostic>,
    pub credentials: Vec<CiCredential>,
    /// Inline suppressions of each file, by path.
    pub suppressions: HashMap<String, FileSuppressions>,
    pub files: FileStats,
    pub drift: Vec<JobDiff>,
    /// Inline suppressions already applied while collecting (history blobs).
    pub suppressed_inline: usize,
    /// Secret values found that no finding of this part carries (the secrets in files of a
    /// family that was not run, in job definitions), for the redaction pass.
    pub secret_values: Vec<String>,
}

/// A tree or staged scan: what to read and which families analyse it.
pub struct ScanRequest<'a> {
    pub root: PathBuf,
    /// How the root is shown in reports (as typed by the user).
    pub root_display: String,
    pub input: Input,
    pub config: &'a Config,
    pub registry: &'a Registry,
    /// Families to run (empty = all).
    pub families: Vec<Family>,
    pub baseline: Option<&'a Baseline>,
    pub fail_on: FailOn,
    pub max_risk: Option<u8>,
    /// Trusted mode: the git ref whose ignore files and inline ignores count (the config is
    /// loaded from it by the caller, see [`ConfigSource::TrustedRef`]).
    pub trusted_ref: Option<&'a str>,
    /// `--strict`: a file that could not be read or parsed is an error of the run (exit 2).
    /// Otherwise it is a note and a `<family>/parse-error` finding the policy weighs.
    pub strict: bool,
    /// `scan --online`: facts the online rules read (`None`: offline, they report nothing).
    pub online: Option<&'a crate::online::OnlineFacts>,
    /// `scan --validate` (`None`: no secret leaves the machine).
    pub validator: Option<&'a dyn crate::validate::SecretValidator>,
}

impl<'a> ScanRequest<'a> {
    fn policy(&self) -> Policy<'a> {
        Policy {
            registry: self.registry,
            config: self.config,
            baseline: self.baseline,
            fail_on: self.fail_on,
            max_risk: self.max_risk,
            validator: self.validator,
        }
    }
}

/// The result of reading and analysing one file.
struct FileResult {
    output: Output,
    /// Secrets found only for redaction (see `redaction_only`).
    secret_values: Vec<String>,
    suppressions: Option<(String, FileSuppressions)>,
    retained: Option<Arc<crate::source::SourceFile>>,
    kind: Option<FileKind>,
    skipped: Option<Diagnostic>,
    failed: Option<Diagnostic>,
    /// The file could not be read (see [`ScanRequest::strict`]).
    unreadable: Option<Diagnostic>,
}

/// Scan and report: [`collect`] then [`finish`].
pub fn scan(req: ScanRequest<'_>) -> anyhow::Result<Report> {
    let policy = req.policy();
    let root = req.root_display.clone();
    Ok(finish(root, vec![collect(req)?], &policy))
}

/// What the `scan` command runs: the tree (or the staged blobs) and, with `history`, the secrets
/// in what every commit added.
pub struct Run<'a> {
    pub scan: ScanRequest<'a>,
    /// Further PATH arguments scanned in the same run, with the same settings; a root inside
    /// another one (or given twice) is scanned once.
    pub more_roots: Vec<PathBuf>,
    /// `--baseline FILE` (in trusted mode a baseline inside the repository is read from the
    /// trusted ref).
    pub baseline_file: Option<&'a Path>,
    /// Scan the git index instead of the working tree.
    pub staged: bool,
    /// Also scan the history for secrets: `Some(since)`.
    pub history: Option<Option<String>>,
}

/// The roots of a run without the ones another root already covers (the same path twice, a
/// file or directory inside a scanned directory), in the order given.
fn distinct_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    let canon: Vec<Option<PathBuf>> = roots
        .iter()
        .map(|r| std::fs::canonicalize(r).ok())
        .collect();
    let mut keep = Vec::new();
    for (i, r) in roots.iter().enumerate() {
        let covered = canon[i].as_ref().is_some_and(|c| {
            canon.iter().enumerate().any(|(j, o)| {
                let Some(o) = o else { return false };
                if j == i || !o.is_dir() {
                    return false;
                }
                // Inside another directory root, or the same root given earlier.
                (c != o && c.starts_with(o)) || (c == o && j < i)
            })
        });
        if !covered {
            keep.push(r.clone());
        }
    }
    keep
}

/// The `scan` command's engine: every part collected, then the one tail. Paths are made
/// repository-relative ([`repo_prefix`]).
pub fn run(run: Run<'_>) -> anyhow::Result<Report> {
    let Run {
        mut scan,
        more_roots,
        baseline_file,
        staged,
        history,
    } = run;
    let mut roots = vec![scan.root.clone()];
    roots.extend(more_roots);
    for r in &roots {
        if !staged && !r.exists() {
            anyhow::bail!("{}: no such file or directory", r.display());
        }
    }
    if scan.families.is_empty() {
        anyhow::bail!("--only/--skip leave no family to run");
    }
    let several = roots.len() > 1;
    let root_display = if several {
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        scan.root_display.clone()
    };
    let roots = distinct_roots(&roots);
    let first_prefix = repo_prefix(&scan.root);
    let trusted = scan
        .trusted_ref
        .map(|r| Trusted::open(&scan.root, r))
        .transpose()?;
    let mut parts = Vec::new();
    let loaded;
    if let Some(path) = baseline_file {
        let (baseline, mut part) = load_baseline(path, &root_dir_of(&scan.root), trusted.as_ref())?;
        part.rebase(&first_prefix);
        loaded = baseline;
        scan.baseline = loaded.as_ref();
        parts.push(part);
    }
    let policy = scan.policy();
    let first = scan.root.clone();
    let secrets = scan.families.contains(&Family::Secrets);
    let history_config = history_config(scan.config, trusted.is_some());
    let mut tree_parts = Vec::new();
    for root in &roots {
        let trusted_here = match (&trusted, scan.trusted_ref) {
            (Some(_), Some(r)) if *root != first => Some(Trusted::open(root, r)?),
            _ => None,
        };
        let input = if staged {
            Input::Candidates(crate::gitscan::staged_candidates(
                root,
                &scan.config.exclude,
            )?)
        } else {
            Input::Tree
        };
        let req = ScanRequest {
            root: root.clone(),
            root_display: root.display().to_string(),
            input,
            config: scan.config,
            registry: scan.registry,
            families: scan.families.clone(),
            baseline: scan.baseline,
            fail_on: scan.fail_on,
            max_risk: scan.max_risk,
            trusted_ref: scan.trusted_ref,
            strict: scan.strict,
            online: scan.online,
            validator: scan.validator,
        };
        let prefix = repo_prefix(root);
        let t = trusted_here.as_ref().or(trusted.as_ref());
        tree_parts.push(collect_prefixed(req, t, &prefix)?);
    }
    for (i, p) in tree_parts.into_iter().enumerate() {
        parts.insert(i, p);
    }
    if let Some(since) = history
        && secrets
    {
        let h = crate::gitscan::scan_history(&first, &history_config, since.as_deref())?;
        let mut part = history_part(h);
        part.rebase(&first_prefix);
        parts.push(part);
    }
    Ok(finish(root_display, parts, &policy))
}

/// The config the history scan runs with: in trusted mode `inline_ignores: trusted-only` becomes
/// `off` there (a directive in a past blob has no trusted version to be checked against).
fn history_config(config: &Config, trusted: bool) -> Config {
    let mut c = config.clone();
    if trusted && inline_mode(config, trusted) == InlineIgnores::TrustedOnly {
        c.inline_ignores = Some(InlineIgnores::Off);
    }
    c
}

fn inline_mode(config: &Config, trusted: bool) -> InlineIgnores {
    config.inline_ignores.unwrap_or(if trusted {
        InlineIgnores::TrustedOnly
    } else {
        InlineIgnores::On
    })
}

/// Load `--baseline FILE`. In trusted mode a baseline inside the repository is the trusted
/// ref's version of it; the entries the working copy adds are `policy/suppression-added`
/// findings, not suppressions.
pub fn load_baseline(
    path: &Path,
    scan_dir: &Path,
    trusted: Option<&Trusted>,
) -> anyhow::Result<(Option<Baseline>, Collected)> {
    let mut part = Collected::default();
    let Some(t) = trusted else {
        return Ok((Some(read_baseline(path, scan_dir)?), part));
    };
    let Some(repo_rel) = t.repo_path_of(path) else {
        // Outside the work tree: given by the CI configuration, not by the change.
        return Ok((Some(read_baseline(path, scan_dir)?), part));
    };
    let shown = t.display_path(&repo_rel);
    let origin = format!("{}:{repo_rel}", t.refname);
    let trusted_baseline = match t.repo_blob(&repo_rel)? {
        Some(bytes) => Some(Baseline::parse(&String::from_utf8_lossy(&bytes), &origin)?),
        None => {
            part.diagnostics.push(Diagnostic::note(
                shown.clone(),
                format!(
                    "the baseline is not at the trusted ref `{}`: nothing is baselined",
                    t.refname
                ),
            ));
            None
        }
    };
    let known: std::collections::BTreeSet<String> = trusted_baseline
        .as_ref()
        .map(|b| b.fingerprints().into_iter().map(str::to_string).collect())
        .unwrap_or_default();
    // The working copy only tells what the change tried to add; a broken one is not an error.
    if let Ok(bytes) = fsread::read_file(path, 64 << 20, Follow::No)
        && let text = String::from_utf8_lossy(&bytes).into_owned()
        && let Ok(current) = Baseline::parse(&text, &shown)
    {
        for e in current.findings {
            if known.contains(&e.fingerprint) {
                continue;
            }
            let (line, col, line_text) = text
                .lines()
                .enumerate()
                .find_map(|(i, l)| {
                    l.find(&e.fingerprint)
                        .map(|c| (i as u32 + 1, l[..c].chars().count() as u32 + 1, l))
                })
                .unwrap_or((1, 1, ""));
            part.findings.push(crate::trust::suppression_added(
                &shown,
                line,
                (col, col + e.fingerprint.chars().count() as u32),
                line_text,
                &format!("the baseline entry `{}` for {}", e.fingerprint, e.rule_id),
                &t.refname,
            ));
        }
    }
    Ok((trusted_baseline, part))
}

/// The history scan as a part of the run: its findings (already de-duplicated to the earliest
/// commit), its diagnostics and a note with what was read.
fn history_part(history: crate::gitscan::History) -> Collected {
    let mut diagnostics = history.diagnostics;
    diagnostics.push(Diagnostic::note(
        ".",
        format!(
            "history: {} commits, {} unique blobs ({}) scanned for secrets",
            history.commits,
            history.blobs,
            discover::human_size(history.bytes)
        ),
    ));
    Collected {
        findings: history.findings,
        diagnostics,
        suppressed_inline: history.suppressed_inline,
        ..Collected::default()
    }
}

/// Read and analyse every file of the request: raw findings, diagnostics and file statistics.
pub fn collect(req: ScanRequest<'_>) -> anyhow::Result<Collected> {
    let trusted = req
        .trusted_ref
        .map(|r| Trusted::open(&req.root, r))
        .transpose()?;
    collect_with(req, trusted.as_ref())
}

fn collect_with(req: ScanRequest<'_>, trusted: Option<&Trusted>) -> anyhow::Result<Collected> {
    collect_prefixed(req, trusted, "")
}

/// [`collect_with`] for a root at `prefix` in its repository: the config's `exclude` patterns
/// also apply to the repository-relative paths (the config lives at the repository root).
fn collect_prefixed(
    req: ScanRequest<'_>,
    trusted: Option<&Trusted>,
    prefix: &str,
) -> anyhow::Result<Collected> {
    let all = analyzers::all();
    let active: Vec<&dyn Analyzer> = all
        .iter()
        .map(AsRef::as_ref)
        .filter(|a| req.families.is_empty() || req.families.contains(&a.family()))
        .collect();
    let cx = ScanContext {
        config: req.config,
        online: req.online,
    };

    let trusted_ignores = match trusted {
        Some(t) if matches!(req.input, Input::Tree) => Some(Arc::new(t.ignore_files()?)),
        _ => None,
    };
    let (candidates, mut diagnostics, walk_unreadable) = match req.input {
        Input::Tree => {
            let walk = discover::walk(&WalkOptions {
                root: req.root.clone(),
                exclude: req.config.exclude.clone(),
                trusted_ignores: trusted_ignores.clone(),
            })?;
            (walk.candidates, walk.diagnostics, walk.unreadable)
        }
        Input::Candidates(c) => (c, Vec::new(), Vec::new()),
    };
    // What the walk could not read: with --strict an error of the run, else a note (and a
    // parse-error finding where the file's kind is known by its name, below).
    let mut unreadable: Vec<Diagnostic> = Vec::new();
    if !req.strict && !walk_unreadable.is_empty() {
        let (bad, rest): (Vec<Diagnostic>, Vec<Diagnostic>) =
            diagnostics.into_iter().partition(|d| {
                d.level == DiagnosticLevel::Error && walk_unreadable.binary_search(&d.path).is_ok()
            });
        diagnostics = rest;
        unreadable = bad;
    }
    // The tree's own ignore files, to report what the change added to them.
    let mut policy_findings = Vec::new();
    if let (Some(t), Some(ignores)) = (trusted, trusted_ignores.as_deref()) {
        policy_findings.extend(added_ignore_lines(t, ignores, &req.root, &candidates));
    }
    // From here on paths are repository-relative: the analyzers see (and classify by) the
    // path the file has in the repository, whichever directory or file was scanned.
    let candidates = if prefix.is_empty() {
        candidates
    } else {
        for f in &mut policy_findings {
            f.location.path = rebase_path(prefix, &f.location.path);
        }
        for d in diagnostics.iter_mut().chain(unreadable.iter_mut()) {
            d.path = rebase_path(prefix, &d.path);
        }
        // The config's `exclude` is relative to the repository root, where the config is. What
        // the user named (a file, or a directory an exclude pattern covers) is scanned anyway:
        // the walk then applies the patterns below the scan root only, as before.
        let excludes = discover::Excludes::new(&req.config.exclude)?;
        let named = req.root.is_file() || excludes.excludes_dir(prefix);
        candidates
            .into_iter()
            .map(|mut c| {
                c.rel = rebase_path(prefix, &c.rel);
                c
            })
            .filter(|c| named || !excludes.excludes(&c.rel))
            .collect()
    };

    let limits = ReadLimits {
        max_file_size: req.config.max_file_size(),
    };
    // The secrets engine also runs, for redaction only, on files with findings when the
    // secrets family is not selected: no other family's snippet may show a secret it knows.
    let redaction_only: Option<&dyn Analyzer> =
        if active.iter().any(|a| a.family() == Family::Secrets) {
            None
        } else {
            all.iter()
                .map(AsRef::as_ref)
                .find(|a| a.family() == Family::Secrets)
        };
    let results: Vec<FileResult> = candidates
        .into_par_iter()
        .map(|c| process(c, limits, &active, redaction_only, &cx))
        .collect();
    let mut secret_values = Vec::new();

    let mut output = Output::default();
    let mut suppressions: HashMap<String, FileSuppressions> = HashMap::new();
    let mut retained: Vec<Arc<crate::source::SourceFile>> = Vec::new();
    let mut stats = FileStats::default();
    let mut by_kind: BTreeMap<FileKind, usize> = BTreeMap::new();
    for mut r in results {
        secret_values.append(&mut r.secret_values);
        output.extend(r.output);
        if let Some((p, s)) = r.suppressions {
            suppressions.insert(p, s);
        }
        if let Some(f) = r.retained {
            retained.push(f);
        }
        if let Some(k) = r.kind {
            stats.scanned += 1;
            *by_kind.entry(k).or_default() += 1;
        }
        if let Some(d) = r.skipped {
            stats.skipped += 1;
            diagnostics.push(d);
        }
        if let Some(d) = r.failed {
            stats.failed += 1;
            diagnostics.push(d);
        }
        if let Some(d) = r.unreadable {
            if req.strict {
                stats.failed += 1;
                diagnostics.push(d);
            } else {
                unreadable.push(d);
            }
        }
    }
    // Not analysed, not fatal: a note, and the parse-error finding of the family that would
    // have read the file (known by its name only: nothing is claimed about its content).
    for mut d in unreadable {
        d.level = DiagnosticLevel::Note;
        d.message = format!("{}; not analysed", d.message);
        if let Some(kind) = discover::classify_by_name(&d.path).filter(|k| *k != FileKind::Other) {
            for a in active.iter().filter(|a| a.accepts(kind)) {
                let id = format!("{}/parse-error", a.family());
                if req.registry.get(&id).is_some() && req.config.rule_enabled(&id) {
                    output.findings.push(
                        RawFinding::at(
                            &id,
                            crate::finding::Location::file(&d.path),
                            format!(
                                "could not be read: {}; not analysed",
                                d.message.trim_end_matches("; not analysed")
                            ),
                        )
                        .content(format!("unreadable {}", d.path)),
                    );
                }
            }
        }
        diagnostics.push(d);
    }
    stats.by_kind = by_kind;

    // Cross-file passes, each over the retained files it accepts, analyzers in parallel.
    let project_outputs: Vec<Output> = active
        .par_iter()
        .filter(|a| a.wants_project())
        .map(|a| {
            let files: Vec<Arc<crate::source::SourceFile>> = retained
                .iter()
                .filter(|f| a.accepts(f.kind))
                .cloned()
                .collect();
            let mut out = Output::default();
            a.analyze_project(&files, &cx, &mut out);
            out
        })
        .collect();
    for o in project_outputs {
        output.extend(o);
    }

    output.unparsed.sort();
    output.unparsed.dedup();
    // A file the parser does not fully cover has its parse-error finding (the policy decides
    // what it weighs); only --strict makes the scan incomplete for it.
    if req.strict {
        stats.failed += output.unparsed.len();
    } else {
        for path in &output.unparsed {
            diagnostics.push(Diagnostic::note(
                path.clone(),
                "could not be parsed completely: see its parse-error finding; what was skipped was not analysed",
            ));
        }
    }
    diagnostics.append(&mut output.diagnostics);
    diagnostics.sort();
    diagnostics.dedup();

    match (inline_mode(req.config, trusted.is_some()), trusted) {
        (InlineIgnores::Off, _) => suppressions.clear(),
        (InlineIgnores::TrustedOnly, Some(t)) => {
            // The trusted side reads root-relative paths.
            let mut scan_rel: HashMap<String, FileSuppressions> = suppressions
                .drain()
                .map(|(k, v)| (unbase_path(prefix, &k), v))
                .collect();
            let added = crate::trust::check_inline(t, &mut scan_rel, limits.max_file_size as usize);
            suppressions = scan_rel
                .into_iter()
                .map(|(k, v)| (rebase_path(prefix, &k), v))
                .collect();
            policy_findings.extend(added.into_iter().map(|mut f| {
                f.location.path = rebase_path(prefix, &f.location.path);
                f
            }));
        }
        _ => {}
    }
    output.findings.append(&mut policy_findings);

    Ok(Collected {
        findings: output.findings,
        diagnostics,
        credentials: output.credentials,
        suppressions,
        files: stats,
        drift: Vec::new(),
        suppressed_inline: 0,
        secret_values,
    })
}

/// `policy/suppression-added` for each line of a `.ignore`/`.pipeguardignore` of the tree that
/// the same file at the trusted ref does not have.
fn added_ignore_lines(
    t: &Trusted,
    trusted: &crate::ignores::IgnoreFiles,
    root: &Path,
    candidates: &[Candidate],
) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for c in candidates {
        let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
        if !crate::ignores::IGNORE_FILES.contains(&name) {
            continue;
        }
        let Ok(bytes) = fsread::read_file(&root.join(&c.rel), 4 << 20, Follow::No) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let repo_rel = t.in_repo(&c.rel);
        for (line, pattern) in crate::trust::added_ignore_lines(&text, &trusted.lines_of(&repo_rel))
        {
            let width = pattern.chars().count() as u32;
            out.push(crate::trust::suppression_added(
                &c.rel,
                line,
                (1, 1 + width),
                &pattern,
                &format!("the `{name}` pattern `{pattern}`"),
                &t.refname,
            ));
        }
    }
    out
}

/// The one engine tail. Each part's raw findings go through the policy (severity, fingerprints
/// among the part's own findings, redaction, suppressions, baseline); a later part's finding
/// that an earlier part already reported (same rule and fingerprint) only adds its provenance
/// (the commit that introduced a secret still in the tree); then the summary, the verdict and
/// the report.
pub fn finish(root_display: String, mut parts: Vec<Collected>, policy: &Policy<'_>) -> Report {
    let mut findings: Vec<crate::finding::Finding> = Vec::new();
    let mut suppressed = Vec::new();
    let mut diagnostics = Vec::new();
    let mut credentials = Vec::new();
    let mut drift = Vec::new();
    let mut files = FileStats::default();
    let mut suppressed_inline = 0;
    // Every secret any part found, for the one redaction pass over the whole report.
    let mut secrets: Vec<String> = Vec::new();
    for part in &parts {
        secrets.extend(part.secret_values.iter().cloned());
        for f in &part.findings {
            secrets.extend(f.secret_values().iter().cloned());
        }
    }
    let redactor = crate::redact::Redactor::new(secrets);
    if let Some(v) = policy.validator {
        let mut all: Vec<&mut RawFinding> = parts
            .iter_mut()
            .flat_map(|p| p.findings.iter_mut())
            .collect();
        crate::validate::annotate(&mut all, v);
    }
    for part in parts {
        let mut outcome = policy::apply(
            part.findings,
            &PolicyInput {
                registry: policy.registry,
                config: policy.config,
                suppressions: &part.suppressions,
                baseline: policy.baseline,
                fail_on: policy.fail_on,
                max_risk: policy.max_risk,
            },
        );
        for f in &mut outcome.findings {
            f.severity = crate::validate::severity_after(f.severity, &f.properties);
        }
        if findings.is_empty() {
            findings = outcome.findings;
        } else {
            let known: HashMap<(String, String), usize> = findings
                .iter()
                .enumerate()
                .map(|(i, f)| ((f.rule_id.clone(), f.fingerprint.clone()), i))
                .collect();
            for f in outcome.findings {
                match known.get(&(f.rule_id.clone(), f.fingerprint.clone())) {
                    Some(&i) if findings[i].provenance.is_none() => {
                        findings[i].provenance = f.provenance;
                    }
                    Some(_) => {}
                    None => findings.push(f),
                }
            }
        }
        suppressed.extend(outcome.suppressed);
        diagnostics.extend(part.diagnostics);
        credentials.extend(part.credentials);
        drift.extend(part.drift);
        files.scanned += part.files.scanned;
        files.skipped += part.files.skipped;
        files.failed += part.files.failed;
        for (k, n) in part.files.by_kind {
            *files.by_kind.entry(k).or_default() += n;
        }
        suppressed_inline += part.suppressed_inline;
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut summary = policy::summarize(&findings, &suppressed, policy.fail_on, policy.max_risk);
    summary.suppressed_inline += suppressed_inline;
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::current(),
        root: root_display,
        summary,
        rules: crate::report::rules_of_all(policy.registry, &findings, &suppressed),
        findings,
        suppressed,
        diagnostics,
        files,
        credentials: join_credentials(credentials),
        drift,
    };
    crate::report::redact(&mut report, &redactor);
    report
}

/// `pipeguard registry audit`: the audited images of `repository` as a report, through the one
/// engine tail (policy, redaction) like every other entry point.
pub fn registry_audit(
    repository: &str,
    images: &[crate::registry::AuditedImage],
    policy: &Policy<'_>,
) -> Report {
    let part = Collected {
        findings: crate::registry::findings(images),
        files: FileStats {
            scanned: images.len(),
            ..FileStats::default()
        },
        ..Collected::default()
    };
    finish(repository.to_string(), vec![part], policy)
}

fn process(
    candidate: Candidate,
    limits: ReadLimits,
    active: &[&dyn Analyzer],
    redaction_only: Option<&dyn Analyzer>,
    cx: &ScanContext<'_>,
) -> FileResult {
    let mut result = FileResult {
        secret_values: Vec::new(),
        output: Output::default(),
        suppressions: None,
        retained: None,
        kind: None,
        skipped: None,
        failed: None,
        unreadable: None,
    };
    let Some(candidate) = binary_by_analyzers(candidate, active, cx, &mut result) else {
        return result;
    };
    // Reading classifies the file (sniffing XML, YAML): a bug there must not end the scan either.
    let path = candidate.rel.clone();
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        discover::read(candidate, limits)
    }))
    .unwrap_or_else(|panic| {
        ReadOutcome::Failed(Diagnostic::error(
            path,
            format!(
                "internal error while reading and classifying the file ({}); the file was not analysed — please report this",
                panic_message(panic.as_ref())
            ),
        ))
    });
    let (file, provenance) = match read {
        ReadOutcome::File(f, p) => (f, p),
        ReadOutcome::Skipped(d) => {
            result.skipped = Some(d);
            return result;
        }
        ReadOutcome::Failed(d) => {
            result.unreadable = Some(d);
            return result;
        }
    };
    result.kind = Some(file.kind);
    if let Some(s) = FileSuppressions::parse(&file.text) {
        result.suppressions = Some((file.path.clone(), s));
    }
    let mut keep = false;
    // The per-file time budget: checked between analyzers and inside their long loops.
    let budget = crate::limits::Budget::start(crate::limits::file_budget());
    let mut not_run: Vec<String> = Vec::new();
    for a in active {
        if a.accepts(file.kind) {
            if budget.exceeded() {
                not_run.push(a.family().to_string());
                continue;
            }
            // A bug in one analyzer must not end the scan: the file is reported as not analysed.
            let mut out = Output::default();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                a.analyze_file(&file, cx, &mut out);
            }));
            match run {
                Ok(()) => result.output.extend(out),
                Err(panic) => {
                    result.failed = Some(Diagnostic::error(
                        file.path.clone(),
                        format!(
                            "internal error in the {} analyzer ({}); the file was not analysed — please report this",
                            a.family(),
                            panic_message(panic.as_ref())
                        ),
                    ));
                }
            }
            keep |= a.wants_project();
        }
    }
    if budget.exceeded() && result.failed.is_none() {
        let skipped = if not_run.is_empty() {
            String::new()
        } else {
            format!("; not run: the {} analyzers", not_run.join(", "))
        };
        result.failed = Some(Diagnostic::error(
            file.path.clone(),
            format!(
                "analysis stopped: the per-file time budget of {} ms was exceeded, findings may be missing{skipped}",
                budget.limit().as_millis()
            ),
        ));
    }
    drop(budget);
    if let Some(secrets) = redaction_only
        && !result.output.findings.is_empty()
        && secrets.accepts(file.kind)
    {
        let mut out = Output::default();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            secrets.analyze_file(&file, cx, &mut out);
        }));
        if run.is_ok() {
            for f in out.findings {
                result
                    .secret_values
                    .extend(f.secret_values().iter().cloned());
            }
        }
    }
    if let Some(p) = provenance {
        attach_provenance(&mut result.output.findings, &p);
    }
    if keep {
        result.retained = Some(Arc::new(file));
    }
    result
}

/// Binary files that an analyzer reads itself (archives, for the secrets analyzer): read and
/// handed to it; `Some` gives the candidate back for the usual reading (not asked for, not
/// binary after all, or not one the analyzer reads: then skipped as binary).
fn binary_by_analyzers(
    candidate: Candidate,
    active: &[&dyn Analyzer],
    cx: &ScanContext<'_>,
    result: &mut FileResult,
) -> Option<Candidate> {
    use std::io::Read as _;
    let wanted: Vec<&&dyn Analyzer> = active
        .iter()
        .filter(|a| a.wants_binary(&candidate.rel, cx))
        .collect();
    if wanted.is_empty() {
        return Some(candidate);
    }
    let max = crate::analyzers::secrets::ARCHIVE_MAX;
    let owned;
    let (bytes, provenance): (&[u8], Option<Provenance>) = match &candidate.origin {
        discover::Origin::Disk(path) => {
            let mut buf = Vec::new();
            let read =
                std::fs::File::open(path).and_then(|f| f.take(max + 1).read_to_end(&mut buf));
            if read.is_err() || buf.len() as u64 > max {
                return Some(candidate);
            }
            owned = buf;
            (&owned, None)
        }
        discover::Origin::Memory { bytes, provenance } => (bytes, provenance.clone()),
    };
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_none() {
        return Some(candidate);
    }
    let mut handled = false;
    for a in wanted {
        let mut out = Output::default();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            a.analyze_binary(&candidate.rel, bytes, cx, &mut out)
        }));
        match run {
            Ok(true) => {
                handled = true;
                result.output.extend(out);
            }
            Ok(false) => {}
            Err(panic) => {
                result.failed = Some(Diagnostic::error(
                    candidate.rel.clone(),
                    format!(
                        "internal error in the {} analyzer ({}); the file was not analysed — please report this",
                        a.family(),
                        panic_message(panic.as_ref())
                    ),
                ));
                return None;
            }
        }
    }
    if !handled {
        return Some(candidate);
    }
    result.kind = Some(FileKind::Other);
    if let Some(p) = provenance {
        attach_provenance(&mut result.output.findings, &p);
    }
    None
}

/// A panic's message without the input it may quote: std's slicing and parsing panics end
/// with the text they were given (`… of `<the file's text>``), which can be a secret.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    let msg = p
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    let msg = msg.lines().next().unwrap_or_default();
    let msg = msg.split_once(" of `").map_or(msg, |(head, _)| head);
    msg.chars().take(120).collect()
}

fn attach_provenance(findings: &mut [RawFinding], p: &Provenance) {
    for f in findings {
        if f.provenance.is_none() {
            f.provenance = Some(p.clone());
        }
    }
}

/// Rule ids that every analyzer can report, plus the engine's own.
pub fn implemented_rule_ids() -> Vec<&'static str> {
    use crate::{finding::Family, rules::RuleId};
    let mut ids: Vec<&'static str> = analyzers::all().iter().flat_map(|a| a.rule_ids()).collect();
    // Drift findings come from `pipeguard drift` (drift::classify), registry findings from
    // `pipeguard registry audit`, the policy's from trusted mode (crate::trust): not analyzers.
    // Their ids are the catalogue's, through RuleId; the fixture suite shows each is reported.
    ids.extend(
        RuleId::ALL
            .iter()
            .filter(|r| {
                matches!(
                    r.family(),
                    Family::Drift | Family::Registry | Family::Policy
                )
            })
            .map(|r| r.as_str()),
    );
    ids
}

/// What today's jobs are compared with.
pub enum DriftBase<'a> {
    /// The approved jobs of a lockfile, optionally required to be signed by `pubkey` (the
    /// DSSE envelope `FILE.sig` beside it).
    Lock {
        path: PathBuf,
        pubkey: Option<&'a ed25519_dalek::VerifyingKey>,
    },
    /// The jobs defined at a git ref (read through git, no checkout).
    Ref(&'a str),
}

/// Why a drift comparison could not be made.
#[derive(Debug)]
pub enum DriftError {
    /// The lockfile's signature is missing the required key or does not verify: the lock was
    /// edited (exit 1, like drift).
    Signature(anyhow::Error),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for DriftError {
    fn from(e: anyhow::Error) -> Self {
        DriftError::Other(e)
    }
}

/// `drift`: today's jobs (`now`, read from the tree and Jenkins) against the lock or a ref,
/// classified, then the same tail as a scan.
pub fn drift(
    root: &Path,
    now: &crate::drift::sources::Found,
    base: &DriftBase<'_>,
    policy: &Policy<'_>,
) -> Result<Report, DriftError> {
    use crate::drift::lock::{self, Lockfile};
    let mut secret_values = now.secret_values.clone();
    let (old, against, mut diagnostics) = match base {
        DriftBase::Ref(r) => {
            let then = crate::drift::sources::at_ref(
                root,
                r,
                &policy.config.exclude,
                policy.config.max_file_size(),
            )?;
            secret_values.extend(then.secret_values.iter().cloned());
            (
                Lockfile::from_jobs(&then.jobs).jobs,
                format!("`{r}`"),
                then.diagnostics
                    .into_iter()
                    .map(|mut d| {
                        // The old side is context: its problems do not make today's scan fail.
                        d.level = DiagnosticLevel::Note;
                        d
                    })
                    .collect::<Vec<_>>(),
            )
        }
        DriftBase::Lock { path, pubkey } => {
            let scan_dir = if root.is_file() {
                root.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                root.to_path_buf()
            };
            // The lock and its signature in the scanned tree are never followed if symlinks.
            let follow = follow_for(path, &scan_dir);
            if std::fs::symlink_metadata(path).is_err() {
                return Err(DriftError::Other(anyhow::anyhow!(
                    "no lockfile at {}: run `pipeguard fingerprint --write` to approve today's jobs, or compare with a git ref (--against REF)",
                    path.display()
                )));
            }
            if let Some(key) = pubkey {
                let sig = lock::signature_path(path);
                let sig_text = fsread::read_text(&sig, lock::LOCK_MAX_BYTES, follow).map_err(|e| {
                    anyhow::anyhow!(
                        "--pubkey given but the lockfile signature {} cannot be read ({e}); sign the lock with `pipeguard fingerprint --sign KEY`",
                        sig.display()
                    )
                })?;
                let bytes = fsread::read_file(path, lock::LOCK_MAX_BYTES, follow)
                    .map_err(|e| anyhow::anyhow!("cannot read lockfile {}: {e}", path.display()))?;
                lock::verify_signature(&bytes, &sig_text, key, &sig.display().to_string())
                    .map_err(DriftError::Signature)?;
            }
            (
                Lockfile::load(path, follow)?.jobs,
                "the lockfile".to_string(),
                Vec::new(),
            )
        }
    };
    let (findings, diffs) =
        crate::drift::classify::compare(&old, &now.jobs, &now.files, &now.unread, &against);
    let suppressions: HashMap<String, FileSuppressions> = now
        .files
        .values()
        .filter_map(|f| FileSuppressions::parse(&f.text).map(|s| (f.path.clone(), s)))
        .collect();
    diagnostics.extend(now.diagnostics.iter().cloned());
    diagnostics.sort();
    let mut by_kind = BTreeMap::new();
    for f in now.files.values() {
        *by_kind.entry(f.kind).or_default() += 1;
    }
    let mut part = Collected {
        findings,
        diagnostics,
        suppressions,
        files: FileStats {
            scanned: now.files.len(),
            by_kind,
            skipped: 0,
            failed: now.failed,
        },
        drift: diffs,
        secret_values,
        ..Collected::default()
    };
    part.rebase(&repo_prefix(root));
    Ok(finish(root.display().to_string(), vec![part], policy))
}

/// Exit status of a scan: 1 when the policy failed, else 2 when the scan was incomplete, else 0.
pub fn exit_code(report: &Report) -> u8 {
    if report.summary.verdict == policy::Verdict::Fail {
        1
    } else if report.files.failed > 0
        || report
            .diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error)
    {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn panic_messages_do_not_quote_the_input() {
        let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let text = format!("x\u{e9}{secret}");
        let panic = std::panic::catch_unwind(|| {
            let i = std::hint::black_box(2);
            text[i..].len()
        })
        .unwrap_err();
        let msg = super::panic_message(panic.as_ref());
        assert!(msg.contains("is not a char boundary"), "{msg}");
        assert!(!msg.contains("ghp_"), "{msg}");
        let panic: Box<dyn std::any::Any + Send> = Box::new(format!("first\n{secret}"));
        assert_eq!(super::panic_message(panic.as_ref()), "first");
    }
}
