//! `pipeguard gate --github | --jenkins`: the run-time untrusted-build gate.
//! The decision logic and the GitHub API client live in the `pipeguard-github` crate.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{ArgGroup, Args};
use pipeguard_github::gate::parse_change_url;
use pipeguard_github::{Client, Context, Decision, JenkinsChange, Policy, Verdict};

use super::scan::Selection;
use super::{EXIT_ERROR, EXIT_FAIL, EXIT_PASS};
use pipeguard_engine::policy::config::Config;
use pipeguard_engine::report::github::{escape_data, escape_property};
use pipeguard_engine::rules::Registry;

#[derive(Args, Debug)]
#[command(
    group(ArgGroup::new("ci").required(true).args(["github", "jenkins"])),
    after_long_help = "Exit codes: 0 allow, 1 block, 2 error.\n\n\
Examples:\n  \
    pipeguard gate --github                                  # first step of a job\n  \
    pipeguard gate --github --decision-file gate.json        # for `attest --gate-decision`\n  \
    GITHUB_TOKEN=… pipeguard gate --jenkins                  # in a Jenkins multibranch stage"
)]
pub struct GateArgs {
    /// GitHub Actions: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY and the payload.
    #[arg(long)]
    pub github: bool,
    /// Jenkins multibranch: CHANGE_ID, CHANGE_FORK, CHANGE_AUTHOR, CHANGE_TARGET, CHANGE_URL.
    #[arg(long)]
    pub jenkins: bool,
    /// Policy file (default: .pipeguard.yml in the current directory, when present).
    #[arg(long, value_name = "FILE", conflicts_with = "trusted_config_ref")]
    pub config: Option<PathBuf>,
    /// Read .pipeguard.yml from this git ref (e.g. origin/main), not from the pull request.
    #[arg(long, value_name = "REF")]
    pub trusted_config_ref: Option<String>,
    /// Environment variable holding the GitHub token (GH_TOKEN is tried when it is unset).
    #[arg(long, value_name = "VAR", default_value = "GITHUB_TOKEN")]
    pub token_env: String,
    /// Decide from the event payload alone, without calling the GitHub API.
    #[arg(long)]
    pub no_api: bool,
    /// Also write the decision as JSON here.
    #[arg(long, value_name = "FILE")]
    pub decision_file: Option<PathBuf>,
    /// Longest wait for a GitHub API rate limit to reset before giving up (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub max_wait: u64,
    /// Append the decision to this hash-chained log (JSON lines; `pipeguard audit verify`).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn policy_from(config: &Config) -> Policy {
    let g = &config.gate;
    let mut bots = g.trusted_bots.clone();
    bots.extend(config.github.trusted_bots.iter().cloned());
    Policy {
        trusted_associations: g.trusted_associations.clone(),
        trusted_users: g.trusted_users.clone(),
        trusted_teams: g.trusted_teams.clone(),
        trusted_bots: bots,
        safe_to_test_label: g.safe_to_test_label.clone(),
        offline: pipeguard_github::gate::Offline::NoToken,
    }
}

fn token(args: &GateArgs) -> Option<String> {
    if args.no_api {
        return None;
    }
    env(&args.token_env).or_else(|| {
        (args.token_env == "GITHUB_TOKEN")
            .then(|| env("GH_TOKEN"))
            .flatten()
    })
}

