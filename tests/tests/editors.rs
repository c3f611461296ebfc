//! The editor integrations in `editors/` pass their own tests: the VS Code extension's grammar
//! tests, extension tests and packaging (`npm test` in `editors/vscode`), and the Neovim
//! plugin's headless checks (`editors/nvim/test/run.sh`).
//!
//! Without npm (Node.js 20 or later) or Neovim the tests say so and skip, unless
//! `HLC_REQUIRE_EDITORS=1` (as in `.ci/run`), where they fail.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use hl_tests::{repo_root, skip};

fn skip_or_fail(test: &str, why: &str) {
    skip(test, why, skip::EDITORS);
}

/// The first line a program prints for `--version`, or `None` when it cannot be run.
fn version(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success().then(|| text.lines().next().unwrap_or_default().trim().to_string())
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn report(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[test]
fn vscode_grammar_and_package() {
    const TEST: &str = "vscode_grammar_and_package";
    let Some(node) = version("node") else {
        return skip_or_fail(TEST, "Node.js (node) is not installed");
    };
    let major: u32 = node.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        return skip_or_fail(TEST, &format!("Node.js {node} is older than 20, which packaging needs"));
    }
    if version("npm").is_none() {
        return skip_or_fail(TEST, "npm is not installed");
    }

    let dir = repo_root().join("editors").join("vscode");
    // Install the locked dependencies when they are missing or older than the lockfile.
    let installed = modified(&dir.join("node_modules").join(".package-lock.json"));
    if installed.is_none() || installed < modified(&dir.join("package-lock.json")) {
        let out = run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir));
        if !out.status.success() {
            return skip_or_fail(TEST, &format!("`npm ci` failed:\n{}", report(&out)));
        }
    }

    let out = run(Command::new("npm").arg("test").current_dir(&dir));
    assert!(out.status.success(), "`npm test` in editors/vscode failed:\n{}", report(&out));
    let text = report(&out);
    assert!(text.contains("check-vsix: "), "`npm test` did not check the .vsix:\n{text}");
}

#[test]
fn neovim_filetype_syntax_and_lsp_setup() {
    const TEST: &str = "neovim_filetype_syntax_and_lsp_setup";
    let nvim = std::env::var("NVIM").unwrap_or_else(|_| "nvim".to_string());
    let Some(v) = version(&nvim) else {
        return skip_or_fail(TEST, &format!("Neovim ({nvim}) is not installed"));
    };
    if version("bash").is_none() {
        return skip_or_fail(TEST, "bash is not installed");
    }
    let script = repo_root().join("editors").join("nvim").join("test").join("run.sh");
    let out = run(Command::new("bash").arg(&script).env("NVIM", &nvim));
    assert!(out.status.success(), "{} failed with {v}:\n{}", script.display(), report(&out));
    let text = report(&out);
    assert!(text.contains(" passed, 0 failed"), "no summary from {}:\n{text}", script.display());
}
