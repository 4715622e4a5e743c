//! `pipeguard verify --attestation FILE --pubkey PUB --image-digest sha256:…`

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};

use pipeguard_attest::{digest, dsse, keys, time, verify};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RequiredVerdict {
    Pass,
}

#[derive(Args, Debug)]
#[command(
    group(clap::ArgGroup::new("subject").required(true).args(["image_digest", "image"])),
    after_long_help = "Exit codes: 0 verified, 1 verification failed (the reason is printed), 2 usage or I/O error.\n\n\
Examples:\n  pipeguard verify --attestation app.intoto.jsonl --pubkey pipeguard.pub \\\n    \
--image-digest sha256:4f3c… --require-verdict pass --max-risk 20 --max-age 24h\n  \
pipeguard verify --attestation app.intoto.jsonl --pubkey pipeguard.pub --image ghcr.io/o/app@sha256:4f3c…"
)]
pub struct VerifyArgs {
    /// Attestation: a DSSE envelope (JSON) or JSON Lines of envelopes (.intoto.jsonl).
    #[arg(long, value_name = "FILE")]
    pub attestation: PathBuf,
    /// The signer's public key (SPKI PEM, `keygen`'s KEY.pub).
    #[arg(long, value_name = "PUB")]
    pub pubkey: PathBuf,
    /// Digest of the image being deployed.
    #[arg(long, value_name = "sha256:HEX")]
    pub image_digest: Option<String>,
    /// Or the image reference being deployed, pinned by digest.
    #[arg(long, value_name = "REF@sha256:HEX")]
    pub image: Option<String>,
    /// Fail when the attested risk score is above N (0–100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_risk: Option<u8>,
    /// Fail when the attestation is older than this (e.g. 24h, 7d, 1h30m).
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub max_age: Option<u64>,
    /// Require this verdict.
    #[arg(long, value_enum, value_name = "VERDICT")]
    pub require_verdict: Option<RequiredVerdict>,
    /// Print the verified predicate as JSON on success.
    #[arg(long)]
    pub print_predicate: bool,
}

fn parse_age(s: &str) -> Result<u64, String> {
    time::parse_duration(s)
}

/// Attestation files are small; a bound keeps a hostile file from exhausting memory.
const MAX_ATTESTATION_BYTES: u64 = 32 * 1024 * 1024;

pub fn run(args: &VerifyArgs) -> anyhow::Result<u8> {
    let subject = match (&args.image_digest, &args.image) {
        (Some(d), _) => digest::from_digest(d)?,
        (None, Some(r)) => digest::from_reference(r)?,
        (None, None) => return Err(anyhow!("--image-digest or --image is required")),
    };
    let key = keys::load_public(&args.pubkey)?;
    let origin = args.attestation.display().to_string();
    let f =
        std::fs::File::open(&args.attestation).with_context(|| format!("cannot read {origin}"))?;
    let mut bytes = Vec::new();
    f.take(MAX_ATTESTATION_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {origin}"))?;
    if bytes.len() as u64 > MAX_ATTESTATION_BYTES {
        return Err(anyhow!(
            "{origin}: larger than {MAX_ATTESTATION_BYTES} bytes"
        ));
    }
    let policy = verify::Policy {
        digest: subject.digest.clone(),
        max_risk: args.max_risk,
        max_age: args.max_age,
        require_verdict: args.require_verdict.map(|_| "pass".to_string()),
        now: time::system_now(),
    };
    let text = String::from_utf8_lossy(&bytes);
    let envelopes = dsse::parse_envelopes(&text);
    let many = envelopes.len() > 1;
    let mut failures = Vec::new();
    for (line, env) in envelopes {
        let result = env
            .map_err(verify::VerifyError::from)
            .and_then(|e| verify::verify(&e, &key, &policy));
        match result {
            Ok(v) => {
                let p = &v.predicate;
                println!(
                    "verified: {} {} — verdict {}, risk score {}, attested {} by keyid {}",
                    v.statement
                        .subject
                        .iter()
                        .find(|s| s
                            .digest
                            .get("sha256")
                            .is_some_and(|h| h.eq_ignore_ascii_case(subject.hex())))
                        .map_or("image", |s| s.name.as_str()),
                    subject.digest,
                    p.verdict,
                    p.risk_score,
                    p.timestamp,
                    keys::keyid(&key)
                );
                if args.print_predicate {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&v.statement.predicate).unwrap_or_default()
                    );
                }
                return Ok(super::EXIT_PASS);
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
    Ok(super::EXIT_FAIL)
}
