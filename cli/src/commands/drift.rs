//! `pipeguard drift [PATH] [--lock FILE | --against GIT_REF]`

use std::path::PathBuf;

use clap::Args;

use crate::commands::fingerprint::{JobSources, lock_path};
use crate::commands::scan::OutputArgs;
use pipeguard_engine::engine::{self, DriftBase, DriftError, Policy};
use pipeguard_engine::policy::config::FailOn;
use pipeguard_engine::rules::Registry;

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    pipeguard drift                                # against .pipeguard/jobs.lock\n  \
    pipeguard drift --against origin/main          # against the jobs of a git ref\n  \
    pipeguard drift --format sarif --output drift.sarif\n\n\
Exit codes: 0 no drift at/above --fail-on, 1 drift, 2 error or a job file that cannot be read (even\nwhen there is drift too).")]
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
    let pubkey = args
        .pubkey
        .as_deref()
        .map(pipeguard_attest::keys::load_public)
        .transpose()?;
    let base = match &args.against {
        Some(r) => DriftBase::Ref(r),
        None => DriftBase::Lock {
            path: lock_path(root, args.lock.as_deref()),
            pubkey: pubkey.as_ref(),
        },
    };
    let policy = Policy {
        registry,
        config: &config,
        baseline: None,
        fail_on: args.fail_on,
        max_risk: None,
        validator: None,
    };
    let report = match engine::drift(root, &now, &base, &policy) {
        Ok(r) => r,
        Err(DriftError::Signature(e)) => {
            eprintln!("error: lockfile signature check failed: {e:#}");
            return Ok(crate::commands::EXIT_FAIL);
        }
        Err(DriftError::Other(e)) => return Err(e),
    };
    args.out.emit_as(&report, "drift")?;
    Ok(exit_code(&report))
}

/// A job file that could not be read makes the comparison incomplete: exit 2 even when drift
/// was found in the rest (a reader of exit 1 would take the findings as the whole story).
fn exit_code(report: &pipeguard_engine::report::Report) -> u8 {
    let incomplete = report.files.failed > 0
        || report
            .diagnostics
            .iter()
            .any(|d| d.level == pipeguard_engine::finding::DiagnosticLevel::Error);
    if incomplete {
        2
    } else {
        engine::exit_code(report)
    }
}
