//! `github/dependabot-execution`: a Dependabot update entry with
//! `insecure-external-code-execution: allow`, which lets the package manager run code from the
//! manifests and the dependencies it resolves (setup scripts, plugins) while Dependabot holds
//! the registry credentials of the configuration.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, Seg, scalar};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubDependabotExecution, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if m.kind != DocKind::Dependabot {
        return;
    }
    let Some(updates) = m.value_at(&[Seg::Key("updates".into())]).and_then(|v| v.as_sequence()) else {
        return;
    };
    for (i, u) in updates.iter().enumerate() {
        let Some(v) = u.get("insecure-external-code-execution").and_then(scalar) else { continue };
        if !v.trim().eq_ignore_ascii_case("allow") {
            continue;
        }
        let eco = u.get("package-ecosystem").and_then(scalar).unwrap_or_default();
        let route = vec![
            Seg::Key("updates".into()),
            Seg::Index(i),
            Seg::Key("insecure-external-code-execution".into()),
        ];
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.key_bytes(&route),
                format!(
                    "Dependabot updates of `{eco}` allow external code execution: the package manager may run code from the resolved dependencies while the configuration's registry credentials are in reach; remove the key (the default is `deny`)"
                ),
            )
            .content(format!("{eco} insecure-external-code-execution allow")),
        );
    }
}
