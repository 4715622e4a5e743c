//! keygen / attest / verify end to end: round trip, every tamper rejected with its own message,
//! a golden envelope, image digest sources, and interoperability with an independent
//! securesystemslib verifier (tests/interop/dsse_intoto.py) both ways.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pipeguard_attest::dsse::{self, Envelope};
use pipeguard_attest::statement::{
    ConfigRef, Digested, FamilyResult, JobFingerprint, JobsRef, ScanPredicate, SourceRef,
    Statement, Subject, Tool, sha256_set,
};
use serde_json::Value;

use crate::common::{fixtures, pipeguard, python, repo_root};

const DIGEST: &str = "sha256:4f3c0e1d2b7a9e8f6c5d4b3a2e1f0d9c8b7a6e5f4d3c2b1a0f9e8d7c6b5a4f3e";
const OTHER: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

fn dir() -> PathBuf {
    fixtures().join("attest")
}

fn keygen(tmp: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = tmp.join(name);
    pipeguard()
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .assert()
        .success();
    let public = tmp.join(format!("{name}.pub"));
    (key, public)
}

/// Attest the fixture report for DIGEST; returns the .intoto.jsonl path.
fn attest(tmp: &Path, key: &Path, report: &str, epoch: Option<i64>) -> PathBuf {
    let out = tmp.join("att.intoto.jsonl");
    let mut cmd = pipeguard();
    cmd.current_dir(tmp)
        .arg("attest")
        .arg("--scan-report")
        .arg(dir().join(report))
        .args(["--image", &format!("ghcr.io/o/app@{DIGEST}")])
        .arg("--key")
        .arg(key)
        .arg("--out")
        .arg(&out);
    match epoch {
        Some(e) => cmd.env("SOURCE_DATE_EPOCH", e.to_string()),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    cmd.assert().code(i32::from(report.contains("fail")));
    out
}

/// Run `verify`; returns (exit code, stderr).
fn verify(att: &Path, public: &Path, digest: &str, extra: &[&str]) -> (i32, String) {
    let out = pipeguard()
        .arg("verify")
        .arg("--attestation")
        .arg(att)
        .arg("--pubkey")
        .arg(public)
        .args(["--image-digest", digest])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

fn envelope(path: &Path) -> Envelope {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.lines().count(), 1, "one envelope per line");
    serde_json::from_str(text.trim()).unwrap()
}

fn write_env(path: &Path, env: &Envelope) {
    std::fs::write(path, env.to_json_line() + "\n").unwrap();
}

fn now() -> i64 {
    pipeguard_attest::time::system_now()
}

#[test]
fn keygen_writes_private_0600_public_beside_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "signing.key");
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(
        std::fs::read_to_string(&public)
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let out = pipeguard()
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), pem, "key untouched");
    // A stale public key alone also blocks (it would not match the new private key).
    std::fs::remove_file(&key).unwrap();
    pipeguard()
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .assert()
        .code(2);
}

#[test]
fn round_trip_with_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "k");
    let att = attest(tmp.path(), &key, "report-pass.json", None);
    let (code, out) = verify(
        &att,
        &public,
        DIGEST,
        &[
            "--require-verdict",
            "pass",
            "--max-risk",
            "20",
            "--max-age",
            "1h",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified: ghcr.io/o/app"), "{out}");
    // Also by reference, and upper-case hex is the same digest.
    let (code, out) = verify(
        &att,
        &public,
        &DIGEST.to_uppercase().replace("SHA256", "sha256"),
        &[],
    );
    assert_eq!(code, 0, "{out}");

    let env = envelope(&att);
    assert_eq!(env.payload_type, "application/vnd.in-toto+json");
    let st: Value = serde_json::from_slice(&STANDARD.decode(&env.payload).unwrap()).unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        st["predicateType"],
        "https://pipeguard.dev/attestation/scan/v2"
    );
    assert_eq!(st["subject"][0]["name"], "ghcr.io/o/app");
    assert_eq!(st["subject"][0]["digest"]["sha256"], &DIGEST[7..]);
    let p = &st["predicate"];
    assert_eq!(p["verdict"], "pass");
    assert_eq!(p["riskScore"], 12);
    assert_eq!(p["counts"]["medium"], 1);
    assert_eq!(p["families"]["docker"]["counts"]["medium"], 1);
    assert_eq!(p["families"]["github"]["verdict"], "pass");
    assert_eq!(
        p["ruleCatalogue"]["digest"]["sha256"],
        pipeguard_engine::rules::catalogue_digest()
    );
    assert_eq!(p["config"]["digest"]["sha256"].as_str().unwrap().len(), 64);
    assert!(p["scanReport"]["digest"]["sha256"].is_string());
    assert!(p.get("jobs").is_none() && p.get("gateDecision").is_none());
}

