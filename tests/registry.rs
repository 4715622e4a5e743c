//! Attestations in a real OCI registry: Debian's `docker-registry` (the CNCF distribution
//! registry, 2.8: no referrers API, so the referrers tag scheme is exercised) on loopback with a
//! temporary storage directory, images made here as OCI layouts and copied in with `skopeo`.
//! Stored bytes are read back with `curl` (not our client) and checked against cosign's
//! specification values written out below; securesystemslib verifies the envelopes read back,
//! openssl the ECDSA signature over the DSSE PAE.
//!
//! The tools are installed by scripts/test. When one is missing the test fails under CI (env CI
//! set) and is skipped with a message otherwise.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{fixtures, pipeguard, python, repo_root};

// cosign's specifications (specs/ATTESTATION_SPEC.md, SIGNATURE_SPEC.md, BUNDLE_SPEC.md in
// sigstore/cosign) and the OCI image spec, written out independently of the code under test.
const SPEC_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const SPEC_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const SPEC_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const SPEC_DSSE_LAYER: &str = "application/vnd.dsse.envelope.v1+json";
const SPEC_SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const SPEC_PREDICATE_ANNOTATION: &str = "predicateType";
const SPEC_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SPEC_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const SPEC_EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const PREDICATE_V2: &str = "https://pipeguard.dev/attestation/scan/v2";

/// Is `tool` installed? Under CI a missing tool fails the test; elsewhere it is skipped loudly.
fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is not installed: scripts/test installs it (apt: docker-registry skopeo curl openssl)"
        );
        eprintln!("SKIPPED: {tool} is not installed (run scripts/test; under CI this fails)");
    }
    found
}

pub(crate) fn have_all() -> bool {
    ["docker-registry", "skopeo", "curl", "tar"]
        .iter()
        .all(|t| have(t))
}

pub(crate) struct LiveRegistry {
    child: Child,
    pub(crate) host: String,
    storage: PathBuf,
    dir: tempfile::TempDir,
    /// `Some` for a registry served over TLS with htpasswd (Basic) auth.
    secure: Option<Secure>,
}

/// What a TLS + htpasswd registry needs from its clients: the CA that signed its certificate and
/// the one account.
struct Secure {
    ca: PathBuf,
    user: String,
    password: String,
}

impl Drop for LiveRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl LiveRegistry {
    pub(crate) fn start() -> LiveRegistry {
        LiveRegistry::start_with(false)
    }

    /// A registry over HTTPS (certificate for 127.0.0.1 signed by a CA made here with openssl)
    /// that requires Basic auth (an htpasswd file, bcrypt from the C library's crypt via perl).
    fn start_secure() -> LiveRegistry {
        LiveRegistry::start_with(true)
    }

