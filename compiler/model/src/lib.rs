//! The domain model: the evaluated workspace read into typed Rust structures (stacks,
//! namespaces, services, volumes, ingresses, secrets), with the structural checks that need the
//! whole workspace (State tier, stack references, namespaces).
//!
//! This is the only crate that knows the names of the stdlib schemas and their fields.
//! Every object keeps the span of its declaration so that later stages can point at it.
//!
//! Invariant: reading never fails. A value that evaluation already reported as an error is
//! treated as absent, so one mistake is reported once.

mod read;
mod types;

pub use read::{build, parse_bytes, parse_cpu_milli};
pub use types::*;
