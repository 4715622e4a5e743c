//! `pipeguard-precommit`: the `pipeguard` command line under the name pre-commit installs.
//!
//! pre-commit's `language: rust` runs `cargo install --path .` at the repository root, and the
//! root is a workspace; this small root package gives it something to install. Same arguments,
//! same exit codes as `pipeguard`.

use std::process::ExitCode;

use clap::Parser;
use pipeguard::commands::{self, Cli, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
