//! Signing keys of either type pipeguard supports, detected from the key itself:
//! Ed25519 and ECDSA P-256 (SHA-256, ASN.1 DER signatures — cosign's default and what Kyverno and
//! the Sigstore policy-controller expect). Private keys are PKCS#8 PEM (`BEGIN PRIVATE KEY`) or
//! cosign's encrypted `cosign.key` (`BEGIN ENCRYPTED SIGSTORE PRIVATE KEY` / `… COSIGN …`, scrypt +
//! NaCl secretbox, see [`crate::cosignkey`]); public keys are SPKI PEM (`BEGIN PUBLIC KEY`).
//!
//! ECDSA uses `ring` (already linked for TLS); the DER structures are read with the RustCrypto
//! `pkcs8`/`spki` crates that `ed25519-dalek` brings.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use pkcs8::der::pem::{self, LineEnding};
use pkcs8::{ObjectIdentifier, PrivateKeyInfoRef, SubjectPublicKeyInfoRef};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};

use crate::keys;

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The DER prefix of a P-256 SPKI with an uncompressed point (`04 || X || Y` follows).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Ed25519,
    EcdsaP256,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::EcdsaP256 => "ecdsa-p256",
        }
    }
}

/// A private key of either type.
pub enum PrivateKey {
    Ed25519(SigningKey),
    EcdsaP256(EcdsaKeyPair),
}

/// A public key of either type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    Ed25519(VerifyingKey),
    /// The uncompressed SEC1 point (65 bytes).
    EcdsaP256(Vec<u8>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        write!(f, "PrivateKey({})", self.key_type().as_str())
    }
}

impl PrivateKey {
    pub fn generate(kind: KeyType) -> anyhow::Result<PrivateKey> {
        match kind {
            KeyType::Ed25519 => Ok(PrivateKey::Ed25519(keys::generate()?)),
            KeyType::EcdsaP256 => {
                let rng = SystemRandom::new();
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                    .map_err(|_| anyhow!("cannot generate an ECDSA P-256 key"))?;
                let pair =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, doc.as_ref(), &rng)
                        .map_err(|e| anyhow!("cannot load the generated key: {e}"))?;
                Ok(PrivateKey::EcdsaP256(pair))
            }
        }
    }

    pub fn key_type(&self) -> KeyType {
        match self {
            PrivateKey::Ed25519(_) => KeyType::Ed25519,
            PrivateKey::EcdsaP256(_) => KeyType::EcdsaP256,
        }
    }

    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            PrivateKey::EcdsaP256(k) => PublicKey::EcdsaP256(k.public_key().as_ref().to_vec()),
        }
    }

    /// A signature over `message`: raw 64 bytes (Ed25519) or ASN.1 DER (ECDSA, SHA-256).
    pub fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        match self {
            PrivateKey::Ed25519(k) => Ok(k.sign(message).to_bytes().to_vec()),
            PrivateKey::EcdsaP256(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| anyhow!("ECDSA signing failed")),
        }
    }
}

