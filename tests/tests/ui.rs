//! UI fixtures: each directory under `tests/ui/` is a small workspace, compiled with the homelab's
//! cluster facts unless it declares its own ([`in_homelab`]). Its rendered
//! diagnostics are an insta snapshot. A directory named `<CODE>-<name>` must produce that
//! code; one ending in `-ok` must produce no diagnostic at all.

use std::fs;

use hl_diagnostics::render::{self, Style};
use hl_tests::{in_homelab, orphaned_snapshots, read_dir, repo_root, snapshot_files};

#[test]
fn ui_fixtures() {
    let ui = repo_root().join("tests/ui");
    let mut dirs: Vec<_> =
        fs::read_dir(&ui).expect("tests/ui exists").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no ui fixtures found");
    let mut failures = Vec::new();
    let mut live = Vec::new();
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // A fixture with a `crds/` directory is checked against those CRD schemas (E0215).
        let schemas = crd_schemas(&dir.join("crds"));
        let options = hlc_core::Options { crd_schemas: schemas.as_ref(), ..hlc_core::Options::default() };
        let c = hlc_core::compile_with(in_homelab(read_dir(&dir)), &options);
        let rendered = render::human(&c.diagnostics, &c.sources, Style::Plain, 100);
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.info().code).collect();
        if name.ends_with("-ok") {
            if !c.diagnostics.is_empty() {
                failures.push(format!("{name}: expected no diagnostics, got {codes:?}"));
            }
        } else {
            let code = name.split('-').next().unwrap_or("");
            if !codes.contains(&code) {
                failures.push(format!("{name}: expected {code}, got {codes:?}"));
            }
            insta::assert_snapshot!(name.clone(), rendered);
            live.push(name);
        }
    }
    for orphan in orphaned_snapshots("ui", live.iter().map(String::as_str)) {
        failures.push(format!("tests/tests/snapshots/{orphan}: no fixture directory produces it (delete it)"));
    }
    assert!(failures.is_empty(), "ui fixture failures:\n{}", failures.join("\n"));
}

/// The schemas under a fixture's `crds/<group>/<kind>_<version>.json`, if it has any.
fn crd_schemas(dir: &std::path::Path) -> Option<hlc_core::CrdSchemas> {
    let mut schemas = hlc_core::CrdSchemas::new();
    for group in fs::read_dir(dir).ok()?.flatten() {
        for f in fs::read_dir(group.path()).into_iter().flatten().flatten() {
            let path = format!("{}/{}", group.file_name().to_string_lossy(), f.file_name().to_string_lossy());
            let text = fs::read_to_string(f.path()).expect("read schema");
            schemas.add_file(&path, &text).expect("a JSON schema");
        }
    }
    (!schemas.is_empty()).then_some(schemas)
}

/// Every code has a docs page (more than a placeholder) and a fixture that triggers it: a ui
/// fixture, or for the command line's refusals (`E09xx`, which have no source), a test of the
/// CLI that asserts the code.
#[test]
fn every_code_has_docs_and_fixture() {
    let cli_tests =
        fs::read_to_string(repo_root().join("compiler/cli/tests/output_safety.rs")).expect("read CLI tests");
    let ui = repo_root().join("tests/ui");
    let dirs: Vec<String> = fs::read_dir(&ui)
        .expect("tests/ui exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut missing = Vec::new();
    for c in hl_diagnostics::CODES {
        if c.doc.lines().count() < 8 || !c.doc.starts_with(&format!("# {}", c.code)) {
            missing.push(format!("{}: docs page is missing or too short", c.code));
        }
        let prefix = format!("{}-{}", c.code, c.name);
        if c.code.starts_with("E09") {
            if !cli_tests.contains(&format!("\"{}\")", c.code)) {
                missing.push(format!("{}: no test in compiler/cli/tests/output_safety.rs asserts it", c.code));
            }
        } else if !dirs.iter().any(|d| d == &prefix) {
            missing.push(format!("{}: no fixture directory tests/ui/{prefix}", c.code));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Every file in `tests/tests/snapshots` is named as one of the snapshot tests names its
/// snapshots (each of which rejects the files of its own that it did not produce), and none is a pending update
/// (`.snap.new`, `.pending-snap`) left behind by a run that was not reviewed.
#[test]
fn snapshot_files_belong_to_a_snapshot_test() {
    let strays: Vec<String> = snapshot_files()
        .into_iter()
        .filter(|f| {
            !(f.ends_with(".snap")
                && ["ui__", "emit__emit-fixture-", "stacks__emit-", "stacks__host-"].iter().any(|p| f.starts_with(p)))
        })
        .collect();
    assert!(strays.is_empty(), "files in tests/tests/snapshots that no snapshot test owns: {strays:?}");
}
