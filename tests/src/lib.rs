//! Helpers shared by the workspace-level tests.

use std::fs;
use std::path::{Path, PathBuf};

use hlc_core::InputText;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A program one of the `tests/tools/*.sh` scripts installs on first use (pinned versions,
/// into `target/tools`: built with Go, or installed with npm): the script prints its path last.
/// `Err` says why it cannot be had (no Go, no module proxy, no npm), with the end of the
/// script's standard error.
pub fn tool(script: &str) -> Result<PathBuf, String> {
    let path = repo_root().join("tests/tools").join(script);
    let out = std::process::Command::new("bash").arg(&path).output().map_err(|e| format!("cannot run bash: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(format!("tests/tools/{script} failed:\n{}", tail.join("\n")));
    }
    let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim());
    if bin.is_file() { Ok(bin) } else { Err(format!("tests/tools/{script} printed no binary: {}", bin.display())) }
}

/// Read a workspace directory the way `hlc` does: every file below it (the `.hl` files are
/// compiled, the others read by `file(...)`; hidden ones skipped), with paths relative to it and
/// displayed relative to the repository root.
pub fn read_dir(dir: &Path) -> Vec<InputText> {
    let mut paths = Vec::new();
    collect(dir, &mut paths);
    paths.sort();
    let root = repo_root();
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            let display = p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            let bytes = fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            InputText { path: rel, display, bytes }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// Where the shared material (CRD schemas, the catalog) lives: `$HLC_SHARED_DIR`, or the
/// `shared` directory beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("HLC_SHARED_DIR") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("..").join("shared"),
    }
}

pub mod skip;

pub use skip::skip;

/// The snapshot files of one test binary (`<binary>__<name>.snap` in `tests/tests/snapshots`)
/// that no snapshot the test took this run explains: the names in `live` are the snapshot names
/// the test asserted. An orphan is a snapshot whose fixture, stack or test is gone; it would
/// otherwise sit there reviewed by nobody.
pub fn orphaned_snapshots<'a>(binary: &str, live: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let live: std::collections::BTreeSet<&str> = live.into_iter().collect();
    let prefix = format!("{binary}__");
    let mut orphans: Vec<String> = snapshot_files()
        .into_iter()
        .filter_map(|f| {
            let name = f.strip_prefix(&prefix)?.strip_suffix(".snap")?.to_string();
            (!live.contains(name.as_str())).then_some(f)
        })
        .collect();
    orphans.sort();
    orphans
}

/// The file names in `tests/tests/snapshots`.
pub fn snapshot_files() -> Vec<String> {
    let dir = repo_root().join("tests/tests/snapshots");
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

/// Whether one of the files declares the workspace's `cluster` facts (a top-level
/// `cluster { ... }`).
pub fn declares_cluster(files: &[InputText]) -> bool {
    files.iter().any(|f| {
        f.path.ends_with(".hl")
            && String::from_utf8_lossy(&f.bytes).lines().any(|l| l.starts_with("cluster {") || l == "cluster")
    })
}

/// A fixture's files, compiled as a part of the homelab: unless the fixture declares its own
/// `cluster`, the homelab's facts (`stacks/cluster.hl`: its domain, tiers, Authentik, ...) are
/// added as `cluster.hl`, so that a fixture shows one mistake in the real homelab's setting.
/// A fixture about another cluster declares its own.
pub fn in_homelab(mut files: Vec<InputText>) -> Vec<InputText> {
    if !declares_cluster(&files) {
        let path = repo_root().join("stacks/cluster.hl");
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        files.push(InputText { path: "cluster.hl".into(), display: "stacks/cluster.hl".into(), bytes });
    }
    files
}
