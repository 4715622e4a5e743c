//! The image an attestation is about: its digest (and a name) from one of the sources below.
//!
//! - `--image-digest sha256:HEX`, `--image REF@sha256:HEX`: taken as given (validated).
//! - `--oci-layout DIR`: the descriptor in `index.json` (one manifest, or the one whose
//!   `org.opencontainers.image.ref.name` / `io.containerd.image.name` matches `--image-name`);
//!   the blob it names must exist and hash to that digest.
//! - `--docker-archive TAR` (`docker save`): when the archive carries an OCI `index.json`
//!   (Docker 25+, containerd image store, buildx `type=oci|docker` outputs) and its manifest's
//!   layers are compressed, the manifest (or index) digest as in an OCI layout — the digest a
//!   registry reports once those bytes are pushed. Otherwise (classic store: uncompressed layers,
//!   or only the legacy `manifest.json`) no registry manifest exists yet — pushing compresses the
//!   layers and creates a new manifest — so the subject is the image *config* digest (from the
//!   OCI manifest's `config`, else the legacy `Config`), checked against SHA-256 of the config
//!   blob's bytes (= the image ID, and `config.digest` in the registry's manifest).
//! - `--metadata-file FILE` (`docker buildx build --metadata-file`): `containerimage.digest`.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::tar::Archive;

/// The most a JSON manifest, index or config may weigh.
const JSON_LIMIT: u64 = 16 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDigest {
    /// Image name for the statement's subject (`image` when unknown).
    pub name: String,
    /// `sha256:<64 lowercase hex>`.
    pub digest: String,
    /// What the digest is of (`manifest`, `index`, `config`), and any caveat for the user.
    pub kind: DigestKind,
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestKind {
    Manifest,
    Config,
}

impl ImageDigest {
    /// The bare hex of the sha256 digest.
    pub fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }
}

/// Validate `sha256:<64 hex>`; upper-case hex is lowered.
pub fn parse_digest(s: &str) -> Result<String, String> {
    let s = s.trim();
    let Some((alg, hex)) = s.split_once(':') else {
        return Err(format!(
            "`{s}` is not a digest; expected sha256:<64 hex characters>"
        ));
    };
    if alg != "sha256" {
        return Err(format!(
            "`{s}`: unsupported digest algorithm `{alg}`; expected sha256"
        ));
    }
    if hex.len() != 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "`{s}`: a sha256 digest has exactly 64 hex characters (found {})",
            hex.len()
        ));
    }
    Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// `registry/repo[:tag]@sha256:HEX`.
pub fn from_reference(r: &str) -> anyhow::Result<ImageDigest> {
    let Some((name, digest)) = r.rsplit_once('@') else {
        bail!(
            "--image `{r}` has no digest; use REF@sha256:<hex> (a tag can move, a digest cannot)"
        );
    };
    if name.is_empty() {
        bail!("--image `{r}`: the image name before `@` is empty");
    }
    let digest = parse_digest(digest).map_err(|e| anyhow!("--image: {e}"))?;
    Ok(ImageDigest {
        name: name.to_string(),
        digest,
        kind: DigestKind::Manifest,
        note: None,
    })
}

pub fn from_digest(d: &str) -> anyhow::Result<ImageDigest> {
    Ok(ImageDigest {
        name: "image".into(),
        digest: parse_digest(d).map_err(|e| anyhow!("--image-digest: {e}"))?,
        kind: DigestKind::Manifest,
        note: None,
    })
}

/// `docker buildx build --metadata-file FILE`.
pub fn from_metadata_file(path: &Path) -> anyhow::Result<ImageDigest> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {origin}"))?;
    from_metadata(&text, &origin)
}

pub fn from_metadata(text: &str, origin: &str) -> anyhow::Result<ImageDigest> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| anyhow!("{origin}: not a buildx metadata file (invalid JSON: {e})"))?;
    let Some(obj) = v.as_object() else {
        bail!("{origin}: not a buildx metadata file (expected a JSON object)");
    };
    let Some(d) = obj.get("containerimage.digest") else {
        bail!(
            "{origin}: no `containerimage.digest`; buildx writes it only for image outputs (--push, --load or --output type=image)"
        );
    };
    let d = d
        .as_str()
        .ok_or_else(|| anyhow!("{origin}: `containerimage.digest` is not a string"))?;
    let digest = parse_digest(d).map_err(|e| anyhow!("{origin}: containerimage.digest {e}"))?;
    // `image.name` may list several comma-separated names; the first names the subject.
    let name = obj
        .get("image.name")
        .and_then(Value::as_str)
        .and_then(|n| n.split(',').map(str::trim).find(|n| !n.is_empty()))
        .unwrap_or("image")
        .to_string();
    Ok(ImageDigest {
        name,
        digest,
        kind: DigestKind::Manifest,
        note: None,
    })
}