#[test]
fn every_tamper_is_rejected_with_its_own_message() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k");
    let (_, other_pub) = keygen(t, "other");
    let att = attest(t, &key, "report-pass.json", None);
    let env = envelope(&att);
    let mut messages: Vec<(&str, String)> = Vec::new();
    let mut reject = |name: &'static str,
                      env: Option<&Envelope>,
                      pubkey: &Path,
                      digest: &str,
                      extra: &[&str]| {
        let path = t.join(format!("{name}.jsonl"));
        match env {
            Some(e) => write_env(&path, e),
            None => std::fs::copy(&att, &path).map(|_| ()).unwrap(),
        }
        let (code, out) = verify(&path, pubkey, digest, extra);
        assert_eq!(code, 1, "{name}: {out}");
        let msg = out
            .lines()
            .find_map(|l| l.strip_prefix("verification failed: "))
            .unwrap_or_else(|| panic!("{name}: no failure line in {out}"))
            .split_once(": ")
            .map(|(_, m)| m.to_string())
            .unwrap();
        messages.push((name, msg));
    };

    // payload byte
    let mut e = env.clone();
    let mut payload = STANDARD.decode(&e.payload).unwrap();
    let i = payload.iter().position(|&b| b == b'1').unwrap(); // inside "riskScore":12
    payload[i] = b'0';
    e.payload = STANDARD.encode(&payload);
    reject("payload-byte", Some(&e), &public, DIGEST, &[]);
    // payloadType
    let mut e = env.clone();
    e.payload_type = "application/json".into();
    reject("payload-type", Some(&e), &public, DIGEST, &[]);
    // signature: garbled encoding
    let mut e = env.clone();
    e.signatures[0].sig = STANDARD.encode([1u8; 63]);
    reject("signature", Some(&e), &public, DIGEST, &[]);
    // another key
    reject("other-key", None, &other_pub, DIGEST, &[]);
    // another image
    reject("other-digest", None, &public, OTHER, &[]);
    // expired: attested two days ago, max age one day
    let old = attest(t, &key, "report-pass.json", Some(now() - 2 * 86_400));
    let old_env = envelope(&old);
    reject(
        "expired",
        Some(&old_env),
        &public,
        DIGEST,
        &["--max-age", "24h"],
    );
    // risk above threshold
    let att = attest(t, &key, "report-pass.json", None);
    let fresh = envelope(&att);
    reject("risk", Some(&fresh), &public, DIGEST, &["--max-risk", "10"]);
    // verdict
    let failing = attest(t, &key, "report-fail.json", None);
    let failing = envelope(&failing);
    reject(
        "verdict",
        Some(&failing),
        &public,
        DIGEST,
        &["--require-verdict", "pass"],
    );

    let expect = [
        ("payload-byte", "does not match the payload"),
        ("payload-type", "payloadType is `application/json`"),
        ("signature", "signature 1 is malformed"),
        ("other-key", "signed by another key"),
        ("other-digest", "no subject has digest sha256:0000"),
        ("expired", "older than the maximum age 1d"),
        ("risk", "risk score 12 is above the maximum 10"),
        ("verdict", "verdict is `fail`, but `pass` is required"),
    ];
    for ((name, msg), (ename, needle)) in messages.iter().zip(expect) {
        assert_eq!(*name, ename);
        assert!(msg.contains(needle), "{name}: {msg}");
    }
    let mut distinct: Vec<&String> = messages.iter().map(|(_, m)| m).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), messages.len(), "{messages:#?}");
}

