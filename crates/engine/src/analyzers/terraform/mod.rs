//! Terraform (`*.tf`, HCL via hcl-edit with spans). The files of one directory form a module:
//! references between resources (a bucket and its `aws_s3_bucket_acl`, its public access
//! block…) are resolved across files, so everything runs in the project pass.

pub mod declarative;
pub mod model;
pub mod policy;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analyzers::{Analyzer, Output, ScanContext};
use crate::finding::Family;
use crate::source::FileKind;
use crate::source::SourceFile;

pub struct TerraformAnalyzer;

/// Parse the files of one module directory and run every rule over them.
pub fn analyze_module(
    dir: &str,
    files: Vec<Arc<SourceFile>>,
    cx: &ScanContext<'_>,
    out: &mut Output,
) {
    let (module, errors) = model::build(dir, files);
    for (i, at, message) in errors {
        out.parse_error(Family::Terraform, &module.files[i], at, message);
    }
    rules::run(&module, cx, out);
}

impl Analyzer for TerraformAnalyzer {
    fn family(&self) -> Family {
        Family::Terraform
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::ids().collect()
    }

    fn accepts(&self, kind: FileKind) -> bool {
        kind == FileKind::Terraform
    }

    fn analyze_file(&self, _file: &SourceFile, _cx: &ScanContext<'_>, _out: &mut Output) {
        // Everything happens per module in `analyze_project`.
    }

    fn wants_project(&self) -> bool {
        true
    }

    fn analyze_project(&self, files: &[Arc<SourceFile>], cx: &ScanContext<'_>, out: &mut Output) {
        let mut modules: BTreeMap<String, Vec<Arc<SourceFile>>> = BTreeMap::new();
        for f in files {
            let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            modules.entry(dir).or_default().push(Arc::clone(f));
        }
        let outputs: Vec<Output> = modules
            .into_par_iter()
            .map(|(dir, files)| {
                let mut o = Output::default();
                analyze_module(&dir, files, cx, &mut o);
                o
            })
            .collect();
        for o in outputs {
            out.extend(o);
        }
    }
}
