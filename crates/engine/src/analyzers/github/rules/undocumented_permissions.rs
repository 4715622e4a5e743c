//! `github/undocumented-permissions` (pedantic): scopes of an explicit `permissions:` mapping
//! without a comment on their line saying what needs them. `contents: read` and `none` grant
//! nothing worth explaining.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Perms, PermsAt, Seg, route_with};
use crate::analyzers::github::uses::trailing_comment;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::GithubUndocumentedPermissions,
    check,
    persona = Pedantic
);

fn check_block(a: &Facts<'_, '_>, p: &PermsAt, whose: &str, out: &mut Output) {
    let m = a.m;
    let Perms::Scopes(scopes) = &p.perms else {
        return;
    };
    let mut missing = Vec::new();
    for (scope, level) in scopes {
        if level == "none" || (scope == "contents" && level == "read") {
            continue;
        }
        let route = route_with(&p.route, Seg::Key(scope.clone()));
        let value = m.value_bytes(&route);
        if trailing_comment(m, &value).is_some_and(|c| !c.is_empty()) {
            continue;
        }
        let key = m.key_bytes(&route);
        missing.push((format!("{scope}: {level}"), key.start.min(value.start)..value.end));
    }
    let Some((_, first)) = missing.first() else {
        return;
    };
    let names: Vec<&str> = missing.iter().map(|(n, _)| n.as_str()).collect();
    out.push(
        RawFinding::new(
            ID,
            m.file,
            first.clone(),
            format!(
                "{whose} grants {} without a comment saying which step needs it",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .content(format!("undocumented permissions {whose} {}", names.join(" "))),
    );
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if let Some(p) = &m.permissions {
        check_block(a, p, "the workflow", out);
    }
    for job in &m.jobs {
        if let Some(p) = &job.permissions {
            check_block(a, p, &format!("job `{}`", job.id), out);
        }
    }
}
