//! The workspace generator of `hl-bench`, as a library: the `hl-bench` binary writes its
//! workspaces with it, and `tests/generated.rs` compiles them with `hlc-core` so that a
//! generator that no longer fits the language or its rules fails `cargo test`.

pub mod generate;
pub mod platform;
mod rng;