impl PublicKey {
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::EcdsaP256(_) => KeyType::EcdsaP256,
        }
    }

    /// Does `sig` verify `message`? Ed25519: strict verification of a 64-byte signature;
    /// ECDSA: an ASN.1 DER signature over SHA-256 of the message.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(k) => <[u8; 64]>::try_from(sig).is_ok_and(|b| {
                k.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&b))
                    .is_ok()
            }),
            PublicKey::EcdsaP256(point) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                .verify(message, sig)
                .is_ok(),
        }
    }

    /// Is `sig` shaped like a signature of this key type (not whether it verifies)?
    pub fn plausible_signature(&self, sig: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(_) => sig.len() == 64,
            // SEQUENCE { INTEGER r, INTEGER s }: 8 to 72 bytes for P-256.
            PublicKey::EcdsaP256(_) => (8..=72).contains(&sig.len()) && sig[0] == 0x30,
        }
    }

    /// SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            PublicKey::Ed25519(k) => {
                let mut der = vec![
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
                ];
                der.extend_from_slice(k.as_bytes());
                der
            }
            PublicKey::EcdsaP256(point) => {
                let mut der = P256_SPKI_PREFIX.to_vec();
                der.extend_from_slice(point);
                der
            }
        }
    }

    /// SPKI PEM (`BEGIN PUBLIC KEY`, 64-column lines, LF), as OpenSSL, pyca and cosign write.
    pub fn to_pem(&self) -> String {
        // Encoding a small DER blob as PEM cannot fail.
        pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.spki_der()).unwrap_or_default()
    }

    /// The securesystemslib key id (what `SSlibKey.from_crypto` computes): SHA-256 of the
    /// canonical JSON of the key. Ed25519: `{"keytype":"ed25519","keyval":{"public":HEX},
    /// "scheme":"ed25519"}`; ECDSA: `{"keytype":"ecdsa","keyval":{"public":PEM},
    /// "scheme":"ecdsa-sha2-nistp256"}` with the SPKI PEM as is (OLPC canonical JSON escapes
    /// only `"` and `\`, so the newlines stay raw).
    pub fn keyid(&self) -> String {
        match self {
            PublicKey::Ed25519(k) => keys::keyid(k),
            PublicKey::EcdsaP256(_) => {
                let canonical = format!(
                    r#"{{"keytype":"ecdsa","keyval":{{"public":"{}"}},"scheme":"ecdsa-sha2-nistp256"}}"#,
                    self.to_pem()
                );
                crate::hash::sha256_hex(canonical.as_bytes())
            }
        }
    }

    /// The Sigstore bundle's `publicKey.hint`, as cosign computes it: base64 of SHA-256 of the
    /// SPKI DER.
    pub fn sigstore_hint(&self) -> String {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(self.spki_der()))
    }
}

/// A private key from PEM text: PKCS#8 (`BEGIN PRIVATE KEY`, Ed25519 or ECDSA P-256) or
/// cosign's encrypted key, decrypted with `password` (COSIGN_PASSWORD). `origin` names the key
/// in errors (a path or `$VAR`); no error ever contains key material or the password.
pub fn parse_private(
    text: &str,
    origin: &str,
    password: Option<&[u8]>,
) -> anyhow::Result<PrivateKey> {
    let text = keys::normalize_pem(text);
    if text.contains("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
        || text.contains("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----")
    {
        let password = password.ok_or_else(|| {
            anyhow!("{origin}: an encrypted cosign key needs its password in COSIGN_PASSWORD")
        })?;
        let der =
            crate::cosignkey::decrypt_pem(&text, password).map_err(|e| anyhow!("{origin}: {e}"))?;
        return from_pkcs8_der(&der, origin);
    }
    if text.contains("ENCRYPTED PRIVATE KEY") {
        bail!(
            "{origin}: PKCS#8-encrypted private keys are not supported; use an unencrypted PKCS#8 key kept in a CI secret, or a cosign.key with COSIGN_PASSWORD"
        );
    }
    if text.contains("-----BEGIN EC PRIVATE KEY-----") {
        bail!(
            "{origin}: a SEC1 `EC PRIVATE KEY`; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`"
        );
    }
    if !text.contains("-----BEGIN PRIVATE KEY-----") {
        bail!("{origin}: not a PKCS#8 PEM private key (expected `-----BEGIN PRIVATE KEY-----`)");
    }
    let (label, der) =
        pem::decode_vec(text.as_bytes()).map_err(|e| anyhow!("{origin}: malformed PEM ({e})"))?;
    if label != "PRIVATE KEY" {
        bail!("{origin}: PEM label `{label}`, expected `PRIVATE KEY`");
    }
    from_pkcs8_der(&der, origin)
}

/// PKCS#8 DER (v1 or v2) of an Ed25519 or ECDSA P-256 key.
pub fn from_pkcs8_der(der: &[u8], origin: &str) -> anyhow::Result<PrivateKey> {
    let info = PrivateKeyInfoRef::try_from(der)
        .map_err(|e| anyhow!("{origin}: not a PKCS#8 private key ({e})"))?;
    let oid = info.algorithm.oid;
    if oid == OID_ED25519 {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let key = SigningKey::from_pkcs8_der(der)
            .map_err(|e| anyhow!("{origin}: not a valid Ed25519 PKCS#8 key ({e})"))?;
        Ok(PrivateKey::Ed25519(key))
    } else if oid == OID_EC_PUBLIC_KEY {
        let curve = info.algorithm.parameters_oid().ok();
        if curve != Some(OID_P256) {
            bail!(
                "{origin}: an ECDSA key on curve {}; only P-256 (prime256v1) is supported",
                curve.map_or_else(|| "(unnamed)".to_string(), |c| c.to_string())
            );
        }
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der, &SystemRandom::new())
                .map_err(|e| anyhow!("{origin}: not a usable ECDSA P-256 PKCS#8 key ({e})"))?;
        Ok(PrivateKey::EcdsaP256(pair))
    } else {
        bail!(
            "{origin}: unsupported private key algorithm {oid} (pipeguard signs with Ed25519 or ECDSA P-256)"
        )
    }
}

