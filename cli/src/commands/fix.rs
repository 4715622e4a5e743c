//! `pipeguard fix [PATH] [--write]`: repair what can be repaired safely. Dry run by default (a
//! unified diff on stdout); `--write` applies. What has no safe repair is listed on stderr.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{EXIT_FAIL, EXIT_PASS};
use pipeguard_engine::finding::Persona;
use pipeguard_engine::fix::{self, FixRequest};
use pipeguard_engine::rules::Registry;

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    pipeguard fix .                 (print the diff)\n  \
    pipeguard fix . --write         (apply it)\n  \
    pipeguard fix --check .         (exit 1 when a repair is available)")]
pub struct FixArgs {
    /// Repository tree (or single file) to repair.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Policy file (default: .pipeguard.yml at PATH, when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Apply the repairs to the files (default: print a unified diff only).
    #[arg(long)]
    pub write: bool,
    /// Exit 1 when any repair is available (without --write).
    #[arg(long, conflicts_with = "write")]
    pub check: bool,
    /// Which findings are repaired: those the persona reports (default: config `persona`,
    /// else pedantic).
    #[arg(long, value_enum, value_name = "PERSONA")]
    pub persona: Option<Persona>,
    /// With --online: pin `uses:` to the commit of its tag (`# vX.Y.Z` comment) and update stale
    /// pins, from the GitHub API (cached like `scan --online`), and Dockerfile base images to
    /// the digest of their tag (`FROM node:22@sha256:…`), from their registry.
    #[command(flatten)]
    pub online: super::online::OnlineArgs,
    /// With --online, Dockerfile base images are pinned to the digest of their tag, asked of
    /// their registry with these credentials (docker config by default).
    #[command(flatten)]
    pub registry: super::registry::RegistryOpts,
}

/// Control characters of untrusted text (step names, paths) are not sent to the terminal.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

pub fn run(args: &FixArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    let source = pipeguard_engine::engine::ConfigSource::Discover {
        root: &args.path,
        explicit: args.config.as_deref(),
    };
    let mut config = pipeguard_engine::engine::load_config(&source, registry)?;
    config.persona = Some(args.persona.or(config.persona).unwrap_or(Persona::Pedantic));
    let mut online = args.online.facts(&args.path, &config)?;
    if let Some(facts) = online.as_mut() {
        super::online::image_digests(&args.path, &config, &args.registry, facts)?;
    }
    let outcome = fix::plan(&FixRequest {
        root: args.path.clone(),
        config: &config,
        registry,
        online: online.as_ref(),
    })?;
    let mut err = std::io::stderr().lock();
    if args.write {
        for f in &outcome.files {
            fix::write(f)?;
        }
    } else {
        let mut out = std::io::stdout().lock();
        for f in &outcome.files {
            if let Err(e) = out.write_all(f.diff().as_bytes())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e.into());
            }
        }
        let _ = out.flush();
    }
    for f in &outcome.files {
        for a in &f.applied {
            writeln!(
                err,
                "{}:{}: {}: {}",
                clean(&f.path),
                a.line,
                a.rule_id,
                clean(&a.title)
            )?;
        }
    }
    for s in &outcome.skipped {
        writeln!(
            err,
            "{}:{}: {}: not repaired: {}",
            clean(&s.path),
            s.line,
            s.rule_id,
            clean(&s.reason)
        )?;
    }
    writeln!(
        err,
        "pipeguard fix: {} repair{} in {} file{}{}; {} finding{} with no safe repair; {} files examined",
        outcome.applied(),
        if outcome.applied() == 1 { "" } else { "s" },
        outcome.files.len(),
        if outcome.files.len() == 1 { "" } else { "s" },
        if args.write {
            " written"
        } else {
            " (dry run: --write applies)"
        },
        outcome.skipped.len(),
        if outcome.skipped.len() == 1 { "" } else { "s" },
        outcome.examined
    )?;
    Ok(if args.check && outcome.applied() > 0 {
        EXIT_FAIL
    } else {
        EXIT_PASS
    })
}
