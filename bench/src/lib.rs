//! The workspace generator of `hl-bench`, as a library: the `hl-bench` binary writes its
//! workspaces with it, and `tests/generated.rs` compiles them with `hlc-core` so that a
//! generator that no longer fits the language or its rules fails `cargo test`. The same
//! workload in Pkl (`pkl`) and the race against Pkl (`race`, whose comparison of the two
//! outputs `tests/pkl.rs` makes too) are here for the same reason.

pub mod child;
pub mod generate;
pub mod machine;
pub mod pkl;
pub mod platform;
pub mod race;
mod rng;
