//! `scan --online` / `--offline`: the GitHub API lookups of the actions a tree uses.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use pipeguard_engine::online::{OnlineFacts, uses_in_tree};
use pipeguard_engine::policy::config::Config;
use pipeguard_github::online::{self, OnlineOptions};

#[derive(Args, Debug, Clone, Default)]
pub struct OnlineArgs {
    /// Look up the used actions on the GitHub API (impostor commits, ref confusion, advisories,
    /// archived repositories, stale pins). Token from GH_TOKEN or GITHUB_TOKEN.
    #[arg(long, conflicts_with = "offline")]
    pub online: bool,
    /// Never call the GitHub API (the default).
    #[arg(long)]
    pub offline: bool,
    /// GitHub API root (GitHub Enterprise: https://HOST/api/v3); default $GITHUB_API_URL, else
    /// https://api.github.com.
    #[arg(long, value_name = "URL")]
    pub github_api_url: Option<String>,
    /// Cache directory for API answers (default ~/.cache/pipeguard/github).
    #[arg(long, value_name = "DIR")]
    pub online_cache: Option<PathBuf>,
    /// How long cached answers are used, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 86_400)]
    pub online_ttl: u64,
}

impl OnlineArgs {
    /// The facts for the tree at `root`, or `None` offline. Notes and the call count go to
    /// stderr; an unreachable API is a note, never an error.
    pub fn facts(
        &self,
        root: &std::path::Path,
        config: &Config,
    ) -> anyhow::Result<Option<OnlineFacts>> {
        if !self.online || self.offline {
            return Ok(None);
        }
        let uses = uses_in_tree(root, config)?;
        let opts = OnlineOptions {
            api_url: self
                .github_api_url
                .clone()
                .or_else(|| {
                    std::env::var("GITHUB_API_URL")
                        .ok()
                        .filter(|u| !u.is_empty())
                })
                .unwrap_or_else(|| pipeguard_github::client::DEFAULT_API_URL.to_string()),
            token: online::token_from_env(),
            cache_dir: self
                .online_cache
                .clone()
                .unwrap_or_else(online::default_cache_dir),
            ttl: Duration::from_secs(self.online_ttl),
            request_timeout: Duration::from_secs(30),
            max_wait: Duration::from_mins(1),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let r = rt.block_on(online::resolve(&uses, &opts));
        for n in &r.notes {
            eprintln!("pipeguard: {}", n.replace(|c: char| c.is_control(), "?"));
        }
        eprintln!(
            "pipeguard: online: {} repositories ({} from the cache), {} API calls",
            r.facts.repos.len(),
            r.cached,
            r.calls
        );
        Ok(Some(r.facts))
    }
}
