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
    let cx = ScanContext { config: &config };
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
    ("compose", compose),
    ("github_workflow", github_workflow),
    ("jenkinsfile", jenkinsfile),
    ("jenkins_job", jenkins_job),
];

pub fn dockerfile(data: &[u8]) -> usize {
    analyze("Dockerfile", Some(FileKind::Dockerfile), data)
}

/// The shell parser and the command classifier.
pub fn shell(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    let script = crate::shell::parse(&text);
    crate::shell::classify::classify(&script).len() + script.commands.len()
}

/// The compose analyzer (YAML parse, route → span lookups, every compose rule).
pub fn compose(data: &[u8]) -> usize {
    analyze("docker-compose.yml", Some(FileKind::Compose), data)
}

/// The GitHub workflow model, reachability and rules (as `.github/workflows/fuzz.yml`).
pub fn github_workflow(data: &[u8]) -> usize {
    analyze(
        ".github/workflows/fuzz.yml",
        Some(FileKind::GithubWorkflow),
        data,
    ) + analyze("action.yml", Some(FileKind::GithubAction), data)
}

/// The Groovy tokenizer/parser, the pipeline model and the Jenkins rules.
pub fn jenkinsfile(data: &[u8]) -> usize {
    analyze("Jenkinsfile", Some(FileKind::Jenkinsfile), data)
}

/// Job config.xml: the XML tree, entity offset maps, inline scripts and shell builders.
pub fn jenkins_job(data: &[u8]) -> usize {
    analyze("jobs/fuzz/config.xml", Some(FileKind::JenkinsJob), data)
}
