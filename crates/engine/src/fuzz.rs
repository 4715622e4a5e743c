//! Entry points for the parser fuzz targets (`fuzz/`, cargo-fuzz) and for the fuzz smoke test
//! of the regular suite (tests/fuzz_smoke.rs), which runs each entry on mutated fixtures so the
//! targets are exercised on stable Rust in CI too. Each entry must never panic on any input.

use crate::analyzers::{self, Output, ScanContext};
use crate::discover::{FileKind, classify};
use crate::policy::config::Config;
use crate::source::SourceFile;

/// Run every analyzer that accepts `kind` over `data` as a file named `name`.
fn analyze(name: &str, kind: Option<FileKind>, data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data).into_owned();
    let kind = kind.unwrap_or_else(|| classify(name, &text));
    let file = SourceFile::new(name, kind, text);
    let config = Config::default();
    let cx = ScanContext {
        config: &config,
        online: None,
    };
    let mut out = Output::default();
    for a in analyzers::all() {
        if a.accepts(file.kind) {
            a.analyze_file(&file, &cx, &mut out);
        }
    }
    out.findings.len()
}

/// A fuzz entry: bytes in, number of findings out (so the work is not optimised away).
pub type Entry = fn(&[u8]) -> usize;

/// Every fuzz entry, by target name (the smoke test iterates over this).
pub const TARGETS: &[(&str, Entry)] = &[
    ("dockerfile", dockerfile),
    ("shell", shell),
    ("secrets", secrets),
    ("dsse_envelope", dsse_envelope),
    ("docker_archive", docker_archive),
    ("compose", compose),
    ("github_workflow", github_workflow),
    ("kubernetes", kubernetes),
    ("terraform", terraform),
    ("jenkinsfile", jenkinsfile),
    ("jenkins_job", jenkins_job),
    ("fingerprint", fingerprint),
    ("config", config),
    ("classify", classify_file),
];

pub fn dockerfile(data: &[u8]) -> usize {
    analyze("Dockerfile", Some(FileKind::Dockerfile), data)
}

/// The shell parser and the command classifier.
pub fn shell(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    let script = pipeguard_shell::parse(&text);
    pipeguard_shell::classify::classify(&script).len() + script.commands.len()
}

/// The secrets engine (prefilter, windows, regexes, structural checks) on arbitrary text.
pub fn secrets(data: &[u8]) -> usize {
    analyze("config/app.env", None, data)
}

/// DSSE envelope parsing and attestation verification (untrusted input at the deploy gate).
pub fn dsse_envelope(data: &[u8]) -> usize {
    use pipeguard_attest::{dsse, verify};
    let text = String::from_utf8_lossy(data);
    let key = pipeguard_attest::anykey::PublicKey::Ed25519(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key(),
    );
    let policy = verify::Policy {
        digest: format!("sha256:{}", "0".repeat(64)),
        max_risk: Some(20),
        max_age: Some(86_400),
        require_verdict: Some("pass".into()),
        allow_incomplete: false,
        now: 0,
    };
    dsse::parse_envelopes(&text)
        .into_iter()
        .filter_map(|(_, e)| e.ok())
        .map(|e| usize::from(verify::verify(&e, &key, &policy).is_ok()) + e.signatures.len())
        .sum()
}

/// The tar reader and `docker save` digest logic.
pub fn docker_archive(data: &[u8]) -> usize {
    pipeguard_attest::digest::from_docker_archive_reader(
        std::io::Cursor::new(data),
        "fuzz.tar",
        None,
    )
    .map_or(0, |d| d.digest.len())
}

/// The compose analyzer (YAML parse, route → span lookups, every compose rule).
pub fn compose(data: &[u8]) -> usize {
    analyze("docker-compose.yml", Some(FileKind::Compose), data)
}

/// The GitHub workflow model, reachability and rules (as `.github/workflows/fuzz.yml`), and
/// the same bytes as an action, a Dependabot and a pre-commit configuration.
pub fn github_workflow(data: &[u8]) -> usize {
    analyze(
        ".github/workflows/fuzz.yml",
        Some(FileKind::GithubWorkflow),
        data,
    ) + analyze("action.yml", Some(FileKind::GithubAction), data)
        + analyze(
            ".github/dependabot.yml",
            Some(FileKind::GithubDependabot),
            data,
        )
        + analyze(
            ".pre-commit-config.yaml",
            Some(FileKind::PreCommitConfig),
            data,
        )
}

/// The multi-document YAML parser with spans and the Kubernetes rules.
pub fn kubernetes(data: &[u8]) -> usize {
    analyze("deploy.yaml", Some(FileKind::Kubernetes), data)
}

/// The HCL parser (hcl-edit), the module model and the Terraform rules (one-file module).
pub fn terraform(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data).into_owned();
    let file = std::sync::Arc::new(SourceFile::new("main.tf", FileKind::Terraform, text));
    let config = Config::default();
    let cx = ScanContext {
        config: &config,
        online: None,
    };
    let mut out = Output::default();
    crate::analyzers::terraform::analyze_module("", vec![file], &cx, &mut out);
    out.findings.len()
}

/// The Groovy tokenizer/parser, the pipeline model and the Jenkins rules.
pub fn jenkinsfile(data: &[u8]) -> usize {
    analyze("Jenkinsfile", Some(FileKind::Jenkinsfile), data)
}

/// Job config.xml: the XML tree, entity offset maps, inline scripts and shell builders.
pub fn jenkins_job(data: &[u8]) -> usize {
    analyze("jobs/fuzz/config.xml", Some(FileKind::JenkinsJob), data)
}

/// The drift normalisers behind `fingerprint` and `drift`: workflow jobs, Jenkinsfile stages
/// (Groovy tokens and normal form), job config.xml.
pub fn fingerprint(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    let n = |r: Result<Vec<crate::drift::Job>, String>| r.map_or(0, |j| j.len());
    n(crate::drift::github::jobs(".github/workflows/f.yml", &text))
        + n(crate::drift::groovy::jobs("Jenkinsfile", &text))
        + n(crate::drift::jenkins::jobs("jobs/f/config.xml", &text))
}

/// `.pipeguard.yml`: the YAML limits, the policy parser and every section check.
pub fn config(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    if crate::limits::yaml(&text).is_err() {
        return 0;
    }
    let Ok(registry) = crate::rules::Registry::builtin() else {
        return 0;
    };
    let schema = crate::analyzers::config_schema(registry);
    usize::from(Config::parse(&text, ".pipeguard.yml", &schema).is_ok())
}

/// The classifier (XML root element past declarations and DTD subsets, Kubernetes sniffing).
pub fn classify_file(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    classify("jobs/x/config.xml", &text) as usize + classify("k8s/x.yaml", &text) as usize
}
