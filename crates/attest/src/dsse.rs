//! DSSE v1 envelopes (Dead Simple Signing Envelope) with Ed25519: sign and verify arbitrary
//! payloads. Reusable beyond attestations (e.g. signed lockfiles):
//!
//! ```
//! use pipeguard_attest::dsse;
//! let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let env = dsse::sign("application/vnd.example+json", b"{}", &key);
//! let payload = dsse::verify(&env, &key.verifying_key(), "application/vnd.example+json").unwrap();
//! assert_eq!(payload, b"{}");
//! ```
//!
//! The signature covers PAE(payloadType, payload) = `"DSSEv1" SP LEN(type) SP type SP LEN(body)
//! SP body` (lengths in ASCII decimal bytes). `keyid` is an unauthenticated hint: verification
//! tries the trusted key on every signature whatever its keyid says.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::anykey::{PrivateKey, PublicKey};

/// The payloadType of in-toto statements.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 (standard alphabet, padded, when we write it) of the payload bytes.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// Base64 of the raw 64-byte Ed25519 signature.
    pub sig: String,
}

/// Why an envelope does not verify; each case has its own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    #[error("not a DSSE envelope: {0}")]
    Malformed(String),
    #[error("the envelope has no signatures")]
    NoSignatures,
    #[error("payloadType is `{found}`, expected `{expected}`")]
    PayloadType { found: String, expected: String },
    #[error("the payload is not valid base64")]
    PayloadEncoding,
    #[error(
        "signature {index} is malformed (expected base64 of a 64-byte Ed25519 or an ASN.1 DER ECDSA signature)"
    )]
    SignatureEncoding { index: usize },
    #[error(
        "signed by another key (keyid {found}); the given public key has keyid {expected} and does not verify the signature"
    )]
    OtherKey { found: String, expected: String },
    #[error(
        "the signature does not match the payload: the envelope was altered after signing (payload, payloadType or signature bytes)"
    )]
    BadSignature,
}

/// DSSE v1 Pre-Authentication Encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Sign `payload` (exactly these bytes) as `payload_type` with an Ed25519 key.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    // Ed25519 signing cannot fail.
    sign_with(payload_type, payload, &PrivateKey::Ed25519(key.clone())).unwrap_or_else(|_| {
        Envelope {
            payload: String::new(),
            payload_type: String::new(),
            signatures: Vec::new(),
        }
    })
}

/// Sign `payload` (exactly these bytes) as `payload_type` with a key of either type. The
/// signature's keyid is the securesystemslib key id of the public key.
pub fn sign_with(payload_type: &str, payload: &[u8], key: &PrivateKey) -> anyhow::Result<Envelope> {
    let sig = key.sign(&pae(payload_type, payload))?;
    Ok(Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![Signature {
            keyid: key.public().keyid(),
            sig: STANDARD.encode(sig),
        }],
    })
}

/// Verify that `key` signed the envelope and that its payloadType is `payload_type`; returns the
/// verified payload bytes (the only bytes a caller may trust).
pub fn verify(
    env: &Envelope,
    key: &VerifyingKey,
    payload_type: &str,
) -> Result<Vec<u8>, DsseError> {
    verify_with(env, &PublicKey::Ed25519(*key), payload_type)
}

/// [`verify`] for a key of either type.
pub fn verify_with(
    env: &Envelope,
    key: &PublicKey,
    payload_type: &str,
) -> Result<Vec<u8>, DsseError> {
    // Cheap reject first; PAE binds the type anyway.
    if env.payload_type != payload_type {
        return Err(DsseError::PayloadType {
            found: env.payload_type.clone(),
            expected: payload_type.to_string(),
        });
    }
    verify_any_type_with(env, key)
}

/// Signature check only (any payloadType): the payload bytes when `key` verifies a signature.
pub fn verify_any_type(env: &Envelope, key: &VerifyingKey) -> Result<Vec<u8>, DsseError> {
    verify_any_type_with(env, &PublicKey::Ed25519(*key))
}

/// [`verify_any_type`] for a key of either type.
pub fn verify_any_type_with(env: &Envelope, key: &PublicKey) -> Result<Vec<u8>, DsseError> {
    if env.signatures.is_empty() {
        return Err(DsseError::NoSignatures);
    }
    let payload = b64(&env.payload).ok_or(DsseError::PayloadEncoding)?;
    let message = pae(&env.payload_type, &payload);
    let ours = key.keyid();
    let mut malformed = None;
    let mut foreign = Vec::new();
    let mut mismatched = false;
    for (i, s) in env.signatures.iter().enumerate() {
        let Some(bytes) = b64(&s.sig) else {
            malformed.get_or_insert(i + 1);
            continue;
        };
        if key.verify(&message, &bytes) {
            return Ok(payload);
        }
        if !key.plausible_signature(&bytes) {
            // Not even shaped like a signature of this key type: another key type (cosign's
            // ECDSA signature against an Ed25519 key, …) or garbage.
            if !s.keyid.is_empty() && !s.keyid.eq_ignore_ascii_case(&ours) {
                foreign.push(s.keyid.clone());
            } else {
                malformed.get_or_insert(i + 1);
            }
            continue;
        }
        if !s.keyid.is_empty() && !s.keyid.eq_ignore_ascii_case(&ours) {
            foreign.push(s.keyid.clone());
        } else {
            mismatched = true;
        }
    }
    if mismatched {
        Err(DsseError::BadSignature)
    } else if !foreign.is_empty() {
        Err(DsseError::OtherKey {
            found: foreign.join(", "),
            expected: ours,
        })
    } else {
        Err(DsseError::SignatureEncoding {
            index: malformed.unwrap_or(1),
        })
    }
}

