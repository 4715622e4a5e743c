//! The `pipeguard` binary: parse arguments, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use pipeguard::commands::{self, Cli, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors can quote inputs (URLs given on the command line, config values).
            eprintln!(
                "error: {}",
                pipeguard_engine::redact::strip_url_credentials(&format!("{e:#}"))
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}