#[test]
fn flipped_signature_byte_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "k");
    let att = attest(tmp.path(), &key, "report-pass.json", None);
    let mut e = envelope(&att);
    let mut sig = STANDARD.decode(&e.signatures[0].sig).unwrap();
    sig[10] ^= 1;
    e.signatures[0].sig = STANDARD.encode(&sig);
    write_env(&att, &e);
    let (code, out) = verify(&att, &public, DIGEST, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("does not match the payload"), "{out}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "k");
    let att = attest(tmp.path(), &key, "report-pass.json", None);
    let (code, out) = verify(&tmp.path().join("missing.jsonl"), &public, DIGEST, &[]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = verify(&att, &key, DIGEST, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("private key"), "{out}");
    let (code, out) = verify(&att, &public, "sha256:abc", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("64 hex"), "{out}");
    let (code, _) = verify(&att, &public, DIGEST, &["--max-age", "soon"]);
    assert_eq!(code, 2);
    // Not an envelope at all: verification fails (1) with a reason.
    std::fs::write(&att, "hello\n").unwrap();
    let (code, out) = verify(&att, &public, DIGEST, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("not a DSSE envelope"), "{out}");
}

#[test]
fn key_from_environment_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "k");
    let pem = std::fs::read_to_string(&key).unwrap();
    let out = tmp.path().join("a.jsonl");
    pipeguard()
        .current_dir(tmp.path())
        .env("PG_TEST_KEY", &pem)
        .args([
            "attest",
            "--key-env",
            "PG_TEST_KEY",
            "--image-digest",
            DIGEST,
        ])
        .arg("--scan-report")
        .arg(dir().join("report-pass.json"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(verify(&out, &public, DIGEST, &[]).0, 0);
    let o = pipeguard()
        .current_dir(tmp.path())
        .env_remove("PG_TEST_KEY_UNSET")
        .args([
            "attest",
            "--key-env",
            "PG_TEST_KEY_UNSET",
            "--image-digest",
            DIGEST,
        ])
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&o.get_output().stderr).contains("PG_TEST_KEY_UNSET is not set")
    );
}

