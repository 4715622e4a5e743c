//! `pipeguard attest`: scan (or read a JSON report), then sign an in-toto statement binding the
//! verdict to the image digest; one DSSE envelope per line (`.intoto.jsonl`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};

use super::audit::record;
use super::registry::{RegistryOpts, runtime};
use super::scan::Selection;
use pipeguard_attest::digest::{self, DigestKind, ImageDigest};
use pipeguard_attest::statement::{
    ConfigRef, Digested, PREDICATE_TYPE, Statement, Subject, sha256_set,
};
use pipeguard_attest::{anykey, dsse, time};
use pipeguard_engine::policy::config::FailOn;
use pipeguard_engine::predicate::{self, ScanOutcome};
use pipeguard_engine::rules::Registry;
use pipeguard_oci::Reference;
use pipeguard_oci::attach::{self, Layouts, ReferrersMode};

/// The jobs lockfile, relative to the scanned path.
pub const JOBS_LOCK: &str = ".pipeguard/jobs.lock";

/// Which of cosign's layouts `--push` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    /// Both: the `sha256-<hex>.att` tag and an OCI 1.1 referrer.
    Both,
    /// Only the `sha256-<hex>.att` tag (cosign's classic layout).
    Tag,
    /// Only the OCI 1.1 referrer (Sigstore bundle; referrers tag where the API is missing).
    Referrer,
}

impl Layout {
    fn layouts(self) -> Layouts {
        Layouts {
            tag: self != Layout::Referrer,
            referrer: self != Layout::Tag,
        }
    }
}

/// Registry options of `--push` and `attest push`.
#[derive(Args, Debug, Clone)]
pub struct PushOpts {
    /// Layouts written.
    #[arg(long, value_enum, default_value = "both")]
    pub layout: Layout,
    #[command(flatten)]
    pub registry: RegistryOpts,
}

#[derive(Subcommand, Debug)]
pub enum AttestCommand {
    /// Store an existing attestation file beside the image in its registry.
    #[command(
        after_long_help = "Pushes each envelope of FILE whose statement names the image's digest, in cosign's
layouts (see `attest --push`). With --pubkey the envelopes are verified first and the Sigstore bundle
carries the key's hint.

Examples:
  pipeguard attest push app.intoto.jsonl --image registry.example.com/team/app@sha256:4f3c… --pubkey cosign.pub"
    )]
    Push(PushArgs),
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The attestation file (JSON Lines of DSSE envelopes, or one envelope).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The image, pinned by digest.
    #[arg(long, value_name = "REF@sha256:HEX")]
    pub image: String,
    /// The signer's public key: verify before pushing, and the bundle's key hint.
    #[arg(long, value_name = "PUB")]
    pub pubkey: Option<PathBuf>,
    #[command(flatten)]
    pub push: PushOpts,
}

