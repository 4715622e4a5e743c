//! `pipeguard scan [PATH]`

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use pipeguard_engine::engine::{self, ConfigSource, Input, Run, ScanRequest};
use pipeguard_engine::finding::{Family, Persona};
use pipeguard_engine::policy::baseline::Baseline;
use pipeguard_engine::policy::config::{Config, FailOn};
use pipeguard_engine::report::{self, Format, RenderOptions, Report};
use pipeguard_engine::rules::Registry;

/// What to scan and with which policy; shared by `scan` and `baseline`.
#[derive(Args, Debug, Clone)]
pub struct Selection {
    /// Repository trees or single files to scan (several: each file is reported once). Paths in
    /// the reports are relative to the repository root (the top of the git work tree holding
    /// the first PATH, else that PATH).
    #[arg(value_name = "PATH", default_value = ".", num_args = 1..)]
    pub paths: Vec<PathBuf>,
    /// Policy file (default: the nearest .pipeguard.yml from PATH up to the repository root).
    #[arg(long, value_name = "FILE", conflicts_with = "trusted_config_ref")]
    pub config: Option<PathBuf>,
    /// Read .pipeguard.yml from this git ref (e.g. origin/main) instead of the working tree, so a
    /// pull request cannot switch checks off.
    #[arg(long, value_name = "REF")]
    pub trusted_config_ref: Option<String>,
    /// Run only these families (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FAMILY,…")]
    pub only: Vec<Family>,
    /// Skip these families (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FAMILY,…")]
    pub skip: Vec<Family>,
    /// How broad the scan is: regular (what is almost always a real problem), pedantic (also
    /// what is usually worth fixing), auditor (everything that could matter). Default: config
    /// `persona`, else regular.
    #[arg(long, value_enum, value_name = "PERSONA")]
    pub persona: Option<Persona>,
    /// Any file not analysed fails the scan (exit 2): an unreadable file, a dangling symlink,
    /// syntax the parsers do not cover. Without it such a file is a note and a
    /// `<family>/parse-error` finding (default severity low; set it in `rules:`).
    #[arg(long)]
    pub strict: bool,
}

impl Selection {
    /// The first PATH: where the config, the baseline and the history are found.
    pub fn path(&self) -> &Path {
        self.paths.first().map_or(Path::new("."), PathBuf::as_path)
    }

    pub fn families(&self) -> Vec<Family> {
        let base: Vec<Family> = if self.only.is_empty() {
            Family::ALL.to_vec()
        } else {
            self.only.clone()
        };
        base.into_iter()
            .filter(|f| !self.skip.contains(f))
            .collect()
    }