    fn start_with(secure: bool) -> LiveRegistry {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let port = free_port();
        let config = dir.path().join("config.yml");
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        let secure = secure.then(|| {
            let d = dir.path();
            std::fs::write(
                d.join("server.ext"),
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
            )
            .unwrap();
            crate::common::sh(
                d,
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=pipeguard-test-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null && \
                 openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null && \
                 openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null",
            );
            let out = Command::new("perl")
                .args([
                    "-e",
                    "print 'ci-bot:', crypt($ARGV[0], $ARGV[1]), qq(\\n)",
                    "s3cret-Pa55",
                    "$2y$05$pipeguardtestsaltsalts",
                ])
                .output()
                .unwrap();
            let htpasswd = String::from_utf8(out.stdout).unwrap();
            std::fs::write(d.join("htpasswd"), &htpasswd).unwrap();
            assert!(htpasswd.starts_with("ci-bot:$2y$05$"), "bcrypt: {htpasswd}");
            yaml.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: pipeguard-test\n    path: {}\n",
                d.join("server.pem").display(),
                d.join("server.key").display(),
                d.join("htpasswd").display()
            ));
            Secure {
                ca: d.join("ca.pem"),
                user: "ci-bot".into(),
                password: "s3cret-Pa55".into(),
            }
        });
        std::fs::write(&config, yaml).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("docker-registry starts");
        let host = format!("127.0.0.1:{port}");
        let reg = LiveRegistry {
            child,
            host,
            storage,
            dir,
            secure,
        };
        let start = Instant::now();
        loop {
            if reg.status(&reg.url("")) == 200 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the registry did not come up: {}",
                std::fs::read_to_string(reg.dir.path().join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        reg
    }

    /// Make a small OCI image (one layer holding `content`) and copy it in with skopeo.
    /// Returns its manifest digest.
    pub(crate) fn push_image(&self, repo_tag: &str, content: &str) -> String {
        let d = self
            .dir
            .path()
            .join(format!("img-{}", repo_tag.replace(['/', ':'], "_")));
        let layout = d.join("layout");
        std::fs::create_dir_all(d.join("rootfs")).unwrap();
        std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
        std::fs::write(d.join("rootfs/hello.txt"), content).unwrap();
        crate::common::sh(
            &d,
            "tar --owner=0 --group=0 --mtime=@0 -cf layer.tar -C rootfs hello.txt",
        );
        let layer = std::fs::read(d.join("layer.tar")).unwrap();
        let blob = |bytes: &[u8]| {
            let hex = pipeguard_attest::hash::sha256_hex(bytes);
            std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).unwrap();
            format!("sha256:{hex}")
        };
        let layer_digest = blob(&layer);
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            "config": {"Cmd": ["/hello.txt"]}
        }))
        .unwrap();
        let config_digest = blob(&config);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": SPEC_OCI_MANIFEST,
            "config": {"mediaType": SPEC_OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}]
        }))
        .unwrap();
        let manifest_digest = blob(&manifest);
        std::fs::write(
            layout.join("index.json"),
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "manifests": [{"mediaType": SPEC_OCI_MANIFEST, "digest": manifest_digest, "size": manifest.len(),
                               "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
            }))
            .unwrap(),
        )
        .unwrap();
        std::fs::write(
            layout.join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        let policy = d.join("policy.json");
        std::fs::write(
            &policy,
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        let out = Command::new("skopeo")
            .arg("copy")
            .arg("--quiet")
            .arg("--policy")
            .arg(&policy)
            .arg("--dest-tls-verify=false")
            .args(
                self.secure
                    .as_ref()
                    .map(|s| format!("--dest-creds={}:{}", s.user, s.password)),
            )
            .arg("--preserve-digests")
            .arg(format!("oci:{}:latest", layout.display()))
            .arg(format!("docker://{}/{repo_tag}", self.host))
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        manifest_digest
    }

    /// A multi-platform image: one small manifest per architecture under an OCI image index,
    /// copied in whole (`skopeo copy --all`). Returns the index digest.
    pub(crate) fn push_index(&self, repo_tag: &str, archs: &[&str]) -> String {
        let d = self
            .dir
            .path()
            .join(format!("idx-{}", repo_tag.replace(['/', ':'], "_")));
        let layout = d.join("layout");
        std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
        let blob = |bytes: &[u8]| {
            let hex = pipeguard_attest::hash::sha256_hex(bytes);
            std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).unwrap();
            format!("sha256:{hex}")
        };
        let mut manifests = Vec::new();
        for arch in archs {
            let rootfs = d.join(format!("rootfs-{arch}"));
            std::fs::create_dir_all(&rootfs).unwrap();
            std::fs::write(rootfs.join("arch.txt"), arch).unwrap();
            crate::common::sh(
                &d,
                &format!(
                    "tar --owner=0 --group=0 --mtime=@0 -cf layer-{arch}.tar -C rootfs-{arch} arch.txt"
                ),
            );
            let layer = std::fs::read(d.join(format!("layer-{arch}.tar"))).unwrap();
            let layer_digest = blob(&layer);
            let config = serde_json::to_vec(&serde_json::json!({
                "architecture": arch, "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
            }))
            .unwrap();
            let config_digest = blob(&config);
            let manifest = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": SPEC_OCI_MANIFEST,
                "config": {"mediaType": SPEC_OCI_CONFIG, "digest": config_digest, "size": config.len()},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}]
            }))
            .unwrap();
            manifests.push(serde_json::json!({
                "mediaType": SPEC_OCI_MANIFEST, "digest": blob(&manifest), "size": manifest.len(),
                "platform": {"architecture": arch, "os": "linux"}
            }));
        }
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": SPEC_OCI_INDEX, "manifests": manifests
        }))
        .unwrap();
        let index_digest = blob(&index);
        std::fs::write(
            layout.join("index.json"),
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "manifests": [{"mediaType": SPEC_OCI_INDEX, "digest": index_digest, "size": index.len(),
                               "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
            }))
            .unwrap(),
        )
        .unwrap();
        std::fs::write(
            layout.join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        let policy = d.join("policy.json");
        std::fs::write(
            &policy,
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        let out = Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--all",
                "--preserve-digests",
                "--dest-tls-verify=false",
                "--policy",
            ])
            .arg(&policy)
            .arg(format!("oci:{}:latest", layout.display()))
            .arg(format!("docker://{}/{repo_tag}", self.host))
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy --all: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        index_digest
    }

    fn url(&self, path: &str) -> String {
        let scheme = if self.secure.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}/v2/{path}", self.host)
    }

    /// curl with this registry's CA and account.
    fn curl(&self) -> Command {
        let mut c = Command::new("curl");
        if let Some(s) = &self.secure {
            c.arg("--cacert").arg(&s.ca);
            c.arg("-u").arg(format!("{}:{}", s.user, s.password));
        }
        c
    }

    /// The HTTP status of a GET (0: no answer).
    fn status(&self, url: &str) -> u32 {
        self.curl()
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).parse().ok())
            .unwrap_or(0)
    }

    /// The raw manifest at a tag or digest, with curl (`None`: 404).
    fn manifest(&self, repo: &str, reference: &str) -> Option<(Vec<u8>, Value)> {
        let out = self
            .curl()
            .args(["-s", "-w", "\n%{http_code}", "-H"])
            .arg(format!("Accept: {SPEC_OCI_MANIFEST}, {SPEC_OCI_INDEX}"))
            .arg(self.url(&format!("{repo}/manifests/{reference}")))
            .output()
            .unwrap();
        let text = out.stdout;
        let split = text.iter().rposition(|&b| b == b'\n').unwrap();
        let code = String::from_utf8_lossy(&text[split + 1..]).to_string();
        if code == "404" {
            return None;
        }
        assert_eq!(code, "200", "{}", String::from_utf8_lossy(&text));
        let body = text[..split].to_vec();
        let v = serde_json::from_slice(&body).unwrap();
        Some((body, v))
    }

    fn blob(&self, repo: &str, digest: &str) -> Vec<u8> {
        let out = self
            .curl()
            .args(["-sfL"])
            .arg(self.url(&format!("{repo}/blobs/{digest}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "blob {digest}");
        assert_eq!(
            format!("sha256:{}", pipeguard_attest::hash::sha256_hex(&out.stdout)),
            digest,
            "the registry serves the blob's bytes"
        );
        out.stdout
    }

    /// The file the filesystem driver keeps a blob in.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    fn client(&self) -> pipeguard_oci::Client {
        pipeguard_oci::Client::new(pipeguard_oci::ClientOptions {
            insecure: vec![self.host.clone()],
            credentials: pipeguard_oci::auth::CredentialSource {
                no_docker_config: true,
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn keygen(dir: &Path, name: &str, kind: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(name);
    pipeguard()
        .args(["keygen", "--type", kind, "--out"])
        .arg(&key)
        .assert()
        .success();
    let public = dir.join(format!("{name}.pub"));
    (key, public)
}

/// `attest --scan-report REPORT --image IMAGE --key KEY --push …`; returns (exit code, stderr).
fn attest_push(
    reg: &LiveRegistry,
    cwd: &Path,
    image: &str,
    key: &Path,
    report: &str,
    extra: &[&str],
) -> (i32, String) {
    let out = pipeguard()
        .current_dir(cwd)
        .arg("attest")
        .arg("--scan-report")
        .arg(fixtures().join("attest").join(report))
        .args(["--image", image, "--push", "--insecure-registry", &reg.host])
        .arg("--key")
        .arg(key)
        .args(extra)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

/// `verify --image IMAGE --pubkey PUB` against the registry; (exit code, stdout + stderr).
fn verify_image(reg: &LiveRegistry, image: &str, public: &Path, extra: &[&str]) -> (i32, String) {
    let out = pipeguard()
        .args(["verify", "--image", image, "--insecure-registry", &reg.host])
        .arg("--pubkey")
        .arg(public)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn att_tag(digest: &str) -> String {
    format!("{}.att", digest.replacen(':', "-", 1))
}

fn run_py(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let ok = Command::new(python())
        .args([
            "-c",
            "import securesystemslib, cryptography, nacl, yaml, jsonschema",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} lacks securesystemslib/cryptography/PyNaCl/PyYAML/jsonschema: run the suite via scripts/test (it installs scripts/test-requirements.txt and sets PIPEGUARD_PYTHON)",
        python()
    );
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/dsse_intoto.py"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The project's shared reference verifier (`../shared/verifiers/dsse_intoto.py` beside the
/// checkout, or `PIPEGUARD_SHARED_VERIFIER`): the unmodified securesystemslib script the other
/// components are checked with. It reads ed25519 keys only (the ECDSA envelopes go through
/// tests/interop/dsse_intoto.py, its extension). Outside the project's machines it is absent.
fn shared_verifier(public: &Path, envelope: &Path, digest: &str) {
    let script = std::env::var_os("PIPEGUARD_SHARED_VERIFIER").map_or_else(
        || repo_root().join("../shared/verifiers/dsse_intoto.py"),
        PathBuf::from,
    );
    if !script.is_file() {
        eprintln!(
            "SKIPPED: the shared verifier {} is not here (set PIPEGUARD_SHARED_VERIFIER)",
            script.display()
        );
        return;
    }
    let out = Command::new(python())
        .arg(&script)
        .arg("verify")
        .arg("--pub")
        .arg(public)
        .arg("--envelope")
        .arg(envelope)
        .args(["--subject-digest", digest, "--predicate-type", PREDICATE_V2])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The envelope stored at `.att` layer `layer` (1-based), read with curl, checked against
/// cosign's layout, written to `out`.
fn check_att_layout(reg: &LiveRegistry, repo: &str, digest: &str, out: &Path) -> Value {
    let (_, m) = reg
        .manifest(repo, &att_tag(digest))
        .expect("the .att tag exists");
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], SPEC_OCI_MANIFEST);
    assert_eq!(m["config"]["mediaType"], SPEC_OCI_CONFIG);
    let config: Value =
        serde_json::from_slice(&reg.blob(repo, m["config"]["digest"].as_str().unwrap())).unwrap();
    let layers = m["layers"].as_array().unwrap();
    let ours: Vec<&Value> = layers
        .iter()
        .filter(|l| l["annotations"][SPEC_PREDICATE_ANNOTATION] == PREDICATE_V2)
        .collect();
    assert!(!ours.is_empty(), "{m}");
    let l = ours[ours.len() - 1];
    assert_eq!(l["mediaType"], SPEC_DSSE_LAYER);
    assert_eq!(l["annotations"][SPEC_SIGNATURE_ANNOTATION], "", "{l}");
    // The config lists every layer as a diff_id, as go-containerregistry writes it.
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().unwrap().len(),
        layers.len()
    );
    let bytes = reg.blob(repo, l["digest"].as_str().unwrap());
    assert_eq!(l["size"], bytes.len());
    std::fs::write(out, &bytes).unwrap();
    m
}

/// The referrer: docker-registry 2.8 has no referrers API, so the index at tag `sha256-<hex>`.
/// Checked against cosign's bundle spec; the bundle's DSSE envelope written to `out`.
fn check_referrer_layout(reg: &LiveRegistry, repo: &str, digest: &str, out: &Path) {
    assert_eq!(
        reg.status(&reg.url(&format!("{repo}/referrers/{digest}"))),
        404,
        "docker-registry 2.8 lacks the referrers API (if this changed, the API path is in use)"
    );
    let (_, index) = reg
        .manifest(repo, &digest.replacen(':', "-", 1))
        .expect("the referrers tag exists");
    assert_eq!(index["mediaType"], SPEC_OCI_INDEX);
    let d = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["artifactType"] == SPEC_BUNDLE)
        .expect("a bundle referrer is listed");
    assert_eq!(d["mediaType"], SPEC_OCI_MANIFEST);
    assert_eq!(
        d["annotations"]["dev.sigstore.bundle.predicateType"],
        PREDICATE_V2
    );
    let (raw, m) = reg.manifest(repo, d["digest"].as_str().unwrap()).unwrap();
    assert_eq!(d["size"], raw.len());
    assert_eq!(m["artifactType"], SPEC_BUNDLE);
    assert_eq!(m["config"]["mediaType"], SPEC_EMPTY);
    assert_eq!(m["config"]["digest"], SPEC_EMPTY_DIGEST);
    assert_eq!(m["config"]["size"], 2);
    assert_eq!(m["subject"]["digest"], digest);
    assert_eq!(m["subject"]["mediaType"], SPEC_OCI_MANIFEST);
    assert_eq!(
        m["annotations"]["dev.sigstore.bundle.content"],
        "dsse-envelope"
    );
    assert_eq!(
        m["annotations"]["dev.sigstore.bundle.predicateType"],
        PREDICATE_V2
    );
    assert!(m["annotations"]["org.opencontainers.image.created"].is_string());
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], SPEC_BUNDLE);
    let bundle: Value =
        serde_json::from_slice(&reg.blob(repo, layers[0]["digest"].as_str().unwrap())).unwrap();
    assert_eq!(bundle["mediaType"], SPEC_BUNDLE);
    assert!(bundle["verificationMaterial"]["publicKey"]["hint"].is_string());
    std::fs::write(out, serde_json::to_vec(&bundle["dsseEnvelope"]).unwrap()).unwrap();
}

#[test]
fn push_then_verify_from_the_registry_both_layouts_both_key_types_read_back_independently() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for (n, kind) in ["ed25519", "ecdsa-p256"].iter().enumerate() {
        let repo = format!("team/app{n}");
        let digest = reg.push_image(&format!("{repo}:1.0"), &format!("hello {kind}\n"));
        let (key, public) = keygen(t, &format!("{kind}.key"), kind);
        let image = format!("{}/{repo}@{digest}", reg.host);
        let (code, out) = attest_push(&reg, t, &image, &key, "report-pass.json", &[]);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("pushed {}/{repo}:{}", reg.host, att_tag(&digest))),
            "{out}"
        );
        assert!(
            out.contains("no referrers API: listed in tag sha256-"),
            "{out}"
        );

        let (code, out) = verify_image(
            &reg,
            &image,
            &public,
            &["--require-verdict", "pass", "--max-risk", "20"],
        );
        assert_eq!(code, 0, "{kind}: {out}");
        assert!(
            out.contains(&format!("verified: {}/{repo} {digest}", reg.host)),
            "{out}"
        );
        // A tag is resolved to the digest, printed, and only the digest is used.
        let (code, out) = verify_image(&reg, &format!("{}/{repo}:1.0", reg.host), &public, &[]);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("resolved {}/{repo}:1.0 to {digest}", reg.host)),
            "{out}"
        );

        // The stored bytes, read with curl, against cosign's layouts.
        let att_env = t.join(format!("{kind}-att.json"));
        check_att_layout(&reg, &repo, &digest, &att_env);
        let ref_env = t.join(format!("{kind}-referrer.json"));
        check_referrer_layout(&reg, &repo, &digest, &ref_env);
        // securesystemslib verifies both envelopes read back (keyid must match its own).
        for env in [&att_env, &ref_env] {
            let (ok, out) = run_py(&[
                "verify".as_ref(),
                "--pub".as_ref(),
                public.as_os_str(),
                "--envelope".as_ref(),
                env.as_os_str(),
                "--subject-digest".as_ref(),
                digest.as_ref(),
                "--predicate-type".as_ref(),
                PREDICATE_V2.as_ref(),
            ]);
            assert!(ok, "{kind} {}: {out}", env.display());
            if *kind == "ed25519" {
                shared_verifier(&public, env, &digest);
            }
        }
        if *kind == "ecdsa-p256" && have("openssl") {
            // openssl verifies the ECDSA signature (DER, SHA-256) over the PAE.
            let (pae, sig) = (t.join("pae.bin"), t.join("sig.der"));
            let (ok, out) = run_py(&[
                "pae".as_ref(),
                "--envelope".as_ref(),
                att_env.as_os_str(),
                "--out".as_ref(),
                pae.as_os_str(),
                "--sig-out".as_ref(),
                sig.as_os_str(),
            ]);
            assert!(ok, "{out}");
            let o = Command::new("openssl")
                .args(["dgst", "-sha256", "-verify"])
                .arg(&public)
                .arg("-signature")
                .arg(&sig)
                .arg(&pae)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert!(String::from_utf8_lossy(&o.stdout).contains("Verified OK"));
        }
    }

    // Each layout alone is enough for verify.
    let (key, public) = keygen(t, "only.key", "ecdsa-p256");
    for layout in ["tag", "referrer"] {
        let repo = format!("only/{layout}");
        let digest = reg.push_image(&format!("{repo}:1"), layout);
        let image = format!("{}/{repo}@{digest}", reg.host);
        let (code, out) = attest_push(
            &reg,
            t,
            &image,
            &key,
            "report-pass.json",
            &["--layout", layout],
        );
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            reg.manifest(&repo, &att_tag(&digest)).is_some(),
            layout == "tag"
        );
        let (code, out) = verify_image(&reg, &image, &public, &["--require-verdict", "pass"]);
        assert_eq!(code, 0, "{layout}: {out}");
        assert!(
            out.contains(if layout == "tag" {
                ".att layer 1)"
            } else {
                "(referrers tag)"
            }),
            "{out}"
        );
    }
}

