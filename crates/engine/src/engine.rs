//! The scan pipeline: discover → read (once, in parallel) → analyzers → policy → report.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analyzers::{self, Analyzer, Output, ScanContext};
use crate::discover::{self, Candidate, FileKind, ReadLimits, ReadOutcome, WalkOptions};
use crate::finding::{Diagnostic, DiagnosticLevel, Family, Provenance, RawFinding};
use crate::policy::baseline::Baseline;
use crate::policy::config::{CONFIG_FILE, Config, FailOn};
use crate::policy::suppress::FileSuppressions;
use crate::policy::{self, PolicyInput};
use crate::report::{FileStats, Report, SCHEMA_VERSION, Tool, join_credentials};
use crate::rules::Registry;

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
        ConfigSource::Discover { root, explicit } => Config::discover(root, explicit, &schema),
        ConfigSource::TrustedRef { root, refname } => {
            let dir = if root.is_file() {
                root.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                root.to_path_buf()
            };
            let (repo, rel) = crate::git::open(&dir)?;
            let tree_path = crate::git::join(&rel, CONFIG_FILE);
            let origin = format!("{refname}:{tree_path}");
            match crate::git::read_at_ref(&repo, refname, &tree_path)? {
                Some(bytes) => {
                    let text = String::from_utf8(bytes)
                        .with_context(|| format!("{origin} is not UTF-8"))?;
                    Ok(Config::parse(&text, &origin, &schema)?)
                }
                None => Ok(Config::parse("", &origin, &schema)?),
            }
        }
    }
}

/// Where the files come from.
pub enum Input {
    /// Walk a directory (or one file).
    Tree,
    /// Files already collected (staged blobs, history blobs).
    Candidates(Vec<Candidate>),
}

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
}

/// The result of reading and analysing one file.
struct FileResult {
    output: Output,
    suppressions: Option<(String, FileSuppressions)>,
    retained: Option<Arc<crate::source::SourceFile>>,
    kind: Option<FileKind>,
    skipped: Option<Diagnostic>,
    failed: Option<Diagnostic>,
}

pub fn scan(req: ScanRequest<'_>) -> anyhow::Result<Report> {
    let all = analyzers::all();
    let active: Vec<&dyn Analyzer> = all
        .iter()
        .map(AsRef::as_ref)
        .filter(|a| req.families.is_empty() || req.families.contains(&a.family()))
        .collect();
    let cx = ScanContext { config: req.config };

    let (candidates, mut diagnostics) = match req.input {
        Input::Tree => {
            let walk = discover::walk(&WalkOptions {
                root: req.root.clone(),
                exclude: req.config.exclude.clone(),
            })?;
            (walk.candidates, walk.diagnostics)
        }
        Input::Candidates(c) => (c, Vec::new()),
    };

    let limits = ReadLimits {
        max_file_size: req.config.max_file_size(),
    };
    let results: Vec<FileResult> = candidates
        .into_par_iter()
        .map(|c| process(c, limits, &active, &cx))
        .collect();

    let mut output = Output::default();
    let mut suppressions: HashMap<String, FileSuppressions> = HashMap::new();
    let mut retained: Vec<Arc<crate::source::SourceFile>> = Vec::new();
    let mut stats = FileStats::default();
    let mut by_kind: BTreeMap<FileKind, usize> = BTreeMap::new();
    for r in results {
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
    stats.failed += output.unparsed.len();
    diagnostics.append(&mut output.diagnostics);
    diagnostics.sort();
    diagnostics.dedup();

    let outcome = policy::apply(
        output.findings,
        &PolicyInput {
            registry: req.registry,
            config: req.config,
            suppressions: &suppressions,
            baseline: req.baseline,
            fail_on: req.fail_on,
            max_risk: req.max_risk,
        },
    );

    let rules = crate::report::rules_of(req.registry, &outcome.findings);

    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::current(),
        root: req.root_display,
        summary: outcome.summary,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        diagnostics,
        files: stats,
        credentials: join_credentials(output.credentials),
        rules,
        drift: Vec::new(),
    })
}

fn process(
    candidate: Candidate,
    limits: ReadLimits,
    active: &[&dyn Analyzer],
    cx: &ScanContext<'_>,
) -> FileResult {
    let mut result = FileResult {
        output: Output::default(),
        suppressions: None,
        retained: None,
        kind: None,
        skipped: None,
        failed: None,
    };
    let Some(candidate) = binary_by_analyzers(candidate, active, cx, &mut result) else {
        return result;
    };
    let (file, provenance) = match discover::read(candidate, limits) {
        ReadOutcome::File(f, p) => (f, p),
        ReadOutcome::Skipped(d) => {
            result.skipped = Some(d);
            return result;
        }
        ReadOutcome::Failed(d) => {
            result.failed = Some(d);
            return result;
        }
    };
    result.kind = Some(file.kind);
    if let Some(s) = FileSuppressions::parse(&file.text) {
        result.suppressions = Some((file.path.clone(), s));
    }
    let mut keep = false;
    for a in active {
        if a.accepts(file.kind) {
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

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
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
    let mut ids: Vec<&'static str> = analyzers::all().iter().flat_map(|a| a.rule_ids()).collect();
    // Drift findings come from `pipeguard drift`, not from an analyzer.
    ids.extend_from_slice(crate::drift::classify::IDS);
    ids
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
