//! Attestations stored beside the image, in both layouts cosign reads:
//!
//! 1. **Tag layout** (cosign's attestation spec): tag `sha256-<hex>.att` in the image's
//!    repository, an OCI image manifest whose layers are DSSE envelopes (media type
//!    `application/vnd.dsse.envelope.v1+json`, annotations `dev.cosignproject.cosign/signature: ""`
//!    and `predicateType`). A push appends to the manifest already there, keeping the layers other
//!    tools wrote.
//! 2. **OCI 1.1 referrer** (cosign's bundle spec): a manifest with `artifactType`
//!    `application/vnd.dev.sigstore.bundle.v0.3+json`, the empty config, one layer holding the
//!    Sigstore bundle (DSSE envelope inside) and `subject` = the image. Where the registry has no
//!    referrers API (no `OCI-Subject` header, referrers endpoint 404), the referrers tag scheme:
//!    an image index at tag `sha256-<hex>` listing the referrers.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use pipeguard_attest::bundle::{self, BUNDLE_MEDIA_TYPE};
use pipeguard_attest::dsse::Envelope;
use serde_json::json;

use crate::client::{Client, MAX_BLOB};
use crate::manifest::{
    ACCEPT_ALL, DOCKER_MANIFEST, DSSE_MEDIA_TYPE, Descriptor, EMPTY_DIGEST, EMPTY_JSON, Index,
    Manifest, OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, to_bytes,
};
use crate::reference::Reference;

pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
pub const BUNDLE_CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
pub const BUNDLE_PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// Layers read from one `.att` manifest / referrers read for one image.
const MAX_ITEMS: usize = 1000;

/// `sha256:HEX` → `sha256-HEX.att`.
pub fn att_tag(digest: &str) -> String {
    format!("{}.att", fallback_tag(digest))
}

/// `sha256:HEX` → `sha256-HEX` (the referrers tag scheme).
pub fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// Which layouts to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layouts {
    pub tag: bool,
    pub referrer: bool,
}

/// How the referrer was made findable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferrersMode {
    /// The registry indexed the subject itself (referrers API).
    Api,
    /// The `sha256-<hex>` index tag, written by us.
    FallbackTag,
}

#[derive(Clone, Debug)]
pub struct Pushed {
    /// `sha256-<hex>.att`, its new manifest digest and the number of layers kept from before.
    pub att: Option<(String, String, usize)>,
    /// The referrer manifest digest and how it is listed.
    pub referrer: Option<(String, ReferrersMode)>,
}

/// The image's own descriptor (it must be in the registry).
pub async fn subject_descriptor(client: &Client, image: &Reference) -> anyhow::Result<Descriptor> {
    let digest = image
        .digest
        .as_deref()
        .ok_or_else(|| anyhow!("{image}: no digest"))?;
    let m = client
        .get_manifest(image, digest, &ACCEPT_ALL)
        .await?
        .ok_or_else(|| anyhow!("{}@{digest} is not in the registry", image.name()))?;
    let media_type = if m.media_type.is_empty() {
        media_type_of(&m.bytes).unwrap_or_else(|| OCI_MANIFEST.to_string())
    } else {
        m.media_type
    };
    Ok(Descriptor {
        media_type,
        digest: m.digest,
        size: m.bytes.len() as u64,
        artifact_type: None,
        annotations: BTreeMap::new(),
        extra: BTreeMap::new(),
    })
}

fn media_type_of(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    v["mediaType"].as_str().map(str::to_string)
}

/// cosign's (go-containerregistry's) config for a signature image: an image config whose
/// `rootfs.diff_ids` are the layer digests (the layers are uncompressed).
fn att_config(layers: &[Descriptor]) -> Vec<u8> {
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .map(|_| json!({"created": "0001-01-01T00:00:00Z"}))
        .collect();
    to_bytes(&json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": history,
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {}
    }))
}

