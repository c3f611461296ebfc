//! Emit fixtures: each directory under `tests/emit/` is a workspace that must compile without
//! diagnostics; all of its output files are one insta snapshot.

use std::fs;

use hl_diagnostics::render::{self, Style};
use hl_tests::{in_homelab, orphaned_snapshots, read_dir, repo_root};

#[test]
fn emit_fixtures() {
    let mut dirs: Vec<_> = fs::read_dir(repo_root().join("tests/emit"))
        .expect("tests/emit exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    let mut live = Vec::new();
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let c = hlc_core::compile(in_homelab(read_dir(&dir)));
        let rendered = render::human(&c.diagnostics, &c.sources, Style::Plain, 100);
        assert!(c.diagnostics.is_empty(), "{name}:\n{rendered}");
        let mut text = String::new();
        for a in &c.artifacts {
            text.push_str(&format!("# ---- {}\n{}", a.path, a.contents));
        }
        let snapshot = format!("emit-fixture-{name}");
        insta::assert_snapshot!(snapshot.clone(), text);
        live.push(snapshot);
    }
    let orphans = orphaned_snapshots("emit", live.iter().map(String::as_str));
    assert!(orphans.is_empty(), "snapshots no fixture under tests/emit produces (delete them): {orphans:?}");
}
