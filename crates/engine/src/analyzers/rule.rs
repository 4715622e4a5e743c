//! What a rule is: its id (from the catalogue), how broad it is (the lowest persona that
//! reports it), how sure its findings are, and its check over the family's model. Each rule
//! file declares itself with [`declare_rule!`]; each family lists its rule modules once with
//! [`declare_rules!`], which generates the modules and the family's rule list.

use crate::rules::RuleId;

pub use crate::finding::{Confidence, Persona};

/// A rule of a family whose checks have the signature `C`.
pub struct Rule<C> {
    pub id: RuleId,
    /// The lowest persona that reports the rule.
    pub persona: Persona,
    pub confidence: Confidence,
    pub check: C,
}

/// In a rule file: `declare_rule!(RuleId::DockerSudo, check);` (persona regular, confidence
/// high), optionally followed by `persona = Pedantic`, `confidence = Low` and `kind = JobCheck`
/// (the family's check type when it has more than one; default `Check`). Defines `ID` and `RULE`.
macro_rules! declare_rule {
    ($id:expr, $check:ident $(, persona = $persona:ident)? $(, confidence = $confidence:ident)? $(, kind = $kind:ident)? $(,)?) => {
        pub const ID: $crate::rules::RuleId = $id;
        pub const RULE: $crate::analyzers::rule::Rule<$crate::analyzers::rule::declare_rule!(@kind $($kind)?)> =
            $crate::analyzers::rule::Rule {
                id: ID,
                persona: $crate::analyzers::rule::declare_rule!(@persona $($persona)?),
                confidence: $crate::analyzers::rule::declare_rule!(@confidence $($confidence)?),
                check: $check,
            };
    };
    (@persona) => { $crate::analyzers::rule::Persona::Regular };
    (@persona $p:ident) => { $crate::analyzers::rule::Persona::$p };
    (@confidence) => { $crate::analyzers::rule::Confidence::High };
    (@confidence $c:ident) => { $crate::analyzers::rule::Confidence::$c };
    (@kind) => { super::Check };
    (@kind $k:ident) => { super::$k };
}
pub(crate) use declare_rule;

/// In a family's `rules/mod.rs`: `declare_rules! { RULES: Check = [root_user, unpinned_base]; }`
/// declares the rule modules and each list of rules with that check type, in the order they
/// run (the order findings are produced).
macro_rules! declare_rules {
    ($($list:ident : $check:ident = [$($module:ident),+ $(,)?];)+) => {
        $($(pub mod $module;)+)+
        $(
            /// Rules of the family with this check type, in the order they run.
            pub const $list: &[$crate::analyzers::rule::Rule<$check>] = &[$($module::RULE),+];
        )+
    };
}
pub(crate) use declare_rules;

/// Ids of a family's rules, its `parse-error` first.
pub fn ids<C>(parse_error: RuleId, rules: &[Rule<C>]) -> impl Iterator<Item = &'static str> {
    std::iter::once(parse_error.as_str()).chain(rules.iter().map(|r| r.id.as_str()))
}
