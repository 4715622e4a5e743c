//! `pipeguard keygen --out KEY`

use std::path::PathBuf;

use clap::Args;

use pipeguard_attest::keys;

#[derive(Args, Debug)]
#[command(
    after_long_help = "Writes KEY (unencrypted PKCS#8 PEM, mode 0600) and KEY.pub (SPKI PEM).\n\
Existing files are never overwritten. Store KEY as a CI secret and pass it to `attest --key-env VAR`;\n\
give KEY.pub to the deploy side for `verify --pubkey`.\n\n\
Examples:\n  pipeguard keygen --out pipeguard.key\n  \
gh secret set PIPEGUARD_SIGNING_KEY < pipeguard.key && shred -u pipeguard.key"
)]
pub struct KeygenArgs {
    /// Private key file to create (the public key goes to FILE.pub).
    #[arg(long, short, value_name = "KEY")]
    pub out: PathBuf,
}

pub fn run(args: &KeygenArgs) -> anyhow::Result<u8> {
    let key = keys::generate()?;
    let public = keys::write_pair(&args.out, &key)?;
    println!(
        "private key: {} (mode 0600)\npublic key:  {}\nkeyid:       {}",
        args.out.display(),
        public.display(),
        keys::keyid(&key.verifying_key())
    );
    Ok(super::EXIT_PASS)
}
