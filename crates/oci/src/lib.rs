//! pipeguard's OCI distribution client (distribution-spec v1.1) and the attestation layouts
//! cosign reads.
//!
//! Every registry answer is hostile input: bodies are read with a size bound, JSON is strict
//! (duplicate keys refused), content is checked against its digest, redirects and upload
//! locations may not leave HTTPS (or the registry) and no credential ever appears in an error or
//! in any output. Plain HTTP only for registries the user marks insecure.

pub mod attach;
pub mod audit;
pub mod auth;
pub mod client;
pub mod manifest;
pub mod reference;

pub use client::{Client, ClientOptions};
pub use reference::Reference;
