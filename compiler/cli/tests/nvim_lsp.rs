//! Neovim with the plugin in `editors/nvim` attached to the real `hlc lsp`: the headless test
//! `editors/nvim/test/lsp.sh` (`lsp_spec.lua`) run on a scratch copy of `stacks/`, so the
//! repository is never touched. It breaks a Namespace tier in `stacks/freshrss.hl`, waits for
//! the server's E0214 in `vim.diagnostic`, hovers `proxied` and finds the standard library's
//! doc comment in the answer, then undoes the break and waits for the diagnostics to clear.
//!
//! Without Neovim (or bash) the test says so and skips, unless `HLC_REQUIRE_EDITORS=1`, where
//! it fails. `NVIM=/path/to/nvim` picks the Neovim binary (0.7 or later).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

#[path = "../../../tests/src/skip.rs"]
mod skip;

/// The first line a program prints for `--version`, or `None` when it cannot be run.
fn version(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success().then(|| text.lines().next().unwrap_or_default().trim().to_string())
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

#[test]
fn neovim_shows_diagnostics_and_hover_from_hlc_lsp() {
    const TEST: &str = "neovim_shows_diagnostics_and_hover_from_hlc_lsp";
    let nvim = std::env::var("NVIM").unwrap_or_else(|_| "nvim".to_string());
    let missing = match (version(&nvim), version("bash")) {
        (None, _) => Some(format!("Neovim ({nvim}) is not installed")),
        (_, None) => Some("bash is not installed".to_string()),
        (Some(v), Some(_)) => {
            eprintln!("{TEST} with {v}");
            None
        }
    };
    if let Some(why) = missing {
        return skip::skip(TEST, &why, skip::EDITORS);
    }

    let root = repo_root();
    let workspace = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nvim-lsp");
    let _ = fs::remove_dir_all(&workspace);
    copy_dir(&root.join("stacks"), &workspace.join("stacks"));
    let file = Path::new("stacks").join("freshrss.hl");
    let before = fs::read(workspace.join(&file)).expect("read the copy of freshrss.hl");

    let script = root.join("editors").join("nvim").join("test").join("lsp.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&workspace)
        .env("HLC_BIN", env!("CARGO_BIN_EXE_hlc"))
        .env("NVIM", &nvim)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown with --nocapture, and by cargo test when the test fails.
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(out.status.success(), "{} exited with {}", script.display(), out.status);
    assert!(
        stdout.lines().any(|l| l.starts_with("nvim lsp: ") && l.ends_with(" passed, 0 failed")),
        "no summary from {}",
        script.display()
    );
    assert!(!stdout.contains("FAIL "), "a check failed");
    // The test changes the buffer only; the file on disk is as it was copied.
    assert_eq!(fs::read(workspace.join(&file)).expect("read"), before, "{} was written", file.display());
}
