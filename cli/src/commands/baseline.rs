//! `pipeguard baseline --write FILE [PATH]`

use std::path::PathBuf;

use clap::Args;

use super::EXIT_PASS;
use super::scan::{Selection, write_file};
use pipeguard_engine::policy::baseline::Baseline;
use pipeguard_engine::policy::config::FailOn;
use pipeguard_engine::rules::Registry;

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    pipeguard baseline --write .pipeguard/baseline.json\n  \
    pipeguard scan --baseline .pipeguard/baseline.json")]
pub struct BaselineArgs {
    /// Where to write the baseline (JSON).
    #[arg(long, value_name = "FILE")]
    pub write: PathBuf,
    #[command(flatten)]
    pub selection: Selection,
}

pub fn run(args: &BaselineArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    let config = args.selection.load_config(registry)?;
    let report = args
        .selection
        .scan(registry, &config, FailOn::Never, None)?;
    let baseline = Baseline::from_findings(&report.findings);
    write_file(&args.write, &baseline.to_json())?;
    eprintln!(
        "pipeguard: recorded {} finding fingerprints in {}",
        baseline.findings.len(),
        args.write.display()
    );
    Ok(EXIT_PASS)
}
