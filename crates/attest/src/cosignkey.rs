//! cosign's encrypted private key (`cosign generate-key-pair` → `cosign.key`), read so that users
//! sign with the key their admission policies already trust.
//!
//! The format (go-securesystemslib `encrypted`, as cosign's `pkg/cosign/keys.go` uses it): PEM
//! with label `ENCRYPTED SIGSTORE PRIVATE KEY` (older: `ENCRYPTED COSIGN PRIVATE KEY`) whose body
//! is the JSON
//! `{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":B64},
//!   "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}`.
//! The key is scrypt(password, salt, N, r, p) → 32 bytes; the ciphertext is NaCl secretbox
//! (XSalsa20-Poly1305, tag first) of the PKCS#8 DER of the private key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::Aead;
use crypto_secretbox::{KeyInit, XSalsa20Poly1305};
use serde::Deserialize;

/// Bounds on the KDF parameters a key file may ask for: the largest is 1 GiB of memory
/// (N = 2^20, r = 8), far above cosign's N = 32768 and 65536.
const MAX_LOG_N: u8 = 20;
const MAX_R: u32 = 32;
const MAX_P: u32 = 16;
const MAX_MEMORY: u64 = 1 << 30;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct ScryptParams {
    N: u64,
    r: u32,
    p: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Why a cosign key does not open; none of these messages contain key material or the
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignKeyError {
    #[error("not an encrypted cosign key: {0}")]
    Malformed(String),
    #[error("unsupported cosign key {0}")]
    Unsupported(String),
    #[error("scrypt parameters N={n} r={r} p={p} are out of bounds (N a power of two up to 2^20)")]
    Params { n: u64, r: u32, p: u32 },
    #[error("wrong password (COSIGN_PASSWORD), or the key file was altered")]
    Decrypt,
}

/// Decrypt a cosign key's PEM text to the PKCS#8 DER inside.
pub fn decrypt_pem(pem_text: &str, password: &[u8]) -> Result<Vec<u8>, CosignKeyError> {
    let (label, body) = pkcs8::der::pem::decode_vec(pem_text.as_bytes())
        .map_err(|e| CosignKeyError::Malformed(format!("PEM ({e})")))?;
    if label != "ENCRYPTED SIGSTORE PRIVATE KEY" && label != "ENCRYPTED COSIGN PRIVATE KEY" {
        return Err(CosignKeyError::Malformed(format!("PEM label `{label}`")));
    }
    decrypt(&body, password)
}

/// Decrypt the JSON body of a cosign key.
pub fn decrypt(json: &[u8], password: &[u8]) -> Result<Vec<u8>, CosignKeyError> {
    let enc: Encrypted = crate::strict::from_slice(json)
        .map_err(|e| CosignKeyError::Malformed(format!("JSON ({e})")))?;
    if enc.kdf.name != "scrypt" {
        return Err(CosignKeyError::Unsupported(format!(
            "KDF `{}` (expected scrypt)",
            enc.kdf.name
        )));
    }
    if enc.cipher.name != "nacl/secretbox" {
        return Err(CosignKeyError::Unsupported(format!(
            "cipher `{}` (expected nacl/secretbox)",
            enc.cipher.name
        )));
    }
    let ScryptParams { N: n, r, p } = enc.kdf.params;
    let bad = || CosignKeyError::Params { n, r, p };
    if !n.is_power_of_two() || n < 2 || r == 0 || p == 0 || r > MAX_R || p > MAX_P {
        return Err(bad());
    }
    let log_n = n.trailing_zeros() as u8;
    if log_n > MAX_LOG_N || 128 * u64::from(r) * n > MAX_MEMORY {
        return Err(bad());
    }
    let b64 = |field: &str, s: &str| {
        STANDARD
            .decode(s)
            .map_err(|_| CosignKeyError::Malformed(format!("`{field}` is not base64")))
    };
    let salt = b64("kdf.salt", &enc.kdf.salt)?;
    let nonce = b64("cipher.nonce", &enc.cipher.nonce)?;
    let ciphertext = b64("ciphertext", &enc.ciphertext)?;
    if nonce.len() != 24 {
        return Err(CosignKeyError::Malformed(
            "the secretbox nonce is not 24 bytes".into(),
        ));
    }
    if ciphertext.len() < 16 {
        return Err(CosignKeyError::Malformed(
            "the ciphertext is too short".into(),
        ));
    }
    let params = scrypt::Params::new(log_n, r, p).map_err(|_| bad())?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, &salt, &params, &mut key).map_err(|_| bad())?;
    let cipher = XSalsa20Poly1305::new(&key.into());
    let nonce = crypto_secretbox::Nonce::from_slice(&nonce);
    let plain = cipher
        .decrypt(nonce, ciphertext.as_slice())
        .map_err(|_| CosignKeyError::Decrypt)?;
    key.fill(0);
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encrypt as go-securesystemslib does (test only: pipeguard never writes cosign keys).
    fn encrypt(plain: &[u8], password: &[u8], log_n: u8) -> String {
        let salt = [7u8; 32];
        let nonce = [9u8; 24];
        let mut key = [0u8; 32];
        scrypt::scrypt(
            password,
            &salt,
            &scrypt::Params::new(log_n, 8, 1).unwrap(),
            &mut key,
        )
        .unwrap();
        let ct = XSalsa20Poly1305::new(&key.into())
            .encrypt(crypto_secretbox::Nonce::from_slice(&nonce), plain)
            .unwrap();
        format!(
            r#"{{"kdf":{{"name":"scrypt","params":{{"N":{},"r":8,"p":1}},"salt":"{}"}},"cipher":{{"name":"nacl/secretbox","nonce":"{}"}},"ciphertext":"{}"}}"#,
            1u64 << log_n,
            STANDARD.encode(salt),
            STANDARD.encode(nonce),
            STANDARD.encode(ct)
        )
    }

    #[test]
    fn round_trip_wrong_password_and_bounds() {
        let json = encrypt(b"pkcs8 bytes", b"hello", 10);
        assert_eq!(decrypt(json.as_bytes(), b"hello").unwrap(), b"pkcs8 bytes");
        assert_eq!(
            decrypt(json.as_bytes(), b"hellO"),
            Err(CosignKeyError::Decrypt)
        );
        let huge = json.replace("\"N\":1024", "\"N\":4294967296");
        assert!(matches!(
            decrypt(huge.as_bytes(), b"hello"),
            Err(CosignKeyError::Params { .. })
        ));
        let odd = json.replace("\"N\":1024", "\"N\":1000");
        assert!(matches!(
            decrypt(odd.as_bytes(), b"hello"),
            Err(CosignKeyError::Params { .. })
        ));
        let dup = json.replacen("{\"kdf\"", "{\"ciphertext\":\"AA==\",\"kdf\"", 1);
        assert!(matches!(
            decrypt(dup.as_bytes(), b"hello"),
            Err(CosignKeyError::Malformed(_))
        ));
        let other = json.replace("nacl/secretbox", "aes-gcm");
        assert!(matches!(
            decrypt(other.as_bytes(), b"hello"),
            Err(CosignKeyError::Unsupported(_))
        ));
    }
}
