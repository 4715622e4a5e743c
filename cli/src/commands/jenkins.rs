//! `pipeguard jenkins pull`: save every job's config.xml from a live Jenkins in JENKINS_HOME
//! layout, so that `pipeguard scan DIR` analyses the job definitions.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pipeguard_jenkins::{Client, ClientOptions};

use super::{EXIT_PARTIAL, EXIT_PASS};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  JENKINS_TOKEN=… pipeguard jenkins pull --url https://ci.example.com --user me --token-env JENKINS_TOKEN --out jenkins-home\n  pipeguard scan jenkins-home\n  pipeguard fingerprint --jenkins-home jenkins-home --write .pipeguard/jobs.lock"
)]
pub struct JenkinsArgs {
    #[command(subcommand)]
    pub command: JenkinsCommand,
}

#[derive(Subcommand, Debug)]
pub enum JenkinsCommand {
    /// Download the config.xml of every job and folder (recursively) into DIR.
    #[command(
        long_about = "Download the config.xml of every job and folder of a Jenkins instance, walking folders and\n\
organisation folders recursively, into DIR in JENKINS_HOME layout (DIR/jobs/<folder>/jobs/<job>/config.xml).\n\
Then `pipeguard scan DIR` analyses the job definitions (inline pipeline scripts, shell builders,\n\
fork-PR trust, sandboxing). Branch jobs of multibranch projects are not fetched: they are generated\n\
from the repository's Jenkinsfile, which `pipeguard scan` reads from the repository.\n\n\
The API token is read from the environment variable named by --token-env, never from the command\n\
line. The user needs Overall/Read and Job/ExtendedRead.\n\n\
A job whose config.xml cannot be read (deleted during the pull, not readable by the user) does not\n\
stop the pull: every other job is saved, the ones that failed are listed on stderr, and the exit\n\
code is 3. Errors listing the jobs, writing DIR, or a server that stops answering exit 2.",
        after_help = "Example:\n  JENKINS_TOKEN=… pipeguard jenkins pull --url https://ci.example.com --user me \\\n      --token-env JENKINS_TOKEN --out jenkins-home && pipeguard scan jenkins-home"
    )]
    Pull(PullArgs),
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Jenkins root URL (or a folder URL), e.g. https://ci.example.com
    #[arg(long)]
    pub url: String,
    /// User name for HTTP basic authentication (with --token-env).
    #[arg(long, requires = "token_env")]
    pub user: Option<String>,
    /// Name of the environment variable holding the user's API token.
    #[arg(long, value_name = "VAR", requires = "user")]
    pub token_env: Option<String>,
    /// Output directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Retries of transient failures (connection errors, 429, 5xx), with exponential backoff.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

pub fn run(args: &JenkinsArgs) -> anyhow::Result<u8> {
    match &args.command {
        JenkinsCommand::Pull(a) => pull(a),
    }
}

/// `jenkins pull`: 0 when every job was saved, 3 when some could not be read.
pub fn pull(a: &PullArgs) -> anyhow::Result<u8> {
    let summary = pull_summary(a)?;
    Ok(if summary.partial() {
        EXIT_PARTIAL
    } else {
        EXIT_PASS
    })
}

/// Pull into `a.out` and say on stderr what was saved and which jobs could not be read.
pub fn pull_summary(a: &PullArgs) -> anyhow::Result<pipeguard_jenkins::PullSummary> {
    let client = client(
        &a.url,
        a.user.as_deref(),
        a.token_env.as_deref(),
        a.retries,
        a.timeout,
    )?;
    let p = Pulling::new()?;
    let summary = p.run(pipeguard_jenkins::pull(&client, &a.out, p.progress()))?;
    eprintln!(
        "saved {} job(s) and {} folder(s) from {} into {}",
        summary.jobs,
        summary.folders,
        client.base_url(),
        a.out.display()
    );
    report_failed(&summary, "everything else was saved");
    Ok(summary)
}

/// Every job's config.xml of a live Jenkins, read into memory (JENKINS_HOME paths), for
/// `fingerprint`/`drift --jenkins-url`, which report the jobs that could not be read and go on.
pub fn pull_in_memory(
    url: &str,
    user: Option<&str>,
    token_env: Option<&str>,
) -> anyhow::Result<(pipeguard_jenkins::PullSummary, Vec<(PathBuf, String)>)> {
    let client = client(url, user, token_env, 3, 30)?;
    let p = Pulling::new()?;
    let (summary, configs) = p.run(pipeguard_jenkins::pull_in_memory(&client, p.progress()))?;
    eprintln!(
        "read {} job(s) and {} folder(s) from {}",
        summary.jobs,
        summary.folders,
        client.base_url()
    );
    report_failed(&summary, "every other job was read");
    Ok((summary, configs))
}

fn client(
    url: &str,
    user: Option<&str>,
    token_env: Option<&str>,
    retries: u32,
    timeout: u64,
) -> anyhow::Result<Client> {
    let mut opts = ClientOptions::new(url.to_string());
    opts.retries = retries;
    opts.timeout = Duration::from_secs(timeout.max(1));
    if let (Some(user), Some(var)) = (user, token_env) {
        let token = match std::env::var(var) {
            Ok(t) if !t.is_empty() => t,
            _ => bail!("--token-env {var}: the environment variable `{var}` is not set or empty"),
        };
        opts = opts.auth(user.to_string(), token);
    }
    Ok(Client::new(opts)?)
}

/// A pull on a one-thread runtime, with a progress bar when stderr is a terminal.
struct Pulling {
    rt: tokio::runtime::Runtime,
    bar: Option<ProgressBar>,
}

impl Pulling {
    fn new() -> anyhow::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template("{spinner} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_message("listing jobs…");
            b
        });
        Ok(Self { rt, bar })
    }

    fn progress(&self) -> impl FnMut(usize, usize, &str) + '_ {
        move |done, total, name| {
            if let Some(b) = &self.bar {
                b.set_length(total as u64);
                b.set_position(done as u64);
                b.set_message(name.to_string());
            }
        }
    }

    fn run<F: std::future::Future>(&self, pull: F) -> F::Output {
        let out = self.rt.block_on(pull);
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        out
    }
}

fn report_failed(summary: &pipeguard_jenkins::PullSummary, rest: &str) {
    if summary.partial() {
        eprintln!("could not read {} job(s); {rest}:", summary.failed.len());
        for (job, e) in &summary.failed {
            eprintln!("  {job}: {e}");
        }
    }
}