/// Store `envelope` beside `image` (which must carry its digest) in the chosen layouts.
pub async fn push(
    client: &Client,
    image: &Reference,
    envelope: &Envelope,
    predicate_type: &str,
    key: Option<&pipeguard_attest::anykey::PublicKey>,
    created: &str,
    layouts: Layouts,
) -> anyhow::Result<Pushed> {
    let subject = subject_descriptor(client, image).await?;
    let repo = image;
    let mut pushed = Pushed {
        att: None,
        referrer: None,
    };
    if layouts.tag {
        let tag = att_tag(&subject.digest);
        let layer_bytes = envelope.to_json_line().into_bytes();
        let mut layer = Descriptor::new(DSSE_MEDIA_TYPE, &layer_bytes);
        layer
            .annotations
            .insert(SIGNATURE_ANNOTATION.into(), String::new());
        layer
            .annotations
            .insert(PREDICATE_TYPE_ANNOTATION.into(), predicate_type.into());
        let mut layers = match client
            .get_manifest(repo, &tag, &[OCI_MANIFEST, DOCKER_MANIFEST])
            .await?
        {
            Some(f) => {
                let m: Manifest = pipeguard_attest::strict::from_slice(&f.bytes).map_err(|e| {
                    anyhow!(
                        "{}:{tag} exists but is not an image manifest ({e}); refusing to replace it",
                        repo.name()
                    )
                })?;
                if m.layers.len() >= MAX_ITEMS {
                    bail!(
                        "{}:{tag} already has {} layers",
                        repo.name(),
                        m.layers.len()
                    );
                }
                m.layers
            }
            None => Vec::new(),
        };
        let kept = layers.len();
        client.push_blob(repo, &layer_bytes).await?;
        if !layers.iter().any(|l| l.digest == layer.digest) {
            layers.push(layer);
        }
        let config = att_config(&layers);
        client.push_blob(repo, &config).await?;
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: None,
            config: Descriptor::new(OCI_CONFIG, &config),
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        };
        let bytes = to_bytes(&manifest);
        let put = client
            .put_manifest(repo, &tag, OCI_MANIFEST, &bytes)
            .await?;
        pushed.att = Some((tag, put.digest, kept));
    }
    if layouts.referrer {
        let bundle_bytes = bundle::to_bundle(envelope, key);
        client.push_blob(repo, &bundle_bytes).await?;
        client.push_blob(repo, EMPTY_JSON).await?;
        let mut annotations = BTreeMap::new();
        annotations.insert(
            BUNDLE_CONTENT_ANNOTATION.to_string(),
            "dsse-envelope".to_string(),
        );
        annotations.insert(
            BUNDLE_PREDICATE_TYPE_ANNOTATION.to_string(),
            predicate_type.to_string(),
        );
        annotations.insert(CREATED_ANNOTATION.to_string(), created.to_string());
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: Some(BUNDLE_MEDIA_TYPE.into()),
            config: Descriptor {
                media_type: OCI_EMPTY.into(),
                digest: EMPTY_DIGEST.into(),
                size: 2,
                artifact_type: None,
                annotations: BTreeMap::new(),
                extra: BTreeMap::new(),
            },
            layers: vec![Descriptor::new(BUNDLE_MEDIA_TYPE, &bundle_bytes)],
            subject: Some(subject.clone()),
            annotations: annotations.clone(),
        };
        let bytes = to_bytes(&manifest);
        let digest = crate::manifest::sha256_digest(&bytes);
        let put = client
            .put_manifest(repo, &digest, OCI_MANIFEST, &bytes)
            .await?;
        let api = put.oci_subject.as_deref() == Some(subject.digest.as_str())
            || (put.oci_subject.is_none()
                && client
                    .referrers(repo, &subject.digest, None)
                    .await?
                    .is_some());
        let mode = if api {
            ReferrersMode::Api
        } else {
            // The referrers tag scheme: fetch, append, put (the spec's client procedure).
            let tag = fallback_tag(&subject.digest);
            let mut index = match client.get_manifest(repo, &tag, &[OCI_INDEX]).await? {
                Some(f) => pipeguard_attest::strict::from_slice::<Index>(&f.bytes).map_err(|e| {
                    anyhow!(
                        "{}:{tag} exists but is not an image index ({e}); refusing to replace it",
                        repo.name()
                    )
                })?,
                None => Index::empty(),
            };
            if index.manifests.len() >= MAX_ITEMS {
                bail!(
                    "{}:{tag} already lists {} referrers",
                    repo.name(),
                    index.manifests.len()
                );
            }
            if !index.manifests.iter().any(|d| d.digest == digest) {
                index.manifests.push(Descriptor {
                    media_type: OCI_MANIFEST.into(),
                    digest: digest.clone(),
                    size: bytes.len() as u64,
                    artifact_type: Some(BUNDLE_MEDIA_TYPE.into()),
                    annotations,
                    extra: BTreeMap::new(),
                });
            }
            client
                .put_manifest(repo, &tag, OCI_INDEX, &to_bytes(&index))
                .await?;
            ReferrersMode::FallbackTag
        };
        pushed.referrer = Some((digest, mode));
    }
    Ok(pushed)
}

