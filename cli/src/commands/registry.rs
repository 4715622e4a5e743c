//! `pipeguard registry audit REPO`, and the registry options shared by `attest --push`,
//! `attest push`, `verify --image` and `registry audit`.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};

use super::scan::OutputArgs;
use pipeguard_attest::{anykey, auditlog, time, verify};
use pipeguard_engine::policy::config::{Config, FailOn};
use pipeguard_engine::registry::{AuditedImage, ImageStatus};
use pipeguard_engine::rules::Registry;
use pipeguard_oci::audit::Failure;
use pipeguard_oci::auth::{CredentialSource, Credentials, Secret};
use pipeguard_oci::{Client, ClientOptions, Reference};

#[derive(Args, Debug, Clone, Default)]
pub struct RegistryOpts {
    /// A registry reached over plain HTTP (`host[:port]`; repeatable), e.g. a test registry on
    /// loopback. Every other registry is HTTPS only.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,
    /// Environment variable holding a registry token or password (otherwise the docker config
    /// and its credential helpers are used).
    #[arg(long, value_name = "VAR")]
    pub registry_token_env: Option<String>,
    /// Username sent with --registry-token-env (default `pipeguard`; ghcr.io ignores it, Docker
    /// Hub and GitLab need yours).
    #[arg(long, value_name = "USER", requires = "registry_token_env")]
    pub registry_username: Option<String>,
    /// Docker config with registry credentials (default: $DOCKER_CONFIG/config.json, else
    /// ~/.docker/config.json).
    #[arg(long, value_name = "FILE")]
    pub docker_config: Option<PathBuf>,
}

impl RegistryOpts {
    pub fn client(&self) -> anyhow::Result<Client> {
        let explicit = match &self.registry_token_env {
            Some(var) => {
                let token = std::env::var(var).map_err(|_| {
                    anyhow!(
                        "environment variable {var} (--registry-token-env) is not set or not UTF-8"
                    )
                })?;
                if token.trim().is_empty() {
                    return Err(anyhow!(
                        "environment variable {var} (--registry-token-env) is empty"
                    ));
                }
                Some(Credentials::Basic {
                    username: self
                        .registry_username
                        .clone()
                        .unwrap_or_else(|| "pipeguard".into()),
                    password: Secret::new(token.trim()),
                })
            }
            None => None,
        };
        let client = Client::new(ClientOptions {
            insecure: self.insecure_registry.clone(),
            credentials: CredentialSource {
                explicit,
                docker_config: self.docker_config.clone(),
                no_docker_config: false,
            },
            ..ClientOptions::default()
        })?;
        for w in client.warnings() {
            eprintln!("warning: {w}");
        }
        Ok(client)
    }
}

/// A runtime for the registry calls (one thread: the calls are sequential).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  pipeguard registry audit registry.example.com/team/app --pubkey pipeguard.pub --max-risk 20\n  pipeguard registry audit registry.example.com/team/app --pubkey cosign.pub --format sarif --output audit.sarif"
)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Every image in a repository without a valid, passing, in-threshold pipeguard attestation.
    Audit(Box<AuditArgs>),
}

