//! pipeguard's test suite: end-to-end tests that run the built binary over fixture repositories,
//! rule fixtures with snapshots, and robustness tests. One binary, many modules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action;
mod architecture;
mod attest;
mod catalogue;
mod ci;
mod common;
mod drift;
mod e2e_scan;
mod fix;
mod fix_registry;
mod fuzz_smoke;
mod gate;
mod hostile;
mod jenkins;
mod k8stf;
mod no_leak;
mod online;
mod policy;
mod precommit;
mod registry;
mod release;
mod release_host;
mod reports;
mod robustness;
mod rule_fixtures;
mod secrets;
mod trusted;
mod validate;
