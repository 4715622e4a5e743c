//! Dockerfile analyzer (`Dockerfile*`, `Containerfile*`, `*.dockerfile`).

pub mod fix;
pub mod heredoc;
pub mod model;
pub mod rules;
pub mod run;
pub mod tools;
pub mod vars;

use crate::analyzers::{Analyzer, Output, ScanContext};
use crate::finding::Family;
use crate::source::FileKind;
use crate::source::SourceFile;

pub struct DockerAnalyzer;

impl Analyzer for DockerAnalyzer {
    fn family(&self) -> Family {
        Family::Docker
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::ids().collect()
    }

    fn accepts(&self, kind: FileKind) -> bool {
        kind == FileKind::Dockerfile
    }

    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
        // Non-leading here-document bodies are blanked for the parser, kept for the analysis.
        let (text, bodies) = heredoc::blank(&file.text);
        let dockerfile = match parse_dockerfile::parse(&text) {
            Ok(d) => d,
            Err(e) => {
                let at = file
                    .offset_of(e.line() as u32, e.column() as u32)
                    .unwrap_or(0);
                out.parse_error(Family::Docker, file, at, e.to_string());
                return;
            }
        };
        let model = model::Model::new(file, &dockerfile, &bodies);
        rules::run(&model, cx, out);
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