/// Another tool's attestation (a cosign vulnerability attestation) already in the `.att`
/// manifest stays there when pipeguard appends its own, and again on a second push.
#[test]
fn another_tools_attestation_in_the_att_manifest_is_kept() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let repo = "keep/app";
    let digest = reg.push_image(&format!("{repo}:1"), "keep\n");
    let image = format!("{}/{repo}@{digest}", reg.host);
    // The other tool: its own key, its own predicate type, cosign's layer layout.
    let other =
        pipeguard_attest::anykey::PrivateKey::generate(pipeguard_attest::anykey::KeyType::Ed25519)
            .unwrap();
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": format!("{}/{repo}", reg.host), "digest": {"sha256": &digest[7..]}}],
        "predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1",
        "predicate": {"scanner": {"uri": "pkg:github/aquasecurity/trivy"}}
    });
    let env = pipeguard_attest::dsse::sign_with(
        "application/vnd.in-toto+json",
        &serde_json::to_vec(&statement).unwrap(),
        &other,
    )
    .unwrap();
    let reference = pipeguard_oci::Reference::parse(&image).unwrap();
    let pushed = rt()
        .block_on(pipeguard_oci::attach::push(
            &reg.client(),
            &reference,
            &env,
            "https://cosign.sigstore.dev/attestation/vuln/v1",
            None,
            "2026-11-23T12:00:00Z",
            pipeguard_oci::attach::Layouts {
                tag: true,
                referrer: false,
            },
        ))
        .unwrap();
    assert_eq!(pushed.att.unwrap().2, 0);
    let (_, before) = reg.manifest(repo, &att_tag(&digest)).unwrap();
    let foreign = before["layers"][0].clone();

    let (key, public) = keygen(t, "k", "ecdsa-p256");
    let (code, out) = attest_push(
        &reg,
        t,
        &image,
        &key,
        "report-pass.json",
        &["--layout", "tag"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 earlier attestation layer(s) kept"), "{out}");
    let (code, out) = attest_push(
        &reg,
        t,
        &image,
        &key,
        "report-pass.json",
        &["--layout", "tag"],
    );
    assert_eq!(code, 0, "{out}");
    let (_, after) = reg.manifest(repo, &att_tag(&digest)).unwrap();
    let layers = after["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3, "{after}");
    assert_eq!(
        layers[0], foreign,
        "the other tool's layer is kept as it was"
    );
    assert_eq!(
        layers[0]["annotations"][SPEC_PREDICATE_ANNOTATION],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );
    let (code, out) = verify_image(&reg, &image, &public, &["--require-verdict", "pass"]);
    assert_eq!(code, 0, "{out}");
}

/// A tampered layer (rewritten by someone with push rights, and corrupted in storage), another
/// key, a missing attestation and an attestation for another digest: each refused, each with
/// its own message.
#[test]
fn refusals_each_with_their_own_message() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ecdsa-p256");
    let (_, other_pub) = keygen(t, "other", "ecdsa-p256");
    let repo = "refuse/app";
    let mut messages: Vec<(&str, String)> = Vec::new();
    let mut refuse = |name: &'static str, image: &str, public: &Path| {
        let (code, out) = verify_image(&reg, image, public, &["--require-verdict", "pass"]);
        assert_eq!(code, 1, "{name}: {out}");
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix("verification failed: "))
            .unwrap_or_else(|| panic!("{name}: {out}"))
            .to_string();
        messages.push((name, line));
    };
    let attested = |tag: &str, content: &str| {
        let digest = reg.push_image(&format!("{repo}:{tag}"), content);
        let image = format!("{}/{repo}@{digest}", reg.host);
        let (code, out) = attest_push(
            &reg,
            t,
            &image,
            &key,
            "report-pass.json",
            &["--layout", "tag"],
        );
        assert_eq!(code, 0, "{out}");
        (digest, image)
    };

    // missing
    let bare = reg.push_image(&format!("{repo}:bare"), "bare\n");
    refuse("missing", &format!("{}/{repo}@{bare}", reg.host), &public);
    // another key
    let (_, image_a) = attested("a", "a\n");
    refuse("other-key", &image_a, &other_pub);
    // attestation of another digest: image A's .att manifest copied under image B's tag
    let digest_a = image_a.rsplit_once('@').unwrap().1.to_string();
    let digest_b = reg.push_image(&format!("{repo}:b"), "b\n");
    let (raw_a, _) = reg.manifest(repo, &att_tag(&digest_a)).unwrap();
    let r = pipeguard_oci::Reference::parse(&format!("{}/{repo}", reg.host)).unwrap();
    rt().block_on(
        reg.client()
            .put_manifest(&r, &att_tag(&digest_b), SPEC_OCI_MANIFEST, &raw_a),
    )
    .unwrap();
    refuse(
        "other-digest",
        &format!("{}/{repo}@{digest_b}", reg.host),
        &public,
    );
    // tampered layer, rewritten through the API: the envelope's payload altered (risk 12 → 02)
    let (digest_c, image_c) = attested("c", "c\n");
    let (_, m) = reg.manifest(repo, &att_tag(&digest_c)).unwrap();
    let layer = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let mut env: pipeguard_attest::dsse::Envelope =
        serde_json::from_slice(&reg.blob(repo, &layer)).unwrap();
    let payload = env.unverified_payload().unwrap();
    let text = String::from_utf8(payload)
        .unwrap()
        .replace("\"riskScore\":12", "\"riskScore\":2");
    env.payload = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text);
    let forged = env.to_json_line().into_bytes();
    let client = reg.client();
    let runtime = rt();
    let forged_digest = runtime.block_on(client.push_blob(&r, &forged)).unwrap();
    let mut m2 = m.clone();
    m2["layers"][0]["digest"] = Value::String(forged_digest);
    m2["layers"][0]["size"] = Value::from(forged.len());
    runtime
        .block_on(client.put_manifest(
            &r,
            &att_tag(&digest_c),
            SPEC_OCI_MANIFEST,
            &serde_json::to_vec(&m2).unwrap(),
        ))
        .unwrap();
    refuse("tampered-envelope", &image_c, &public);
    // tampered layer in the registry's storage: the bytes no longer match their digest
    let (digest_d, image_d) = attested("d", "d\n");
    let (_, m) = reg.manifest(repo, &att_tag(&digest_d)).unwrap();
    let file = reg.blob_file(m["layers"][0]["digest"].as_str().unwrap());
    let mut bytes = std::fs::read(&file).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    refuse("tampered-storage", &image_d, &public);

    let expect = [
        ("missing", "no pipeguard attestation in the registry"),
        ("other-key", "signed by another key"),
        (
            "other-digest",
            &format!("no subject has digest {digest_b}: the attestation is for {digest_a}") as &str,
        ),
        (
            "tampered-envelope",
            "the signature does not match the payload",
        ),
        ("tampered-storage", "does not match its digest"),
    ];
    for ((name, msg), (ename, needle)) in messages.iter().zip(expect) {
        assert_eq!(*name, ename);
        assert!(msg.contains(needle), "{name}: {msg}");
    }
    let mut distinct: Vec<String> = messages
        .iter()
        .map(|(_, m)| m.split_once(": ").map_or(m.clone(), |(_, r)| r.to_string()))
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), messages.len(), "{messages:#?}");
}

