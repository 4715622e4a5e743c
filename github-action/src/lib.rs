//! GitHub event context and API client for the untrusted-build gate.
