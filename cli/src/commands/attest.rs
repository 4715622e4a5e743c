//! `pipeguard attest`: scan (or read a JSON report), then sign an in-toto statement binding the
//! verdict to the image digest; one DSSE envelope per line (`.intoto.jsonl`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::Args;

use super::scan::Selection;
use pipeguard_attest::digest::{self, DigestKind, ImageDigest};
use pipeguard_attest::statement::{ConfigRef, Digested, Statement, Subject, sha256_set};
use pipeguard_attest::{dsse, keys, time};
use pipeguard_engine::policy::config::FailOn;
use pipeguard_engine::predicate::{self, ScanOutcome};
use pipeguard_engine::rules::Registry;

/// The jobs lockfile, relative to the scanned path.
pub const JOBS_LOCK: &str = ".pipeguard/jobs.lock";

#[derive(Args, Debug)]
#[command(
    group(clap::ArgGroup::new("image_source").required(true)
        .args(["image", "image_digest", "oci_layout", "docker_archive", "metadata_file"])),
    group(clap::ArgGroup::new("signing_key").required(true).args(["key", "key_env"])),
    after_long_help = "Exit codes: 0 attestation written and the verdict is pass, 1 written but the verdict is fail,\n\
2 usage, configuration or I/O error (nothing written).\n\
SOURCE_DATE_EPOCH, when set, is used as the attestation time.\n\n\
Examples:\n  pipeguard attest --image ghcr.io/o/app@sha256:4f3c… --key-env PIPEGUARD_SIGNING_KEY --out app.intoto.jsonl\n  \
docker buildx build --push -t ghcr.io/o/app:1 --metadata-file meta.json .\n  \
pipeguard attest --metadata-file meta.json --key-env PIPEGUARD_SIGNING_KEY --out app.intoto.jsonl\n  \
pipeguard scan --format json --output report.json; pipeguard attest --scan-report report.json \\\n    \
--oci-layout ./oci --key pipeguard.key --gate-decision gate.json --out app.intoto.jsonl"
)]
pub struct AttestArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Image reference pinned by digest (REF@sha256:HEX).
    #[arg(long, value_name = "REF@sha256:HEX")]
    pub image: Option<String>,
    /// Image manifest digest.
    #[arg(long, value_name = "sha256:HEX")]
    pub image_digest: Option<String>,
    /// OCI image layout directory (digest of the manifest in index.json).
    #[arg(long, value_name = "DIR")]
    pub oci_layout: Option<PathBuf>,
    /// `docker save` tarball (manifest digest when known, else the config digest; see docs/attest.md).
    #[arg(long, value_name = "TAR")]
    pub docker_archive: Option<PathBuf>,
    /// Metadata file of `docker buildx build --metadata-file` (`containerimage.digest`).
    #[arg(long, value_name = "FILE")]
    pub metadata_file: Option<PathBuf>,
    /// Subject name; also picks one image from a layout or archive holding several.
    #[arg(long, value_name = "NAME")]
    pub image_name: Option<String>,
    /// Private key file (PKCS#8 PEM).
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
    /// Environment variable holding the private key PEM (keeps CI secrets off disk).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
    /// Use this JSON report (`scan --format json`) instead of scanning.
    #[arg(long, value_name = "FILE")]
    pub scan_report: Option<PathBuf>,
    /// Lowest severity that fails the scan (live scan only; default: config, else high).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Fail when the risk score is above N (live scan only).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_risk: Option<u8>,
    /// Jobs lockfile (default: PATH/.pipeguard/jobs.lock when present).
    #[arg(long, value_name = "FILE")]
    pub jobs_lock: Option<PathBuf>,
    /// Decision file of `pipeguard gate --decision-file`, embedded in the predicate.
    #[arg(long, value_name = "FILE")]
    pub gate_decision: Option<PathBuf>,
    /// Write the envelope here (JSON Lines); default stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append to --out instead of replacing it (several images in one bundle).
    #[arg(long, requires = "out")]
    pub append: bool,
}

