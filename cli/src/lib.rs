//! pipeguard's command line: argument parsing and dispatch to the engine
//! ([`pipeguard_engine`]), the gate (`pipeguard_github`) and the Jenkins client
//! (`pipeguard_jenkins`).

pub mod commands;
