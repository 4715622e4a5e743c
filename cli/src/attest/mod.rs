//! Signed attestations: an in-toto Statement v1 binding the scan verdict and risk score to an
//! image digest, in a DSSE envelope signed with Ed25519; and its verification at the deploy gate.
//! `dsse` is a general-purpose DSSE sign/verify API (also for signed lockfiles).

pub mod digest;
pub mod dsse;
pub mod keys;
pub mod predicate;
pub mod statement;
pub mod tar;
pub mod time;
pub mod verify;