/// Where an attestation was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Layer N (1-based) of `sha256-<hex>.att`.
    CosignTag { tag: String, layer: usize },
    /// A referrer manifest (bundle or DSSE layers), listed by the API or the fallback tag.
    Referrer {
        manifest: String,
        mode: ReferrersMode,
    },
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layout::CosignTag { tag, layer } => write!(f, "{tag} layer {layer}"),
            Layout::Referrer { manifest, mode } => write!(
                f,
                "referrer {manifest} ({})",
                match mode {
                    ReferrersMode::Api => "referrers API",
                    ReferrersMode::FallbackTag => "referrers tag",
                }
            ),
        }
    }
}

/// One attestation read from the registry (not yet verified).
#[derive(Clone, Debug)]
pub struct Found {
    pub layout: Layout,
    /// The predicateType annotation (unauthenticated: a hint for picking candidates).
    pub predicate_type: Option<String>,
    /// The envelope, or why it could not be read (bad digest, not JSON…).
    pub envelope: Result<Envelope, String>,
}

/// Every attestation stored for `digest` in `repo`, both layouts.
pub async fn fetch(client: &Client, repo: &Reference, digest: &str) -> anyhow::Result<Vec<Found>> {
    let mut out = Vec::new();
    let tag = att_tag(digest);
    if let Some(f) = client
        .get_manifest(repo, &tag, &[OCI_MANIFEST, DOCKER_MANIFEST])
        .await?
    {
        let m: Manifest = pipeguard_attest::strict::from_slice(&f.bytes)
            .map_err(|e| anyhow!("{}:{tag} is not an image manifest ({e})", repo.name()))?;
        for (i, l) in m.layers.iter().take(MAX_ITEMS).enumerate() {
            if l.media_type != DSSE_MEDIA_TYPE {
                continue;
            }
            let envelope = read_envelope(client, repo, &l.digest, false).await;
            out.push(Found {
                layout: Layout::CosignTag {
                    tag: tag.clone(),
                    layer: i + 1,
                },
                predicate_type: l.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                envelope,
            });
        }
    }
    let (index, mode) = match client.referrers(repo, digest, None).await? {
        Some(i) => (Some(i), ReferrersMode::Api),
        None => {
            let tag = fallback_tag(digest);
            let idx = match client.get_manifest(repo, &tag, &[OCI_INDEX]).await? {
                Some(f) => Some(
                    pipeguard_attest::strict::from_slice::<Index>(&f.bytes).map_err(|e| {
                        anyhow!("{}:{tag} is not an image index ({e})", repo.name())
                    })?,
                ),
                None => None,
            };
            (idx, ReferrersMode::FallbackTag)
        }
    };
    for d in index
        .map(|i| i.manifests)
        .unwrap_or_default()
        .iter()
        .take(MAX_ITEMS)
    {
        let kind = d.artifact_type.as_deref().unwrap_or_default();
        let bundle = kind.starts_with("application/vnd.dev.sigstore.bundle");
        let dsse = kind == pipeguard_attest::dsse::INTOTO_PAYLOAD_TYPE || kind == DSSE_MEDIA_TYPE;
        if !bundle && !dsse {
            continue;
        }
        let layout = Layout::Referrer {
            manifest: d.digest.clone(),
            mode,
        };
        let m = match client.get_manifest(repo, &d.digest, &[OCI_MANIFEST]).await {
            Ok(Some(f)) => pipeguard_attest::strict::from_slice::<Manifest>(&f.bytes)
                .map_err(|e| format!("not an image manifest ({e})")),
            Ok(None) => Err("listed but not in the registry".to_string()),
            Err(e) => Err(format!("{e:#}")),
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                out.push(Found {
                    layout,
                    predicate_type: None,
                    envelope: Err(e),
                });
                continue;
            }
        };
        if m.subject.as_ref().map(|s| s.digest.as_str()) != Some(digest) {
            out.push(Found {
                layout,
                predicate_type: None,
                envelope: Err(format!(
                    "the referrer's subject is {}, not {digest}",
                    m.subject.as_ref().map_or("missing", |s| s.digest.as_str())
                )),
            });
            continue;
        }
        let hint = m
            .annotations
            .get(BUNDLE_PREDICATE_TYPE_ANNOTATION)
            .or_else(|| d.annotations.get(BUNDLE_PREDICATE_TYPE_ANNOTATION))
            .cloned();
        for l in m.layers.iter().take(MAX_ITEMS) {
            let is_bundle = l
                .media_type
                .starts_with("application/vnd.dev.sigstore.bundle");
            if !is_bundle && l.media_type != DSSE_MEDIA_TYPE {
                continue;
            }
            let envelope = read_envelope(client, repo, &l.digest, is_bundle).await;
            out.push(Found {
                layout: layout.clone(),
                predicate_type: l
                    .annotations
                    .get(PREDICATE_TYPE_ANNOTATION)
                    .cloned()
                    .or_else(|| hint.clone()),
                envelope,
            });
        }
    }
    Ok(out)
}

