//! `github/dependabot-cooldown`: a Dependabot update entry that proposes a release as soon as
//! it is published (no `cooldown:`, no `default-days`, or fewer days than the configured
//! minimum, 7 by default). Compromised releases are usually found and pulled within days; a
//! cooldown keeps them out of the update PRs in the meantime.

use serde_yaml::Value;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, Seg, scalar};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubDependabotCooldown, check);

const DEFAULT_DAYS: u32 = 7;

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if m.kind != DocKind::Dependabot {
        return;
    }
    let min = cx
        .config
        .github
        .dependabot_cooldown_days
        .unwrap_or(DEFAULT_DAYS);
    let Some(updates) = m.value_at(&[Seg::Key("updates".into())]).and_then(Value::as_sequence) else {
        return;
    };
    let groups = m.value_at(&[Seg::Key("multi-ecosystem-groups".into())]);
    for (i, u) in updates.iter().enumerate() {
        let eco = u.get("package-ecosystem").and_then(scalar).unwrap_or_default();
        let item = vec![Seg::Key("updates".into()), Seg::Index(i)];
        // The entry's own cooldown, else its multi-ecosystem group's.
        let (cooldown, route) = match u.get("cooldown") {
            Some(c) => {
                let mut r = item.clone();
                r.push(Seg::Key("cooldown".into()));
                (Some(c), r)
            }
            None => {
                let group = u.get("multi-ecosystem-group").and_then(scalar);
                let group_cool = group
                    .as_deref()
                    .and_then(|g| groups?.get(g)?.get("cooldown"));
                (group_cool, item.clone())
            }
        };
        let (at, msg) = match cooldown {
            None => (
                m.key_bytes(&item),
                format!(
                    "Dependabot updates of `{eco}` have no `cooldown:`: a release is proposed the day it is published, before a compromised one is usually found and pulled; add `cooldown: {{default-days: {min}}}`"
                ),
            ),
            Some(cool) => match cool.get("default-days") {
                None => (
                    m.key_bytes(&route),
                    format!(
                        "Dependabot updates of `{eco}` have a `cooldown:` without `default-days`: releases the other keys do not cover are proposed the day they are published; set `default-days: {min}` or more"
                    ),
                ),
                Some(days_v) => {
                    let days = scalar(days_v).and_then(|s| s.trim().parse::<u32>().ok());
                    if days.is_some_and(|n| n >= min) {
                        continue;
                    }
                    let mut r = route.clone();
                    if route.len() > item.len() {
                        r.push(Seg::Key("default-days".into()));
                    }
                    let shown = scalar(days_v).unwrap_or_default();
                    (
                        m.key_bytes(&r),
                        format!(
                            "Dependabot updates of `{eco}` wait {shown} day(s) after a release (`default-days: {shown}`), fewer than {min}: a compromised release can be proposed before it is found and pulled"
                        ),
                    )
                }
            },
        };
        out.push(RawFinding::new(ID, m.file, at, msg).content(format!("{eco} cooldown")));
    }
}
