//! Signed attestations: in-toto Statement v1 binding a scan verdict and risk score to an image
//! digest, in a DSSE envelope signed with Ed25519 or ECDSA P-256; image digests from their usual sources; and
//! the checks a deploy gate makes. `dsse` is a general-purpose DSSE sign/verify API (also used
//! for signed lockfiles).

pub mod admission;
pub mod anykey;
pub mod auditlog;
pub mod bundle;
pub mod cosignkey;
pub mod digest;
pub mod dsse;
pub mod hash;
pub mod keys;
pub mod statement;
pub mod strict;
pub mod tar;
pub mod time;
pub mod verify;
