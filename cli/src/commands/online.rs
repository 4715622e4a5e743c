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

/// `fix --online`: the digest each literal Dockerfile base image's tag has in its registry
/// (one manifest GET per distinct image; the digest is computed from the bytes served, an
/// index's own digest for a multi-platform image). A registry that cannot be reached is a note
/// and its images stay as they are; after a connection failure the registry is not asked again.
pub fn image_digests(
    root: &std::path::Path,
    config: &Config,
    registry: &super::registry::RegistryOpts,
    facts: &mut OnlineFacts,
) -> anyhow::Result<()> {
    use pipeguard_engine::fix::{BaseImage, base_images_in_tree};
    use pipeguard_engine::online::ImageFact;
    use pipeguard_oci::Reference;
    use pipeguard_oci::manifest::{ACCEPT_ALL, DOCKER_LIST, OCI_INDEX};
    use std::collections::{BTreeMap, BTreeSet};

    let images: BTreeSet<String> = base_images_in_tree(root, config)?
        .into_iter()
        .filter_map(|(_, _, b)| match b {
            BaseImage::Pinnable(i) => Some(i),
            _ => None,
        })
        .collect();
    if images.is_empty() {
        return Ok(());
    }
    let clean = |s: &str| s.replace(|c: char| c.is_control(), "?");
    let client = match registry.client() {
        Ok(c) => c,
        Err(e) => {
            let why = format!("{e:#}");
            eprintln!(
                "pipeguard: registry: {}; base images left unpinned",
                clean(&why)
            );
            for i in images {
                facts.images.insert(i, ImageFact::Error(why.clone()));
            }
            return Ok(());
        }
    };
    let rt = super::registry::runtime()?;
    // Registry host → why it could not be reached (asked once).
    let mut down: BTreeMap<String, String> = BTreeMap::new();
    let mut failed: BTreeMap<String, usize> = BTreeMap::new();
    let (mut calls, mut pinned) = (0usize, 0usize);
    for image in images {
        let r = match Reference::parse(&image) {
            Ok(r) => r,
            Err(e) => {
                facts
                    .images
                    .insert(image, ImageFact::Error(format!("{e:#}")));
                continue;
            }
        };
        if let Some(why) = down.get(&r.registry) {
            *failed.entry(r.registry.clone()).or_default() += 1;
            facts.images.insert(image, ImageFact::Error(why.clone()));
            continue;
        }
        calls += 1;
        let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
        let fact = match rt.block_on(client.get_manifest(&r, &tag, &ACCEPT_ALL)) {
            Ok(Some(m)) => {
                pinned += 1;
                let index = m.media_type == OCI_INDEX
                    || m.media_type == DOCKER_LIST
                    || (m.media_type.is_empty()
                        && serde_json::from_slice::<serde_json::Value>(&m.bytes)
                            .is_ok_and(|v| v.get("manifests").is_some()));
                ImageFact::Digest {
                    digest: m.digest,
                    index,
                }
            }
            Ok(None) => ImageFact::Missing,
            Err(e) => {
                let why = format!("{e:#}");
                // reqwest's words for a request that never got an answer.
                eprintln!("pipeguard: registry: {}", clean(&why));
                *failed.entry(r.registry.clone()).or_default() += 1;
                if why.contains("error sending request") || why.contains("operation timed out") {
                    let short = format!("`{}` could not be reached", r.registry);
                    down.insert(r.registry.clone(), short.clone());
                    ImageFact::Error(short)
                } else {
                    ImageFact::Error(why)
                }
            }
        };
        facts.images.insert(image, fact);
    }
    for (host, n) in &failed {
        eprintln!(
            "pipeguard: registry {}: {n} distinct base image{} left unpinned (no answer)",
            clean(host),
            if *n == 1 { "" } else { "s" }
        );
    }
    eprintln!(
        "pipeguard: registry: {} base images, {calls} manifest requests, {pinned} digests",
        facts.images.len()
    );
    Ok(())
}