/// An SPKI PEM public key, Ed25519 or ECDSA P-256.
pub fn parse_public(text: &str, origin: &str) -> anyhow::Result<PublicKey> {
    let text = keys::normalize_pem(text);
    if text.contains("PRIVATE KEY-----") {
        bail!("{origin}: this is a private key; pass the public key (KEY.pub)");
    }
    if !text.contains("-----BEGIN PUBLIC KEY-----") {
        bail!("{origin}: not an SPKI PEM public key (expected `-----BEGIN PUBLIC KEY-----`)");
    }
    let (label, der) =
        pem::decode_vec(text.as_bytes()).map_err(|e| anyhow!("{origin}: malformed PEM ({e})"))?;
    if label != "PUBLIC KEY" {
        bail!("{origin}: PEM label `{label}`, expected `PUBLIC KEY`");
    }
    from_spki_der(&der, origin)
}

pub fn from_spki_der(der: &[u8], origin: &str) -> anyhow::Result<PublicKey> {
    let spki = SubjectPublicKeyInfoRef::try_from(der)
        .map_err(|e| anyhow!("{origin}: not an SPKI public key ({e})"))?;
    let oid = spki.algorithm.oid;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| anyhow!("{origin}: the public key bit string is not byte-aligned"))?;
    if oid == OID_ED25519 {
        let bytes = <[u8; 32]>::try_from(bits)
            .map_err(|_| anyhow!("{origin}: an Ed25519 public key must be 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| anyhow!("{origin}: not a valid Ed25519 public key ({e})"))?;
        Ok(PublicKey::Ed25519(key))
    } else if oid == OID_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters_oid().ok();
        if curve != Some(OID_P256) {
            bail!("{origin}: an ECDSA public key not on P-256; only P-256 is supported");
        }
        if bits.len() != 65 || bits[0] != 0x04 {
            bail!("{origin}: the P-256 public key is not an uncompressed point (04 || X || Y)");
        }
        Ok(PublicKey::EcdsaP256(bits.to_vec()))
    } else {
        bail!(
            "{origin}: unsupported public key algorithm {oid} (pipeguard verifies Ed25519 and ECDSA P-256)"
        )
    }
}

/// The password of an encrypted cosign key, from COSIGN_PASSWORD (as cosign reads it).
pub fn cosign_password() -> Option<Vec<u8>> {
    std::env::var_os("COSIGN_PASSWORD").map(std::ffi::OsString::into_encoded_bytes)
}