#[derive(Args, Debug)]
#[command(
    after_long_help = "Lists every tag of REPO (tags list API), resolves each to its digest, reads the\n\
attestations stored beside it (cosign's sha256-<hex>.att tag and OCI referrers) and reports every image\n\
without a pipeguard attestation that verifies with PUB and passes the policy, as registry/* findings in\n\
any report format. Exit codes: 0 every image passes, 1 an image was reported, 2 usage or registry error.\n\n\
Examples:\n  pipeguard registry audit registry.example.com/team/app --pubkey pipeguard.pub --max-risk 20\n  \
pipeguard registry audit registry.example.com/team/app --pubkey cosign.pub --format sarif --output audit.sarif"
)]
pub struct AuditArgs {
    /// Repository to audit (`registry/repository`, no tag).
    #[arg(value_name = "REPO")]
    pub repo: String,
    /// The signer's public key (SPKI PEM, Ed25519 or ECDSA P-256).
    #[arg(long, value_name = "PUB")]
    pub pubkey: PathBuf,
    /// Report images whose attested risk score is above N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_risk: Option<u8>,
    /// Or the threshold of this gate of the policy's `risk.gates` (see --config).
    #[arg(long, value_name = "NAME", conflicts_with = "max_risk")]
    pub risk_gate: Option<String>,
    /// Policy file for --risk-gate (default: .pipeguard.yml in the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report images whose attestation is older than this (e.g. 30d).
    #[arg(long, value_name = "DURATION", value_parser = time::parse_duration)]
    pub max_age: Option<u64>,
    #[command(flatten)]
    pub registry: RegistryOpts,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Append each image's decision to this hash-chained log (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

pub fn run(args: &RegistryArgs) -> anyhow::Result<u8> {
    match &args.command {
        RegistryCommand::Audit(a) => audit(a),
    }
}

/// The policy file and the risk threshold of `--max-risk` or `--risk-gate`.
pub fn policy_and_threshold(
    config: Option<&std::path::Path>,
    gate: Option<&str>,
    max_risk: Option<u8>,
) -> anyhow::Result<(Option<Config>, Option<u8>)> {
    let registry = Registry::builtin()?;
    let load = |explicit| {
        pipeguard_engine::engine::load_config(
            &pipeguard_engine::engine::ConfigSource::Discover {
                root: std::path::Path::new("."),
                explicit,
            },
            registry,
        )
    };
    let cfg = match (config, gate) {
        (Some(p), _) => Some(load(Some(p))?),
        (None, Some(_)) => Some(load(None)?),
        (None, None) => None,
    };
    let threshold = match gate {
        Some(g) => {
            let c = cfg
                .as_ref()
                .ok_or_else(|| anyhow!("--risk-gate needs a policy"))?;
            Some(*c.risk.gates.get(g).ok_or_else(|| {
                anyhow!(
                    "unknown risk gate `{g}` (config `risk.gates` defines: {})",
                    if c.risk.gates.is_empty() {
                        "none".to_string()
                    } else {
                        c.risk.gates.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                )
            })?)
        }
        None => max_risk,
    };
    Ok((cfg, threshold))
}

fn audit(args: &AuditArgs) -> anyhow::Result<u8> {
    let repo = Reference::parse(&args.repo)?;
    if repo.tag.is_some() || repo.digest.is_some() {
        return Err(anyhow!(
            "{}: give the repository without a tag or digest",
            args.repo
        ));
    }
    let key = anykey::load_public(&args.pubkey)?;
    let (cfg, max_risk) = policy_and_threshold(
        args.config.as_deref(),
        args.risk_gate.as_deref(),
        args.max_risk,
    )?;
    let policy = verify::Policy {
        digest: String::new(),
        max_risk,
        max_age: args.max_age,
        require_verdict: Some("pass".into()),
        allow_incomplete: false,
        now: time::system_now(),
    };
    let client = args.registry.client()?;
    let results = runtime()?.block_on(pipeguard_oci::audit::audit_repository(
        &client, &repo, &key, &policy,
    ))?;
    let name = repo.name();
    let images: Vec<AuditedImage> = results
        .into_iter()
        .map(|r| {
            let e = r.evaluation;
            let status = if e.passed.is_some() {
                ImageStatus::Passed
            } else if e.failures.is_empty() {
                ImageStatus::Unattested { others: e.others }
            } else {
                let why =
                    |f: &(pipeguard_oci::attach::Layout, Failure)| format!("{}: {}", f.0, f.1);
                if e.failures.iter().any(|f| f.1.is_policy()) {
                    ImageStatus::Failing(
                        e.failures
                            .iter()
                            .filter(|f| f.1.is_policy())
                            .map(why)
                            .collect(),
                    )
                } else {
                    ImageStatus::Invalid(e.failures.iter().map(why).collect())
                }
            };
            AuditedImage {
                repository: name.clone(),
                digest: r.digest,
                tags: r.tags,
                status,
            }
        })
        .collect();
    let registry = Registry::builtin()?;
    let config = match cfg {
        Some(c) => c,
        None => Config {
            digest: pipeguard_attest::hash::sha256_hex(b""),
            ..Config::default()
        },
    };
    let report = pipeguard_engine::engine::registry_audit(
        &name,
        &images,
        &pipeguard_engine::engine::Policy {
            registry,
            config: &config,
            baseline: None,
            fail_on: FailOn::High,
            max_risk: None,
            validator: None,
        },
    );
    if let Some(log) = &args.audit_log {
        for img in &images {
            let (allowed, reasons) = match &img.status {
                ImageStatus::Passed => (
                    true,
                    vec!["valid passing pipeguard attestation".to_string()],
                ),
                ImageStatus::Unattested { .. } => {
                    (false, vec!["no pipeguard attestation".to_string()])
                }
                ImageStatus::Invalid(w) | ImageStatus::Failing(w) => (false, w.clone()),
            };
            auditlog::append(
                log,
                &auditlog::Decision {
                    command: "registry-audit".into(),
                    subject: format!("{}@{}", img.repository, img.digest),
                    policy_digest: Some(format!("sha256:{}", config.digest)),
                    allowed,
                    reasons,
                },
                time::system_now(),
            )?;
        }
    }
    args.out.emit_as(&report, "registry")?;
    Ok(pipeguard_engine::engine::exit_code(&report))
}