/// Three images — attested and passing, attested and failing, not attested: exactly the last
/// two are reported, in every format; SARIF validates against the OASIS schema.
#[test]
fn registry_audit_reports_exactly_the_failing_and_the_unattested_image() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ed25519");
    let repo = "audit/app";
    let pass = reg.push_image(&format!("{repo}:pass"), "pass\n");
    let fail = reg.push_image(&format!("{repo}:fail"), "fail\n");
    let none = reg.push_image(&format!("{repo}:none"), "none\n");
    let (code, out) = attest_push(
        &reg,
        t,
        &format!("{}/{repo}@{pass}", reg.host),
        &key,
        "report-pass.json",
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = attest_push(
        &reg,
        t,
        &format!("{}/{repo}@{fail}", reg.host),
        &key,
        "report-fail.json",
        &[],
    );
    assert_eq!(
        code, 1,
        "a failing verdict is attested and pushed, exit 1: {out}"
    );
    let sarif = t.join("audit.sarif");
    let log = t.join("audit.jsonl");
    let out = pipeguard()
        .args([
            "registry",
            "audit",
            &format!("{}/{repo}", reg.host),
            "--insecure-registry",
            &reg.host,
        ])
        .arg("--pubkey")
        .arg(&public)
        .args(["--format", "json", "--max-risk", "20"])
        .arg("--sarif")
        .arg(&sarif)
        .arg("--audit-log")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = crate::common::json_report(&out.stdout);
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let name = format!("{}/{repo}", reg.host);
    let mut expected = vec![
        (
            "registry/failing-attestation".to_string(),
            format!("{name}@{fail}"),
        ),
        (
            "registry/unattested-image".to_string(),
            format!("{name}@{none}"),
        ),
    ];
    expected.sort();
    let mut found_sorted = found.clone();
    found_sorted.sort();
    assert_eq!(found_sorted, expected, "{report:#}");
    assert_eq!(report["files"]["scanned"], 3);
    let failing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "registry/failing-attestation")
        .unwrap();
    assert!(
        failing["message"]
            .as_str()
            .unwrap()
            .contains("verdict is `fail`"),
        "{failing}"
    );
    assert!(
        failing["message"].as_str().unwrap().contains("(tag fail)"),
        "{failing}"
    );
    // SARIF against the schema the rest of the suite uses.
    let o = Command::new(python())
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('ok')",
        ])
        .arg(&sarif)
        .arg(repo_root().join("tests/schemas/sarif-2.1.0.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 2);
    // The text format too, and the audit log has one decision per image.
    let out = pipeguard()
        .args([
            "registry",
            "audit",
            &name,
            "--insecure-registry",
            &reg.host,
            "--format",
            "text",
        ])
        .arg("--pubkey")
        .arg(&public)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("registry/unattested-image") && text.contains("registry/failing-attestation"),
        "{text}"
    );
    let entries = std::fs::read_to_string(&log).unwrap();
    assert_eq!(entries.lines().count(), 3);
    assert_eq!(entries.matches("\"decision\":\"refused\"").count(), 2);
    pipeguard()
        .args(["audit", "verify"])
        .arg(&log)
        .assert()
        .success();

    // An image attested with another key: registry/invalid-attestation.
    let (other_key, _) = keygen(t, "other", "ecdsa-p256");
    let odd = reg.push_image("audit/other:1", "other\n");
    let (code, out) = attest_push(
        &reg,
        t,
        &format!("{}/audit/other@{odd}", reg.host),
        &other_key,
        "report-pass.json",
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let out = pipeguard()
        .args([
            "registry",
            "audit",
            &format!("{}/audit/other", reg.host),
            "--insecure-registry",
            &reg.host,
            "--format",
            "json",
        ])
        .arg("--pubkey")
        .arg(&public)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = crate::common::json_report(&out.stdout);
    let f = report["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["rule_id"], "registry/invalid-attestation");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("signed by another key"),
        "{}",
        f[0]
    );
}

/// cosign's encrypted key, written independently (hashlib.scrypt + PyNaCl), signs with
/// COSIGN_PASSWORD; the wrong password is refused without echoing it.
#[test]
fn cosign_encrypted_key_signs_with_cosign_password() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = (t.join("cosign.key"), t.join("cosign.pub"));
    let (ok, out) = run_py(&[
        "cosign-key".as_ref(),
        "--out".as_ref(),
        key.as_os_str(),
        "--pub".as_ref(),
        public.as_os_str(),
        "--password".as_ref(),
        "correct horse".as_ref(),
    ]);
    assert!(ok, "{out}");
    let att = t.join("a.jsonl");
    let digest = format!("sha256:{}", "4f".repeat(32));
    let attest = |password: &str| {
        pipeguard()
            .current_dir(t)
            .env("COSIGN_PASSWORD", password)
            .args(["attest", "--image-digest", &digest])
            .arg("--scan-report")
            .arg(fixtures().join("attest/report-pass.json"))
            .arg("--key")
            .arg(&key)
            .arg("--out")
            .arg(&att)
            .output()
            .unwrap()
    };
    let o = attest("wrong battery");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrong password"), "{err}");
    assert!(!err.contains("wrong battery"), "{err}");
    let o = attest("correct horse");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    pipeguard()
        .args(["verify", "--image-digest", &digest])
        .arg("--attestation")
        .arg(&att)
        .arg("--pubkey")
        .arg(&public)
        .assert()
        .success();
    // The signature is ECDSA DER; the keyid is securesystemslib's for that key.
    let env: pipeguard_attest::dsse::Envelope =
        serde_json::from_str(std::fs::read_to_string(&att).unwrap().trim()).unwrap();
    let (ok, keyid) = run_py(&["keyid".as_ref(), "--pub".as_ref(), public.as_os_str()]);
    assert!(ok, "{keyid}");
    assert_eq!(env.signatures[0].keyid, keyid.trim());
}

