//! References, rename and go to definition follow the compiler's scopes, not the text:
//! renaming a stack leaves a function's own `db` (and the `${db}` in its string) alone,
//! renaming a global leaves the parameter that shadows it alone and the other way round, an
//! imported name is renamed in the file that defines it and the files that use it, a rename
//! is refused for a built-in or a standard library name, for a name that is not one, and for
//! a name that another binding would capture, and the definition of a parameter's use is the
//! parameter.
//!
//! In process, over an in-memory connection: every request is queued before the server
//! starts and answered in order.

use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

const DB: &str = "stack db {\n  description = \"the database\"\n}\n";

const LIB: &str = "fn greeting(name: String) -> String = \"hello ${name}\"\n";

const WEB: &str = r#"import "lib.hl"

stack web {
  depends_on = [db]
  description = greeting("web")
}

// A function with its own `db`: the stack's rename must not touch it.
fn label(db: String) -> String = "${db}-label"

let host = "localhost"
let port = 80

// `port` here is the parameter, which shadows the global.
fn url(port: Int) -> String = "http://${host}:${port}"

let main_url = url(port = port)
let size = len([1, 2])
let secret = vault("web")

fn greet(who: String) -> String = "${host} greets ${who}"
"#;

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// The LSP position of the `nth` (0-based) occurrence of `needle` in `text`, `delta` bytes in.
fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle in text") + delta;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

struct Workspace {
    dir: PathBuf,
    web: PathBuf,
    db: PathBuf,
    lib: PathBuf,
}

