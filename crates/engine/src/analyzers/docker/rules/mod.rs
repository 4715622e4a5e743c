//! Docker rules, one per file. Each exposes `ID` and `check(model, cx, out)`.

mod add_remote;
mod apk_cache;
mod apk_unpinned;
mod apt_lists_not_cleaned;
mod apt_no_recommends;
mod apt_unpinned;
mod base_not_digest;
mod cd_in_run;
mod copy_sensitive;
mod curl_pipe_shell;
mod exec_form;
mod expose_ssh;
mod latest_in_from_stage;
mod multiple_cmd;
mod no_healthcheck;
mod pip_no_cache;
mod root_user;
pub mod secret_in_build;
mod sudo;
mod unpinned_base;
pub mod untrusted_registry;
pub mod verification_disabled;
mod workdir_relative;
mod world_writable;

use super::model::Model;
use crate::analyzers::{Output, ScanContext};

type Check = fn(&Model<'_, '_>, &ScanContext<'_>, &mut Output);

const RULES: &[(&str, Check)] = &[
    (root_user::ID, root_user::check),
    (unpinned_base::ID, unpinned_base::check),
    (base_not_digest::ID, base_not_digest::check),
    (untrusted_registry::ID, untrusted_registry::check),
    (add_remote::ID, add_remote::check),
    (curl_pipe_shell::ID, curl_pipe_shell::check),
    (secret_in_build::ID, secret_in_build::check),
    (copy_sensitive::ID, copy_sensitive::check),
    (apt_unpinned::ID, apt_unpinned::check),
    (apt_no_recommends::ID, apt_no_recommends::check),
    (apt_lists_not_cleaned::ID, apt_lists_not_cleaned::check),
    (apk_unpinned::ID, apk_unpinned::check),
    (apk_cache::ID, apk_cache::check),
    (sudo::ID, sudo::check),
    (world_writable::ID, world_writable::check),
    (workdir_relative::ID, workdir_relative::check),
    (cd_in_run::ID, cd_in_run::check),
    (expose_ssh::ID, expose_ssh::check),
    (exec_form::ID, exec_form::check),
    (no_healthcheck::ID, no_healthcheck::check),
    (multiple_cmd::ID, multiple_cmd::check),
    (pip_no_cache::ID, pip_no_cache::check),
    (latest_in_from_stage::ID, latest_in_from_stage::check),
    (verification_disabled::ID, verification_disabled::check),
];

pub const IDS: &[&str] = &[
    "docker/parse-error",
    root_user::ID,
    unpinned_base::ID,
    base_not_digest::ID,
    untrusted_registry::ID,
    add_remote::ID,
    curl_pipe_shell::ID,
    secret_in_build::ID,
    copy_sensitive::ID,
    apt_unpinned::ID,
    apt_no_recommends::ID,
    apt_lists_not_cleaned::ID,
    apk_unpinned::ID,
    apk_cache::ID,
    sudo::ID,
    world_writable::ID,
    workdir_relative::ID,
    cd_in_run::ID,
    expose_ssh::ID,
    exec_form::ID,
    no_healthcheck::ID,
    multiple_cmd::ID,
    pip_no_cache::ID,
    latest_in_from_stage::ID,
    verification_disabled::ID,
];

pub fn run(model: &Model<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in RULES {
        if cx.enabled(id) {
            check(model, cx, out);
        }
    }
}
