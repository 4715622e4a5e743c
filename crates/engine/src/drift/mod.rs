//! Job fingerprints and drift. Every build job (a GitHub workflow job, a Jenkinsfile stage, a
//! Jenkins job's config.xml) gets a canonical form of its *meaning* — formatting, comments and
//! key order gone — a SHA-256 fingerprint of that form, and a security profile. `fingerprint`
//! writes them to a lockfile; `drift` compares now against the lock or a git ref.

pub mod canon;
pub mod classify;
pub mod github;
pub mod groovy;
pub mod jenkins;
pub mod lock;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::finding::sha256_hex;
use crate::source::FileKind;

/// What a job definition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// A job of a GitHub Actions workflow.
    GithubJob,
    /// A top-level stage of a Jenkinsfile.
    JenkinsStage,
    /// What a Jenkinsfile has outside its stages (agent, environment, triggers, options, post).
    JenkinsPipeline,
    /// A Jenkins job definition (config.xml).
    JenkinsJob,
}

/// The security-relevant facts of a job, kept in the lockfile so drift can classify a change
/// even without the old source text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Events / triggers that start the job (`push`, `pull_request_target`, `TimerTrigger`…).
    pub triggers: BTreeSet<String>,
    /// GitHub token permissions in effect: scope → `none` | `read` | `write`. Empty for Jenkins.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub permissions: BTreeMap<String, String>,
    /// Runner labels / Jenkins agent labels.
    pub runners: BTreeSet<String>,
    /// Secrets (GitHub) or credential ids (Jenkins) the job references.
    pub secrets: BTreeSet<String>,
    /// Actions and reusable workflows with their refs (`actions/checkout@v4`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub actions: BTreeSet<String>,
    pub scans_images: bool,
    pub pushes_images: bool,
    pub deploys: bool,
    /// Jenkins: some inline Groovy of the job runs outside the script-security sandbox.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unsandboxed: bool,
    /// Jenkins: `input` approval steps in the job.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approvals: u32,
    /// The analyzers' findings inside the job, as `rule-id hash` (the hash of the rule and the
    /// finding's normalised content, never the content): a finding new in a job is drift of its
    /// kind (`classify::from_finding`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub findings: BTreeSet<String>,
    /// GitHub: guards in the job's `if:` that keep outsiders out (`fork-check`, `an actor
    /// check`…), from the analyzer's reachability (`analyzers::github::reach`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub guards: BTreeSet<String>,
    /// GitHub: secrets handed to third-party code or the network, as `SECRET → receiver` (a
    /// third-party action, `curl`…): a new pair is `secret-exposed`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub exposures: BTreeSet<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Byte ranges in the job's source where drift findings point (only for jobs read from files).
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    /// The job's key / stage header / root element.
    pub job: Range<usize>,
    pub triggers: Option<Range<usize>>,
    pub permissions: Option<Range<usize>>,
    pub runner: Option<Range<usize>>,
    /// First reference of each secret / credential.
    pub secrets: BTreeMap<String, Range<usize>>,
    pub push: Option<Range<usize>>,
    pub deploy: Option<Range<usize>>,
    /// The `<sandbox>false</sandbox>` element.
    pub sandbox: Option<Range<usize>>,
    /// The whole job (GitHub job body, Jenkins stage), to attribute analyzer findings; `None`:
    /// the findings of the file outside every other job (the `(pipeline)` job, a config.xml).
    pub body: Option<Range<usize>>,
    /// The step of each `Profile::exposures` entry.
    pub exposures: BTreeMap<String, Range<usize>>,
    /// The analyzer findings in the job by their `Profile::findings` key.
    pub findings: BTreeMap<String, FindingAnchor>,
}

/// Where an analyzer finding of a job is, and what it said.
#[derive(Clone, Debug)]
pub struct FindingAnchor {
    pub rule: String,
    pub range: Range<usize>,
    pub message: String,
}

/// One build job with its canonical form, fingerprint and profile.
#[derive(Clone, Debug)]
pub struct Job {
    /// Path of the defining file, relative to the root, `/`-separated.
    pub source: String,
    /// The job's id inside its source (workflow job id, stage name, Jenkins job full name).
    pub id: String,
    pub kind: JobKind,
    pub canonical: String,
    pub profile: Profile,
    pub anchors: Anchors,
}

impl Job {
    /// `sha256:<hex>` of the canonical bytes.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.canonical)
    }

    /// `source#id`, the key jobs are matched by.
    pub fn key(&self) -> String {
        format!("{}#{}", self.source, self.id)
    }
}

pub fn fingerprint_of(canonical: &str) -> String {
    format!("sha256:{}", sha256_hex(canonical.as_bytes()))
}

/// Whether files of this kind define build jobs.
pub fn defines_jobs(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::GithubWorkflow | FileKind::Jenkinsfile | FileKind::JenkinsJob
    )
}

/// The jobs a file defines. An error names what is wrong with the file (not the path).
pub fn extract(path: &str, kind: FileKind, text: &str) -> Result<Vec<Job>, String> {
    match kind {
        FileKind::GithubWorkflow => github::jobs(path, text),
        FileKind::Jenkinsfile => groovy::jobs(path, text),
        FileKind::JenkinsJob => jenkins::jobs(path, text),
        _ => Ok(Vec::new()),
    }
}