#[test]
fn live_scan_records_source_commit_jobs_and_gate_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    crate::common::sh(
        t,
        &format!(
            "cp -R {}/. . && mkdir -p .pipeguard && git init -q && git remote add origin https://user:tok@example.com/o/r.git && git add -A && git commit -qm init",
            fixtures().join("repos/basic").display()
        ),
    );
    // A real lockfile from `pipeguard fingerprint` over a workflow added after the commit.
    std::fs::create_dir_all(t.join(".github/workflows")).unwrap();
    std::fs::write(
        t.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n",
    )
    .unwrap();
    pipeguard()
        .current_dir(t)
        .args(["fingerprint", ".", "--write", ".pipeguard/jobs.lock"])
        .assert()
        .success();
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(t.join(".pipeguard/jobs.lock")).unwrap())
            .unwrap();
    let gate = t.join("gate.json");
    std::fs::write(
        &gate,
        r#"{"decision":"allow","reasons":["same-repository pull request"],"event":"pull_request","repository":"o/r","head_sha":"abc","pull_request":7,"checked_at":"2026-11-23T12:00:00Z"}"#,
    )
    .unwrap();
    let (key, public) = keygen(t, "k.pem");
    let out = t.join("a.jsonl");
    pipeguard()
        .current_dir(t)
        .env("SOURCE_DATE_EPOCH", "1795435200")
        .args([
            "attest",
            ".",
            "--image-digest",
            DIGEST,
            "--fail-on",
            "never",
        ])
        .arg("--key")
        .arg(&key)
        .arg("--gate-decision")
        .arg(&gate)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let env = envelope(&out);
    let st: Value = serde_json::from_slice(&STANDARD.decode(&env.payload).unwrap()).unwrap();
    let p = &st["predicate"];
    assert_eq!(p["time"], "2026-11-23T12:00:00Z");
    assert!(p.get("timestamp").is_none());
    // The predicate carries what `scan` reports for the same tree and policy.
    let scan = pipeguard()
        .current_dir(t)
        .args(["scan", ".", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let report = crate::common::json_report(&scan.stdout);
    assert_eq!(p["riskScore"], report["summary"]["risk_score"]);
    assert_eq!(p["total"], report["summary"]["total"]);
    assert_eq!(p["counts"], report["summary"]["counts"]);
    assert_eq!(p["verdict"], "pass");
    let docker = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("docker/"))
        .count();
    assert_eq!(p["families"]["docker"]["total"], docker);
    assert!(p["families"]["terraform"]["total"].is_u64());
    let head = crate::common::sh(t, "git rev-parse HEAD");
    assert_eq!(p["source"]["commit"], head.trim());
    assert_eq!(p["source"]["repository"], "https://example.com/o/r.git");
    // Untracked files (workflow, lockfile, keys) do not make the tree dirty.
    assert_eq!(p["source"]["dirty"], false);
    // v2: what admission policies match on, at the top level.
    assert_eq!(p["commit"], head.trim());
    assert_eq!(p["repository"], "https://example.com/o/r.git");
    assert_eq!(
        p["policyDigest"],
        format!(
            "sha256:{}",
            p["config"]["digest"]["sha256"].as_str().unwrap()
        )
    );
    let build = lock["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "build")
        .expect("build job locked");
    let attested = p["jobs"]["fingerprints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "build")
        .expect("build job attested");
    assert_eq!(attested["fingerprint"], build["fingerprint"]);
    assert_eq!(attested["source"], build["source"]);
    assert_eq!(p["gateDecision"]["decision"], "allow");
    let (code, _) = verify(&out, &public, DIGEST, &[]);
    assert_eq!(code, 0);
}

/// Fixed key + fixed statement → the same envelope bytes (Ed25519 is deterministic).
#[test]
fn golden_envelope() {
    let predicate = ScanPredicate {
        tool: Tool {
            name: "pipeguard".into(),
            version: "0.1.0".into(),
        },
        time: "2026-11-23T12:00:00Z".into(),
        verdict: "pass".into(),
        risk_score: 12,
        fail_on: "high".into(),
        max_risk: Some(20),
        counts: [
            ("critical", 0),
            ("high", 0),
            ("info", 0),
            ("low", 1),
            ("medium", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        total: 2,
        families: [(
            "docker".to_string(),
            FamilyResult {
                verdict: "pass".into(),
                total: 2,
                counts: [("low".to_string(), 1), ("medium".to_string(), 1)].into(),
            },
        )]
        .into(),
        incomplete: false,
        rule_catalogue: Digested {
            path: None,
            digest: sha256_set(&"a".repeat(64)),
        },
        config: ConfigRef {
            source: Some(".pipeguard.yml".into()),
            digest: sha256_set(&"b".repeat(64)),
        },
        policy_digest: Some(format!("sha256:{}", "b".repeat(64))),
        repository: Some("https://github.com/o/app.git".into()),
        commit: Some("c".repeat(40)),
        source: Some(SourceRef {
            repository: Some("https://github.com/o/app.git".into()),
            commit: Some("c".repeat(40)),
            branch: Some("main".into()),
            dirty: false,
        }),
        scan_report: None,
        jobs: Some(JobsRef {
            lock: Digested {
                path: Some(".pipeguard/jobs.lock".into()),
                digest: sha256_set(&"d".repeat(64)),
            },
            fingerprints: vec![JobFingerprint {
                source: ".github/workflows/release.yml".into(),
                id: "build".into(),
                fingerprint: format!("sha256:{}", "e".repeat(64)),
            }],
        }),
        gate_decision: Some(serde_json::json!({"decision": "allowed", "head_sha": "f00"})),
    };
    let statement = Statement::new(
        Subject {
            name: "ghcr.io/o/app".into(),
            digest: sha256_set(&DIGEST[7..]),
        },
        &predicate,
    );
    let key = pipeguard_attest::keys::load_private(&dir().join("golden.key")).unwrap();
    let env = dsse::sign(dsse::INTOTO_PAYLOAD_TYPE, &statement.to_bytes(), &key);
    let golden_path = dir().join("golden.intoto.jsonl");
    let line = env.to_json_line() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &line).unwrap();
        std::fs::write(
            dir().join("golden.statement.json"),
            String::from_utf8(statement.to_bytes()).unwrap() + "\n",
        )
        .unwrap();
    }
    assert_eq!(line, std::fs::read_to_string(&golden_path).unwrap());
    assert_eq!(
        env.signatures[0].keyid,
        "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916"
    );
    // The golden file verifies with the CLI (dated in the past: no --max-age).
    let (code, out) = verify(
        &golden_path,
        &dir().join("golden.key.pub"),
        DIGEST,
        &["--require-verdict", "pass", "--max-risk", "12"],
    );
    assert_eq!(code, 0, "{out}");
    // An attestation made before the predicate v2 (…/scan/v1, `timestamp`) still verifies.
    let (code, out) = verify(
        &dir().join("golden-v1.intoto.jsonl"),
        &dir().join("golden.key.pub"),
        DIGEST,
        &["--require-verdict", "pass", "--max-risk", "12"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("attested 2026-11-23T12:00:00Z"), "{out}");
}

fn interop() -> (String, PathBuf) {
    let py = python();
    let ok = std::process::Command::new(&py)
        .args(["-c", "import securesystemslib, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{py} lacks securesystemslib/cryptography: run the suite via scripts/test (sets PIPEGUARD_PYTHON)"
    );
    (py, repo_root().join("tests/interop/dsse_intoto.py"))
}

fn run_py(py: &str, script: &Path, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = std::process::Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn interop_securesystemslib_verifies_our_envelopes() {
    let (py, script) = interop();
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "k");
    let att = attest(tmp.path(), &key, "report-pass.json", None);
    let digest = DIGEST.to_string();
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "verify".as_ref(),
            "--pub".as_ref(),
            public.as_os_str(),
            "--envelope".as_ref(),
            att.as_os_str(),
            "--subject-digest".as_ref(),
            digest.as_ref(),
            "--predicate-type".as_ref(),
            "https://pipeguard.dev/attestation/scan/v2".as_ref(),
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("OK: verified 1 signature(s)"), "{out}");
    // keyid matched without --any-keyid; and a tampered envelope fails there too.
    let mut e = envelope(&att);
    e.payload_type = "application/json".into();
    write_env(&att, &e);
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "verify".as_ref(),
            "--pub".as_ref(),
            public.as_os_str(),
            "--envelope".as_ref(),
            att.as_os_str(),
        ],
    );
    assert!(!ok, "{out}");
    // The golden envelope, too.
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "verify".as_ref(),
            "--pub".as_ref(),
            dir().join("golden.key.pub").as_os_str(),
            "--envelope".as_ref(),
            dir().join("golden.intoto.jsonl").as_os_str(),
        ],
    );
    assert!(ok, "{out}");
}

