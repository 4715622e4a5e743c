//! The command line (clap derive). Each command has its arguments and its `run` in one file.

pub mod attest;
pub mod audit;
pub mod baseline;
pub mod drift;
pub mod explain;
pub mod fingerprint;
pub mod fix;
pub mod gate;
pub mod jenkins;
pub mod keygen;
pub mod online;
pub mod policy;
pub mod registry;
pub mod rules;
pub mod scan;
pub mod verify;

use clap::{Parser, Subcommand};

/// Exit codes, as documented: 0 passed, 1 policy failed, 2 usage/configuration/I-O error,
/// 3 partial `jenkins pull` (some jobs could not be read, every other one was saved).
pub const EXIT_PASS: u8 = 0;
pub const EXIT_FAIL: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
pub const EXIT_PARTIAL: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "pipeguard",
    version,
    about = "Build-integrity and pipeline-hardening scanner for CI",
    long_about = "pipeguard scans a repository's CI definitions, secrets, Dockerfiles and infrastructure code,\n\
fingerprints build jobs to detect drift, gates untrusted pull-request builds, and signs build attestations.\n\n\
Exit codes: 0 passed, 1 policy failed (findings at/above --fail-on, drift, gate blocked, verification failed),\n\
2 usage, configuration or I/O error of the run itself (with `scan --strict` also any file that could not be\n\
read or parsed; without it such a file is a note and a `<family>/parse-error` finding, low by default),\n\
3 `jenkins pull` saved every job but some it could not read (listed on stderr).",
    after_help = "Examples:\n  pipeguard scan .\n  pipeguard scan --format sarif --output pipeguard.sarif\n  pipeguard rules --family docker\n  pipeguard explain docker/root-user"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a repository tree with every analyzer.
    Scan(scan::ScanArgs),
    /// List the rule catalogue.
    Rules(rules::RulesArgs),
    /// Print one rule's documentation.
    Explain(explain::ExplainArgs),
    /// Repair what can be repaired safely (a unified diff; --write applies).
    Fix(fix::FixArgs),
    /// Record today's findings so that later scans report only new ones.
    Baseline(baseline::BaselineArgs),
    /// Create a signing key pair, Ed25519 or ECDSA P-256 (PKCS#8 PEM private, SPKI PEM public).
    Keygen(keygen::KeygenArgs),
    /// Sign an in-toto attestation binding the scan verdict and risk score to an image digest.
    Attest(Box<attest::AttestArgs>),
    /// Verify an attestation for an image at a deploy gate (exit 1 when it fails).
    Verify(verify::VerifyArgs),
    /// Fingerprint every build job and write the lockfile of approved jobs.
    Fingerprint(fingerprint::FingerprintArgs),
    /// Compare build jobs with the lockfile or a git ref and classify every change.
    Drift(drift::DriftArgs),
    /// Run-time untrusted-build gate (exit 0 allow, 1 block, 2 error).
    Gate(gate::GateArgs),
    /// Jenkins: pull job definitions (config.xml) from a live instance.
    Jenkins(jenkins::JenkinsArgs),
    /// Admission policies (Kyverno, Sigstore policy-controller) that enforce the attestation.
    Policy(policy::PolicyArgs),
    /// Registry: audit a repository's images for valid, passing attestations.
    Registry(registry::RegistryArgs),
    /// The hash-chained decision log of --audit-log.
    Audit(audit::AuditArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  pipeguard completions bash > /etc/bash_completion.d/pipeguard\n  pipeguard completions zsh > \"${fpath[1]}/_pipeguard\"\n  pipeguard completions fish > ~/.config/fish/completions/pipeguard.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of pipeguard.
    #[command(after_help = "Example:\n  pipeguard man > /usr/local/share/man/man1/pipeguard.1")]
    Man,
}

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(a) => scan::run(&a),
        Command::Rules(a) => rules::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Baseline(a) => baseline::run(&a),
        Command::Fix(a) => fix::run(&a),
        Command::Keygen(a) => keygen::run(&a),
        Command::Attest(a) => attest::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Fingerprint(a) => fingerprint::run(&a),
        Command::Drift(a) => drift::run(&a),
        Command::Gate(a) => gate::run(&a),
        Command::Jenkins(a) => jenkins::run(&a),
        Command::Policy(a) => policy::run(&a),
        Command::Registry(a) => registry::run(&a),
        Command::Audit(a) => audit::run(&a),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "pipeguard", &mut out);
            write_stdout(&out)?;
            Ok(EXIT_PASS)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            write_stdout(&out)?;
            Ok(EXIT_PASS)
        }
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}