    /// Load the policy: --config, --trusted-config-ref, or the file at the root.
    pub fn load_config(&self, registry: &Registry) -> anyhow::Result<Config> {
        let source = match &self.trusted_config_ref {
            Some(refname) => ConfigSource::TrustedRef {
                root: self.path(),
                refname,
            },
            None => ConfigSource::Discover {
                root: self.path(),
                explicit: self.config.as_deref(),
            },
        };
        let mut config = engine::load_config(&source, registry)?;
        if self.persona.is_some() {
            config.persona = self.persona;
        }
        Ok(config)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    pipeguard scan .\n  \
    pipeguard scan --only github,docker --fail-on medium\n  \
    pipeguard scan --format sarif --output pipeguard.sarif --json report.json\n  \
    pipeguard scan --baseline .pipeguard/baseline.json\n  \
    pipeguard scan --trusted-config-ref origin/main --risk-gate prod\n  \
    pipeguard scan --staged --only secrets      (pre-commit)\n  \
    pipeguard scan --history --since origin/main --only secrets")]
pub struct ScanArgs {
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Lowest severity that fails the scan (default: config `fail_on`, else high).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Fail when the risk score is above N (0–100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_risk: Option<u8>,
    /// Fail when the risk score is above the threshold of this gate (config `risk.gates`).
    #[arg(long, value_name = "NAME", conflicts_with = "max_risk")]
    pub risk_gate: Option<String>,
    /// Suppress findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Scan only what is staged for the next commit (pre-commit): the blobs in the git index,
    /// not the working tree.
    #[arg(long, conflicts_with = "history")]
    pub staged: bool,
    /// Also scan the git history for secrets: what each commit reachable from any ref added
    /// (a blob is compared with its previous version; each blob is read once).
    #[arg(long)]
    pub history: bool,
    /// With --history: only commits after REF (e.g. origin/main).
    #[arg(long, value_name = "REF", requires = "history")]
    pub since: Option<String>,
    #[command(flatten)]
    pub online: super::online::OnlineArgs,
    /// Read the members of archives (zip, jar, whl, nupkg, tar, tar.gz/bz2/xz/zst, image
    /// tarballs) for secrets: the default (config `secrets.archives`); this overrides the config.
    #[arg(long, overrides_with = "no_archives")]
    pub archives: bool,
    /// Do not open archives.
    #[arg(long, overrides_with = "archives")]
    pub no_archives: bool,
    /// Ask each found secret's provider whether it still works: one read-only request per
    /// unique secret (GitHub, GitLab, Slack, AWS STS, Stripe, npm, PyPI, OpenAI, Anthropic,
    /// SendGrid, Twilio, Google, Hugging Face, DigitalOcean), 5-second timeout. Off by default:
    /// without it no secret leaves the machine. Findings say `live` (raised to critical),
    /// `revoked` (one severity lower) or `unknown`.
    #[arg(long)]
    pub validate: bool,
    /// With --validate: send PROVIDER's checks to URL (GitHub Enterprise, a proxy, a test
    /// server) instead of its public API; plain HTTP only to loopback. Repeatable.
    #[arg(long, value_name = "PROVIDER=URL", requires = "validate", value_parser = pipeguard_validate::parse_endpoint)]
    pub validate_endpoint: Vec<(String, String)>,
    /// With --validate: seconds to wait for each provider's answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, requires = "validate", value_parser = clap::value_parser!(u64).range(1..=60))]
    pub validate_timeout: u64,
}

impl Selection {
    /// The engine's request for this selection (tree walk of PATH).
    pub fn request<'a>(
        &'a self,
        registry: &'a Registry,
        config: &'a Config,
        fail_on: FailOn,
        max_risk: Option<u8>,
        baseline: Option<&'a Baseline>,
    ) -> ScanRequest<'a> {
        ScanRequest {
            root: self.path().to_path_buf(),
            root_display: self.path().display().to_string(),
            input: Input::Tree,
            config,
            registry,
            families: self.families(),
            baseline,
            fail_on,
            max_risk,
            trusted_ref: self.trusted_config_ref.as_deref(),
            strict: self.strict,
            online: None,
            validator: None,
        }
    }

    /// Run the scan this selection describes (shared with `baseline` and `attest`).
    pub fn scan(
        &self,
        registry: &Registry,
        config: &Config,
        fail_on: FailOn,
        max_risk: Option<u8>,
    ) -> anyhow::Result<Report> {
        engine::run(Run {
            scan: self.request(registry, config, fail_on, max_risk, None),
            more_roots: self.paths.iter().skip(1).cloned().collect(),
            baseline_file: None,
            staged: false,
            history: None,
        })
    }
}

pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    let registry = Registry::builtin()?;
    let mut config = args.selection.load_config(registry)?;
    if args.archives {
        config.secrets.archives = true;
    } else if args.no_archives {
        config.secrets.archives = false;
    }
    let config = config;
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::High);
    let max_risk = match &args.risk_gate {
        Some(name) => Some(*config.risk.gates.get(name).with_context(|| {
            let known: Vec<&str> = config.risk.gates.keys().map(String::as_str).collect();
            format!(
                "unknown risk gate `{name}` (config `risk.gates` defines: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?),
        None => args.max_risk,
    };
    let online = args.online.facts(args.selection.path(), &config)?;
    let mut scan = args
        .selection
        .request(registry, &config, fail_on, max_risk, None);
    scan.online = online.as_ref();
    let validator = if args.validate {
        Some(pipeguard_validate::Validator::new(
            pipeguard_validate::Options {
                endpoints: args.validate_endpoint.iter().cloned().collect(),
                timeout: std::time::Duration::from_secs(args.validate_timeout),
                ..pipeguard_validate::Options::default()
            },
        )?)
    } else {
        None
    };
    scan.validator = validator
        .as_ref()
        .map(|v| v as &dyn pipeguard_engine::validate::SecretValidator);
    let report = engine::run(Run {
        scan,
        more_roots: args.selection.paths.iter().skip(1).cloned().collect(),
        baseline_file: args.baseline.as_deref(),
        staged: args.staged,
        history: args.history.then(|| args.since.clone()),
    })?;
    args.out.emit(&report)?;
    Ok(engine::exit_code(&report))
}

/// Where and how a report is written; shared by every command that produces a `Report`.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Main output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the main output here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write SARIF 2.1.0 here.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a Markdown summary here.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Colour in the text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Text output: only the summary line (and errors of the run).
    #[arg(long, short)]
    pub quiet: bool,
    /// Text output: show only findings at or above this severity. Display only: the policy
    /// (--fail-on, fail_on) still decides the verdict and the exit code.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<pipeguard_engine::finding::Severity>,
    /// Text output: list the credentials CI jobs can reach (the JSON report always has them).
    #[arg(long)]
    pub show_credentials: bool,
}

impl OutputArgs {
    /// Write the main output (stdout or `--output`), the extra outputs, and with
    /// `--format github` the Markdown summary to `$GITHUB_STEP_SUMMARY`.
    pub fn emit(&self, report: &Report) -> anyhow::Result<()> {
        emit_report(report, self, "scan")
    }

    /// [`OutputArgs::emit`] for another command's report (`drift`, `registry`): SARIF's
    /// `automationDetails.id` names it.
    pub fn emit_as(&self, report: &Report, command: &'static str) -> anyhow::Result<()> {
        emit_report(report, self, command)
    }
}

fn emit_report(report: &Report, o: &OutputArgs, command: &'static str) -> anyhow::Result<()> {
    let color = match o.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            o.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let main = report::render(
        o.format,
        report,
        &RenderOptions {
            color,
            command,
            quiet: o.quiet,
            min_severity: o.min_severity,
            show_credentials: o.show_credentials,
        },
    );
    match o.output.as_deref() {
        Some(p) => write_file(p, &main)?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a non-zero exit.
            if let Err(e) = out.write_all(main.as_bytes()).and_then(|()| out.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e.into());
            }
        }
    }
    let plain = RenderOptions {
        color: false,
        command,
        ..RenderOptions::default()
    };
    for (path, format) in [
        (&o.sarif, Format::Sarif),
        (&o.json, Format::Json),
        (&o.junit, Format::Junit),
        (&o.summary, Format::Markdown),
    ] {
        if let Some(p) = path {
            write_file(p, &report::render(format, report, &plain))?;
        }
    }
    if o.format == Format::Github
        && let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY")
    {
        let md = report::render(Format::Markdown, report, &plain);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .with_context(|| {
                format!(
                    "cannot write GITHUB_STEP_SUMMARY ({})",
                    Path::new(&summary).display()
                )
            })?;
        f.write_all(md.as_bytes())?;
    }
    Ok(())
}

pub fn write_file(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // A symlink planted where an output goes (a `jobs.lock` in the tree) is not written through.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        anyhow::bail!(
            "cannot write {}: it is a symlink, and pipeguard does not write through symlinks",
            path.display()
        );
    }
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}
