//! The real homelab in `stacks/`: it compiles without diagnostics, its output is
//! deterministic, and the emitted YAML of every stack is a reviewed snapshot.

use std::collections::BTreeMap;

use hl_diagnostics::render::{self, Style};
use hl_tests::{orphaned_snapshots, read_dir, repo_root};

fn compile_stacks() -> hlc_core::Compilation {
    hlc_core::compile(read_dir(&repo_root().join("stacks")))
}

#[test]
fn stacks_compile_clean() {
    let c = compile_stacks();
    let rendered = render::human(&c.diagnostics, &c.sources, Style::Plain, 100);
    assert!(c.diagnostics.is_empty(), "stacks/ has diagnostics:\n{rendered}");
    assert!(c.model.stacks.len() >= 12, "expected at least 12 stacks, found {}", c.model.stacks.len());
}

#[test]
fn emitted_yaml_per_stack() {
    let c = compile_stacks();
    assert!(!c.has_errors());
    let mut per_stack: BTreeMap<String, String> = BTreeMap::new();
    for a in &c.artifacts {
        let Some(rest) = a.path.strip_prefix("k8s/") else { continue };
        let Some((stack, file)) = rest.split_once('/') else { continue };
        let text = per_stack.entry(stack.to_string()).or_default();
        text.push_str(&format!("# ---- {file}\n{}", a.contents));
    }
    assert!(!per_stack.is_empty());
    let mut live = Vec::new();
    for (stack, text) in per_stack {
        let snapshot = format!("emit-{stack}");
        insta::assert_snapshot!(snapshot.clone(), text);
        live.push(snapshot);
    }
    // This binary's other snapshots (`host-*`) belong to `emitted_host_side_files`.
    let orphans: Vec<String> = orphaned_snapshots("stacks", live.iter().map(String::as_str))
        .into_iter()
        .filter(|f| f.starts_with("stacks__emit-"))
        .collect();
    assert!(orphans.is_empty(), "snapshots of stacks that emit nothing or are gone (delete them): {orphans:?}");
}

/// The same input gives the same bytes, run after run. (Thread counts are tested on the real
/// binary with `RAYON_NUM_THREADS`, in `compiler/cli/tests/cli.rs`: a compilation runs on a
/// rayon pool of its own, sized by that variable, whatever pool the caller installs.)
#[test]
fn output_is_identical_across_runs() {
    let files = read_dir(&repo_root().join("stacks"));
    let one = hlc_core::compile(files.clone()).artifacts;
    let again = hlc_core::compile(files).artifacts;
    assert!(!one.is_empty());
    assert_eq!(one, again, "two runs differ");
}

/// The Proxmox VM specs, cloud-init files, host backup units and graph of `stacks/`.
#[test]
fn emitted_host_side_files() {
    let c = compile_stacks();
    assert!(!c.has_errors());
    let mut live = Vec::new();
    for prefix in ["proxmox/", "backup/host/", "graph."] {
        let mut text = String::new();
        for a in c.artifacts.iter().filter(|a| a.path.starts_with(prefix)) {
            text.push_str(&format!("# ---- {}\n{}", a.path, a.contents));
        }
        assert!(!text.is_empty(), "nothing emitted under {prefix}");
        let name = prefix.trim_end_matches(['/', '.']).replace('/', "-");
        let snapshot = format!("host-{name}");
        insta::assert_snapshot!(snapshot.clone(), text);
        live.push(snapshot);
    }
    let orphans: Vec<String> = orphaned_snapshots("stacks", live.iter().map(String::as_str))
        .into_iter()
        .filter(|f| f.starts_with("stacks__host-"))
        .collect();
    assert!(orphans.is_empty(), "host-side snapshots no prefix produces (delete them): {orphans:?}");
}
