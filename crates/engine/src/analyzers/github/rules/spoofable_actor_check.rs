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

/// Account ids of the common bots (`github.actor_id` checks), as data next to the names.
const BOT_IDS: &[(&str, &str)] = &[
    ("49699333", "dependabot[bot]"),
    ("29139614", "renovate[bot]"),
    ("41898282", "github-actions[bot]"),
    ("27856297", "dependabot-preview[bot]"),
];

/// Lower-cased, with index access on `github` written as properties: `github['ACTOR']` →
/// `github.actor`.
fn normalise(cond: &str) -> String {
    let mut s = cond.to_ascii_lowercase();
    for q in ['\'', '"'] {
        loop {
            let pat = format!("github[{q}");
            let Some(i) = s.find(&pat) else { break };
            let rest = &s[i + pat.len()..];
            let Some(j) = rest.find(&format!("{q}]")) else { break };
            let name = rest[..j].to_string();
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
            s = format!("{}github.{name}{}", &s[..i], &rest[j + 2..]);
        }
    }
    s
}

/// The bot name an actor is compared with, if any.
fn bot_check(cond: &str, bots: &[String]) -> Option<(usize, String)> {
    let lower = normalise(cond);
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
            // `github.actor_id == 49699333` (a number or a numeric string).
            if lower[at..].starts_with("github.actor_id")
                || lower[at..].starts_with("github.triggering_actor_id")
            {
                for (id, name) in BOT_IDS {
                    if window
                        .split(|c: char| !c.is_ascii_digit())
                        .any(|w| w == *id)
                    {
                        return Some((at, (*name).to_string()));
                    }
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
        assert!(bot_check("github['ACTOR'] == 'dependabot[bot]'", &[]).is_some());
        assert!(bot_check("github.actor_id == 49699333", &[]).is_some());
        assert!(bot_check("github['ACTOR_ID'] == '49699333'", &[]).is_some());
        assert!(bot_check("github.actor_id == 12345", &[]).is_none());
    }
}
