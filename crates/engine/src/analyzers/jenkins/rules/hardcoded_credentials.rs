//! `jenkins/hardcoded-credentials`: a literal secret in the pipeline: an `environment {}` entry
//! named like a secret (`PASSWORD = 's3cret'`) or a secret-named argument (`password: '…'`).
//! Job XML (`<password>`, `<secretToken>` with a plain value) is checked by `../job.rs`.

use crate::analyzers::Output;
use crate::analyzers::common::secrets::is_secret_name;
use crate::analyzers::jenkins::model::{Doc, Model, not_a_secret};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsHardcodedCredentials, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for e in &m.env {
        if !is_secret_name(&e.name) {
            continue;
        }
        let Some(value) = e.value.literal_str() else {
            continue;
        };
        if not_a_secret(&e.name, &value) {
            continue;
        }
        let span = doc.range(&e.value.span);
        out.push(
            RawFinding::new(
                ID,
                doc.file,
                doc.range(&e.name_span).start..span.end,
                format!(
                    "`{}` in `environment {{}}` holds a literal secret; use `credentials('id')`",
                    e.name
                ),
            )
            .content(format!("environment {}", e.name))
            .redact(doc.file, span),
        );
    }
    for a in &m.secret_args {
        let span = doc.range(&a.value_span);
        out.push(
            RawFinding::new(
                ID,
                doc.file,
                span.clone(),
                format!(
                    "argument `{}:` is a literal secret; bind a Jenkins credential instead",
                    a.key
                ),
            )
            .content(format!("argument {}", a.key))
            .redact(doc.file, span),
        );
    }
}

/// Plain-text secret in a job XML element (`<password>x</password>`).
pub fn xml_secret(
    file: &crate::source::SourceFile,
    element: &str,
    value_span: std::ops::Range<usize>,
    out: &mut Output,
) {
    out.push(
        RawFinding::new(
            ID,
            file,
            value_span.clone(),
            format!("`<{element}>` holds a plain-text secret; Jenkins stores secrets encrypted (`{{AQAAABAAAA…}}`) or as credentials"),
        )
        .content(format!("xml {element}"))
        .redact(file, value_span),
    );
}