fn image(args: &AttestArgs) -> anyhow::Result<ImageDigest> {
    let want = args.image_name.as_deref();
    let mut d = if let Some(r) = &args.image {
        digest::from_reference(r)?
    } else if let Some(d) = &args.image_digest {
        digest::from_digest(d)?
    } else if let Some(dir) = &args.oci_layout {
        digest::from_oci_layout(dir, want)?
    } else if let Some(tar) = &args.docker_archive {
        digest::from_docker_archive(tar, want)?
    } else if let Some(m) = &args.metadata_file {
        digest::from_metadata_file(m)?
    } else {
        bail!(
            "one of --image, --image-digest, --oci-layout, --docker-archive, --metadata-file is required"
        );
    };
    if let Some(n) = want {
        d.name = n.to_string();
    }
    Ok(d)
}

pub fn run(args: &AttestArgs) -> anyhow::Result<u8> {
    // Everything that can fail on input is checked before the (slow) scan.
    let key = match (&args.key, &args.key_env) {
        (Some(p), _) => {
            warn_if_readable(p);
            keys::load_private(p)?
        }
        (None, Some(v)) => keys::load_private_env(v)?,
        (None, None) => bail!("--key or --key-env is required"),
    };
    let image = image(args)?;
    let timestamp = time::format_rfc3339(time::now()?);
    let gate_decision = args
        .gate_decision
        .as_deref()
        .map(predicate::gate_decision)
        .transpose()?;
    let jobs = jobs(args)?;

    let registry = Registry::builtin()?;
    let config = args.selection.load_config(registry)?;
    let (outcome, scan_report) = match &args.scan_report {
        Some(path) => {
            let origin = path.display().to_string();
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {origin}"))?;
            let outcome = ScanOutcome::from_json(&text, &origin)?;
            let digested = Digested {
                path: Some(origin),
                digest: sha256_set(&pipeguard_engine::finding::sha256_hex(text.as_bytes())),
            };
            (outcome, Some(digested))
        }
        None => {
            let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::High);
            let report = args
                .selection
                .scan(registry, &config, fail_on, args.max_risk)?;
            (
                ScanOutcome::from_report(&report, &args.selection.families()),
                None,
            )
        }
    };

    let predicate = predicate::build(
        &outcome,
        predicate::Extras {
            timestamp,
            config: ConfigRef {
                source: config.origin.clone(),
                digest: sha256_set(&config.digest),
            },
            source: predicate::source_of(&source_dir(&args.selection.path)),
            scan_report,
            jobs,
            gate_decision,
        },
    );
    let statement = Statement::new(
        Subject {
            name: image.name.clone(),
            digest: sha256_set(image.hex()),
        },
        &predicate,
    );
    let envelope = dsse::sign(dsse::INTOTO_PAYLOAD_TYPE, &statement.to_bytes(), &key);
    let line = format!("{}\n", envelope.to_json_line());
    match &args.out {
        Some(p) => write_out(p, &line, args.append)?,
        None => std::io::stdout()
            .lock()
            .write_all(line.as_bytes())
            .context("cannot write to stdout")?,
    }
    if let Some(note) = &image.note {
        eprintln!("note: {note}");
    }
    let what = match image.kind {
        DigestKind::Manifest => "",
        DigestKind::Config => " (config digest)",
    };
    eprintln!(
        "attested {} {}{what}: verdict {}, risk score {}, keyid {}{}",
        image.name,
        image.digest,
        predicate.verdict,
        predicate.risk_score,
        keys::keyid(&key.verifying_key()),
        args.out
            .as_ref()
            .map(|p| format!(" → {}", p.display()))
            .unwrap_or_default()
    );
    Ok(if predicate.verdict == "pass" {
        super::EXIT_PASS
    } else {
        super::EXIT_FAIL
    })
}

fn source_dir(path: &Path) -> PathBuf {
    if path.is_file() {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.to_path_buf()
    }
}

fn jobs(args: &AttestArgs) -> anyhow::Result<Option<pipeguard_attest::statement::JobsRef>> {
    let (path, explicit) = match &args.jobs_lock {
        Some(p) => (p.clone(), true),
        None => (source_dir(&args.selection.path).join(JOBS_LOCK), false),
    };
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(predicate::jobs_from_lock(
            &bytes,
            &path.display().to_string(),
        )?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

fn write_out(path: &Path, line: &str, append: bool) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(line.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A signing key others can read is as good as leaked; say so (signing still works).
fn warn_if_readable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "warning: {} is readable by group or others (mode {:o}); chmod 600 it, or use --key-env",
                path.display(),
                m.permissions().mode() & 0o777
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
