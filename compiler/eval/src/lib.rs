//! Evaluation of hl: name resolution, type checking against schemas and enums, and
//! evaluation to [`Value`]s.
//!
//! hl is checked while it is evaluated: every value that lands in a typed place (a schema
//! field, a function parameter, an annotated `let`) is checked against that type there, with
//! the span where it was written. Errors produce [`ValueKind::Error`], which is accepted
//! everywhere, so one mistake is reported once and evaluation goes on to find the others.
//!
//! Invariants: evaluation is pure and deterministic (no IO, no clock, no hashing order in
//! output: scopes and records are `IndexMap`s); it is bounded by a step budget and a call
//! depth limit, so a loop in user code becomes a diagnostic, not a hang.

mod eval;
mod merge;
mod template;
mod ty;
mod value;
mod yaml;

pub use eval::{
    CLUSTER, EvalInput, EvalOutput, InputFile, Limits, NameUse, Resolved, StdlibScopes, Target, Types, WorkspacePaths,
    base64_encode, check_statically, evaluate, import_candidates,
};
pub use merge::{merge_roots, twice_declared};
pub use template::{TemplateError, render as render_template};
pub use ty::{EnumDef, FieldTy, SchemaDef, Ty, TypeDef, VariantDef};
pub use value::{EnumValue, Fields, FnRef, Quantity, Record, Value, ValueKind};
