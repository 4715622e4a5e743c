//! `pipeguard audit verify FILE`: check the hash chain of a decision log written with
//! `--audit-log` (gate, attest, verify, registry audit).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use pipeguard_attest::{auditlog, time};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  pipeguard verify --attestation app.intoto.jsonl --pubkey pipeguard.pub --image-digest sha256:… --audit-log decisions.jsonl\n  pipeguard audit verify decisions.jsonl"
)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Verify the hash chain: an edited, removed or reordered entry is reported (exit 1).
    #[command(
        after_long_help = "Each entry carries its own hash and the hash of the one before, so an edited,\n\
removed or reordered entry breaks the chain. Entries cut off at the end are only detected against a head\n\
recorded elsewhere: pass it with --head (this command prints the current head).\n\
Exit codes: 0 intact, 1 the chain is broken (the first break is named), 2 the file cannot be read.\n\n\
Examples:\n  pipeguard audit verify pipeguard-audit.jsonl\n  pipeguard audit verify pipeguard-audit.jsonl --head sha256:4f3c…"
    )]
    Verify(VerifyArgs),
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The log (JSON lines).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The head hash recorded earlier: the log must end with it.
    #[arg(long, value_name = "sha256:HEX")]
    pub head: Option<String>,
}

pub fn run(args: &AuditArgs) -> anyhow::Result<u8> {
    match &args.command {
        AuditCommand::Verify(v) => {
            if !v.file.exists() {
                anyhow::bail!(
                    "cannot read the audit log {}: no such file",
                    v.file.display()
                );
            }
            match auditlog::verify_file(&v.file, v.head.as_deref()) {
                Ok(c) => {
                    println!(
                        "audit log intact: {} entr{}, head {}",
                        c.entries,
                        if c.entries == 1 { "y" } else { "ies" },
                        c.head
                    );
                    Ok(super::EXIT_PASS)
                }
                Err(e) => {
                    eprintln!("audit log broken: {e:#}");
                    Ok(super::EXIT_FAIL)
                }
            }
        }
    }
}

/// Append a decision to `--audit-log FILE`, when given.
pub fn record(
    log: Option<&Path>,
    command: &str,
    subject: &str,
    policy_digest: Option<String>,
    allowed: bool,
    reasons: Vec<String>,
) -> anyhow::Result<()> {
    let Some(path) = log else {
        return Ok(());
    };
    auditlog::append(
        path,
        &auditlog::Decision {
            command: command.into(),
            subject: subject.into(),
            policy_digest,
            allowed,
            reasons,
        },
        time::system_now(),
    )?;
    Ok(())
}
