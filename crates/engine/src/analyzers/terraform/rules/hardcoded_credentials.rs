//! `terraform/hardcoded-credentials`: a credential written as a literal string — provider
//! `access_key`/`secret_key`/`token`/`password`…, resource arguments such as
//! `master_password`, or a credential-named variable's `default`. Values are redacted.

use super::finding;
use crate::analyzers::common::secrets::{is_placeholder, is_secret_name};
use crate::analyzers::terraform::model::{Attr, Block, Module, V};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformHardcodedCredentials, check);

fn report(m: &Module, b: &Block, a: &Attr, out: &mut Output, context: &str) {
    let V::Str(value) = &a.value.v else { return };
    // A literal reached through `var.x` has the reference's span: the secret is in the default.
    let literal_here = m
        .file(b)
        .text
        .get(a.value.span.clone())
        .is_some_and(|t| t.starts_with('"') || t.starts_with('<'));
    if !literal_here || is_placeholder(value) {
        return;
    }
    let inner = a.value.span.start + 1
        ..a.value
            .span
            .end
            .saturating_sub(1)
            .max(a.value.span.start + 1);
    out.push(
        finding(
            m,
            b,
            ID,
            a.span(),
            format!("{context} sets `{}` to a literal credential", a.key),
            &a.key,
        )
        .redact(m.file(b), inner),
    );
}

fn walk(m: &Module, root: &Block, b: &Block, out: &mut Output, context: &str) {
    for a in &b.attrs {
        if is_secret_name(&a.key) {
            report(m, root, a, out, context);
        }
    }
    for inner in &b.blocks {
        walk(m, root, inner, out, context);
    }
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for b in &m.blocks {
        match b.ident.as_str() {
            "provider" | "resource" | "data" => {
                let context = format!("{} `{}`", b.ident, b.labels.join("."));
                walk(m, b, b, out, &context);
            }
            "variable" if b.labels.first().is_some_and(|n| is_secret_name(n)) => {
                if let Some(a) = b.attr("default") {
                    report(m, b, a, out, &format!("variable `{}`", b.labels[0]));
                }
            }
            _ => {}
        }
    }
}
