//! `pipeguard verify`: an attestation from a file (`--attestation FILE`) or from the registry
//! beside the image (`--image REF` without `--attestation`).

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};

use super::audit::record;
use super::registry::{RegistryOpts, policy_and_threshold, runtime};
use pipeguard_attest::{anykey, digest, dsse, time, verify};
use pipeguard_oci::Reference;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RequiredVerdict {
    Pass,
}

#[derive(Args, Debug)]
#[command(
    group(clap::ArgGroup::new("subject").required(true).args(["image_digest", "image"])),
    after_long_help = "With --attestation FILE the envelopes are read from the file; without it, --image REF is\n\
looked up in its registry: the attestations stored beside the image (cosign's sha256-<hex>.att tag and\n\
OCI 1.1 referrers, or the referrers tag) are read and those with pipeguard's predicate type verified.\n\
A tag-only REF is resolved to its digest once; the digest is printed and only it is used.\n\
As a promotion gate (dev → test → prod) use --risk-gate NAME: the threshold of that gate in the\n\
policy's risk.gates (--config, default .pipeguard.yml).\n\n\
An attestation whose verdict is `fail` is refused unless --allow-failing-verdict is given (the default is\n\
--require-verdict pass).\n\n\
Exit codes: 0 verified, 1 verification failed (the reason is printed), 2 usage, I/O or registry error.\n\n\
Examples:\n  pipeguard verify --attestation app.intoto.jsonl --pubkey pipeguard.pub \\\n    \
--image-digest sha256:4f3c… --require-verdict pass --max-risk 20 --max-age 24h\n  \
pipeguard verify --image registry.example.com/team/app@sha256:4f3c… --pubkey cosign.pub --require-verdict pass\n  \
pipeguard verify --image registry.example.com/team/app:1.4 --pubkey cosign.pub --require-verdict pass --risk-gate prod"
)]
pub struct VerifyArgs {
    /// Attestation: a DSSE envelope (JSON) or JSON Lines of envelopes (.intoto.jsonl). Without
    /// it, the attestations are read from the registry of --image.
    #[arg(long, value_name = "FILE")]
    pub attestation: Option<PathBuf>,
    /// The signer's public key (SPKI PEM: Ed25519 or ECDSA P-256, e.g. cosign.pub).
    #[arg(long, value_name = "PUB")]
    pub pubkey: PathBuf,
    /// Digest of the image being deployed.
    #[arg(long, value_name = "sha256:HEX")]
    pub image_digest: Option<String>,
    /// Or the image reference being deployed (by digest; with the registry, a tag is resolved).
    #[arg(long, value_name = "REF[@sha256:HEX]")]
    pub image: Option<String>,
    /// Fail when the attested risk score is above N (0–100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_risk: Option<u8>,
    /// Or the threshold of this promotion gate of the policy's `risk.gates`.
    #[arg(long, value_name = "NAME", conflicts_with = "max_risk")]
    pub risk_gate: Option<String>,
    /// Policy file for --risk-gate (default: .pipeguard.yml in the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Fail when the attestation is older than this (e.g. 24h, 7d, 1h30m).
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub max_age: Option<u64>,
    /// Require this verdict. The default: `pass` (an attestation of a failing scan is refused)
    /// unless --allow-failing-verdict is given.
    #[arg(long, value_enum, value_name = "VERDICT")]
    pub require_verdict: Option<RequiredVerdict>,
    /// Accept an attestation whose verdict is `fail` (the risk score and the other checks still
    /// apply). Without it, `--require-verdict pass` is in force.
    #[arg(long, conflicts_with = "require_verdict")]
    pub allow_failing_verdict: bool,
    /// Accept an attestation of an incomplete scan (`incomplete: true`: some files were not
    /// analysed); refused by default.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Print the verified predicate as JSON on success.
    #[arg(long)]
    pub print_predicate: bool,
    #[command(flatten)]
    pub registry: RegistryOpts,
    /// Append the decision to this hash-chained log (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

fn parse_age(s: &str) -> Result<u64, String> {
    time::parse_duration(s)
}

/// Attestation files are small; a bound keeps a hostile file from exhausting memory.
const MAX_ATTESTATION_BYTES: u64 = 32 * 1024 * 1024;

pub fn run(args: &VerifyArgs) -> anyhow::Result<u8> {
    let key = anykey::load_public(&args.pubkey)?;
    let (cfg, max_risk) = policy_and_threshold(
        args.config.as_deref(),
        args.risk_gate.as_deref(),
        args.max_risk,
    )?;
    let policy_digest = cfg.as_ref().map(|c| format!("sha256:{}", c.digest));
    let mut policy = verify::Policy {
        digest: String::new(),
        max_risk,
        max_age: args.max_age,
        // Secure by default: a failing verdict is refused unless explicitly allowed.
        require_verdict: (!args.allow_failing_verdict).then(|| "pass".to_string()),
        allow_incomplete: args.allow_incomplete,
        now: time::system_now(),
    };
    let (subject, code, reasons) = match &args.attestation {
        Some(file) => {
            let subject = match (&args.image_digest, &args.image) {
                (Some(d), _) => digest::from_digest(d)?,
                (None, Some(r)) => digest::from_reference(r)?,
                (None, None) => return Err(anyhow!("--image-digest or --image is required")),
            };
            policy.digest.clone_from(&subject.digest);
            let (code, reasons) = from_file(args, file, &key, &policy, subject.hex())?;
            (subject.digest.clone(), code, reasons)
        }
        None => {
            let Some(image) = &args.image else {
                return Err(anyhow!(
                    "--image-digest needs --attestation FILE; to read the attestations from the registry give --image REF"
                ));
            };
            from_registry(args, image, &key, &mut policy)?
        }
    };
    if let Some(t) = max_risk
        && let Some(g) = &args.risk_gate
    {
        println!("promotion gate `{g}`: risk score at most {t}");
    }
    record(
        args.audit_log.as_deref(),
        "verify",
        &subject,
        policy_digest,
        code == super::EXIT_PASS,
        reasons,
    )?;
    Ok(code)
}

fn print_verified(
    args: &VerifyArgs,
    v: &verify::Verified,
    name: &str,
    digest: &str,
    key: &anykey::PublicKey,
    from: &str,
) -> String {
    let p = &v.predicate;
    let line = format!(
        "verified: {name} {digest} — verdict {}, risk score {}, attested {} by keyid {}{from}",
        p.verdict,
        p.risk_score,
        p.time,
        key.keyid()
    );
    println!("{line}");
    if args.print_predicate {
        println!(
            "{}",
            serde_json::to_string_pretty(&v.statement.predicate).unwrap_or_default()
        );
    }
    line
}

fn from_file(
    args: &VerifyArgs,
    file: &std::path::Path,
    key: &anykey::PublicKey,
    policy: &verify::Policy,
    hex: &str,
) -> anyhow::Result<(u8, Vec<String>)> {
    let origin = file.display().to_string();
    // A regular file only (a FIFO would block, a device never ends), bounded.
    let bytes = pipeguard_attest::fsread::read_file(
        file,
        MAX_ATTESTATION_BYTES,
        pipeguard_attest::fsread::Follow::Yes,
    )
    .with_context(|| format!("cannot read {origin}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let envelopes = dsse::parse_envelopes(&text);
    let many = envelopes.len() > 1;
    let mut failures = Vec::new();
    for (line, env) in envelopes {
        let result = env
            .map_err(verify::VerifyError::from)
            .and_then(|e| verify::verify(&e, key, policy));
        match result {
            Ok(v) => {
                let name = v
                    .statement
                    .subject
                    .iter()
                    .find(|s| {
                        s.digest
                            .get("sha256")
                            .is_some_and(|h| h.eq_ignore_ascii_case(hex))
                    })
                    .map_or("image", |s| s.name.as_str())
                    .to_string();
                let line = print_verified(args, &v, &name, &policy.digest, key, "");
                return Ok((super::EXIT_PASS, vec![line]));
            }
            Err(e) => failures.push(if many {
                format!("{origin}:{line}: {e}")
            } else {
                format!("{origin}: {e}")
            }),
        }
    }
    for f in &failures {
        eprintln!("verification failed: {f}");
    }
    Ok((super::EXIT_FAIL, failures))
}

fn from_registry(
    args: &VerifyArgs,
    image: &str,
    key: &anykey::PublicKey,
    policy: &mut verify::Policy,
) -> anyhow::Result<(String, u8, Vec<String>)> {
    let reference = Reference::parse(image)?;
    if let (Some(d), Some(r)) = (&args.image_digest, &reference.digest)
        && pipeguard_oci::reference::parse_digest(d)? != *r
    {
        return Err(anyhow!(
            "--image-digest {d} and --image {image} name different digests"
        ));
    }
    let client = args.registry.client()?;
    let rt = runtime()?;
    let (pinned, resolved) = rt.block_on(pipeguard_oci::attach::resolve(&client, &reference))?;
    let digest = pinned.digest.clone().unwrap_or_default();
    if resolved {
        // Tags move: the digest is what was checked, and what the deploy must use.
        println!("resolved {reference} to {digest} (verify and deploy by this digest)");
    }
    println!("image: {}@{digest}", pinned.name());
    policy.digest.clone_from(&digest);
    let found = rt.block_on(pipeguard_oci::attach::fetch(&client, &pinned, &digest))?;
    let eval = pipeguard_oci::audit::evaluate(found, key, policy);
    let subject = format!("{}@{digest}", pinned.name());
    if let Some((layout, v)) = &eval.passed {
        let line = print_verified(
            args,
            v,
            &pinned.name(),
            &digest,
            key,
            &format!(" (from {layout})"),
        );
        return Ok((subject, super::EXIT_PASS, vec![line]));
    }
    let mut reasons = Vec::new();
    if eval.failures.is_empty() {
        reasons.push(format!(
            "{subject}: no pipeguard attestation in the registry (looked in tag {} and the referrers){}",
            pipeguard_oci::attach::att_tag(&digest),
            if eval.others > 0 {
                format!("; {} attestation(s) of other predicate types", eval.others)
            } else {
                String::new()
            }
        ));
    }
    for (layout, f) in &eval.failures {
        reasons.push(format!("{subject} {layout}: {f}"));
    }
    for r in &reasons {
        eprintln!("verification failed: {r}");
    }
    Ok((subject, super::EXIT_FAIL, reasons))
}
