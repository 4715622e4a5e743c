//! Sigstore bundle v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`) around a DSSE
//! envelope, as cosign attaches it to an image as an OCI 1.1 referrer (specs/BUNDLE_SPEC.md in
//! sigstore/cosign). Signed with a static key, the verification material is the key's hint
//! (base64 of SHA-256 of the SPKI DER, what cosign computes) and no transparency-log entry.

use serde::{Deserialize, Serialize};

use crate::anykey::PublicKey;
use crate::dsse::Envelope;

pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BundleOut<'a> {
    media_type: &'a str,
    verification_material: Material,
    dsse_envelope: &'a Envelope,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    public_key: Hint,
    tlog_entries: Vec<()>,
}

#[derive(Serialize)]
struct Hint {
    hint: String,
}

/// The bundle's JSON bytes.
pub fn to_bundle(env: &Envelope, key: Option<&PublicKey>) -> Vec<u8> {
    let b = BundleOut {
        media_type: BUNDLE_MEDIA_TYPE,
        verification_material: Material {
            public_key: Hint {
                hint: key.map(PublicKey::sigstore_hint).unwrap_or_default(),
            },
            tlog_entries: Vec::new(),
        },
        dsse_envelope: env,
    };
    serde_json::to_vec(&b).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundleIn {
    media_type: String,
    #[serde(default)]
    dsse_envelope: Option<Envelope>,
}

/// The DSSE envelope inside a Sigstore bundle (strict JSON; any bundle version that carries a
/// `dsseEnvelope`). The envelope is still to be verified.
pub fn envelope_of(bytes: &[u8]) -> Result<Envelope, String> {
    let b: BundleIn =
        crate::strict::from_slice(bytes).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
    if !b
        .media_type
        .starts_with("application/vnd.dev.sigstore.bundle")
    {
        return Err(format!(
            "not a Sigstore bundle: mediaType `{}`",
            b.media_type.chars().take(100).collect::<String>()
        ));
    }
    b.dsse_envelope
        .ok_or_else(|| "the Sigstore bundle holds no DSSE envelope (a message signature?)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let env = crate::dsse::sign("t", b"x", &key);
        let pk = PublicKey::Ed25519(key.verifying_key());
        let bytes = to_bundle(&env, Some(&pk));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["mediaType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(
            v["verificationMaterial"]["publicKey"]["hint"],
            pk.sigstore_hint()
        );
        assert_eq!(envelope_of(&bytes).unwrap(), env);
        assert!(envelope_of(br#"{"mediaType":"x","dsseEnvelope":null}"#).is_err());
        assert!(
            envelope_of(br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#)
                .is_err()
        );
    }
}