/// Every exit path leaves a decision where a workflow looks for one: `decision=allow|block`
/// after a decision, `decision=error` on any error (a bad config or `--trusted-config-ref`, an
/// unreadable payload, an output that cannot be written), so a step testing
/// `!= 'block'` cannot fail open. Stdout says ALLOW/BLOCK only once every output is written.
pub fn run(args: &GateArgs) -> anyhow::Result<u8> {
    let event_name = if args.github {
        env("GITHUB_EVENT_NAME").unwrap_or_else(|| "unknown".into())
    } else {
        "jenkins".into()
    };
    let result = decide_all(args).and_then(|(d, config_digest)| {
        write_outputs(args, &d)?;
        let subject = match d.pull_request {
            Some(n) => format!("{}#{n}", d.repository),
            None => format!("{} ({})", d.repository, d.event),
        };
        super::audit::record(
            args.audit_log.as_deref(),
            "gate",
            &subject,
            Some(format!("sha256:{config_digest}")),
            d.decision == Verdict::Allow,
            d.reasons.clone(),
        )?;
        Ok(d)
    });
    match result {
        Ok(d) => {
            print!("{}", stdout_text(args, &d));
            Ok(match d.decision {
                Verdict::Allow => EXIT_PASS,
                Verdict::Block => EXIT_FAIL,
            })
        }
        Err(e) => {
            let msg = neutral(&format!("{e:#}"));
            eprintln!("error: pipeguard gate: {msg}");
            emit_error(args, &event_name, &msg);
            Ok(EXIT_ERROR)
        }
    }
}

/// The decision and the digest of the config it was made under.
fn decide_all(args: &GateArgs) -> anyhow::Result<(Decision, String)> {
    let registry = Registry::builtin()?;
    let selection = Selection {
        paths: vec![PathBuf::from(".")],
        config: args.config.clone(),
        trusted_config_ref: args.trusted_config_ref.clone(),
        only: Vec::new(),
        skip: Vec::new(),
        persona: None,
        strict: false,
    };
    let config = selection.load_config(registry)?;
    let mut policy = policy_from(&config);
    if args.no_api {
        policy.offline = pipeguard_github::gate::Offline::NoApi;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut d = rt.block_on(decide(args, &policy))?;
    // Reasons quote names from the payload (workflow names, branches, logins): one line each.
    for r in &mut d.reasons {
        *r = neutral(r);
    }
    Ok((d, config.digest))
}

/// An untrusted string on one line, control characters made visible.
fn neutral(s: &str) -> String {
    pipeguard_engine::report::neutral::clean(s, false).into_owned()
}

async fn decide(args: &GateArgs, policy: &Policy) -> anyhow::Result<Decision> {
    let token = token(args);
    let max_wait = Duration::from_secs(args.max_wait);
    if args.github {
        let ctx = Context::from_env(env)?;
        let client = match &token {
            Some(t) => {
                let base = env("GITHUB_API_URL")
                    .unwrap_or_else(|| pipeguard_github::client::DEFAULT_API_URL.into());
                Some(Client::new(&base, Some(t), max_wait)?)
            }
            None => None,
        };
        Ok(pipeguard_github::evaluate_github(&ctx, policy, client.as_ref()).await?)
    } else {
        let change = JenkinsChange::from_env(env);
        let parsed = change.change_url.as_deref().and_then(parse_change_url);
        if change.change_url.is_some() && parsed.is_none() {
            eprintln!(
                "pipeguard gate: CHANGE_URL is not a GitHub pull request URL; approvals cannot be checked"
            );
        }
        let client = match (&token, &parsed) {
            (Some(t), Some((api, _, _))) => {
                let base = env("GITHUB_API_URL").unwrap_or_else(|| api.clone());
                Some(Client::new(&base, Some(t), max_wait)?)
            }
            _ => None,
        };
        let repo = parsed.as_ref().map(|(_, r, _)| r.as_str());
        Ok(pipeguard_github::evaluate_jenkins(&change, policy, repo, client.as_ref()).await?)
    }
}

fn headline(d: &Decision) -> String {
    let mut s = format!(
        "pipeguard gate: {} ({}",
        d.decision.as_str().to_ascii_uppercase(),
        d.event
    );
    if let Some(n) = d.pull_request {
        s.push_str(&format!(" #{n}"));
    }
    if !d.repository.is_empty() {
        s.push_str(&format!(" in {}", d.repository));
    }
    if let Some(sha) = &d.head_sha {
        s.push_str(&format!(", head {}", sha.get(..7).unwrap_or(sha)));
    }
    s.push(')');
    s
}

fn summary_markdown(d: &Decision) -> String {
    let mut md = format!(
        "### pipeguard gate: {}\n\n| event | repository | pull request | head |\n|---|---|---|---|\n| `{}` | {} | {} | {} |\n\n",
        match d.decision {
            Verdict::Allow => "allowed",
            Verdict::Block => "**blocked**",
        },
        d.event,
        d.repository,
        d.pull_request.map_or("–".to_string(), |n| format!("#{n}")),
        d.head_sha
            .as_deref()
            .map_or("–".to_string(), |s| format!("`{s}`")),
    );
    for r in &d.reasons {
        md.push_str(&format!("- {}\n", md_text(r)));
    }
    md.push('\n');
    md
}

/// Markdown from payload text: no HTML, links, emphasis or mentions.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '@' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn stdout_text(args: &GateArgs, d: &Decision) -> String {
    let mut out = headline(d);
    out.push('\n');
    for r in &d.reasons {
        out.push_str(&format!("  - {r}\n"));
    }
    if args.github && d.decision == Verdict::Block {
        out.push_str(&format!(
            "::error title={}::{}\n",
            escape_property("pipeguard gate"),
            escape_data(&format!(
                "untrusted build blocked: {}",
                d.reasons.join("; ")
            ))
        ));
    }
    out
}

