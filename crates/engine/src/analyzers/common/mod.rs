//! What several analyzer families share: image references, variable interpolation, the
//! secret-name and secret-value heuristics. No family imports another; they import this.

pub mod image;
pub mod interpolate;
pub mod secrets;