/// DSSE verifiers must accept standard and URL-safe base64, padded or not.
fn b64(s: &str) -> Option<Vec<u8>> {
    [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s.trim()).ok())
}

impl Envelope {
    /// The payload bytes, NOT verified: for routing only (a layer annotation, picking the
    /// envelope that names an image before verifying it), never for a decision.
    pub fn unverified_payload(&self) -> Option<Vec<u8>> {
        b64(&self.payload)
    }

    /// One line of compact JSON (no trailing newline), as in `.intoto.jsonl`.
    pub fn to_json_line(&self) -> String {
        // Serialising plain strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Strict: duplicate keys anywhere are refused (see [`crate::strict`]).
    pub fn from_json(text: &str) -> Result<Envelope, DsseError> {
        crate::strict::from_str(text).map_err(DsseError::Malformed)
    }
}

/// Envelopes from a file's text: one JSON document (possibly pretty-printed), or JSON Lines
/// (`.intoto.jsonl`, blank lines ignored). Each item is (line number, envelope or error).
pub fn parse_envelopes(text: &str) -> Vec<(usize, Result<Envelope, DsseError>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return vec![(1, Err(DsseError::Malformed("the file is empty".into())))];
    }
    // A whole-file document first (what most signers write), else line by line.
    if let Ok(env) = crate::strict::from_str::<Envelope>(text) {
        return vec![(1, Ok(env))];
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, Envelope::from_json(l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[1; 32])
    }

    #[test]
    fn pae_matches_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn round_trip_and_tampers() {
        let k = key();
        let env = sign("t", b"payload", &k);
        assert_eq!(verify(&env, &k.verifying_key(), "t").unwrap(), b"payload");

        let mut e = env.clone();
        e.payload = STANDARD.encode(b"payloaD");
        assert_eq!(
            verify(&e, &k.verifying_key(), "t"),
            Err(DsseError::BadSignature)
        );

        let mut e = env.clone();
        e.payload_type = "u".into();
        assert!(matches!(
            verify(&e, &k.verifying_key(), "t"),
            Err(DsseError::PayloadType { .. })
        ));
        // The type is bound by PAE even for a caller that accepts any type.
        assert_eq!(
            verify_any_type(&e, &k.verifying_key()),
            Err(DsseError::BadSignature)
        );

        let mut e = env.clone();
        e.signatures[0].sig = "AAAA".into();
        assert_eq!(
            verify(&e, &k.verifying_key(), "t"),
            Err(DsseError::SignatureEncoding { index: 1 })
        );

        let other = SigningKey::from_bytes(&[2; 32]);
        assert!(matches!(
            verify(&env, &other.verifying_key(), "t"),
            Err(DsseError::OtherKey { .. })
        ));

        let mut e = env.clone();
        e.signatures.clear();
        assert_eq!(
            verify(&e, &k.verifying_key(), "t"),
            Err(DsseError::NoSignatures)
        );

        let mut e = env;
        e.payload = "!!".into();
        assert_eq!(
            verify(&e, &k.verifying_key(), "t"),
            Err(DsseError::PayloadEncoding)
        );
    }

    #[test]
    fn keyid_is_only_a_hint_and_url_safe_base64_is_accepted() {
        let k = key();
        let mut env = sign("t", b"\xff\xfe\xfd", &k);
        env.signatures[0].keyid = String::new();
        env.payload = URL_SAFE_NO_PAD.encode(b"\xff\xfe\xfd");
        env.signatures[0].sig = URL_SAFE.encode(STANDARD.decode(&env.signatures[0].sig).unwrap());
        assert!(verify(&env, &k.verifying_key(), "t").is_ok());
        env.signatures[0].keyid = "someone-else".into();
        assert!(verify(&env, &k.verifying_key(), "t").is_ok());
    }

    #[test]
    fn parses_pretty_json_and_json_lines() {
        let k = key();
        let a = sign("t", b"a", &k);
        let pretty = serde_json::to_string_pretty(&a).unwrap();
        let parsed = parse_envelopes(&pretty);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].1.as_ref().unwrap(), &a);
        let lines = format!("{}\n\n{}\nnot json\n", a.to_json_line(), a.to_json_line());
        let parsed = parse_envelopes(&lines);
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[2].0, 4);
        assert!(parsed[2].1.is_err());
    }
}