/// The step summary and the decision file first, `decision=` last: if an earlier write fails,
/// the error path writes `decision=error` instead.
fn write_outputs(args: &GateArgs, d: &Decision) -> anyhow::Result<()> {
    if args.github
        && let Some(p) = env("GITHUB_STEP_SUMMARY")
    {
        append(Path::new(&p), &summary_markdown(d))?;
    }
    if let Some(p) = &args.decision_file {
        let json = serde_json::to_string_pretty(d)?;
        super::scan::write_file(p, &(json + "\n"))?;
    }
    if args.github
        && let Some(p) = env("GITHUB_OUTPUT")
    {
        append(
            Path::new(&p),
            &format!("decision={}\n", d.decision.as_str()),
        )?;
    }
    Ok(())
}

/// On an error, still leave a `decision=error` trail where a workflow looks for one.
fn emit_error(args: &GateArgs, event: &str, msg: &str) {
    if args.github {
        println!(
            "::error title={}::{}",
            escape_property("pipeguard gate"),
            escape_data(msg)
        );
        if let Some(p) = env("GITHUB_STEP_SUMMARY") {
            let _ = append(
                Path::new(&p),
                &format!("### pipeguard gate: **error**\n\n{}\n\n", md_text(msg)),
            );
        }
        if let Some(p) = env("GITHUB_OUTPUT") {
            let _ = append(Path::new(&p), "decision=error\n");
        }
    }
    if let Some(p) = &args.decision_file {
        let v = serde_json::json!({
            "decision": "error",
            "reasons": [msg],
            "event": event,
            "repository": env("GITHUB_REPOSITORY").unwrap_or_default(),
            "head_sha": null,
            "pull_request": null,
            "checked_at": pipeguard_github::time::now_rfc3339(),
        });
        let _ = super::scan::write_file(p, &format!("{v:#}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_and_summary() {
        let d = Decision {
            decision: Verdict::Block,
            reasons: vec!["the pull request comes from the fork m/x".into()],
            event: "pull_request_target".into(),
            repository: "acme/app".into(),
            head_sha: Some("0123456789abcdef".into()),
            pull_request: Some(7),
            checked_at: "2026-01-01T00:00:00Z".into(),
        };
        assert_eq!(
            headline(&d),
            "pipeguard gate: BLOCK (pull_request_target #7 in acme/app, head 0123456)"
        );
        let md = summary_markdown(&d);
        assert!(
            md.contains("**blocked**") && md.contains("- the pull request comes from the fork m/x")
        );
    }
}
