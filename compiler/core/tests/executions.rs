//! The engine reuses earlier work, counted: a session that records salsa's executions is
//! compiled, one stack's file is edited, and the queries that run again are exactly those of
//! that file and that stack, plus the joins over the whole workspace. `incremental.rs` proves
//! an edited session gives the right answer; this proves it does not get it by starting over.

use std::collections::{BTreeMap, BTreeSet};

use hlc_core::{InputText, Limits, Options, Session};

fn file(path: &str, text: &str) -> InputText {
    InputText { path: path.into(), display: path.into(), bytes: text.as_bytes().to_vec() }
}

/// A stack in a file of its own: a namespace, a service with a volume and an ingress, so that
/// every per-stack query has something to do.
fn stack(name: &str, image: &str) -> String {
    format!(
        r#"stack {name} {{
  namespace {name} {{ tier = "aux" }}
  service {name} {{
    image = "{image}"
    port http = 80
    resources {{ cpu = 10m, memory = 64Mi }}
    env = {{ "GREETING": "hello" }}
    ingress {name} {{ auth = app("{name} has its own login") }}
  }}
}}
"#
    )
}

fn workspace(b_image: &str, c_prefix: &str) -> Vec<InputText> {
    vec![
        file("a.hl", &stack("a", "nginx:1.27")),
        file("b.hl", &stack("b", b_image)),
        file("c.hl", &format!("{c_prefix}{}", stack("c", "nginx:1.27"))),
        // The cluster facts: the domain the ingresses go under.
        file(
            "cluster.hl",
            "cluster {\n  domain = \"example.org\"\n  tiers = { \"core\": TierPolicy {}, \"cluster\": TierPolicy {}, \"aux\": TierPolicy {} }\n  storage_classes = {\n    \"proxmox-lvm\": StorageClassPolicy { claim_suffix = \"-proxmox\", needs_backup = true },\n    \"proxmox-lvm-encrypted\": StorageClassPolicy { claim_suffix = \"-encrypted\", encrypted = true, needs_backup = true },\n  }\n  default_storage_class = \"proxmox-lvm\"\n  encrypted_storage_class = \"proxmox-lvm-encrypted\"\n}\n",
        ),
    ]
}

/// Compile everything (diagnostics, checks, output files) and return what executed.
fn compile(session: &mut Session) -> Vec<(String, String)> {
    let c = session.snapshot().compile(&Options::default()).expect("not cancelled");
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>());
    assert!(!c.artifacts.is_empty());
    session.take_executions()
}

/// Each key's queries: key -> query -> how many times it ran.
fn by_key(runs: &[(String, String)]) -> BTreeMap<&str, BTreeMap<&str, usize>> {
    let mut out: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (query, key) in runs {
        *out.entry(key.as_str()).or_default().entry(query.as_str()).or_default() += 1;
    }
    out
}

/// After the edit of `file`, which declares `stack`: nothing keyed by another file or stack
/// ran, each query of the edited ones ran at most once, and the queries in `must` did run.
fn assert_only(runs: &[(String, String)], file: &str, stack: &str, must: &[&str]) {
    let keys = by_key(runs);
    let strangers: Vec<_> = keys.iter().filter(|(k, _)| !k.is_empty() && **k != file && **k != stack).collect();
    assert!(strangers.is_empty(), "editing {file} re-ran queries of other files or stacks: {strangers:#?}");
    let twice: Vec<_> =
        keys.iter().flat_map(|(k, qs)| qs.iter().filter(|(_, n)| **n > 1).map(move |(q, n)| (*k, *q, *n))).collect();
    assert!(twice.is_empty(), "queries that ran more than once for one key: {twice:?}");
    let ran: BTreeSet<&str> =
        keys.iter().filter(|(k, _)| **k == stack).flat_map(|(_, qs)| qs.keys().copied()).collect();
    for q in must {
        assert!(ran.contains(q), "{q}({stack}) did not run again after editing {file}; ran: {ran:?}");
    }
}

#[test]
fn an_edit_reruns_only_its_own_stacks_queries() {
    let mut session = Session::recording(Limits::default());
    session.set_files(workspace("nginx:1.27", ""));
    let first = compile(&mut session);

    // The log is real: the first compilation ran every per-stack query once for each stack,
    // and every workspace file's per-file queries.
    let keys = by_key(&first);
    let per_stack: BTreeSet<&str> = keys["b"].keys().copied().collect();
    for s in ["a", "b", "c"] {
        let qs: BTreeSet<&str> = keys[s].keys().copied().collect();
        assert_eq!(qs, per_stack, "stack {s} ran other queries than stack b");
    }
    for q in ["stack_model", "digest", "views", "stack_problems", "stack_checks", "emitted_stack"] {
        assert!(per_stack.contains(q), "{q} is not a per-stack query any more: {per_stack:?}");
    }
    for f in ["a.hl", "b.hl", "c.hl"] {
        assert!(keys[f].contains_key("parsed") && keys[f].contains_key("file_read"), "{f}: {:?}", keys[f]);
    }

    // Nothing changed: nothing runs.
    let again = compile(&mut session);
    assert!(again.is_empty(), "a compilation of unchanged files executed {again:?}");

    // A value in stack b changes: b.hl and stack b run again, and nothing of a or c.
    session.set_files(workspace("nginx:1.28", ""));
    let runs = compile(&mut session);
    assert_only(&runs, "b.hl", "b", &["stack_model", "emitted_stack", "stack_checks", "stack_problems"]);
    assert!(by_key(&runs)["b.hl"].contains_key("parsed"));

    // Text moves in c.hl (a comment above the stack): c.hl and stack c, positions only.
    session.set_files(workspace("nginx:1.28", "// moved down a line\n"));
    let runs = compile(&mut session);
    assert_only(&runs, "c.hl", "c", &["stack_model", "stack_checks"]);
    // No standard-library file was read again.
    let stdlib: Vec<_> = runs.iter().filter(|(_, k)| k.starts_with("std/")).collect();
    assert!(stdlib.is_empty(), "{stdlib:?}");
}

/// A session made with `Session::new` records nothing (no event callback is installed).
#[test]
fn a_plain_session_records_nothing() {
    let mut session = Session::new(Limits::default());
    session.set_files(workspace("nginx:1.27", ""));
    session.snapshot().compile(&Options::default()).expect("not cancelled");
    assert!(session.take_executions().is_empty());
}
