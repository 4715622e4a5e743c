//! `pipeguard drift [PATH] [--lock FILE | --against GIT_REF]`

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::commands::fingerprint::{JobSources, lock_path};
use crate::commands::scan::{ColorChoice, Outputs, emit_report};
use crate::drift::classify;
use crate::drift::lock::Lockfile;
use crate::drift::sources;
use crate::engine;
use crate::policy::config::FailOn;
use crate::policy::suppress::FileSuppressions;
use crate::policy::{self, PolicyInput};
use crate::report::{FileStats, Format, Report, SCHEMA_VERSION, Tool, rules_of};
use crate::rules::Registry;

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    pipeguard drift                                # against .pipeguard/jobs.lock\n  \
    pipeguard drift --against origin/main          # against the jobs of a git ref\n  \
    pipeguard drift --format sarif --output drift.sarif\n\n\
Exit codes: 0 no drift at/above --fail-on, 1 drift, 2 error (or a job file that cannot be read).")]
pub struct DriftArgs {
    #[command(flatten)]
    pub sources: JobSources,
    /// The approved jobs (default: PATH/.pipeguard/jobs.lock).
    #[arg(long, value_name = "FILE", conflicts_with = "against")]
    pub lock: Option<PathBuf>,
    /// Compare with the jobs defined at this git ref instead (read through git, no checkout).
    #[arg(long, value_name = "GIT_REF")]
    pub against: Option<String>,
    /// Main output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the main output here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write SARIF 2.1.0 here.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a Markdown summary here.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Lowest severity that fails (job-changed is medium, the security classifications high).
    #[arg(long, value_enum, default_value = "medium")]
    pub fail_on: FailOn,
    /// Colour in the text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

pub fn run(args: &DriftArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    let config = args.sources.config(registry)?;
    let now = args.sources.collect(&config)?;
    let root = &args.sources.path;
    let (old, against, mut diagnostics) = match &args.against {
        Some(r) => {
            let then = sources::at_ref(root, r, &config.exclude, config.max_file_size())?;
            (
                Lockfile::from_jobs(&then.jobs).jobs,
                format!("`{r}`"),
                then.diagnostics
                    .into_iter()
                    .map(|mut d| {
                        // The old side is context: its problems do not make today's scan fail.
                        d.level = crate::finding::DiagnosticLevel::Note;
                        d
                    })
                    .collect::<Vec<_>>(),
            )
        }
        None => {
            let path = lock_path(root, args.lock.as_deref());
            if !path.is_file() {
                bail!(
                    "no lockfile at {}: run `pipeguard fingerprint --write` to approve today's jobs, or compare with a git ref (--against REF)",
                    path.display()
                );
            }
            (
                Lockfile::load(&path)?.jobs,
                "the lockfile".to_string(),
                Vec::new(),
            )
        }
    };
    let (findings, diffs) = classify::compare(&old, &now.jobs, &now.files, &against);

    let suppressions: HashMap<String, FileSuppressions> = now
        .files
        .values()
        .filter_map(|f| FileSuppressions::parse(&f.text).map(|s| (f.path.clone(), s)))
        .collect();
    let outcome = policy::apply(
        findings,
        &PolicyInput {
            registry,
            config: &config,
            suppressions: &suppressions,
            baseline: None,
            fail_on: args.fail_on,
            max_risk: None,
        },
    );
    diagnostics.extend(now.diagnostics);
    diagnostics.sort();
    let mut by_kind = BTreeMap::new();
    for f in now.files.values() {
        *by_kind.entry(f.kind).or_default() += 1;
    }
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::current(),
        root: root.display().to_string(),
        rules: rules_of(registry, &outcome.findings),
        summary: outcome.summary,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        diagnostics,
        files: FileStats {
            scanned: now.files.len(),
            by_kind,
            skipped: 0,
            failed: now.failed,
        },
        credentials: Vec::new(),
        drift: diffs,
    };
    emit_report(
        &report,
        &Outputs {
            format: args.format,
            output: args.output.as_deref(),
            extra: &[
                (args.sarif.as_deref(), Format::Sarif),
                (args.json.as_deref(), Format::Json),
                (args.junit.as_deref(), Format::Junit),
                (args.summary.as_deref(), Format::Markdown),
            ],
            color: args.color,
        },
    )?;
    Ok(engine::exit_code(&report))
}