/// The Kyverno ClusterPolicy and the policy-controller ClusterImagePolicy validate against the
/// projects' published CRD schemas (tests/schemas/, origin in their `$comment`), with unknown
/// fields refused as the API server's strict field validation does.
#[test]
fn admission_policies_validate_against_the_crd_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (_, public) = keygen(t, "k", "ecdsa-p256");
    let pem = std::fs::read_to_string(&public).unwrap();
    let validate = |schema: &str, yaml: &Path| {
        let o = Command::new(python())
            .arg(repo_root().join("tests/interop/crd_validate.py"))
            .arg(repo_root().join("tests/schemas").join(schema))
            .arg(yaml)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let generate = |args: &[&str], name: &str| {
        let o = pipeguard()
            .arg("policy")
            .args(args)
            .arg("--pubkey")
            .arg(&public)
            .args(["--images", "registry.example.com/*", "--max-risk", "20"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let p = t.join(name);
        std::fs::write(&p, &o.stdout).unwrap();
        let v: Value =
            serde_json::to_value(serde_yaml::from_slice::<serde_yaml::Value>(&o.stdout).unwrap())
                .unwrap();
        (p, v)
    };
    let (ky, v) = generate(&["kyverno", "--max-age", "7d"], "kyverno.yaml");
    let (ok, out) = validate("kyverno-clusterpolicy-v1.json", &ky);
    assert!(ok, "{out}");
    assert_eq!(v["apiVersion"], "kyverno.io/v1");
    assert_eq!(v["kind"], "ClusterPolicy");
    let vi = &v["spec"]["rules"][0]["verifyImages"][0];
    assert_eq!(vi["failureAction"], "Enforce");
    assert_eq!(vi["required"], true);
    let a = &vi["attestations"][0];
    assert_eq!(a["type"], PREDICATE_V2);
    let keys = &a["attestors"][0]["entries"][0]["keys"];
    assert_eq!(keys["publicKeys"], pem.as_str());
    assert_eq!(keys["rekor"]["ignoreTlog"], true);
    assert_eq!(keys["ctlog"]["ignoreSCT"], true);
    let conds = a["conditions"][0]["all"].as_array().unwrap();
    assert!(
        conds.iter().any(|c| c["key"] == "{{ verdict }}"
            && c["operator"] == "Equals"
            && c["value"] == "pass")
    );
    assert!(conds.iter().any(|c| c["key"] == "{{ riskScore }}"
        && c["operator"] == "LessThanOrEquals"
        && c["value"] == 20));

    for (lang, needle) in [
        ("cue", "riskScore: <=20"),
        ("rego", "input.predicate.riskScore <= 20"),
    ] {
        let (cip, v) = generate(
            &["sigstore", "--language", lang],
            &format!("cip-{lang}.yaml"),
        );
        let (ok, out) = validate("policy-controller-clusterimagepolicy-v1beta1.json", &cip);
        assert!(ok, "{lang}: {out}");
        assert_eq!(v["apiVersion"], "policy.sigstore.dev/v1beta1");
        assert_eq!(v["kind"], "ClusterImagePolicy");
        let auth = &v["spec"]["authorities"][0];
        assert_eq!(auth["key"]["data"], pem.as_str());
        assert!(auth.get("ctlog").is_none(), "no tlog for a static key");
        let att = &auth["attestations"][0];
        assert_eq!(att["predicateType"], PREDICATE_V2);
        assert_eq!(att["policy"]["type"], lang);
        assert!(att["policy"]["data"].as_str().unwrap().contains(needle));
    }
    // The validator is strict: a misspelt field is refused.
    let bad = t.join("bad.yaml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&ky)
            .unwrap()
            .replace("ignoreTlog", "ignoreTLog"),
    )
    .unwrap();
    let (ok, out) = validate("kyverno-clusterpolicy-v1.json", &bad);
    assert!(!ok && out.contains("ignoreTLog"), "{out}");
}

/// `--audit-log` on attest and verify, then `audit verify`: intact, then edited, dropped and
/// swapped entries each detected with their own message.
#[test]
fn audit_log_chain_detects_edit_drop_and_swap() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ecdsa-p256");
    let (_, other) = keygen(t, "o", "ed25519");
    let log = t.join("audit.jsonl");
    let digest = format!("sha256:{}", "4f".repeat(32));
    let att = t.join("a.jsonl");
    pipeguard()
        .current_dir(t)
        .args(["attest", "--image-digest", &digest])
        .arg("--scan-report")
        .arg(fixtures().join("attest/report-pass.json"))
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&att)
        .arg("--audit-log")
        .arg(&log)
        .assert()
        .success();
    for (pubkey, code) in [(&public, 0), (&other, 1), (&public, 0)] {
        pipeguard()
            .args(["verify", "--image-digest", &digest])
            .arg("--attestation")
            .arg(&att)
            .arg("--pubkey")
            .arg(pubkey)
            .arg("--audit-log")
            .arg(&log)
            .assert()
            .code(code);
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    let e: Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(e["command"], "verify");
    assert_eq!(e["decision"], "refused");
    assert_eq!(e["subject"], digest);
    assert!(
        e["reasons"][0]
            .as_str()
            .unwrap()
            .contains("signed by another key")
    );
    let ok = pipeguard()
        .args(["audit", "verify"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let head = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(head.contains("4 entries"), "{head}");
    let head = head.rsplit("head ").next().unwrap().trim().to_string();

    let check = |name: &str, content: String, extra: &[&str], needle: &str| {
        let p = t.join(format!("{name}.jsonl"));
        std::fs::write(&p, content).unwrap();
        let o = pipeguard()
            .args(["audit", "verify"])
            .arg(&p)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(err.contains(needle), "{name}: {err}");
        err
    };
    let join = |ls: &[&str]| ls.iter().fold(String::new(), |acc, l| acc + l + "\n");
    let m1 = check(
        "edit",
        text.replacen("\"decision\":\"refused\"", "\"decision\":\"allowed\"", 1),
        &[],
        "line 3: entry 3 was edited",
    );
    let m2 = check(
        "drop",
        join(&[lines[0], lines[1], lines[3]]),
        &[],
        "line 3: entry 4 follows entry 2: 1 entry was removed",
    );
    let m3 = check(
        "swap",
        join(&[lines[0], lines[2], lines[1], lines[3]]),
        &[],
        "line 2: entry 3 comes after entry 1: entries were reordered",
    );
    let m4 = check(
        "cut",
        join(&lines[..3]),
        &["--head", &head],
        "removed from the end",
    );
    let all = [m1, m2, m3, m4];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

/// The distribution spec's token flow against a mock registry: a 401 Bearer challenge, the
/// token service answering only to the credentials from a `docker-credential-*` helper named in
/// the docker config (or from --registry-token-env), then the Bearer token on the retry. No
/// password in any output; a realm over plain HTTP on a host not marked insecure is refused.
#[test]
fn bearer_token_flow_with_credential_helper_and_token_env() {
    use base64::Engine;
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let host = server.address().to_string();
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let digest = format!("sha256:{}", pipeguard_attest::hash::sha256_hex(manifest));
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("user:s3cret-pw")
    );
    let mount = |realm_host: &str| {
        let challenge = format!(
            r#"Bearer realm="http://{realm_host}/token",service="mock",scope="repository:app:pull""#
        );
        runtime.block_on(async {
            server.reset().await;
            Mock::given(method("GET"))
                .and(path("/token"))
                .and(query_param("scope", "repository:app:pull"))
                .and(header("authorization", basic.as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"tok-123"}"#))
                .with_priority(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/v2/app/manifests/{digest}")))
                .and(header("authorization", "Bearer tok-123"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("content-type", "application/vnd.oci.image.manifest.v1+json")
                        .set_body_bytes(manifest.to_vec()),
                )
                .with_priority(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(header("authorization", "Bearer tok-123"))
                .respond_with(ResponseTemplate::new(404))
                .with_priority(2)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/token"))
                .respond_with(ResponseTemplate::new(401))
                .with_priority(3)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .respond_with(
                    ResponseTemplate::new(401)
                        .insert_header("www-authenticate", challenge.as_str()),
                )
                .with_priority(10)
                .mount(&server)
                .await;
        });
    };
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (_, public) = keygen(t, "k", "ecdsa-p256");
    let bin = t.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = |secret: &str| {
        let p = bin.join("docker-credential-pgtest");
        std::fs::write(
            &p,
            format!("#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"user\",\"Secret\":\"{secret}\"}}' \"$server\"\n"),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    let config = t.join("config.json");
    std::fs::write(
        &config,
        format!(r#"{{"credHelpers":{{"{host}":"pgtest"}}}}"#),
    )
    .unwrap();
    let path_env = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |extra: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = pipeguard();
        cmd.args([
            "verify",
            "--image",
            &format!("{host}/app@{digest}"),
            "--insecure-registry",
            &host,
        ])
        .arg("--pubkey")
        .arg(&public)
        .arg("--docker-config")
        .arg(&config)
        .env("PATH", &path_env)
        .args(extra);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    mount(&host);
    helper("s3cret-pw");
    let (code, out) = run(&[], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("image: {host}/app@{digest}")),
        "{out}"
    );
    assert!(
        out.contains("no pipeguard attestation in the registry"),
        "{out}"
    );
    // The token from the environment instead of the helper.
    helper("wrong");
    let (code, out) = run(
        &[
            "--registry-token-env",
            "PG_REGISTRY_TOKEN",
            "--registry-username",
            "user",
        ],
        &[("PG_REGISTRY_TOKEN", "s3cret-pw")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no pipeguard attestation in the registry"),
        "{out}"
    );
    // Refused credentials: exit 2, and neither password appears.
    let (code, out) = run(&[], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("the credentials were refused"), "{out}");
    assert!(!out.contains("wrong") && !out.contains("s3cret"), "{out}");
    // A realm on plain HTTP elsewhere than the host marked insecure gets no credentials.
    let port = server.address().port();
    mount(&format!("localhost:{port}"));
    helper("s3cret-pw");
    let (code, out) = run(&[], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("which is not HTTPS"), "{out}");
    assert!(!out.contains("s3cret"), "{out}");
}

/// docs/predicate.schema.json describes what attest writes: the golden statement and a fresh
/// attestation validate; a predicate without the admission fields does not.
#[test]
fn predicate_validates_against_the_documented_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, _) = keygen(t, "k", "ecdsa-p256");
    let att = t.join("a.jsonl");
    pipeguard()
        .current_dir(t)
        .args([
            "attest",
            "--image-digest",
            &format!("sha256:{}", "ab".repeat(32)),
        ])
        .arg("--scan-report")
        .arg(fixtures().join("attest/report-fail.json"))
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&att)
        .assert()
        .code(1);
    let env: pipeguard_attest::dsse::Envelope =
        serde_json::from_str(std::fs::read_to_string(&att).unwrap().trim()).unwrap();
    let fresh: Value = serde_json::from_slice(&env.unverified_payload().unwrap()).unwrap();
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("attest/golden.statement.json")).unwrap(),
    )
    .unwrap();
    let mut broken = golden["predicate"].clone();
    broken.as_object_mut().unwrap().remove("policyDigest");
    let cases = serde_json::json!([fresh["predicate"], golden["predicate"], broken]);
    let input = t.join("cases.json");
    std::fs::write(&input, serde_json::to_vec(&cases).unwrap()).unwrap();
    let o = Command::new(python())
        .args([
            "-c",
            "import json,sys,jsonschema\n\
s=json.load(open(sys.argv[1])); v=jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())\n\
print(' '.join('ok' if v.is_valid(c) else 'bad' for c in json.load(open(sys.argv[2]))))",
        ])
        .arg(repo_root().join("docs/predicate.schema.json"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "ok ok bad");
    assert_eq!(fresh["predicateType"], PREDICATE_V2);
    assert_eq!(fresh["predicate"]["verdict"], "fail");
}

/// `gate --audit-log`: the gate's allow and block decisions go into the same chained log.
#[test]
fn gate_decisions_go_into_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = pipeguard();
        cmd.current_dir(dir.path())
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .args(["gate", "--jenkins", "--audit-log"])
            .arg(&log);
        for v in [
            "CHANGE_ID",
            "CHANGE_FORK",
            "CHANGE_AUTHOR",
            "CHANGE_TARGET",
            "CHANGE_URL",
        ] {
            cmd.env_remove(v);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.env("BUILD_USER_ID", "jenkins-bob")
            .env_remove("GITHUB_ACTOR")
            .env_remove("GITLAB_USER_LOGIN");
        cmd.output().unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let fork = [
        ("CHANGE_ID", "18"),
        ("CHANGE_FORK", "mallory-dev"),
        ("CHANGE_AUTHOR", "mallory-dev"),
        ("CHANGE_TARGET", "main"),
        (
            "CHANGE_URL",
            "https://github.com/octo-org/hello-world/pull/18",
        ),
    ];
    assert_eq!(run(&fork).status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["command"], "gate");
    assert_eq!(entries[0]["decision"], "allowed");
    assert_eq!(entries[1]["decision"], "refused");
    assert_eq!(entries[1]["subject"], "octo-org/hello-world#18");
    assert_eq!(entries[1]["actor"], "jenkins-bob");
    assert!(
        entries[1]["policy_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    pipeguard()
        .args(["audit", "verify"])
        .arg(&log)
        .assert()
        .success();
}

/// A registry with the referrers API (docker-registry 2.8 has none): the referrer is found
/// through `GET /v2/<name>/referrers/<digest>`, its bundle read and verified; a referrer whose
/// subject is another image is refused.
#[test]
fn referrers_api_registry_mock() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let host = server.address().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ecdsa-p256");
    let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let sha = |b: &[u8]| format!("sha256:{}", pipeguard_attest::hash::sha256_hex(b));
    let digest = sha(image);
    let att = t.join("a.jsonl");
    pipeguard()
        .current_dir(t)
        .args(["attest", "--image", &format!("{host}/app@{digest}")])
        .arg("--scan-report")
        .arg(fixtures().join("attest/report-pass.json"))
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&att)
        .assert()
        .success();
    let env: pipeguard_attest::dsse::Envelope =
        serde_json::from_str(std::fs::read_to_string(&att).unwrap().trim()).unwrap();
    let pk = pipeguard_attest::anykey::load_public(&public).unwrap();
    let bundle = pipeguard_attest::bundle::to_bundle(&env, Some(&pk));
    let referrer = |subject: &str| {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": SPEC_OCI_MANIFEST, "artifactType": SPEC_BUNDLE,
            "config": {"mediaType": SPEC_EMPTY, "digest": SPEC_EMPTY_DIGEST, "size": 2},
            "layers": [{"mediaType": SPEC_BUNDLE, "digest": sha(&bundle), "size": bundle.len()}],
            "subject": {"mediaType": SPEC_OCI_MANIFEST, "digest": subject, "size": image.len()},
            "annotations": {"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": PREDICATE_V2}
        }))
        .unwrap()
    };
    let serve = |subject: &str| {
        let m = referrer(subject);
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": SPEC_OCI_INDEX,
            "manifests": [{"mediaType": SPEC_OCI_MANIFEST, "digest": sha(&m), "size": m.len(), "artifactType": SPEC_BUNDLE}]
        }))
        .unwrap();
        runtime.block_on(async {
            server.reset().await;
            for (p, body, ct) in [
                (
                    format!("/v2/app/manifests/{digest}"),
                    image.to_vec(),
                    SPEC_OCI_MANIFEST,
                ),
                (format!("/v2/app/referrers/{digest}"), index, SPEC_OCI_INDEX),
                (
                    format!("/v2/app/manifests/{}", sha(&m)),
                    m.clone(),
                    SPEC_OCI_MANIFEST,
                ),
                (
                    format!("/v2/app/blobs/{}", sha(&bundle)),
                    bundle.clone(),
                    "application/octet-stream",
                ),
            ] {
                Mock::given(method("GET"))
                    .and(path(p))
                    .respond_with(
                        ResponseTemplate::new(200)
                            .insert_header("content-type", ct)
                            .set_body_bytes(body),
                    )
                    .with_priority(1)
                    .mount(&server)
                    .await;
            }
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(404))
                .with_priority(5)
                .mount(&server)
                .await;
        });
    };
    let verify = || {
        let o = pipeguard()
            .args([
                "verify",
                "--image",
                &format!("{host}/app@{digest}"),
                "--insecure-registry",
                &host,
            ])
            .arg("--pubkey")
            .arg(&public)
            .args(["--require-verdict", "pass"])
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    serve(&digest);
    let (code, out) = verify();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(referrers API))"), "{out}");
    serve(&format!("sha256:{}", "0".repeat(64)));
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the referrer's subject is sha256:0000"),
        "{out}"
    );
}

