//! docker-compose / Compose Specification analyzer (`docker-compose*.y*ml`, `compose*.y*ml`):
//! v1 (services at the top level), v2/v3 and the Compose Spec (`services:`).

pub mod model;
pub mod rules;

use crate::analyzers::{Analyzer, Output, ScanContext};
use crate::finding::Family;
use crate::source::FileKind;
use crate::source::SourceFile;

pub struct ComposeAnalyzer;

impl Analyzer for ComposeAnalyzer {
    fn family(&self) -> Family {
        Family::Compose
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::ids().collect()
    }

    fn accepts(&self, kind: FileKind) -> bool {
        kind == FileKind::Compose
    }

    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
        match model::Model::parse(file) {
            Ok(m) => rules::run(&m, cx, out),
            Err((at, message)) => out.parse_error(Family::Compose, file, at, message),
        }
    }
}
