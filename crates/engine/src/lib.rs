//! pipeguard's engine: build-integrity and pipeline-hardening analysis for CI.
//!
//! Data flows one way: [`discover`] → [`analyzers`] (parse into typed models, run rules) →
//! [`policy`] (config, suppressions, baseline, verdict) → [`report`]. [`engine`] runs that
//! pipeline for every entry point (tree, staged, history, drift); the binary crate `pipeguard`
//! only parses arguments, calls it and writes the outputs.

pub mod analyzers;
pub mod discover;
pub mod drift;
pub mod edit;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod fuzz;
pub mod git;
pub mod gitscan;
pub mod ignores;
pub mod limits;
pub mod online;
pub mod policy;
pub mod predicate;
pub mod redact;
pub mod registry;
pub mod report;
pub mod rules;
pub mod source;
pub mod trust;
pub mod validate;
