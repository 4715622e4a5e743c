//! `pipeguard drift [PATH] [--lock FILE | --against GIT_REF]`

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::commands::fingerprint::{JobSources, lock_path};
use crate::commands::scan::OutputArgs;
use pipeguard_engine::drift::classify;
use pipeguard_engine::drift::lock::{self, Lockfile};
use pipeguard_engine::drift::sources;
use pipeguard_engine::engine;
use pipeguard_engine::policy::config::FailOn;
use pipeguard_engine::policy::suppress::FileSuppressions;
use pipeguard_engine::policy::{self, PolicyInput};
use pipeguard_engine::report::{FileStats, Report, SCHEMA_VERSION, Tool, rules_of};
use pipeguard_engine::rules::Registry;

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
    /// Require the lockfile to be signed by this ed25519 public key (FILE.sig beside it, written
    /// by `fingerprint --sign`): a pull request cannot edit the lock and a job together.
    #[arg(long, value_name = "PUB", conflicts_with = "against")]
    pub pubkey: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Lowest severity that fails (job-changed is medium, the security classifications high).
    #[arg(long, value_enum, default_value = "medium")]
    pub fail_on: FailOn,
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
                        d.level = pipeguard_engine::finding::DiagnosticLevel::Note;
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
            if let Some(pubkey) = &args.pubkey {
                let key = pipeguard_attest::keys::load_public(pubkey)?;
                let sig = lock::signature_path(&path);
                let sig_text = std::fs::read_to_string(&sig).map_err(|e| {
                    anyhow::anyhow!(
                        "--pubkey given but the lockfile signature {} cannot be read ({e}); sign the lock with `pipeguard fingerprint --sign KEY`",
                        sig.display()
                    )
                })?;
                let bytes = std::fs::read(&path)?;
                if let Err(e) =
                    lock::verify_signature(&bytes, &sig_text, &key, &sig.display().to_string())
                {
                    eprintln!("error: lockfile signature check failed: {e:#}");
                    return Ok(crate::commands::EXIT_FAIL);
                }
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
    args.out.emit(&report)?;
    Ok(engine::exit_code(&report))
}
