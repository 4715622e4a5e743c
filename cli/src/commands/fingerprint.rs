//! `pipeguard fingerprint [PATH] --write [.pipeguard/jobs.lock]`

use std::path::{Path, PathBuf};

use clap::Args;

use crate::commands::scan::write_file;
use pipeguard_engine::drift::lock::{DEFAULT_LOCK, Lockfile};
use pipeguard_engine::drift::sources::{self, Found};
use pipeguard_engine::policy::config::Config;
use pipeguard_engine::rules::Registry;

/// Where build jobs are read from; shared by `fingerprint` and `drift`.
#[derive(Args, Debug, Clone)]
pub struct JobSources {
    /// Repository tree whose workflows, Jenkinsfiles and job config.xml files are read.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Also read Jenkins job definitions (jobs/**/config.xml) from this JENKINS_HOME-style tree
    /// (e.g. the output of `pipeguard jenkins pull`); their sources are prefixed `jenkins-home:`.
    #[arg(long, value_name = "DIR")]
    pub jenkins_home: Option<PathBuf>,
    /// Also read every job definition of this live Jenkins (as `jenkins pull` does), so jobs
    /// edited in the UI show up as drift; their sources are prefixed `jenkins:`.
    #[arg(long, value_name = "URL")]
    pub jenkins_url: Option<String>,
    /// Jenkins user for --jenkins-url (with --jenkins-token-env).
    #[arg(long, value_name = "USER", requires = "jenkins_token_env")]
    pub jenkins_user: Option<String>,
    /// Environment variable holding the Jenkins API token for --jenkins-url.
    #[arg(long, value_name = "VAR", requires = "jenkins_user")]
    pub jenkins_token_env: Option<String>,
    /// Policy file (default: .pipeguard.yml at PATH, when present); its `exclude` applies.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl JobSources {
    pub fn config(&self, registry: &Registry) -> anyhow::Result<Config> {
        pipeguard_engine::engine::load_config(
            &pipeguard_engine::engine::ConfigSource::Discover {
                root: &self.path,
                explicit: self.config.as_deref(),
            },
            registry,
        )
    }

    /// Today's jobs: the working tree plus the Jenkins home, if any.
    pub fn collect(&self, config: &Config) -> anyhow::Result<Found> {
        if !self.path.exists() {
            anyhow::bail!("{}: no such file or directory", self.path.display());
        }
        let mut found = sources::working_tree(&self.path, &config.exclude, config.max_file_size())?;
        if let Some(home) = &self.jenkins_home {
            if !home.is_dir() {
                anyhow::bail!("--jenkins-home {}: not a directory", home.display());
            }
            let jenkins = sources::working_tree(home, &[], config.max_file_size())?;
            found.merge(jenkins.prefixed("jenkins-home:"));
        }
        if let Some(url) = &self.jenkins_url {
            let (summary, configs) = crate::commands::jenkins::pull_in_memory(
                url,
                self.jenkins_user.as_deref(),
                self.jenkins_token_env.as_deref(),
            )?;
            let configs = configs
                .into_iter()
                .map(|(path, xml)| (path.to_string_lossy().replace('\\', "/"), xml))
                .collect();
            let mut pulled = sources::from_files(configs, config.max_file_size());
            // A job that could not be read is named, not silently absent: an error diagnostic,
            // so the run says it is incomplete.
            for (job, e) in &summary.failed {
                pulled.not_pulled(job, &e.to_string());
            }
            found.merge(pulled.prefixed("jenkins:"));
        }
        Ok(found)
    }
}

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    pipeguard fingerprint --write .pipeguard/jobs.lock\n  \
    pipeguard fingerprint . --jenkins-home jenkins/ --write .pipeguard/jobs.lock\n  \
    pipeguard fingerprint | jq '.jobs[].fingerprint'")]
pub struct FingerprintArgs {
    #[command(flatten)]
    pub sources: JobSources,
    /// Write the lockfile here (conventionally .pipeguard/jobs.lock, where `drift` looks for
    /// it) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Also sign the lockfile with this ed25519 private key (PKCS#8 PEM, see `keygen`): writes
    /// a DSSE envelope to FILE.sig that `drift --pubkey` requires.
    #[arg(
        long,
        value_name = "KEY",
        requires = "write",
        conflicts_with = "sign_key_env"
    )]
    pub sign: Option<PathBuf>,
    /// Like --sign, with the PEM key read from this environment variable (a CI secret).
    #[arg(long, value_name = "VAR", requires = "write")]
    pub sign_key_env: Option<String>,
}

pub fn lock_path(root: &Path, explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => {
            let dir = if root.is_file() {
                root.parent().unwrap_or(Path::new(".")).to_path_buf()
            } else {
                root.to_path_buf()
            };
            dir.join(DEFAULT_LOCK)
        }
    }
}

pub fn run(args: &FingerprintArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    let config = args.sources.config(registry)?;
    let found = args.sources.collect(&config)?;
    for d in &found.diagnostics {
        eprintln!(
            "{}: {}: {}",
            if d.level == pipeguard_engine::finding::DiagnosticLevel::Error {
                "error"
            } else {
                "note"
            },
            d.path,
            d.message
        );
    }
    let lock = Lockfile::from_jobs(&found.jobs);
    let json = lock.to_json();
    match &args.write {
        Some(p) => {
            let path = lock_path(&args.sources.path, Some(p));
            write_file(&path, &json)?;
            let key = match (&args.sign, &args.sign_key_env) {
                (Some(k), _) => Some(pipeguard_attest::keys::load_private(k)?),
                (None, Some(var)) => Some(pipeguard_attest::keys::load_private_env(var)?),
                (None, None) => None,
            };
            if let Some(key) = key {
                let sig = pipeguard_engine::drift::lock::signature_path(&path);
                write_file(
                    &sig,
                    &pipeguard_engine::drift::lock::sign(json.as_bytes(), &key),
                )?;
                eprintln!("signed: {}", sig.display());
            }
            eprintln!(
                "wrote {} job(s) from {} file(s) to {}",
                lock.jobs.len(),
                found.files.len(),
                path.display()
            );
        }
        None => print!("{json}"),
    }
    if found.failed > 0 {
        eprintln!(
            "error: {} file(s) could not be fingerprinted; their jobs are not in the lockfile",
            found.failed
        );
        return Ok(super::EXIT_ERROR);
    }
    Ok(super::EXIT_PASS)
}
