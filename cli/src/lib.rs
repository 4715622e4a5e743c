//! pipeguard: build-integrity and pipeline-hardening scanner for CI.
//!
//! Data flows one way: [`discover`] → [`analyzers`] (parse into typed models, run rules) →
//! [`policy`] (config, suppressions, baseline, verdict) → [`report`].

pub mod analyzers;
pub mod commands;
pub mod discover;
pub mod drift;
pub mod engine;
pub mod finding;
pub mod fuzz;
pub mod git;
pub mod gitscan;
pub mod policy;
pub mod predicate;
pub mod report;
pub mod rules;
pub mod source;
