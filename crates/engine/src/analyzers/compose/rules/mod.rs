//! Compose rules, one per file. Each exposes `ID` and `check(model, cx, out)`.

mod cap_add;
mod docker_socket;
mod host_namespace;
mod privileged;
mod secret_in_env;
mod sensitive_host_mount;
mod unpinned_image;

use super::model::Model;
use crate::analyzers::{Output, ScanContext};

type Check = fn(&Model<'_>, &ScanContext<'_>, &mut Output);

const RULES: &[(&str, Check)] = &[
    (privileged::ID, privileged::check),
    (host_namespace::ID, host_namespace::check),
    (docker_socket::ID, docker_socket::check),
    (sensitive_host_mount::ID, sensitive_host_mount::check),
    (cap_add::ID, cap_add::check),
    (secret_in_env::ID, secret_in_env::check),
    (unpinned_image::ID, unpinned_image::check),
];

pub const IDS: &[&str] = &[
    "compose/parse-error",
    privileged::ID,
    host_namespace::ID,
    docker_socket::ID,
    sensitive_host_mount::ID,
    cap_add::ID,
    secret_in_env::ID,
    unpinned_image::ID,
];

pub fn run(model: &Model<'_>, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in RULES {
        if cx.enabled(id) {
            check(model, cx, out);
        }
    }
}
