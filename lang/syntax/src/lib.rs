//! The hl syntax: the pest grammar (`hl.pest`), the error-tolerant parser and the syntax tree.
//!
//! Invariant: [`parse`] never fails. It returns a tree for everything it could read and one
//! diagnostic per independent syntax error; text it could not read becomes an `Error` node.

pub mod ast;
mod parse;

pub use parse::{MAX_CHAIN, MAX_NESTING, Parse, parse};
