//! The domain model: the evaluated workspace read into typed Rust structures (stacks,
//! namespaces, services, volumes, ingresses, secrets), with the structural checks that need the
//! whole workspace (State tier, stack references, namespaces).
//!
//! This is the only crate that knows the names of the stdlib schemas and their fields.
//! Every object keeps the span of its declaration so that later stages can point at it.
//!
//! Invariant: reading never fails. A value that evaluation already reported as an error is
//! treated as absent, so one mistake is reported once.
//!
//! Defaults that the standard library declares are already applied when the model is read;
//! an `Option` that is `None` means the program left the field unset and it has no default.
//! Lists keep declaration order. Spans point into the workspace file that declared the
//! object: a named declaration's span is its name (`web` in `service web { ... }`), and a
//! field's span covers `field = value`.
//!
//! Programs that embed the compiler reach this crate as `hlc_core::model`; the `hlc-core`
//! documentation shows a compiled workspace's model being walked.

#![warn(missing_docs)]

mod k8s_fields;
mod read;
pub mod render;
mod types;
mod workspace;

pub use read::{build, parse_bytes, parse_cpu_milli, read_facts, read_globals, read_stack};
pub use types::*;
pub use workspace::{StackSummary, StackView, WorkspaceIndex, check_stack};
