//! Kubernetes manifests: multi-document YAML whose documents have `apiVersion` and `kind`.
//! Workload kinds (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob…) are
//! checked at their pod spec; other kinds are parsed and ignored.

pub mod flags;
pub mod model;
pub mod rbac;
pub mod rules;
pub mod yaml;

use crate::analyzers::{Analyzer, Output, ScanContext};
use crate::finding::Family;
use crate::source::FileKind;
use crate::source::SourceFile;

pub struct KubernetesAnalyzer;

impl Analyzer for KubernetesAnalyzer {
    fn family(&self) -> Family {
        Family::Kubernetes
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::ids().collect()
    }

    fn accepts(&self, kind: FileKind) -> bool {
        kind == FileKind::Kubernetes
    }

    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
        let docs = match yaml::parse(&file.text) {
            Ok(d) => d,
            Err(e) => {
                out.parse_error(Family::Kubernetes, file, e.at, e.message);
                return;
            }
        };
        let model = model::Model::new(file, &docs);
        rules::run(&model, cx, out);
    }
}
