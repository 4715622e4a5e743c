//! Docker rules, one per file. Each exposes `ID` and `check(model, cx, out)`.

mod base_not_digest;
mod root_user;
mod unpinned_base;

use super::model::Model;
use crate::analyzers::{Output, ScanContext};

type Check = fn(&Model<'_, '_>, &ScanContext<'_>, &mut Output);

const RULES: &[(&str, Check)] = &[
    (root_user::ID, root_user::check),
    (unpinned_base::ID, unpinned_base::check),
    (base_not_digest::ID, base_not_digest::check),
];

pub const IDS: &[&str] = &[
    "docker/parse-error",
    root_user::ID,
    unpinned_base::ID,
    base_not_digest::ID,
];

pub fn run(model: &Model<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in RULES {
        if cx.enabled(id) {
            check(model, cx, out);
        }
    }
}