#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    group(clap::ArgGroup::new("image_source").required(true)
        .args(["image", "image_digest", "oci_layout", "docker_archive", "metadata_file"])),
    group(clap::ArgGroup::new("signing_key").required(true).args(["key", "key_env"])),
    after_long_help = "Exit codes: 0 attestation written and the verdict is pass, 1 written but the verdict is fail,\n\
2 usage, configuration or I/O error (nothing written).\n\
SOURCE_DATE_EPOCH, when set, is used as the attestation time.\n\n\
Examples:\n  pipeguard attest --image ghcr.io/o/app@sha256:4f3c… --key-env PIPEGUARD_SIGNING_KEY --out app.intoto.jsonl\n  \
docker buildx build --push -t ghcr.io/o/app:1 --metadata-file meta.json .\n  \
pipeguard attest --metadata-file meta.json --key-env PIPEGUARD_SIGNING_KEY --out app.intoto.jsonl\n  \
pipeguard attest --image registry.example.com/team/app@sha256:4f3c… --key cosign.key --push\n  \
pipeguard scan --format json --output report.json; pipeguard attest --scan-report report.json \\\n    \
--oci-layout ./oci --key pipeguard.key --gate-decision gate.json --out app.intoto.jsonl"
)]
pub struct AttestArgs {
    #[command(subcommand)]
    pub command: Option<AttestCommand>,
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
    /// Private key file: PKCS#8 PEM (Ed25519 or ECDSA P-256), or cosign's encrypted cosign.key
    /// (password in COSIGN_PASSWORD).
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
    /// Also store the attestation beside the image in its registry (cosign's `.att` tag and an
    /// OCI 1.1 referrer); needs the image as `REGISTRY/REPO@sha256:…` (--image, or --image-name
    /// with another digest source).
    #[arg(long)]
    pub push: bool,
    #[command(flatten)]
    pub push_opts: PushOpts,
    /// Append the decision to this hash-chained log (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
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
    if let Some(AttestCommand::Push(p)) = &args.command {
        return push_file(p);
    }
    // Everything that can fail on input is checked before the (slow) scan.
    let key = match (&args.key, &args.key_env) {
        (Some(p), _) => {
            warn_if_readable(p);
            anykey::load_private(p)?
        }
        (None, Some(v)) => anykey::load_private_env(v)?,
        (None, None) => bail!("--key or --key-env is required"),
    };
    let image = image(args)?;
    let target = if args.push {
        Some(push_target(&image)?)
    } else {
        None
    };
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
            source: predicate::source_of(&source_dir(args.selection.path())),
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
    let envelope = dsse::sign_with(dsse::INTOTO_PAYLOAD_TYPE, &statement.to_bytes(), &key)?;
    let line = format!("{}\n", envelope.to_json_line());
    match &args.out {
        Some(p) => write_out(p, &line, args.append)?,
        // With --push the registry is the output; stdout only when asked for nothing else.
        None if target.is_some() => {}
        None => std::io::stdout()
            .lock()
            .write_all(line.as_bytes())
            .context("cannot write to stdout")?,
    }
    if let Some(t) = &target {
        push_envelopes(
            &args.push_opts,
            t,
            std::slice::from_ref(&envelope),
            Some(&key.public()),
            &predicate.time,
        )?;
    }
    record(
        args.audit_log.as_deref(),
        "attest",
        &format!("{}@{}", image.name, image.digest),
        Some(format!("sha256:{}", config.digest)),
        predicate.verdict == "pass",
        vec![format!(
            "verdict {}, risk score {}, fail-on {}",
            predicate.verdict, predicate.risk_score, predicate.fail_on
        )],
    )?;
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
        key.public().keyid(),
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

/// The registry reference `--push` writes to: the subject name as a registry reference, pinned
/// by the attested digest (a manifest digest: a config digest is not in any registry).
fn push_target(image: &ImageDigest) -> anyhow::Result<Reference> {
    if image.kind == DigestKind::Config {
        bail!(
            "--push: {} is an image config digest (no registry manifest was known); attest after the push with --image REF@sha256:…",
            image.digest
        );
    }
    let r = Reference::parse(&image.name).map_err(|e| {
        anyhow!("--push needs the image as REGISTRY/REPOSITORY (--image, or --image-name): {e:#}")
    })?;
    if let Some(d) = &r.digest
        && *d != image.digest
    {
        bail!(
            "--push: the image name names {d}, the attested digest is {}",
            image.digest
        );
    }
    Ok(r.with_digest(&image.digest))
}

fn push_envelopes(
    opts: &PushOpts,
    target: &Reference,
    envelopes: &[dsse::Envelope],
    key: Option<&anykey::PublicKey>,
    created: &str,
) -> anyhow::Result<()> {
    let client = opts.registry.client()?;
    let rt = runtime()?;
    // Without a key (attest push FILE without --pubkey) the bundle's hint is left empty.
    let hint_key = key.cloned();
    for env in envelopes {
        let predicate_type = predicate_type_of(env).unwrap_or_else(|| PREDICATE_TYPE.to_string());
        let pushed = rt.block_on(attach::push(
            &client,
            target,
            env,
            &predicate_type,
            hint_key.as_ref(),
            created,
            opts.layout.layouts(),
        ))?;
        if let Some((tag, digest, kept)) = &pushed.att {
            eprintln!(
                "pushed {}:{tag} ({digest}; {kept} earlier attestation layer(s) kept)",
                target.name()
            );
        }
        if let Some((digest, mode)) = &pushed.referrer {
            eprintln!(
                "pushed referrer {}@{digest} ({})",
                target.name(),
                match mode {
                    ReferrersMode::Api => "indexed by the registry's referrers API".to_string(),
                    ReferrersMode::FallbackTag => format!(
                        "no referrers API: listed in tag {}",
                        attach::fallback_tag(target.digest.as_deref().unwrap_or_default())
                    ),
                }
            );
        }
    }
    Ok(())
}

/// The statement's predicateType (unverified: only for the layer annotation).
fn predicate_type_of(env: &dsse::Envelope) -> Option<String> {
    let payload = env.unverified_payload()?;
    let st: Statement = pipeguard_attest::strict::from_slice(&payload).ok()?;
    Some(st.predicate_type)
}

/// `attest push FILE --image REF@sha256:…`.
fn push_file(args: &PushArgs) -> anyhow::Result<u8> {
    let reference = Reference::parse(&args.image)?;
    let Some(digest) = reference.digest.clone() else {
        bail!(
            "--image {}: pin the image by digest (REF@sha256:…); tags move",
            args.image
        );
    };
    let key = args
        .pubkey
        .as_deref()
        .map(anykey::load_public)
        .transpose()?;
    let origin = args.file.display().to_string();
    let text =
        std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {origin}"))?;
    if text.len() > 32 * 1024 * 1024 {
        bail!("{origin}: larger than 32 MiB");
    }
    let hex = digest.trim_start_matches("sha256:").to_string();
    let mut chosen = Vec::new();
    for (line, env) in dsse::parse_envelopes(&text) {
        let env = env.map_err(|e| anyhow!("{origin}:{line}: {e}"))?;
        if let Some(k) = &key {
            dsse::verify_with(&env, k, dsse::INTOTO_PAYLOAD_TYPE)
                .map_err(|e| anyhow!("{origin}:{line}: {e}"))?;
        }
        let names_image = env
            .unverified_payload()
            .and_then(|p| pipeguard_attest::strict::from_slice::<Statement>(&p).ok())
            .is_some_and(|st| {
                st.subject.iter().any(|s| {
                    s.digest
                        .get("sha256")
                        .is_some_and(|h| h.eq_ignore_ascii_case(&hex))
                })
            });
        if names_image {
            chosen.push(env);
        }
    }
    if chosen.is_empty() {
        bail!("{origin}: no attestation in it names {digest}");
    }
    let created = time::format_rfc3339(time::now()?);
    push_envelopes(
        &args.push,
        &reference.with_digest(&digest),
        &chosen,
        key.as_ref(),
        &created,
    )?;
    Ok(super::EXIT_PASS)
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
        None => (source_dir(args.selection.path()).join(JOBS_LOCK), false),
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
