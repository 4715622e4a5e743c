//! `pipeguard keygen --out KEY [--type ed25519|ecdsa-p256]`

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use pipeguard_attest::anykey::{self, KeyType};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyKind {
    Ed25519,
    /// ECDSA on P-256 with SHA-256: cosign's default, what Kyverno and the policy-controller verify.
    #[value(name = "ecdsa-p256")]
    EcdsaP256,
}

#[derive(Args, Debug)]
#[command(
    after_long_help = "Writes KEY (unencrypted PKCS#8 PEM, mode 0600) and KEY.pub (SPKI PEM).\n\
Existing files are never overwritten. Store KEY as a CI secret and pass it to `attest --key-env VAR`;\n\
give KEY.pub to the deploy side for `verify --pubkey` and to `policy kyverno|sigstore`.\n\
For admission controllers use --type ecdsa-p256 (cosign's default). attest also signs with an\n\
existing cosign.key (COSIGN_PASSWORD).\n\n\
Examples:\n  pipeguard keygen --out pipeguard.key\n  pipeguard keygen --type ecdsa-p256 --out pipeguard.key\n  \
gh secret set PIPEGUARD_SIGNING_KEY < pipeguard.key && shred -u pipeguard.key"
)]
pub struct KeygenArgs {
    /// Private key file to create (the public key goes to FILE.pub).
    #[arg(long, short, value_name = "KEY")]
    pub out: PathBuf,
    /// Key type.
    #[arg(long = "type", value_enum, default_value = "ed25519")]
    pub kind: KeyKind,
}

pub fn run(args: &KeygenArgs) -> anyhow::Result<u8> {
    let kind = match args.kind {
        KeyKind::Ed25519 => KeyType::Ed25519,
        KeyKind::EcdsaP256 => KeyType::EcdsaP256,
    };
    let (public, keyid) = anykey::write_new_pair(&args.out, kind)?;
    println!(
        "private key: {} (mode 0600, {})\npublic key:  {}\nkeyid:       {keyid}",
        args.out.display(),
        kind.as_str(),
        public.display(),
    );
    Ok(super::EXIT_PASS)
}
