//! GitHub side of pipeguard: the runner's event context, a small GitHub REST client (octocrab
//! over rustls) with rate-limit handling, and the untrusted-build gate's decision logic.

pub mod client;
pub mod event;
pub mod gate;
pub mod online;
pub mod time;

pub use client::{ApiError, Client};
pub use event::Context;
pub use gate::{
    Decision, GateError, JenkinsChange, Policy, Verdict, evaluate_github, evaluate_jenkins,
};
