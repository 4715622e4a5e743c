//! `github/spoofable-actor-check`: `github.actor == 'dependabot[bot]'` style conditions on
//! privileged triggers. `github.actor` is whoever caused the *latest* event, not the author of
//! the code: a bot's action on an attacker's PR (a rebase, a comment) satisfies the check.
//! Compare the PR author (`github.event.pull_request.user.login`) instead.

use std::ops::Range;

use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSpoofableActorCheck, check);

const ACTORS: &[&str] = &[
    "github.actor",
    "github.triggering_actor",
    "github.event.sender.login",
];

/// The bot name an actor is compared with, if any.
fn bot_check(cond: &str, bots: &[String]) -> Option<(usize, String)> {
    let lower = cond.to_ascii_lowercase();
    for actor in ACTORS {
        let mut from = 0;
        while let Some(i) = lower[from..].find(actor) {
            let at = from + i;
            from = at + actor.len();
            // The literal nearest to the actor on the same comparison.
            let window_start = lower[..at].rfind(['&', '|', '(']).map_or(0, |x| x + 1);
            let window_end = lower[from..]
                .find(['&', '|', ')'])
                .map_or(lower.len(), |x| from + x);
            let window = &lower[window_start..window_end];
            let lits: Vec<&str> = window.split('\'').skip(1).step_by(2).collect();
            for lit in lits {
                if lit.ends_with("[bot]") || bots.iter().any(|b| b.eq_ignore_ascii_case(lit)) {
                    return Some((at, lit.to_string()));
                }
            }
            // contains(github.actor, '[bot]') / endsWith(github.actor, '[bot]')
            let call_start = lower[..at]
                .rfind("contains(")
                .into_iter()
                .chain(lower[..at].rfind("endswith("))
                .max();
            if let Some(cs) = call_start
                && lower[cs..at].find(')').is_none()
                && lower[from..].trim_start().starts_with(',')
                && lower[from..].contains("[bot]")
            {
                return Some((at, "[bot]".into()));
            }
        }
    }
    None
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let bots = &cx.config.github.trusted_bots;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let Some(t) = r.privileged.first() else {
            continue;
        };
        let mut conds: Vec<(String, Range<usize>)> = Vec::new();
        if let Some(c) = &job.if_cond {
            conds.push((
                c.clone(),
                m.value_bytes(&route_with(&job.route, Seg::Key("if".into()))),
            ));
        }
        for s in &job.steps {
            if let Some(c) = &s.if_cond {
                conds.push((
                    c.clone(),
                    m.value_bytes(&route_with(&s.route, Seg::Key("if".into()))),
                ));
            }
        }
        for (cond, bytes) in conds {
            let Some((_, bot)) = bot_check(&cond, bots) else {
                continue;
            };
            // Point at the actor in the source when it is there.
            let src = m.text(&bytes).to_ascii_lowercase();
            let at = ACTORS
                .iter()
                .find_map(|act| {
                    src.find(act)
                        .map(|i| bytes.start + i..bytes.start + i + act.len())
                })
                .unwrap_or(bytes);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!(
                        "job `{}` ({t}) trusts the event because its actor is `{bot}`: the actor is whoever triggered the latest event, which a bot does on attackers' PRs too; check `github.event.pull_request.user.login` instead",
                        job.id
                    ),
                )
                .related(m.file, a.trigger_bytes(t), format!("privileged trigger `{t}`"))
                .content(format!("{} {}", job.id, cond)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bot_check;

    #[test]
    fn recognises_bot_checks() {
        assert!(bot_check("github.actor == 'dependabot[bot]'", &[]).is_some());
        assert!(bot_check("${{ 'renovate[bot]' == github.triggering_actor }}", &[]).is_some());
        assert!(bot_check("contains(github.actor, '[bot]')", &[]).is_some());
        assert!(bot_check("github.actor == 'my-bot'", &["my-bot".into()]).is_some());
        assert!(
            bot_check(
                "github.event.pull_request.user.login == 'dependabot[bot]'",
                &[]
            )
            .is_none()
        );
        assert!(bot_check("github.actor == 'octocat'", &[]).is_none());
    }
}
