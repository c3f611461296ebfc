//! Skipping a test, out loud. A test that cannot run here (a tool, the shared material or an
//! editor is missing) calls [`skip`] and returns: with the variable that makes its material
//! mandatory set to `1` (`.ci/run` sets all of them) it fails instead, and otherwise it writes
//! one line `SKIPPED: <test>: <reason>` to the process's standard error. The line is written to
//! the stream itself, not through `eprintln!`, so the test harness's output capture cannot
//! swallow it: `cargo test` shows it among the results, and `.ci/run` counts these lines.
//!
//! This file is shared by path (`#[path = ...] mod skip;`) with the test crates that do not
//! depend on `hl-tests`, so every skip in the repository prints the same marker.

// A test crate that includes this file by path uses only part of it.
#![allow(dead_code)]

use std::io::Write;

/// The marker that starts every skip line; `.ci/run` counts the lines that start with it.
pub const MARKER: &str = "SKIPPED:";

/// `HLC_REQUIRE_SHARED`: the shared material (CRD schemas, the Terraform, the catalog).
pub const SHARED: &str = "HLC_REQUIRE_SHARED";
/// `HLC_REQUIRE_TOOLS`: external programs the tests run (kustomize, systemd-analyze, Python).
pub const TOOLS: &str = "HLC_REQUIRE_TOOLS";
/// `HLC_REQUIRE_EDITORS`: Node.js/npm for the VS Code extension, Neovim for its plugin.
pub const EDITORS: &str = "HLC_REQUIRE_EDITORS";

/// Whether `var` (one of [`SHARED`], [`TOOLS`], [`EDITORS`]) is set to `1`.
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// The line a skip prints.
pub fn line(test: &str, reason: &str) -> String {
    // One line, whatever the reason holds, so the count is one per skip.
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{MARKER} {test}: {reason}")
}

/// Skip `test` because of `reason`: panics when `require` is set to `1`, and otherwise prints
/// the `SKIPPED:` line past the harness's capture. The caller returns right after.
pub fn skip(test: &str, reason: &str, require: &str) {
    assert!(!required(require), "{test}: {reason} ({require}=1 makes this test mandatory)");
    let mut err = std::io::stderr().lock();
    // On a line of its own even when the harness has just printed `test name ... `. Standard
    // error is unbuffered; a failed write has nowhere better to go.
    let _ = writeln!(err, "\n{}", line(test, reason));
}