async fn read_envelope(
    client: &Client,
    repo: &Reference,
    digest: &str,
    is_bundle: bool,
) -> Result<Envelope, String> {
    let bytes = client
        .get_blob(repo, digest, MAX_BLOB)
        .await
        .map_err(|e| format!("{e:#}"))?;
    if is_bundle {
        bundle::envelope_of(&bytes)
    } else {
        let text =
            std::str::from_utf8(&bytes).map_err(|_| "the layer is not UTF-8 JSON".to_string())?;
        Envelope::from_json(text.trim()).map_err(|e| e.to_string())
    }
}

/// Resolve a reference to its digest: a digest is taken as given (and must exist); a tag is
/// looked up once and only the digest is used from then on.
pub async fn resolve(client: &Client, r: &Reference) -> anyhow::Result<(Reference, bool)> {
    if let Some(d) = &r.digest {
        return Ok((r.with_digest(d), false));
    }
    let tag = r.tag.as_deref().unwrap_or("latest");
    let m = client
        .get_manifest(r, tag, &ACCEPT_ALL)
        .await?
        .ok_or_else(|| anyhow!("{}:{tag} is not in the registry", r.name()))?;
    Ok((r.with_digest(&m.digest), true))
}

/// Cosign's own artefact tags (`sha256-<hex>.att|.sig|.sbom`) and referrers index tags
/// (`sha256-<hex>`): not images to audit.
pub fn is_artifact_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else {
        return false;
    };
    let hex = rest.split('.').next().unwrap_or_default();
    hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())
}
