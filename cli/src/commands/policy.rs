//! `pipeguard policy kyverno|sigstore`: admission policies that enforce the attestation.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use pipeguard_attest::admission::{self, Language, Options};
use pipeguard_attest::{anykey, time};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  pipeguard policy kyverno --pubkey cosign.pub --images 'registry.example.com/*' --max-risk 20 | kubectl apply -f -\n  pipeguard policy sigstore --help"
)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// A Kyverno ClusterPolicy (verifyImages with attestations) that admits only images with a
    /// valid, passing pipeguard attestation.
    #[command(
        after_long_help = "Examples:\n  pipeguard policy kyverno --pubkey cosign.pub --images 'registry.example.com/*' --max-risk 20 | kubectl apply -f -"
    )]
    Kyverno(Common),
    /// A Sigstore policy-controller ClusterImagePolicy with a CUE (or Rego) policy on the
    /// pipeguard predicate.
    #[command(
        after_long_help = "Examples:\n  pipeguard policy sigstore --pubkey cosign.pub --images 'registry.example.com/**' --max-risk 20 | kubectl apply -f -"
    )]
    Sigstore(SigstoreArgs),
}

#[derive(Args, Debug)]
pub struct Common {
    /// The public key attestations are signed with (SPKI PEM; ECDSA P-256 recommended).
    #[arg(long, value_name = "PUB")]
    pub pubkey: PathBuf,
    /// Image patterns the policy applies to (repeatable).
    #[arg(long, value_name = "PATTERN", required = true)]
    pub images: Vec<String>,
    /// Refuse images whose attested risk score is above N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_risk: Option<u8>,
    /// Refuse attestations older than this (Kyverno only; e.g. 7d).
    #[arg(long, value_name = "DURATION", value_parser = time::parse_duration)]
    pub max_age: Option<u64>,
    /// Name of the policy object.
    #[arg(long, default_value = "pipeguard-attestation")]
    pub name: String,
    /// Report instead of refusing (Kyverno Audit, policy-controller warn).
    #[arg(long)]
    pub audit_only: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Lang {
    Cue,
    Rego,
}

#[derive(Args, Debug)]
pub struct SigstoreArgs {
    #[command(flatten)]
    pub common: Common,
    /// Policy language on the statement.
    #[arg(long, value_enum, default_value = "cue")]
    pub language: Lang,
}

fn options(c: &Common) -> anyhow::Result<Options> {
    Ok(Options {
        name: c.name.clone(),
        images: c.images.clone(),
        key: anykey::load_public(&c.pubkey)?,
        max_risk: c.max_risk,
        max_age: c.max_age,
        audit_only: c.audit_only,
    })
}

pub fn run(args: &PolicyArgs) -> anyhow::Result<u8> {
    let text = match &args.command {
        PolicyCommand::Kyverno(c) => admission::kyverno(&options(c)?),
        PolicyCommand::Sigstore(s) => {
            if s.common.max_age.is_some() {
                anyhow::bail!(
                    "--max-age is Kyverno only: the policy-controller's CUE/Rego has no clock"
                );
            }
            let lang = match s.language {
                Lang::Cue => Language::Cue,
                Lang::Rego => Language::Rego,
            };
            admission::sigstore(&options(&s.common)?, lang)
        }
    };
    print!("{text}");
    Ok(super::EXIT_PASS)
}