fn workspace() -> Workspace {
    let dir = std::env::temp_dir().join(format!("hl-lsp-rename-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (web, db, lib) = (dir.join("web.hl"), dir.join("db.hl"), dir.join("lib.hl"));
    std::fs::write(&web, WEB).expect("write");
    std::fs::write(&db, DB).expect("write");
    std::fs::write(&lib, LIB).expect("write");
    Workspace { dir, web, db, lib }
}

/// Send `requests` (method, params) to a server on `ws` and return the answers in order.
fn ask(ws: &Workspace, requests: &[(&str, Value)]) -> Vec<Value> {
    let (server, client) = Connection::memory();
    let send = |m: Message| client.sender.send(m).expect("send");
    send(Message::Request(Request::new(
        RequestId::from(0),
        "initialize".into(),
        json!({ "capabilities": {}, "rootUri": uri(&ws.dir) }),
    )));
    send(Message::Notification(Notification::new("initialized".into(), json!({}))));
    for (i, (method, params)) in requests.iter().enumerate() {
        send(Message::Request(Request::new(RequestId::from(i as i32 + 1), (*method).into(), params.clone())));
    }
    send(Message::Request(Request::new(RequestId::from(10_000), "shutdown".into(), json!(null))));
    send(Message::Notification(Notification::new("exit".into(), json!(null))));
    let handle = std::thread::spawn(move || hl_lsp::run(server));
    assert_eq!(handle.join().expect("the server thread does not panic"), Ok(()));
    let mut answers = std::collections::BTreeMap::new();
    for m in client.receiver.try_iter() {
        if let Message::Response(r) = m {
            let v = serde_json::to_value(&r).expect("json");
            answers.insert(format!("{}", r.id), v);
        }
    }
    (1..=requests.len()).map(|i| answers.get(&i.to_string()).cloned().unwrap_or(Value::Null)).collect()
}

fn rename(file: &Path, at: Value, new: &str) -> (&'static str, Value) {
    ("textDocument/rename", json!({ "textDocument": { "uri": uri(file) }, "position": at, "newName": new }))
}

/// The ranges' starts of a rename's edits in `file`, sorted, as (line, character).
fn edits(answer: &Value, file: &Path) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = answer["result"]["changes"][uri(file)]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let s = &e["range"]["start"];
                    (s["line"].as_u64().unwrap_or(u64::MAX), s["character"].as_u64().unwrap_or(u64::MAX))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn at(text: &str, needle: &str, nth: usize, delta: usize) -> (u64, u64) {
    let p = pos(text, needle, nth, delta);
    (p["line"].as_u64().unwrap_or_default(), p["character"].as_u64().unwrap_or_default())
}

#[test]
fn rename_and_references_follow_the_compilers_scopes() {
    let ws = workspace();
    let answers = ask(
        &ws,
        &[
            // 1: the stack `db`, from its use in `depends_on`.
            rename(&ws.web, pos(WEB, "[db]", 0, 1), "database"),
            // 2: the global `port`, from its definition.
            rename(&ws.web, pos(WEB, "let port", 0, 4), "http_port"),
            // 3: the parameter `port`, from its use in the string.
            rename(&ws.web, pos(WEB, "${port}", 0, 2), "p"),
            // 4: an imported function, from its use in another file.
            rename(&ws.web, pos(WEB, "greeting(\"web\")", 0, 0), "salute"),
            // 5: a built-in, and 6: a standard library function: refused.
            rename(&ws.web, pos(WEB, "len(", 0, 0), "length"),
            rename(&ws.web, pos(WEB, "vault(", 0, 0), "kv"),
            // 7: not a name.
            rename(&ws.web, pos(WEB, "let port", 0, 4), "not valid"),
            // 8: the parameter `port` renamed to `host` would capture `${host}`: refused.
            rename(&ws.web, pos(WEB, "${port}", 0, 2), "host"),
            // 9: references of the stack `db`: its declaration and its one use.
            (
                "textDocument/references",
                json!({ "textDocument": { "uri": uri(&ws.web) }, "position": pos(WEB, "[db]", 0, 1),
                        "context": { "includeDeclaration": true } }),
            ),
            // 10: prepareRename on the built-in: refused before the client asks for a name.
            (
                "textDocument/prepareRename",
                json!({ "textDocument": { "uri": uri(&ws.web) }, "position": pos(WEB, "len(", 0, 0) }),
            ),
            // 11: go to definition of `${port}`: the parameter, not the global.
            (
                "textDocument/definition",
                json!({ "textDocument": { "uri": uri(&ws.web) }, "position": pos(WEB, "${port}", 0, 2) }),
            ),
            // 12: the global `host` renamed to `who`: inside `greet` the parameter would shadow it.
            rename(&ws.web, pos(WEB, "let host", 0, 4), "who"),
        ],
    );

    // 1: the declaration and `depends_on`; not the parameter `db` nor `${db}` in `label`.
    let a = &answers[0];
    assert_eq!(edits(a, &ws.db), [at(DB, "db", 0, 0)], "{a}");
    assert_eq!(edits(a, &ws.web), [at(WEB, "[db]", 0, 1)], "{a}");

    // 2: the global's definition and the value passed as `port = port`; not the parameter,
    // its use in the string, or the argument's name.
    let a = &answers[1];
    assert_eq!(edits(a, &ws.web), [at(WEB, "let port", 0, 4), at(WEB, "port = port", 0, 7)], "{a}");

    // 3: the parameter, its use, and the named argument that sets it; not the global.
    let a = &answers[2];
    assert_eq!(
        edits(a, &ws.web),
        [at(WEB, "url(port: Int)", 0, 4), at(WEB, "${port}", 0, 2), at(WEB, "port = port", 0, 0)],
        "{a}"
    );

    // 4: the definition in lib.hl and the use in web.hl.
    let a = &answers[3];
    assert_eq!(edits(a, &ws.lib), [at(LIB, "greeting", 0, 0)], "{a}");
    assert_eq!(edits(a, &ws.web), [at(WEB, "greeting(\"web\")", 0, 0)], "{a}");

    // 5, 6, 7, 8: refused with an error response, saying why.
    for (i, why) in [(4, "built-in"), (5, "standard library"), (6, "not a valid"), (7, "captured")] {
        let a = &answers[i];
        let message = a["error"]["message"].as_str().unwrap_or_default();
        assert!(a.get("error").is_some() && message.contains(why), "request {}: {a}", i + 1);
    }

    // 9: two locations, in db.hl and web.hl.
    let refs = answers[8]["result"].as_array().cloned().unwrap_or_default();
    let files: Vec<&str> = refs.iter().filter_map(|l| l["uri"].as_str()).collect();
    assert_eq!(files.len(), 2, "{refs:?}");
    assert!(files.contains(&uri(&ws.db).as_str()) && files.contains(&uri(&ws.web).as_str()), "{refs:?}");

    // 10: an error response.
    assert!(answers[9].get("error").is_some(), "{}", answers[9]);

    // 12: refused, as 8.
    let a = &answers[11];
    let message = a["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("shadows"), "{a}");

    // 11: the parameter's name in `fn url(port: Int)`.
    let d = &answers[10]["result"];
    assert_eq!(d["uri"], json!(uri(&ws.web)), "{d}");
    assert_eq!(d["range"]["start"], pos(WEB, "url(port: Int)", 0, 4), "{d}");
    let _ = std::fs::remove_dir_all(&ws.dir);
}
