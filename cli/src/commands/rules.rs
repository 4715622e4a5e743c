//! `pipeguard rules [--family F] [--format table|json]`

use std::fmt::Write as _;

use clap::{Args, ValueEnum};

use super::EXIT_PASS;
use pipeguard_engine::finding::Family;
use pipeguard_engine::rules::Registry;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  pipeguard rules\n  pipeguard rules --family github\n  pipeguard rules --format json | jq -r '.[] | select(.severity == \"critical\") | .id'"
)]
pub struct RulesArgs {
    /// Only this family.
    #[arg(long)]
    pub family: Option<Family>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: RulesFormat,
}

pub fn run(args: &RulesArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    let rules: Vec<_> = registry
        .iter()
        .filter(|r| args.family.is_none_or(|f| r.family() == Some(f)))
        .collect();
    let out = match args.format {
        RulesFormat::Json => {
            let mut s = serde_json::to_string_pretty(&rules)?;
            s.push('\n');
            s
        }
        RulesFormat::Table => {
            let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            let mut s = format!("{:<w$}  {:<8}  TITLE\n", "ID", "SEVERITY");
            for r in &rules {
                let _ = writeln!(s, "{:<w$}  {:<8}  {}", r.id, r.severity.as_str(), r.title);
            }
            let _ = writeln!(
                s,
                "\n{} rules. `pipeguard explain RULE` prints a rule's documentation.",
                rules.len()
            );
            s
        }
    };
    print!("{out}");
    Ok(EXIT_PASS)
}
