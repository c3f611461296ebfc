//! The generated workspaces compile cleanly: `bench/README.md` promises that `hlc check`
//! reports 0 errors and 0 warnings for any size and seed, and the benchmarks mean little on a
//! workspace that fails. The language and its rules keep growing; when the generator falls
//! behind them, this test names the diagnostics it now gets.
//!
//! Each workspace is written to disk with `generate::write` (as `hl-bench gen` writes it) and
//! read back through `hlc-core`'s `DiskHost`, as `hlc check` reads it.

use std::path::PathBuf;

use hl_bench::generate::{self, Options};
use hl_bench::platform;

/// A fresh, empty directory under the target directory's temporary space, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("hl-bench-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Generate `stacks` stacks of `seed`, compile them, and check everything the README says of
/// the result.
fn compiles_clean(stacks: usize, seed: u64) {
    let dir = TempDir::new(&format!("{stacks}-{seed}"));
    let opts = Options { stacks, seed };
    let written = generate::write(&dir.0, opts, false).expect("the workspace is written");
    let expected_files = platform::files().len() + stacks;
    assert_eq!(written.files, expected_files);

    let c = hlc_core::compile_host(&hlc_core::DiskHost::new(&dir.0)).expect("the workspace is read");
    let found: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| {
            let at = c.line_col(d.primary.span).map(|l| format!("{}:{}:{}", l.path, l.line, l.col)).unwrap_or_default();
            format!("{:?}[{}] {} ({at})", d.severity, d.code.info().code, d.message)
        })
        .collect();
    assert!(found.is_empty(), "{} diagnostics for {stacks} stacks of seed {seed}:\n{}", found.len(), found.join("\n"));

    // Every generated stack, plus the fixed ones of `base/`.
    let generated = (0..stacks).map(|i| generate::stack_name(seed, i)).collect::<Vec<_>>();
    let names: Vec<&str> = c.model.stacks.iter().map(|s| s.name.as_str()).collect();
    for name in &generated {
        assert!(names.contains(&name.as_str()), "stack `{name}` is missing from the model");
    }
    assert_eq!(c.model.stacks.len(), stacks + BASE_STACKS, "stacks: {names:?}");
    assert!(c.objects > stacks, "{} objects for {stacks} stacks", c.objects);

    // What is waived is waived with a reason of the generator's, never a placeholder.
    for w in &c.waived {
        assert!(w.reason.len() > 20, "stack `{}` waives {} with `{}`", w.stack, w.code, w.reason);
    }
}

/// The fixed stacks of `base/` (`platform.rs`): infra, platform, vault, external-secrets, cnpg,
/// dbaas, authentik, traefik, redis, monitoring.
const BASE_STACKS: usize = 10;

#[test]
fn thirty_stacks_compile_without_diagnostics() {
    compiles_clean(30, 1);
}

#[test]
fn another_seed_compiles_without_diagnostics() {
    compiles_clean(30, 2);
}

#[test]
fn base_alone_compiles_without_diagnostics() {
    compiles_clean(0, 1);
}
