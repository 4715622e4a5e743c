//! Ed25519 keys as PEM: private keys as unencrypted PKCS#8 v1 (`BEGIN PRIVATE KEY`, what
//! `openssl genpkey -algorithm ed25519` and pyca/cryptography write), public keys as SPKI
//! (`BEGIN PUBLIC KEY`), and the securesystemslib key id so independent verifiers find the key.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, KeypairBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};

/// A fresh key from the operating system's CSPRNG.
pub fn generate() -> anyhow::Result<SigningKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("no randomness from the OS: {e}"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// PKCS#8 v1 PEM (no embedded public key): the most widely readable form.
pub fn private_pem(key: &SigningKey) -> anyhow::Result<String> {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let pem = bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow!("cannot encode the private key: {e}"))?;
    Ok(pem.to_string())
}

pub fn public_pem(key: &VerifyingKey) -> anyhow::Result<String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| anyhow!("cannot encode the public key: {e}"))
}

/// Where `keygen --out KEY` puts the public key: `KEY.pub`.
pub fn public_path(private: &Path) -> PathBuf {
    let mut s = private.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Write a new key pair: the private key with mode 0600, created exclusively (never
/// overwritten), the public key beside it. Neither file may exist beforehand.
pub fn write_pair(private: &Path, key: &SigningKey) -> anyhow::Result<PathBuf> {
    let priv_pem = private_pem(key)?;
    let pub_pem = public_pem(&key.verifying_key())?;
    write_pem_pair(private, &priv_pem, &pub_pem)
}

/// Write a private PEM (0600, created exclusively) and its public PEM at `private.pub`.
pub fn write_pem_pair(private: &Path, priv_pem: &str, pub_pem: &str) -> anyhow::Result<PathBuf> {
    let public = public_path(private);
    for p in [private, public.as_path()] {
        if p.exists() || p.symlink_metadata().is_ok() {
            bail!(
                "{} already exists; refusing to overwrite a key",
                p.display()
            );
        }
    }
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_new(private, priv_pem.as_bytes(), 0o600)?;
    write_new(&public, pub_pem.as_bytes(), 0o644)?;
    Ok(public)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow!(
                "{} already exists; refusing to overwrite a key",
                path.display()
            )
        } else {
            anyhow!("cannot create {}: {e}", path.display())
        }
    })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Parse a PKCS#8 PEM private key; `origin` names it in errors (a path or `$VAR`).
pub fn parse_private(pem: &str, origin: &str) -> anyhow::Result<SigningKey> {
    let pem = normalize_pem(pem);
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        bail!(
            "{origin}: encrypted private keys are not supported; use an unencrypted PKCS#8 key kept in a CI secret"
        );
    }
    if !pem.contains("-----BEGIN PRIVATE KEY-----") {
        bail!("{origin}: not a PKCS#8 PEM private key (expected `-----BEGIN PRIVATE KEY-----`)");
    }
    SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| anyhow!("{origin}: not an Ed25519 PKCS#8 private key ({e})"))
}

/// Parse an SPKI PEM public key.
pub fn parse_public(pem: &str, origin: &str) -> anyhow::Result<VerifyingKey> {
    let pem = normalize_pem(pem);
    if pem.contains("PRIVATE KEY-----") {
        bail!("{origin}: this is a private key; pass the public key (KEY.pub)");
    }
    if !pem.contains("-----BEGIN PUBLIC KEY-----") {
        bail!("{origin}: not an SPKI PEM public key (expected `-----BEGIN PUBLIC KEY-----`)");
    }
    VerifyingKey::from_public_key_pem(&pem)
        .map_err(|e| anyhow!("{origin}: not an Ed25519 public key ({e})"))
}

/// CI secret stores often hold PEM with CRLF line ends or literal `\n` sequences.
pub(crate) fn normalize_pem(text: &str) -> String {
    let text = text.trim().replace("\r\n", "\n");
    let text = if text.contains('\n') {
        text
    } else {
        text.replace("\\n", "\n")
    };
    format!("{}\n", text.trim())
}

pub fn load_private(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read private key {}", path.display()))?;
    parse_private(&text, &path.display().to_string())
}

/// The private key PEM from an environment variable, so CI secrets never touch disk.
pub fn load_private_env(var: &str) -> anyhow::Result<SigningKey> {
    let text = std::env::var(var).map_err(|e| match e {
        std::env::VarError::NotPresent => anyhow!("environment variable {var} is not set"),
        std::env::VarError::NotUnicode(_) => anyhow!("environment variable {var} is not UTF-8"),
    })?;
    if text.trim().is_empty() {
        bail!("environment variable {var} is empty");
    }
    parse_private(&text, &format!("${var}"))
}

pub fn load_public(path: &Path) -> anyhow::Result<VerifyingKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read public key {}", path.display()))?;
    parse_public(&text, &path.display().to_string())
}

/// The securesystemslib default key id: SHA-256 (hex) of the canonical JSON of
/// `{"keytype":"ed25519","keyval":{"public":HEX},"scheme":"ed25519"}` (keys sorted, no spaces),
/// where HEX is the raw 32-byte public key in lowercase hex (`SSlibKey.from_crypto`).
pub fn keyid(key: &VerifyingKey) -> String {
    let public = crate::hash::hex(key.as_bytes());
    let canonical =
        format!(r#"{{"keytype":"ed25519","keyval":{{"public":"{public}"}},"scheme":"ed25519"}}"#);
    crate::hash::sha256_hex(canonical.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 test vector 1 secret key.
    const SEED: [u8; 32] = [
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c,
        0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
        0x7f, 0x60,
    ];

    #[test]
    fn pem_round_trip_and_v1_encoding() {
        let key = SigningKey::from_bytes(&SEED);
        let pem = private_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // v1 PKCS#8 Ed25519 DER is 48 bytes: 64 base64 chars on one line.
        assert_eq!(pem.lines().nth(1).unwrap().len(), 64);
        let back = parse_private(&pem, "t").unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let pubpem = public_pem(&key.verifying_key()).unwrap();
        assert_eq!(parse_public(&pubpem, "t").unwrap(), key.verifying_key());
        // literal \n from a secret store
        let escaped = pem.trim().replace('\n', "\\n");
        assert!(parse_private(&escaped, "t").is_ok());
    }

    /// Values computed independently with pyca/cryptography + securesystemslib.
    #[test]
    fn matches_pyca_encodings_and_sslib_keyid() {
        let key = SigningKey::from_bytes(&SEED);
        assert_eq!(
            private_pem(&key).unwrap(),
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
        );
        assert_eq!(
            public_pem(&key.verifying_key()).unwrap(),
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
        );
        assert_eq!(
            keyid(&key.verifying_key()),
            "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916"
        );
    }

    #[test]
    fn wrong_kinds_are_named() {
        let key = SigningKey::from_bytes(&SEED);
        let pubpem = public_pem(&key.verifying_key()).unwrap();
        let e = parse_private(&pubpem, "k.pem").unwrap_err().to_string();
        assert!(e.contains("k.pem: not a PKCS#8"), "{e}");
        let e = parse_public(&private_pem(&key).unwrap(), "k")
            .unwrap_err()
            .to_string();
        assert!(e.contains("private key"), "{e}");
        assert!(parse_public("garbage", "x").is_err());
    }
}