/// `attest push FILE --image REF@sha256:…`: an attestation made earlier (a file) stored beside
/// the image; only envelopes that name the image are pushed, and with --pubkey they are verified
/// first.
#[test]
fn attest_push_file() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ecdsa-p256");
    let (_, other) = keygen(t, "o", "ecdsa-p256");
    let digest = reg.push_image("file/app:1", "file\n");
    let image = format!("{}/file/app@{digest}", reg.host);
    let att = t.join("app.intoto.jsonl");
    pipeguard()
        .current_dir(t)
        .args(["attest", "--image", &image])
        .arg("--scan-report")
        .arg(fixtures().join("attest/report-pass.json"))
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&att)
        .assert()
        .success();
    let push = |file: &Path, image: &str, pubkey: &Path| {
        let o = pipeguard()
            .arg("attest")
            .arg("push")
            .arg(file)
            .args(["--image", image, "--insecure-registry", &reg.host])
            .arg("--pubkey")
            .arg(pubkey)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = push(&att, &image, &other);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("signed by another key"), "{err}");
    assert!(
        reg.manifest("file/app", &att_tag(&digest)).is_none(),
        "nothing pushed"
    );
    let second = reg.push_image("file/app:2", "file 2\n");
    let (code, err) = push(&att, &format!("{}/file/app@{second}", reg.host), &public);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("no attestation in it names {second}")),
        "{err}"
    );
    let (code, err) = push(&att, &image, &public);
    assert_eq!(code, 0, "{err}");
    let (code, out) = verify_image(&reg, &image, &public, &["--require-verdict", "pass"]);
    assert_eq!(code, 0, "{out}");
}