#[test]
fn interop_we_verify_envelopes_securesystemslib_signs() {
    let (py, script) = interop();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // Its key pair, its signature, over our statement.
    let (priv_py, pub_py) = (t.join("py.pem"), t.join("py.pub.pem"));
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "keygen".as_ref(),
            "--priv".as_ref(),
            priv_py.as_os_str(),
            "--pub".as_ref(),
            pub_py.as_os_str(),
        ],
    );
    assert!(ok, "{out}");
    let statement = dir().join("golden.statement.json");
    let signed = t.join("py.envelope.json");
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "sign".as_ref(),
            "--priv".as_ref(),
            priv_py.as_os_str(),
            "--statement".as_ref(),
            statement.as_os_str(),
            "--out".as_ref(),
            signed.as_os_str(),
        ],
    );
    assert!(ok, "{out}");
    let (code, out) = verify(&signed, &pub_py, DIGEST, &["--require-verdict", "pass"]);
    assert_eq!(code, 0, "{out}");
    // Our keygen's private key is readable by pyca/cryptography, and we verify what it signs.
    let (key, public) = keygen(t, "ours");
    let signed2 = t.join("py2.envelope.json");
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "sign".as_ref(),
            "--priv".as_ref(),
            key.as_os_str(),
            "--statement".as_ref(),
            statement.as_os_str(),
            "--out".as_ref(),
            signed2.as_os_str(),
        ],
    );
    assert!(ok, "{out}");
    let keyid_line = out.trim().to_string();
    let (code, out) = verify(&signed2, &public, DIGEST, &[]);
    assert_eq!(code, 0, "{out}");
    // Same keyid both sides.
    let ours = envelope_any(&signed2).signatures[0].keyid.clone();
    assert!(keyid_line.ends_with(&ours), "{keyid_line} vs {ours}");
    let pubkey = pipeguard_attest::keys::load_public(&public).unwrap();
    assert_eq!(pipeguard_attest::keys::keyid(&pubkey), ours);
    // Wrong key → rejected.
    let (code, _) = verify(&signed, &public, DIGEST, &[]);
    assert_eq!(code, 1);
}

