//! The incremental engine gives what a fresh compilation gives: a [`Session`] edited step by
//! step (files changed, broken, fixed, renamed, added, removed) reports, after every step,
//! exactly the diagnostics and output of compiling the same files from scratch.

use std::collections::BTreeMap;
use std::path::Path;

use hlc_core::{Compilation, InputText, Limits, Options, Session, compile};

fn stacks_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks")
}

/// A slice of the real homelab: enough files for cross-file references and imports.
fn initial() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for name in [
        "common.hl",
        "platform.hl",
        "vault.hl",
        "dbaas.hl",
        "cnpg.hl",
        "infra.hl",
        "freshrss.hl",
        "immich.hl",
        "traefik.hl",
    ] {
        if let Ok(text) = std::fs::read_to_string(stacks_dir().join(name)) {
            files.insert(name.to_string(), text);
        }
    }
    assert!(files.len() >= 4, "the test needs files of stacks/");
    files
}

fn inputs(files: &BTreeMap<String, String>) -> Vec<InputText> {
    files
        .iter()
        .map(|(p, t)| InputText { path: p.clone(), display: format!("stacks/{p}"), bytes: t.clone().into_bytes() })
        .collect()
}

/// What two compilations must agree on: every diagnostic (code, file, span, message, labels)
/// and every output file.
fn summary(c: &Compilation) -> (Vec<String>, Vec<(String, String)>) {
    let diags = c
        .diagnostics
        .iter()
        .map(|d| {
            let at = c.line_col(d.primary.span).map(|l| format!("{}:{}:{}", l.path, l.line, l.col)).unwrap_or_default();
            let labels: Vec<String> = d
                .secondary
                .iter()
                .map(|l| {
                    let at = c.line_col(l.span).map(|l| format!("{}:{}:{}", l.path, l.line, l.col)).unwrap_or_default();
                    format!("{at} {}", l.message)
                })
                .collect();
            format!("{} {at} {} [{}] {:?}", d.code.info().code, d.message, labels.join("; "), d.help)
        })
        .collect();
    let artifacts = c.artifacts.iter().map(|a| (a.path.clone(), a.contents.clone())).collect();
    (diags, artifacts)
}

#[test]
fn an_edited_session_agrees_with_a_fresh_compilation_after_every_step() {
    let mut files = initial();
    let mut session = Session::new(Limits::default());
    type Step = Box<dyn Fn(&mut BTreeMap<String, String>)>;
    let replace = |file: &'static str, from: &'static str, to: &'static str| -> Step {
        Box::new(move |f: &mut BTreeMap<String, String>| {
            if let Some(t) = f.get_mut(file) {
                *t = t.replacen(from, to, 1);
            }
        })
    };
    let steps: Vec<(&str, Step)> = vec![
        ("nothing changed", Box::new(|_: &mut BTreeMap<String, String>| {})),
        ("a namespace tier misspelt", replace("freshrss.hl", "tier = \"aux\"", "tier = \"gold\"")),
        ("fixed again", replace("freshrss.hl", "tier = \"gold\"", "tier = \"aux\"")),
        ("a comment added", replace("freshrss.hl", "stack freshrss", "// edited\nstack freshrss")),
        ("a port changed", replace("freshrss.hl", "port http = 80", "port http = 8080")),
        ("a syntax error", replace("immich.hl", "{", "{ {")),
        ("the syntax error fixed", replace("immich.hl", "{ {", "{")),
        ("the platform stack renamed", replace("platform.hl", "stack platform ", "stack platform2 ")),
        ("renamed back", replace("platform.hl", "stack platform2 ", "stack platform ")),
        (
            "a file added",
            Box::new(|f: &mut BTreeMap<String, String>| {
                f.insert("extra.hl".into(), "stack extra {\n  namespace extra { tier = \"aux\" }\n}\n".into());
            }),
        ),
        (
            "a stack declared twice across files",
            Box::new(|f: &mut BTreeMap<String, String>| {
                f.insert("extra2.hl".into(), "stack extra {\n  namespace extra2 { tier = \"aux\" }\n}\n".into());
            }),
        ),
        (
            "a file removed",
            Box::new(|f: &mut BTreeMap<String, String>| {
                f.remove("extra2.hl");
                f.remove("vault.hl");
            }),
        ),
        (
            "bytes that are not text",
            Box::new(|f: &mut BTreeMap<String, String>| {
                f.insert("bad.hl".into(), "stack bad {\0}".into());
            }),
        ),
        (
            "a dependency cycle across two files",
            Box::new(|f: &mut BTreeMap<String, String>| {
                f.insert(
                    "extra.hl".into(),
                    "stack extra {\n  depends_on = [extra3]\n  namespace extra { tier = \"aux\" }\n}\n".into(),
                );
                f.insert(
                    "extra3.hl".into(),
                    "stack extra3 {\n  depends_on = [extra]\n  namespace extra3 { tier = \"aux\" }\n}\n".into(),
                );
            }),
        ),
        // The cycle's diagnostics must follow the text; the graph's shape did not change.
        ("text moved above the cycle", replace("extra.hl", "stack extra {", "// moved\n\nstack extra {")),
        ("the cycle broken", replace("extra3.hl", "depends_on = [extra]", "depends_on = []")),
        ("text moved in a file without stacks", replace("common.hl", "// Helpers", "// Moved.\n// Helpers")),
        (
            "everything restored",
            Box::new(|f: &mut BTreeMap<String, String>| {
                *f = initial();
            }),
        ),
    ];
    for (what, step) in steps {
        step(&mut files);
        session.set_files(inputs(&files));
        let incremental = session.snapshot().compile(&Options::default()).expect("nothing cancels it");
        let fresh = compile(inputs(&files));
        assert_eq!(summary(&incremental), summary(&fresh), "after step `{what}`");
        // The editor's path (diagnostics and the files they name) agrees too.
        let (diags, sources) = session.snapshot().diagnostics_with_sources().expect("nothing cancels it");
        assert_eq!(diags, incremental.diagnostics, "after step `{what}`");
        for d in &diags {
            assert!(sources.get(d.primary.span.file).is_some_and(|f| !f.path.is_empty()), "after step `{what}`");
        }
        // The steps with a cycle must report it (or the comparison above proves little).
        let cycle = incremental.diagnostics.iter().any(|d| d.code.info().code == "E0581");
        assert_eq!(cycle, what.contains("cycle") && !what.contains("broken"), "after step `{what}`");
    }
}

#[test]
fn single_file_updates_agree_with_replacing_the_whole_set() {
    let files = initial();
    let mut one_by_one = Session::new(Limits::default());
    one_by_one.set_files(inputs(&files));
    let mut edited = files.clone();
    if let Some(t) = edited.get_mut("freshrss.hl") {
        *t = t.replacen("tier = \"aux\"", "tier = \"gold\"", 1);
    }
    for f in inputs(&edited) {
        one_by_one.set_file(f);
    }
    one_by_one.remove_file("dbaas.hl");
    edited.remove("dbaas.hl");
    let a = one_by_one.snapshot().compile(&Options::default()).expect("not cancelled");
    let b = compile(inputs(&edited));
    assert!(a.has_errors());
    assert_eq!(summary(&a), summary(&b));
}