/// HTTPS and registry auth for real: docker-registry over TLS (a certificate for 127.0.0.1 from
/// a CA made by the test) with htpasswd Basic auth. pipeguard reaches it without
/// --insecure-registry, trusting the CA through SSL_CERT_FILE, with the credentials from the
/// docker config's `auths` or from --registry-token-env. Refused: no credentials, a wrong
/// password (never echoed), an untrusted certificate, and a plain-HTTP registry not marked
/// insecure.
#[test]
fn https_registry_with_basic_auth_from_the_docker_config_or_token_env() {
    if !have_all() || !have("openssl") || !have("perl") {
        return;
    }
    let reg = LiveRegistry::start_secure();
    let s = reg.secure.as_ref().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ecdsa-p256");
    let digest = reg.push_image("secure/app:1", "secure\n");
    let image = format!("{}/secure/app@{digest}", reg.host);
    let docker = t.join("docker");
    let no_docker = t.join("no-docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::create_dir_all(&no_docker).unwrap();
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", s.user, s.password),
    );
    std::fs::write(
        docker.join("config.json"),
        serde_json::json!({"auths": {&reg.host: {"auth": auth}}}).to_string(),
    )
    .unwrap();
    let report = fixtures().join("attest/report-pass.json");
    let attest: Vec<String> = vec![
        "attest".into(),
        "--scan-report".into(),
        report.display().to_string(),
        "--image".into(),
        image.clone(),
        "--push".into(),
        "--key".into(),
        key.display().to_string(),
    ];
    let verify: Vec<String> = vec![
        "verify".into(),
        "--image".into(),
        image.clone(),
        "--pubkey".into(),
        public.display().to_string(),
        "--require-verdict".into(),
        "pass".into(),
    ];
    let run = |args: &[String], docker_config: &Path, ca: bool, token: Option<&str>| {
        let mut c = pipeguard();
        c.current_dir(t)
            .args(args)
            .env("HOME", t)
            .env("DOCKER_CONFIG", docker_config)
            .env_remove("SSL_CERT_DIR")
            .env_remove("SOURCE_DATE_EPOCH");
        if ca {
            c.env("SSL_CERT_FILE", &s.ca);
        } else {
            c.env_remove("SSL_CERT_FILE");
        }
        if let Some(tok) = token {
            c.args([
                "--registry-token-env",
                "PG_REGISTRY_TOKEN",
                "--registry-username",
                "ci-bot",
            ])
            .env("PG_REGISTRY_TOKEN", tok);
        }
        let o = c.output().unwrap();
        let out =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(!out.contains(&s.password), "the password leaked: {out}");
        assert!(!out.contains(&auth), "the auth entry leaked: {out}");
        (o.status.code().unwrap_or(-1), out)
    };

    // No credentials: the registry's 401 is reported, nothing is pushed.
    let (code, out) = run(&attest, &no_docker, true, None);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("the registry asks for a username and password and none is configured"),
        "{out}"
    );
    assert!(reg.manifest("secure/app", &att_tag(&digest)).is_none());
    // A wrong password from --registry-token-env: refused, not echoed.
    let (code, out) = run(&attest, &no_docker, true, Some("wr0ng-Passw0rd"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("401"), "{out}");
    assert!(!out.contains("wr0ng-Passw0rd"), "{out}");
    // The CA not trusted: the TLS handshake fails, no plain-HTTP fallback.
    let (code, out) = run(&attest, &docker, false, None);
    assert_eq!(code, 2, "{out}");
    assert!(out.to_lowercase().contains("certificate"), "{out}");
    assert!(reg.manifest("secure/app", &att_tag(&digest)).is_none());

    // Credentials from the docker config, over HTTPS: pushed and verified.
    let (code, out) = run(&attest, &docker, true, None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "pushed {}/secure/app:{}",
            reg.host,
            att_tag(&digest)
        )),
        "{out}"
    );
    let (code, out) = run(&verify, &docker, true, None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("verified: {}/secure/app {digest}", reg.host)),
        "{out}"
    );
    // The password from --registry-token-env, no docker config.
    let (code, out) = run(&verify, &no_docker, true, Some(&s.password));
    assert_eq!(code, 0, "{out}");
    check_att_layout(&reg, "secure/app", &digest, &t.join("env.json"));

    // A registry on plain HTTP is not reached without --insecure-registry.
    let plain = LiveRegistry::start();
    let d = plain.push_image("plain/app:1", "plain\n");
    let plain_image = format!("{}/plain/app@{d}", plain.host);
    let mut args = verify.clone();
    args[2] = plain_image;
    let (code, out) = run(&args, &no_docker, true, None);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains(&format!("https://{}", plain.host)), "{out}");
}

