//! `pipeguard explain RULE`

use anyhow::bail;
use clap::Args;

use super::EXIT_PASS;
use pipeguard_engine::rules::Registry;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  pipeguard explain docker/root-user\n  pipeguard explain github/untrusted-checkout | less"
)]
pub struct ExplainArgs {
    /// Rule id, e.g. docker/root-user.
    pub rule: String,
}

pub fn run(args: &ExplainArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    match registry.get(&args.rule) {
        Some(meta) => {
            print!("{}", meta.markdown());
            Ok(EXIT_PASS)
        }
        None => {
            let hint = registry
                .suggest(&args.rule)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            bail!(
                "unknown rule `{}`{hint}; `pipeguard rules` lists them",
                args.rule
            )
        }
    }
}
