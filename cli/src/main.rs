//! The `pipeguard` binary: parse arguments, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use pipeguard::commands::{self, Cli, EXIT_ERROR};

fn main() -> ExitCode {
    // The default hook prints a panic's payload, which can quote scanned text (a secret); the
    // engine turns a caught panic into a diagnostic naming the file, so print only where.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "pipeguard: internal error{at}: {}",
            pipeguard_engine::engine::panic_message(info.payload())
        );
    }));
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
