//! `pipeguard fingerprint [PATH] --write [.pipeguard/jobs.lock]`

use std::path::{Path, PathBuf};

use clap::Args;

use crate::commands::scan::write_file;
use crate::drift::lock::{DEFAULT_LOCK, Lockfile};
use crate::drift::sources::{self, Found};
use crate::policy::config::Config;
use crate::rules::Registry;

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
    /// Policy file (default: .pipeguard.yml at PATH, when present); its `exclude` applies.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl JobSources {
    pub fn config(&self, registry: &Registry) -> anyhow::Result<Config> {
        Config::discover(&self.path, self.config.as_deref(), registry)
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
            if d.level == crate::finding::DiagnosticLevel::Error {
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