pub fn load_private(path: &Path) -> anyhow::Result<PrivateKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read private key {}", path.display()))?;
    parse_private(
        &text,
        &path.display().to_string(),
        cosign_password().as_deref(),
    )
}

pub fn load_private_env(var: &str) -> anyhow::Result<PrivateKey> {
    let text = std::env::var(var).map_err(|e| match e {
        std::env::VarError::NotPresent => anyhow!("environment variable {var} is not set"),
        std::env::VarError::NotUnicode(_) => anyhow!("environment variable {var} is not UTF-8"),
    })?;
    if text.trim().is_empty() {
        bail!("environment variable {var} is empty");
    }
    parse_private(&text, &format!("${var}"), cosign_password().as_deref())
}

pub fn load_public(path: &Path) -> anyhow::Result<PublicKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read public key {}", path.display()))?;
    parse_public(&text, &path.display().to_string())
}

/// Generate and write a key pair of `kind` (private 0600, public beside it as KEY.pub; neither
/// may exist). Returns (public path, keyid).
pub fn write_new_pair(
    private: &Path,
    kind: KeyType,
) -> anyhow::Result<(std::path::PathBuf, String)> {
    match kind {
        KeyType::Ed25519 => {
            let key = keys::generate()?;
            let public = keys::write_pair(private, &key)?;
            Ok((public, keys::keyid(&key.verifying_key())))
        }
        KeyType::EcdsaP256 => {
            let rng = SystemRandom::new();
            let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .map_err(|_| anyhow!("cannot generate an ECDSA P-256 key"))?;
            let key = from_pkcs8_der(doc.as_ref(), "generated key")?;
            // PKCS#8 v1 as ring generates it (the public key inside the ECPrivateKey), which
            // OpenSSL, Go (cosign) and pyca read.
            let priv_pem = pem::encode_string("PRIVATE KEY", LineEnding::LF, doc.as_ref())
                .map_err(|e| anyhow!("cannot encode the private key: {e}"))?;
            let public = key.public();
            let public_path = keys::write_pem_pair(private, &priv_pem, &public.to_pem())?;
            Ok((public_path, public.keyid()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_round_trip_and_detection() {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = from_pkcs8_der(doc.as_ref(), "t").unwrap();
        assert_eq!(key.key_type(), KeyType::EcdsaP256);
        let pem = pem::encode_string("PRIVATE KEY", LineEnding::LF, doc.as_ref()).unwrap();
        let back = parse_private(&pem, "t", None).unwrap();
        assert_eq!(back.public(), key.public());
        let sig = key.sign(b"hello").unwrap();
        assert_eq!(sig[0], 0x30);
        assert!(key.public().verify(b"hello", &sig));
        assert!(!key.public().verify(b"hellO", &sig));
        let pubpem = key.public().to_pem();
        assert!(
            pubpem.starts_with("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
        );
        assert_eq!(parse_public(&pubpem, "t").unwrap(), key.public());
        // Ed25519 through the same entry points.
        let ed = PrivateKey::Ed25519(SigningKey::from_bytes(&[9; 32]));
        let PrivateKey::Ed25519(inner) = &ed else {
            unreachable!()
        };
        let edpem = keys::private_pem(inner).unwrap();
        assert_eq!(
            parse_private(&edpem, "t", None).unwrap().key_type(),
            KeyType::Ed25519
        );
        assert_eq!(
            parse_public(&ed.public().to_pem(), "t").unwrap(),
            ed.public()
        );
        let s = ed.sign(b"m").unwrap();
        assert!(ed.public().verify(b"m", &s));
        assert!(!key.public().verify(b"m", &s));
    }

    #[test]
    fn wrong_inputs_are_named() {
        let e = parse_private(
            "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----",
            "k",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("openssl pkcs8 -topk8"), "{e}");
        let e = parse_private(
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAA==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----",
            "cosign.key",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("COSIGN_PASSWORD"), "{e}");
        assert!(parse_public("garbage", "x").is_err());
    }
}