fn envelope_any(path: &Path) -> Envelope {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", pipeguard_engine::finding::sha256_hex(b))
}

/// Attest the fixture report with an image source; returns (exit code, stderr, subject).
fn attest_source(tmp: &Path, key: &Path, source: &[&std::ffi::OsStr]) -> (i32, String, Value) {
    let out = tmp.join("src.intoto.jsonl");
    let _ = std::fs::remove_file(&out);
    let o = pipeguard()
        .current_dir(tmp)
        .arg("attest")
        .arg("--scan-report")
        .arg(dir().join("report-pass.json"))
        .arg("--key")
        .arg(key)
        .arg("--out")
        .arg(&out)
        .args(source)
        .output()
        .unwrap();
    let subject = std::fs::read_to_string(&out).ok().map_or(Value::Null, |t| {
        let e: Envelope = serde_json::from_str(t.trim()).unwrap();
        let st: Value = serde_json::from_slice(&STANDARD.decode(&e.payload).unwrap()).unwrap();
        st["subject"][0].clone()
    });
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        subject,
    )
}

#[test]
fn image_sources_end_to_end() {
    use pipeguard_attest::tar::build;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, _) = keygen(t, "k");
    let os = |s: &str| std::ffi::OsString::from(s);

    // buildx --metadata-file
    let meta = t.join("meta.json");
    std::fs::write(
        &meta,
        format!(r#"{{"containerimage.digest":"{DIGEST}","image.name":"ghcr.io/o/app:1"}}"#),
    )
    .unwrap();
    let (code, err, subject) = attest_source(t, &key, &[&os("--metadata-file"), meta.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(subject["name"], "ghcr.io/o/app:1");
    assert_eq!(subject["digest"]["sha256"], &DIGEST[7..]);
    std::fs::write(&meta, r#"{"buildx.build.ref":"x"}"#).unwrap();
    let (code, err, _) = attest_source(t, &key, &[&os("--metadata-file"), meta.as_os_str()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("meta.json: no `containerimage.digest`"),
        "{err}"
    );

    // OCI layout directory
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:00","size":2},"layers":[]}"#;
    let md = sha(manifest);
    let layout = t.join("oci");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"1.0"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(layout.join("blobs/sha256").join(&md[7..]), manifest).unwrap();
    let (code, err, subject) = attest_source(
        t,
        &key,
        &[
            &os("--oci-layout"),
            layout.as_os_str(),
            &os("--image-name"),
            &os("ghcr.io/o/app:1.0"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(subject["digest"]["sha256"], &md[7..]);
    assert_eq!(subject["name"], "ghcr.io/o/app:1.0");
    std::fs::write(layout.join("blobs/sha256").join(&md[7..]), b"{}").unwrap();
    let (code, err, _) = attest_source(t, &key, &[&os("--oci-layout"), layout.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("tampered"), "{err}");

    // docker save, classic store (Docker 25+ layout with uncompressed layers): config digest
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = sha(config);
    let m2 = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"digest":"{cd}"}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:11"}}]}}"#
    );
    let m2d = sha(m2.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m2d}","annotations":{{"io.containerd.image.name":"docker.io/library/app:1"}}}}]}}"#
    );
    let legacy = format!(
        r#"[{{"Config":"blobs/sha256/{}","RepoTags":["app:1"],"Layers":[]}}]"#,
        &cd[7..]
    );
    let (p_m2, p_cfg) = (
        format!("blobs/sha256/{}", &m2d[7..]),
        format!("blobs/sha256/{}", &cd[7..]),
    );
    let archive = t.join("app.tar");
    std::fs::write(
        &archive,
        build(&[
            ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
            ("index.json", index.as_bytes()),
            ("manifest.json", legacy.as_bytes()),
            (p_m2.as_str(), m2.as_bytes()),
            (p_cfg.as_str(), config),
        ]),
    )
    .unwrap();
    let (code, err, subject) =
        attest_source(t, &key, &[&os("--docker-archive"), archive.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(subject["digest"]["sha256"], &cd[7..]);
    assert_eq!(subject["name"], "docker.io/library/app:1");
    assert!(err.contains("config digest"), "{err}");

    // Malformed archive
    std::fs::write(&archive, b"this is not a tarball at all").unwrap();
    let (code, err, _) = attest_source(t, &key, &[&os("--docker-archive"), archive.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("app.tar: not a tar archive"), "{err}");

    // A tag without a digest is refused.
    let (code, err, _) = attest_source(t, &key, &[&os("--image"), &os("ghcr.io/o/app:1")]);
    assert_eq!(code, 2);
    assert!(err.contains("has no digest"), "{err}");
}

/// A third, shell-only verifier: the script extracts PAE and signature, openssl checks them with
/// our SPKI public key (and reads our PKCS#8 private key). Runs where openssl is installed.
#[test]
fn interop_openssl_verifies_pae_signature() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl not installed: skipping");
        return;
    }
    let (py, script) = interop();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k");
    let att = attest(t, &key, "report-pass.json", None);
    let (pae, sig) = (t.join("pae.bin"), t.join("sig.bin"));
    let (ok, out) = run_py(
        &py,
        &script,
        &[
            "pae".as_ref(),
            "--envelope".as_ref(),
            att.as_os_str(),
            "--out".as_ref(),
            pae.as_os_str(),
            "--sig-out".as_ref(),
            sig.as_os_str(),
        ],
    );
    assert!(ok, "{out}");
    let openssl = |args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let (ok, out) = openssl(&[
        "pkeyutl".as_ref(),
        "-verify".as_ref(),
        "-pubin".as_ref(),
        "-inkey".as_ref(),
        public.as_os_str(),
        "-rawin".as_ref(),
        "-in".as_ref(),
        pae.as_os_str(),
        "-sigfile".as_ref(),
        sig.as_os_str(),
    ]);
    assert!(
        ok && out.contains("Signature Verified Successfully"),
        "{out}"
    );
    // openssl derives the same public key from our private key.
    let (ok, derived) = openssl(&[
        "pkey".as_ref(),
        "-in".as_ref(),
        key.as_os_str(),
        "-pubout".as_ref(),
    ]);
    assert!(ok, "{derived}");
    assert_eq!(derived, std::fs::read_to_string(&public).unwrap());
}

/// `--append` bundles several images in one .intoto.jsonl; verify finds the matching line and,
/// when none matches, gives each line's reason.
#[test]
fn bundle_of_several_images() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k");
    let bundle = t.join("bundle.intoto.jsonl");
    for image in [
        format!("ghcr.io/o/app@{DIGEST}"),
        format!("ghcr.io/o/worker@{OTHER}"),
    ] {
        pipeguard()
            .current_dir(t)
            .args(["attest", "--image", &image, "--append"])
            .arg("--scan-report")
            .arg(dir().join("report-pass.json"))
            .arg("--key")
            .arg(&key)
            .arg("--out")
            .arg(&bundle)
            .assert()
            .success();
    }
    assert_eq!(std::fs::read_to_string(&bundle).unwrap().lines().count(), 2);
    for (name, digest) in [("app", DIGEST), ("worker", OTHER)] {
        let out = pipeguard()
            .arg("verify")
            .arg("--attestation")
            .arg(&bundle)
            .arg("--pubkey")
            .arg(&public)
            .args(["--image", &format!("ghcr.io/o/{name}@{digest}")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains(&format!("ghcr.io/o/{name}")), "{text}");
    }
    let third = "sha256:0000000000000000000000000000000000000000000000000000000000000002";
    let (code, out) = verify(&bundle, &public, third, &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("bundle.intoto.jsonl:1: no subject has digest"),
        "{out}"
    );
    assert!(
        out.contains("bundle.intoto.jsonl:2: no subject has digest"),
        "{out}"
    );
}

/// Random byte mutations of the golden envelope line: never a panic, and whatever still verifies
/// carries exactly the signed payload type, payload and signature.
#[test]
fn mutated_golden_envelope_never_verifies_altered_content() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let line = std::fs::read_to_string(dir().join("golden.intoto.jsonl")).unwrap();
    let original: Envelope = serde_json::from_str(line.trim()).unwrap();
    let key = pipeguard_attest::keys::load_public(&dir().join("golden.key.pub")).unwrap();
    let decode = |s: &str| {
        use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
        [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .find_map(|e| e.decode(s.trim()).ok())
    };
    let payload = decode(&original.payload).unwrap();
    let sig = decode(&original.signatures[0].sig).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 512,
        ..Config::default()
    });
    runner
        .run(
            &proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            |flips| {
                let mut bytes = line.clone().into_bytes();
                for (i, b) in flips {
                    let n = bytes.len();
                    bytes[i % n] = b;
                }
                let text = String::from_utf8_lossy(&bytes);
                for (_, env) in dsse::parse_envelopes(&text) {
                    let Ok(env) = env else { continue };
                    if dsse::verify(&env, &key, dsse::INTOTO_PAYLOAD_TYPE).is_ok() {
                        prop_assert_eq!(&env.payload_type, &original.payload_type);
                        prop_assert_eq!(decode(&env.payload), Some(payload.clone()));
                        prop_assert!(
                            env.signatures
                                .iter()
                                .any(|s| decode(&s.sig) == Some(sig.clone()))
                        );
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn verify_refuses_a_failing_verdict_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (key, public) = keygen(t, "k");
    let failing = attest(t, &key, "report-fail.json", None);
    let (code, out) = verify(&failing, &public, DIGEST, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("verdict is `fail`, but `pass` is required"),
        "{out}"
    );
    let (code, out) = verify(&failing, &public, DIGEST, &["--allow-failing-verdict"]);
    assert_eq!(code, 0, "{out}");
    // Both at once is a usage error.
    let (code, _) = verify(
        &failing,
        &public,
        DIGEST,
        &["--allow-failing-verdict", "--require-verdict", "pass"],
    );
    assert_eq!(code, 2);
}
