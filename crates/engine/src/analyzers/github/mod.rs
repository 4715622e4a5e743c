//! GitHub Actions analyzer: workflows (`.github/workflows/*.y{a,}ml`) and action metadata
//! (`action.y{a,}ml`). Parse into the loose span-keeping model, compute the per-job facts once
//! (triggers → untrusted code → executing steps → secrets, taint of expressions), run the rules
//! over them, and record every secret a job can reach as a `CiCredential`.

pub mod actions;
pub mod composite;
pub mod conditions;
pub mod expr;
pub mod facts;
pub mod fix;
pub mod locate;
pub mod model;
pub mod online;
pub mod publish;
pub mod reach;
pub mod rules;
pub mod scopes;
pub mod spans;
pub mod taint;
pub mod uses;

use std::sync::Arc;

use crate::analyzers::{Analyzer, CiCredential, Output, ScanContext};
use crate::finding::{Family, Location};
use crate::source::FileKind;
use crate::source::SourceFile;

use facts::Facts;
use model::{DocKind, Model};

pub struct GithubAnalyzer;

impl Analyzer for GithubAnalyzer {
    fn family(&self) -> Family {
        Family::Github
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::ids().collect()
    }

    fn accepts(&self, kind: FileKind) -> bool {
        matches!(
            kind,
            FileKind::GithubWorkflow
                | FileKind::GithubAction
                | FileKind::GithubDependabot
                | FileKind::PreCommitConfig
        )
    }

    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
        let kind = match file.kind {
            FileKind::GithubAction => DocKind::Action,
            FileKind::GithubDependabot => DocKind::Dependabot,
            FileKind::PreCommitConfig => DocKind::PreCommit,
            _ => DocKind::Workflow,
        };
        // An empty configuration file configures nothing: nothing to check, nothing unparsed.
        if matches!(kind, DocKind::Dependabot | DocKind::PreCommit)
            && file
                .text
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return;
        }
        let model = match Model::parse(file, kind) {
            Ok(m) => m,
            Err(e) => {
                out.parse_error(Family::Github, file, e.at, e.message);
                return;
            }
        };
        let analysis = Facts::new(&model);
        rules::run(&analysis, cx, out);
        record_credentials(&analysis, out);
    }

    fn wants_project(&self) -> bool {
        true
    }

    /// Composite actions of the repository fed attacker-controlled inputs by its workflows.
    fn analyze_project(&self, files: &[Arc<SourceFile>], cx: &ScanContext<'_>, out: &mut Output) {
        if cx.enabled(rules::script_injection::ID) {
            rules::script_injection::check_project(files, out);
        }
        if cx.enabled(rules::ref_version_mismatch::ID) {
            rules::ref_version_mismatch::check_project(files, cx, out);
        }
    }

    fn propose_fixes(
        &self,
        file: &SourceFile,
        findings: &[crate::finding::Finding],
        online: Option<&crate::online::OnlineFacts>,
    ) -> Vec<crate::edit::Proposal> {
        fix::propose(file, findings, online)
    }
}

/// The `github:` section of the config: its `forbidden_uses` patterns parse, the Dependabot
/// cooldown minimum is at least a day.
pub struct GithubSection;

impl crate::policy::config::SectionCheck for GithubSection {
    fn section(&self) -> &'static str {
        "github"
    }

    fn check(&self, config: &crate::policy::config::Config) -> anyhow::Result<()> {
        let g = &config.github;
        if let Some(f) = &g.forbidden_uses {
            let Some((allow, pats)) = f.mode() else {
                anyhow::bail!("`github.forbidden_uses` takes exactly one of `allow:` or `deny:`");
            };
            let key = if allow { "allow" } else { "deny" };
            for p in pats {
                if let Err(e) = rules::forbidden_uses::Pattern::parse(p) {
                    anyhow::bail!("invalid pattern `{p}` in `github.forbidden_uses.{key}`: {e}");
                }
            }
        }
        if g.dependabot_cooldown_days == Some(0) {
            anyhow::bail!("`github.dependabot_cooldown_days` must be at least 1");
        }
        Ok(())
    }
}

/// Every `secrets.X` each job references, with the triggers that start the job and whether
/// untrusted code runs in it; the report joins them across files.
fn record_credentials(a: &Facts<'_, '_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let mut seen: Vec<&str> = Vec::new();
        for s in &r.secrets {
            if seen.contains(&s.name.as_str()) {
                continue;
            }
            seen.push(&s.name);
            out.credentials.push(CiCredential {
                system: "github".into(),
                name: s.name.clone(),
                path: m.file.path.clone(),
                job: job.id.clone(),
                triggers: r.triggers.clone(),
                untrusted: r.runs_untrusted(),
                location: Location::new(&m.file.path, m.file.span(s.bytes.clone())),
            });
        }
    }
}