/// `verify --image --risk-gate NAME` as the promotion step: the threshold of each gate comes
/// from the policy's `risk.gates`; an attestation with risk 12 passes dev and test, not prod.
#[test]
fn promotion_gate_from_the_registry_uses_the_policys_risk_gates() {
    if !have_all() {
        return;
    }
    let reg = LiveRegistry::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k", "ed25519");
    let digest = reg.push_image("promote/app:1", "promote\n");
    let image = format!("{}/promote/app@{digest}", reg.host);
    let (code, out) = attest_push(&reg, t, &image, &key, "report-pass.json", &[]);
    assert_eq!(code, 0, "{out}");
    let policy = t.join("policy.yml");
    std::fs::write(
        &policy,
        "risk:\n  gates:\n    dev: 70\n    test: 30\n    prod: 10\n",
    )
    .unwrap();
    let gate = |name: &str| {
        verify_image(
            &reg,
            &image,
            &public,
            &[
                "--require-verdict",
                "pass",
                "--risk-gate",
                name,
                "--config",
                policy.to_str().unwrap(),
            ],
        )
    };
    for (name, max) in [("dev", 70), ("test", 30)] {
        let (code, out) = gate(name);
        assert_eq!(code, 0, "{name}: {out}");
        assert!(
            out.contains(&format!(
                "promotion gate `{name}`: risk score at most {max}"
            )),
            "{out}"
        );
    }
    let (code, out) = gate("prod");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("risk score 12 is above the maximum 10"),
        "{out}"
    );
    let (code, out) = gate("staging");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("unknown risk gate `staging` (config `risk.gates` defines: dev, prod, test)"),
        "{out}"
    );
}

/// The network client lives in pipeguard-oci: neither the engine nor pipeguard-attest links an
/// HTTP, TLS, socket or async-runtime crate (normal and build dependencies, from the resolve
/// of `cargo metadata`).
#[test]
fn engine_and_attest_link_no_network_crate() {
    const NETWORK: &[&str] = &[
        "pipeguard-oci",
        // `scan --online`: the GitHub client feeds the engine typed facts, never the reverse.
        "pipeguard-github",
        "octocrab",
        "reqwest",
        "hyper",
        "hyper-util",
        "h2",
        "tokio",
        "mio",
        "socket2",
        "rustls",
        "openssl-sys",
        "curl-sys",
        "libssh2-sys",
    ];
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        // Not --offline: the resolve names every platform's packages, and a fresh machine's
        // cargo cache holds only the host's (crates.io is reachable in CI).
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes: std::collections::HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    for root in ["pipeguard-engine", "pipeguard-attest"] {
        let start = nodes
            .keys()
            .find(|id| name_of(id) == root)
            .copied()
            .unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            for d in nodes[id]["deps"].as_array().unwrap() {
                let linked = d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null() || k["kind"] == "build");
                if linked {
                    stack.push(d["pkg"].as_str().unwrap());
                }
            }
        }
        let names: std::collections::BTreeSet<String> = seen.iter().map(|id| name_of(id)).collect();
        let bad: Vec<&&str> = NETWORK.iter().filter(|n| names.contains(**n)).collect();
        assert!(bad.is_empty(), "{root} links {bad:?}");
        assert!(
            names.len() > 20,
            "{root}: the resolve was read ({} crates)",
            names.len()
        );
    }
}
