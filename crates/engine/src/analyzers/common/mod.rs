//! What several analyzer families share: image references, variable interpolation, the
//! secret-name and secret-value heuristics, and the container checks of compose and
//! Kubernetes. No family imports another; they import this.

pub mod container;
pub mod image;
pub mod interpolate;
pub mod secrets;