/// Where blobs and index come from: an OCI layout directory or a tar archive.
trait Store {
    fn origin(&self) -> &str;
    fn get(&mut self, path: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

struct DirStore {
    dir: std::path::PathBuf,
    origin: String,
}

impl Store for DirStore {
    fn origin(&self) -> &str {
        &self.origin
    }
    fn get(&mut self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let p = self.dir.join(path);
        match File::open(&p) {
            Ok(f) => {
                let mut buf = Vec::new();
                f.take(JSON_LIMIT + 1)
                    .read_to_end(&mut buf)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                if buf.len() as u64 > JSON_LIMIT {
                    bail!("{}: larger than {JSON_LIMIT} bytes", p.display());
                }
                Ok(Some(buf))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow!("cannot read {}: {e}", p.display())),
        }
    }
}

struct TarStore<R> {
    archive: Archive<R>,
    origin: String,
}

impl<R: Read + Seek> Store for TarStore<R> {
    fn origin(&self) -> &str {
        &self.origin
    }
    fn get(&mut self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.archive.read(path, JSON_LIMIT)
    }
}

fn parse_json(bytes: &[u8], what: &str) -> anyhow::Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| anyhow!("{what} is not valid JSON: {e}"))
}

fn blob_path(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

/// The blob named by `digest`, checked against its hash.
fn blob(store: &mut dyn Store, digest: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let path = blob_path(digest);
    let bytes = store.get(&path)?.ok_or_else(|| {
        anyhow!(
            "{}: {what} {digest} is listed but {path} is missing",
            store.origin()
        )
    })?;
    let actual = format!("sha256:{}", crate::hash::sha256_hex(&bytes));
    if actual != digest {
        bail!(
            "{}: {path} hashes to {actual}, not {digest}: the layout is corrupt or was tampered with",
            store.origin()
        );
    }
    Ok(bytes)
}

const NAME_KEYS: [&str; 2] = [
    "io.containerd.image.name",
    "org.opencontainers.image.ref.name",
];

fn descriptor_name(d: &Value) -> Option<String> {
    NAME_KEYS
        .iter()
        .find_map(|k| d["annotations"][k].as_str().map(str::to_string))
}

/// Pick the manifest descriptor of index.json: the only one, or the one named `want`.
fn select_descriptor(
    store: &mut dyn Store,
    want: Option<&str>,
) -> anyhow::Result<Option<(String, Option<String>, String)>> {
    let origin = store.origin().to_string();
    let Some(bytes) = store.get("index.json")? else {
        return Ok(None);
    };
    let index = parse_json(&bytes, &format!("{origin}: index.json"))?;
    let manifests = index["manifests"]
        .as_array()
        .ok_or_else(|| anyhow!("{origin}: index.json has no `manifests` array"))?;
    let described: Vec<(String, Option<String>, String)> = manifests
        .iter()
        .map(|d| {
            let digest = d["digest"].as_str().unwrap_or_default();
            let digest = parse_digest(digest)
                .map_err(|e| anyhow!("{origin}: index.json manifest digest {e}"))?;
            let media = d["mediaType"].as_str().unwrap_or_default().to_string();
            Ok((digest, descriptor_name(d), media))
        })
        .collect::<anyhow::Result<_>>()?;
    let chosen: Vec<_> = match want {
        Some(w) => described
            .iter()
            .filter(|(_, n, _)| n.as_deref().is_some_and(|n| name_matches(n, w)))
            .cloned()
            .collect(),
        None => described.clone(),
    };
    match chosen.len() {
        1 => Ok(chosen.into_iter().next()),
        0 if described.is_empty() => bail!("{origin}: index.json lists no manifests"),
        0 => bail!(
            "{origin}: no image named `{}` in index.json (names: {})",
            want.unwrap_or_default(),
            names(&described)
        ),
        n => bail!(
            "{origin}: index.json lists {n} images ({}); pick one with --image-name",
            names(&described)
        ),
    }
}

/// `ref.name` annotations may be a bare tag (`latest`) or a full name.
fn name_matches(annotation: &str, want: &str) -> bool {
    annotation == want
        || want
            .rsplit_once(':')
            .is_some_and(|(_, tag)| tag == annotation && !tag.contains('/'))
}

fn names(d: &[(String, Option<String>, String)]) -> String {
    d.iter()
        .map(|(dg, n, _)| n.clone().unwrap_or_else(|| dg.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--oci-layout DIR`.
pub fn from_oci_layout(dir: &Path, want: Option<&str>) -> anyhow::Result<ImageDigest> {
    let origin = dir.display().to_string();
    if !dir.is_dir() {
        bail!("{origin}: not a directory (expected an OCI image layout)");
    }
    let mut store = DirStore {
        dir: dir.to_path_buf(),
        origin: origin.clone(),
    };
    if let Some(layout) = store.get("oci-layout")? {
        let v = parse_json(&layout, &format!("{origin}/oci-layout"))?;
        if v["imageLayoutVersion"].as_str().is_none() {
            bail!("{origin}/oci-layout has no imageLayoutVersion");
        }
    } else {
        bail!("{origin}: no oci-layout file; not an OCI image layout");
    }
    let Some((digest, name, _)) = select_descriptor(&mut store, want)? else {
        bail!("{origin}: no index.json; not an OCI image layout");
    };
    blob(&mut store, &digest, "manifest")?;
    Ok(ImageDigest {
        name: want
            .map(str::to_string)
            .or(name)
            .unwrap_or_else(|| "image".into()),
        digest,
        kind: DigestKind::Manifest,
        note: None,
    })
}

/// `--docker-archive TAR` (see the module docs for the exact semantics).
pub fn from_docker_archive(path: &Path, want: Option<&str>) -> anyhow::Result<ImageDigest> {
    let origin = path.display().to_string();
    let f = File::open(path).with_context(|| format!("cannot open {origin}"))?;
    let archive = Archive::open(BufReader::new(f), &origin)?;
    from_archive(archive, &origin, want)
}

/// As `from_docker_archive`, over any seekable reader (tests, fuzzing).
pub fn from_docker_archive_reader<R: Read + Seek>(
    reader: R,
    origin: &str,
    want: Option<&str>,
) -> anyhow::Result<ImageDigest> {
    from_archive(Archive::open(reader, origin)?, origin, want)
}

fn from_archive<R: Read + Seek>(
    archive: Archive<R>,
    origin: &str,
    want: Option<&str>,
) -> anyhow::Result<ImageDigest> {
    let mut store = TarStore {
        archive,
        origin: origin.to_string(),
    };
    if let Some((digest, name, media)) = select_descriptor(&mut store, want)? {
        let bytes = blob(&mut store, &digest, "manifest")?;
        let doc = parse_json(&bytes, &format!("{origin}: manifest {digest}"))?;
        let is_index = media.contains("index")
            || media.contains("manifest.list")
            || doc["manifests"].is_array();
        if is_index || layers_compressed(&doc) {
            return Ok(ImageDigest {
                name: want
                    .map(str::to_string)
                    .or(name)
                    .unwrap_or_else(|| "image".into()),
                digest,
                kind: DigestKind::Manifest,
                note: None,
            });
        }
        // Classic store export (uncompressed layers): the config digest, from this manifest.
        if let Some(cd) = doc["config"]["digest"].as_str() {
            let cd =
                parse_digest(cd).map_err(|e| anyhow!("{origin}: manifest config digest {e}"))?;
            blob(&mut store, &cd, "config")?;
            let name = want
                .map(str::to_string)
                .or(name)
                .unwrap_or_else(|| "image".into());
            return Ok(config_subject(name, cd, origin));
        }
    }
    legacy_config_digest(&mut store, origin, want)
}

fn config_subject(name: String, digest: String, origin: &str) -> ImageDigest {
    ImageDigest {
        name,
        note: Some(format!(
            "{origin} has uncompressed layers, so its registry manifest digest is only known after push; \
             the subject is the image config digest {digest} (the image ID). Verify with that digest, \
             or attest after push with --image REF@sha256:… or --metadata-file"
        )),
        digest,
        kind: DigestKind::Config,
    }
}

fn layers_compressed(manifest: &Value) -> bool {
    manifest["layers"].as_array().is_some_and(|ls| {
        !ls.is_empty()
            && ls.iter().all(|l| {
                let m = l["mediaType"].as_str().unwrap_or_default();
                m.contains("gzip") || m.contains("zstd")
            })
    })
}

/// The legacy `manifest.json`: `[{"Config": "…", "RepoTags": […], "Layers": […]}]`.
fn legacy_config_digest(
    store: &mut dyn Store,
    origin: &str,
    want: Option<&str>,
) -> anyhow::Result<ImageDigest> {
    let Some(bytes) = store.get("manifest.json")? else {
        bail!("{origin}: neither index.json nor manifest.json found; not a `docker save` archive");
    };
    let v = parse_json(&bytes, &format!("{origin}: manifest.json"))?;
    let items = v
        .as_array()
        .ok_or_else(|| anyhow!("{origin}: manifest.json is not a list of images"))?;
    let tags = |i: &Value| -> Vec<String> {
        i["RepoTags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let chosen: Vec<&Value> = match want {
        Some(w) => items
            .iter()
            .filter(|i| tags(i).iter().any(|t| t == w))
            .collect(),
        None => items.iter().collect(),
    };
    let item = match chosen.as_slice() {
        [one] => *one,
        [] if items.is_empty() => bail!("{origin}: manifest.json lists no images"),
        [] => bail!(
            "{origin}: no image tagged `{}` in the archive",
            want.unwrap_or_default()
        ),
        many => bail!(
            "{origin}: the archive holds {} images ({}); pick one with --image-name",
            many.len(),
            many.iter()
                .flat_map(|i| tags(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let config = item["Config"]
        .as_str()
        .ok_or_else(|| anyhow!("{origin}: manifest.json entry has no `Config`"))?;
    let bytes = store
        .get(config)?
        .ok_or_else(|| anyhow!("{origin}: config {config} is listed but missing"))?;
    // The registry addresses the config by the hash of its bytes, whatever the file is called.
    let digest = format!("sha256:{}", crate::hash::sha256_hex(&bytes));
    let name = want
        .map(str::to_string)
        .or_else(|| tags(item).into_iter().next())
        .unwrap_or_else(|| "image".into());
    Ok(config_subject(name, digest, origin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tar::build;
    use std::io::Cursor;

    const D: &str = "sha256:4f3c0e1d2b7a9e8f6c5d4b3a2e1f0d9c8b7a6e5f4d3c2b1a0f9e8d7c6b5a4f3e";

    #[test]
    fn digests_are_validated() {
        assert_eq!(
            parse_digest(&D.to_uppercase().replace("SHA256", "sha256")),
            Ok(D.into())
        );
        assert!(parse_digest("sha256:abc").unwrap_err().contains("64 hex"));
        assert!(parse_digest("md5:abc").unwrap_err().contains("algorithm"));
        assert!(parse_digest("abc").is_err());
        let r = from_reference(&format!("ghcr.io/o/app:1.2@{D}")).unwrap();
        assert_eq!(r.name, "ghcr.io/o/app:1.2");
        assert_eq!(r.digest, D);
        assert!(
            from_reference("ghcr.io/o/app:1.2")
                .unwrap_err()
                .to_string()
                .contains("no digest")
        );
    }

    #[test]
    fn buildx_metadata() {
        let text = format!(
            r#"{{"buildx.build.ref":"b/b/x","containerimage.config.digest":"sha256:{0}","containerimage.digest":"{D}","image.name":"ghcr.io/o/app:1,ghcr.io/o/app:latest"}}"#,
            "0".repeat(64)
        );
        let d = from_metadata(&text, "m.json").unwrap();
        assert_eq!(d.digest, D);
        assert_eq!(d.name, "ghcr.io/o/app:1");
        let e = from_metadata(r#"{"buildx.build.ref":"x"}"#, "m.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("containerimage.digest"), "{e}");
        assert!(
            from_metadata("{", "m.json")
                .unwrap_err()
                .to_string()
                .contains("invalid JSON")
        );
    }

    fn sha(b: &[u8]) -> String {
        format!("sha256:{}", crate::hash::sha256_hex(b))
    }

    #[test]
    fn legacy_docker_save_uses_config_digest() {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let manifest = br#"[{"Config":"abc.json","RepoTags":["app:1"],"Layers":["l/layer.tar"]}]"#;
        let tar = build(&[("manifest.json", manifest), ("abc.json", config)]);
        let d = from_docker_archive_reader(Cursor::new(tar), "a.tar", None).unwrap();
        assert_eq!(d.digest, sha(config));
        assert_eq!(d.kind, DigestKind::Config);
        assert_eq!(d.name, "app:1");
        assert!(d.note.is_some());
    }

    #[test]
    fn oci_archive_with_compressed_layers_uses_manifest_digest() {
        let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip"}]}"#;
        let md = sha(manifest);
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":1,"annotations":{{"io.containerd.image.name":"docker.io/library/app:1"}}}}]}}"#
        );
        let blob = blob_path(&md);
        let tar = build(&[("index.json", index.as_bytes()), (blob.as_str(), manifest)]);
        let d = from_docker_archive_reader(Cursor::new(tar.clone()), "a.tar", None).unwrap();
        assert_eq!(d.digest, md);
        assert_eq!(d.kind, DigestKind::Manifest);
        assert_eq!(d.name, "docker.io/library/app:1");
        // A blob that does not hash to its name is refused.
        let bad = build(&[("index.json", index.as_bytes()), (blob.as_str(), b"{}")]);
        let e = from_docker_archive_reader(Cursor::new(bad), "a.tar", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tampered"), "{e}");
        let e = from_docker_archive_reader(Cursor::new(tar), "a.tar", Some("other:2"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no image named"), "{e}");
    }
}
