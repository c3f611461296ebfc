//! End-to-end tests of `hlc lsp`: the real binary, spoken to in JSON-RPC over its stdio.

mod lsp_frames;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    backlog: Vec<Value>,
}

const TIMEOUT: Duration = Duration::from_secs(60);

impl Client {
    fn start(root: &Path) -> Client {
        Client::start_with_env(root, &[])
    }

    fn start_with_env(root: &Path, env: &[(&str, &Path)]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hlc"))
            .arg("lsp")
            .env_remove("HLC_CRD_SCHEMAS")
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start hlc lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let rx = lsp_frames::read_messages(stdout);
        let mut c = Client { child, stdin, rx, next_id: 0, backlog: Vec::new() };
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri(root), "capabilities": {}, "workspaceFolders": [{ "uri": uri(root), "name": "ws" }] }),
        );
        assert!(init["result"]["capabilities"]["hoverProvider"].as_bool().unwrap_or(false), "{init}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("a reply in time");
            if v["id"] == json!(id) {
                return v;
            }
            self.backlog.push(v);
        }
    }

    /// Wait for diagnostics of `file` that satisfy `pred`.
    fn diagnostics_until(&mut self, file: &Path, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let want = uri(file);
        let deadline = Instant::now() + TIMEOUT;
        let mut last = None;
        loop {
            let v = if let Some(i) = self.backlog.iter().position(|v| v["method"] == "textDocument/publishDiagnostics")
            {
                self.backlog.remove(i)
            } else {
                match self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(v) => v,
                    Err(_) => panic!("no matching diagnostics for {want}; last: {last:?}"),
                }
            };
            if v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == json!(want) {
                let d = v["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
                if pred(&d) {
                    return d;
                }
                last = Some(d);
            }
        }
    }

    fn stop(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "hlc lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "hlc lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn pos(text: &str, needle: &str, delta: usize) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in text")) + delta;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    json!({ "line": line, "character": col })
}

const DB: &str = "stack db {\n  description = \"the shared databases\"\n  namespace db { tier = \"cluster\" }\n}\n";
/// The cluster: the tiers and storage classes the stacks name.
const CLUSTER: &str = r#"cluster {
  domain = "example.org"
  tiers = { "core": TierPolicy {}, "cluster": TierPolicy {}, "aux": TierPolicy {} }
  storage_classes = {
    "proxmox-lvm": StorageClassPolicy { claim_suffix = "-proxmox", needs_backup = true },
    "proxmox-lvm-encrypted": StorageClassPolicy { claim_suffix = "-encrypted", encrypted = true, needs_backup = true },
  }
  default_storage_class = "proxmox-lvm"
  encrypted_storage_class = "proxmox-lvm-encrypted"
}
"#;

const WEB: &str = r#"stack web {
  depends_on = [db]
  namespace web { tier = "aux" }
  service web {
    image = "nginx:1.27"
    kind = deployment
    port http = 80
    resources { cpu = 10m, memory = 64Mi }
  }
}
"#;

fn workspace(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&root);
    let ws = root.join("stacks");
    fs::create_dir_all(&ws).expect("mkdir");
    fs::write(ws.join("cluster.hl"), CLUSTER).expect("write");
    fs::write(ws.join("db.hl"), DB).expect("write");
    fs::write(ws.join("web.hl"), WEB).expect("write");
    (root, ws.join("db.hl"), ws.join("web.hl"))
}

#[test]
fn diagnostics_appear_on_open_and_clear_after_a_fix() {
    let (root, _db, web) = workspace("lsp-diagnostics");
    let mut c = Client::start(&root);
    let broken = WEB.replace("tier = \"aux\"", "tier = \"gold\"");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": broken } }),
    );
    let d = c.diagnostics_until(&web, |d| !d.is_empty());
    assert_eq!(d[0]["code"], "E0214", "{d:?}");
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(d[0]["range"]["start"], pos(&broken, "\"gold\"", 0));
    assert!(d[0]["message"].as_str().unwrap_or_default().contains("aux"), "lists the valid tiers: {d:?}");

    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 2 }, "contentChanges": [{ "text": WEB }] }),
    );
    c.diagnostics_until(&web, <[Value]>::is_empty);
    c.stop();
}

#[test]
fn an_edit_updates_the_diagnostics_of_other_files() {
    let (root, db, web) = workspace("lsp-cross-file");
    let mut c = Client::start(&root);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": WEB } }),
    );
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&db), "languageId": "hl", "version": 1, "text": DB } }),
    );
    // Renaming the stack `db` (without its dependants) breaks web.hl's `depends_on`.
    let renamed = DB.replace("stack db", "stack database");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&db), "version": 2 }, "contentChanges": [{ "text": renamed }] }),
    );
    let d = c.diagnostics_until(&web, |d| !d.is_empty());
    assert!(d.iter().any(|x| x["message"].as_str().unwrap_or_default().contains("db")), "{d:?}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&db), "version": 3 }, "contentChanges": [{ "text": DB }] }),
    );
    c.diagnostics_until(&web, <[Value]>::is_empty);
    c.stop();
}

#[test]
fn hover_definition_completion_rename_symbols_and_formatting() {
    let (root, db, web) = workspace("lsp-requests");
    let mut c = Client::start(&root);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": WEB } }),
    );
    let doc = json!({ "uri": uri(&web) });

    // Hover on a field name: its type and the standard library's explanation.
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": pos(WEB, "tier", 1) }));
    let text = h["result"]["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("tier: String?") && text.contains("Namespace tier"), "{text}");
    // Hover on an enum variant: the variant's own explanation.
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": pos(WEB, "deployment", 1) }));
    let text = h["result"]["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("WorkloadKind.deployment"), "{text}");
    // Hover on a quantity: the type it lands in.
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": pos(WEB, "64Mi", 1) }));
    assert!(h["result"]["contents"]["value"].as_str().unwrap_or_default().contains("64Mi"), "{h}");

    // Go to definition: the stack named in depends_on.
    let d = c.request("textDocument/definition", json!({ "textDocument": doc, "position": pos(WEB, "[db]", 1) }));
    assert_eq!(d["result"]["uri"], json!(uri(&db)), "{d}");
    assert_eq!(d["result"]["range"]["start"], pos(DB, "db {", 0));

    // Completion: the tiers the workspace's cluster declares.
    let half = WEB.replace("tier = \"aux\"", "tier = ");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 2 }, "contentChanges": [{ "text": half }] }),
    );
    let r = c.request("textDocument/completion", json!({ "textDocument": doc, "position": pos(&half, "tier = ", 7) }));
    let labels: Vec<&str> =
        r["result"].as_array().map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect()).unwrap_or_default();
    assert_eq!(labels, ["aux", "cluster", "core"], "{r}");
    let inserts: Vec<&str> =
        r["result"].as_array().into_iter().flatten().filter_map(|i| i["insertText"].as_str()).collect();
    assert_eq!(inserts, ["\"aux\"", "\"cluster\"", "\"core\""], "{r}");
    // Completion: the fields of the record being written.
    let fields = WEB.replace("    port http = 80\n", "    port http = 80\n    rep\n");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 3 }, "contentChanges": [{ "text": fields }] }),
    );
    let r =
        c.request("textDocument/completion", json!({ "textDocument": doc, "position": pos(&fields, "    rep", 7) }));
    let labels: Vec<&str> =
        r["result"].as_array().map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect()).unwrap_or_default();
    assert!(labels.contains(&"replicas") && labels.contains(&"ingress") && !labels.contains(&"image"), "{labels:?}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 4 }, "contentChanges": [{ "text": WEB }] }),
    );

    // Rename a stack: its declaration and every use, across files; invalid names refused.
    let r = c.request(
        "textDocument/rename",
        json!({ "textDocument": doc, "position": pos(WEB, "[db]", 1), "newName": "databases" }),
    );
    let changes = &r["result"]["changes"];
    assert_eq!(changes[uri(&web)].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(changes[uri(&db)].as_array().map(Vec::len), Some(1), "{r}");
    let r = c.request(
        "textDocument/rename",
        json!({ "textDocument": doc, "position": pos(WEB, "[db]", 1), "newName": "not valid" }),
    );
    assert!(r.get("error").is_some(), "{r}");
    let r = c.request(
        "textDocument/references",
        json!({ "textDocument": doc, "position": pos(WEB, "[db]", 1), "context": { "includeDeclaration": true } }),
    );
    assert_eq!(r["result"].as_array().map(Vec::len), Some(2), "{r}");

    // Symbols.
    let s = c.request("textDocument/documentSymbol", json!({ "textDocument": doc }));
    assert_eq!(s["result"][0]["name"], "stack web", "{s}");
    let names: Vec<&str> = s["result"][0]["children"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["namespace web", "service web"]);
    let s = c.request("workspace/symbol", json!({ "query": "we" }));
    assert!(s["result"].as_array().is_some_and(|a| !a.is_empty()), "{s}");

    // Formatting goes through `hlc fmt`.
    let messy = WEB.replace("namespace web { tier = \"aux\" }", "namespace web {tier=\"aux\"}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 5 }, "contentChanges": [{ "text": messy }] }),
    );
    let f = c.request(
        "textDocument/formatting",
        json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(f["result"][0]["newText"], json!(WEB), "{f}");

    // A request on a half-typed file still answers, and unknown methods are errors, not crashes.
    let broken = "stack web {\n  namespace web { tier = \n";
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 6 }, "contentChanges": [{ "text": broken }] }),
    );
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": { "line": 1, "character": 4 } }));
    assert!(h.get("error").is_none(), "{h}");
    let r = c.request("hl/unknown", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    c.stop();
}

#[test]
fn tokens_hints_signatures_and_quick_fixes() {
    let (root, _db, web) = workspace("lsp-features");
    let mut c = Client::start(&root);
    let text = WEB.replace(
        "    port http = 80\n",
        "    port http = 80\n    volume data = pvc(1Gi, mount = \"/data\")\n    replica = 2\n",
    );
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": text } }),
    );
    let doc = json!({ "uri": uri(&web) });

    // Semantic tokens: `stack` is a keyword (type 0) at the very start.
    let t = c.request("textDocument/semanticTokens/full", json!({ "textDocument": doc }));
    let data: Vec<u64> =
        t["result"]["data"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    assert!(data.len() > 50 && data.len().is_multiple_of(5), "{t}");
    assert_eq!(&data[..5], &[0, 0, 5, 0, 0], "`stack` first, a keyword");

    // Inlay hints: the type of each declaration and the name of a positional parameter.
    let h = c.request("textDocument/inlayHint", json!({ "textDocument": doc, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } } }));
    let labels: Vec<&str> =
        h["result"].as_array().map(|a| a.iter().filter_map(|x| x["label"].as_str()).collect()).unwrap_or_default();
    for want in [": Stack", ": Service", ": Namespace", "size ="] {
        assert!(labels.contains(&want), "{labels:?}");
    }

    // Signature help inside `pvc(...)`, on the named argument `mount`.
    let s =
        c.request("textDocument/signatureHelp", json!({ "textDocument": doc, "position": pos(&text, "mount =", 3) }));
    assert!(s["result"]["signatures"][0]["label"].as_str().unwrap_or_default().starts_with("fn pvc("), "{s}");
    assert_eq!(s["result"]["activeParameter"], 1, "{s}");

    // Quick fixes: "did you mean" for the misspelt field.
    let d = c.diagnostics_until(&web, |d| d.iter().any(|x| x["code"] == "E0204"));
    let e0204: Vec<Value> = d.into_iter().filter(|x| x["code"] == "E0204").collect();
    let a = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": doc, "range": e0204[0]["range"], "context": { "diagnostics": e0204 } }),
    );
    let action = &a["result"][0];
    assert_eq!(action["title"], "Change to `replicas`", "{a}");
    assert_eq!(action["isPreferred"], true, "{a}");
    assert_eq!(action["edit"]["changes"][uri(&web)][0]["newText"], "replicas");
    assert_eq!(action["edit"]["changes"][uri(&web)][0]["range"], e0204[0]["range"]);
    c.stop();
}

/// Quick fixes are the compiler's structured fixes, carried in the published diagnostic's
/// `data`: without it (a client that drops `data`) there are none, whatever the message
/// says; a wrong variant offers the variants without a payload; and no fix writes a
/// placeholder reason (the old E0501 fix wrote `app("TODO: say what gates this service")`,
/// after which the workspace checked clean).
#[test]
fn quick_fixes_are_structured_and_never_write_placeholders() {
    let (root, _db, web) = workspace("lsp-honest-fixes");
    let mut c = Client::start(&root);
    let doc = json!({ "uri": uri(&web) });
    let actions = |c: &mut Client, diags: Vec<Value>| -> Vec<Value> {
        let range = diags[0]["range"].clone();
        let a = c.request(
            "textDocument/codeAction",
            json!({ "textDocument": doc, "range": range, "context": { "diagnostics": diags } }),
        );
        a["result"].as_array().cloned().unwrap_or_default()
    };
    let of = |d: &[Value], code: &str| -> Vec<Value> { d.iter().filter(|x| x["code"] == code).cloned().collect() };

    // Evaluation errors: a wrong variant and a misspelt field.
    let text = WEB
        .replace("namespace web { tier = \"aux\" }", "namespace web { tier = \"gold\" }")
        .replace("    port http = 80\n", "    port http = 80\n    replica = 2\n");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": text } }),
    );
    let d = c.diagnostics_until(&web, |d| ["E0204", "E0214"].iter().all(|c| d.iter().any(|x| x["code"] == *c)));

    // E0214: each tier the cluster declares, none preferred (no spelling is close to `gold`).
    let titles: Vec<String> =
        actions(&mut c, of(&d, "E0214")).iter().filter_map(|a| a["title"].as_str().map(String::from)).collect();
    for t in ["Change to `aux`", "Change to `core`", "Change to `cluster`"] {
        assert!(titles.iter().any(|x| x == t), "{titles:?}");
    }

    // E0204 without `data`: the message still says "did you mean `replicas`?", but no fix is
    // read from prose.
    let mut e0204 = of(&d, "E0204");
    assert!(e0204[0]["message"].as_str().unwrap_or_default().contains("did you mean `replicas`?"));
    assert!(!actions(&mut c, e0204.clone()).is_empty());
    e0204[0].as_object_mut().map(|o| o.remove("data"));
    assert_eq!(actions(&mut c, e0204), Vec::<Value>::new());

    // E0501 (a domain check, which runs once evaluation is clean): the reason is the user's
    // to write; there is nothing to apply.
    let text = WEB.replace(
        "    port http = 80\n",
        "    port http = 80\n    ingress web { full_host = \"web.example.org\", auth = app(\"\") }\n",
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 2 }, "contentChanges": [{ "text": text }] }),
    );
    let d = c.diagnostics_until(&web, |d| d.iter().any(|x| x["code"] == "E0501"));
    let e0501 = of(&d, "E0501");
    assert!(e0501[0]["data"].get("fixes").is_none(), "{e0501:?}");
    assert_eq!(actions(&mut c, e0501), Vec::<Value>::new());
    c.stop();
}

/// A file that is not UTF-8 is E0003 in the editor as in `hlc check`: the server gives the
/// compiler the file's bytes, not a lossy decoding of them (which read as text with U+FFFD
/// in it and reported whatever that text got wrong).
#[test]
fn a_file_that_is_not_utf8_is_e0003_as_in_the_cli() {
    let (root, _db, web) = workspace("lsp-not-utf8");
    let bad = web.with_file_name("latin1.hl");
    // `tier = "caf\xe9"`: Latin-1, not UTF-8.
    fs::write(&bad, b"stack latin1 {\n  namespace latin1 { tier = \"caf\xe9\" }\n}\n").expect("write");
    let cli = Command::new(env!("CARGO_BIN_EXE_hlc"))
        .args(["check", "--format", "short"])
        .arg(web.parent().expect("stacks"))
        .output()
        .expect("hlc check");
    let cli_out = format!("{}{}", String::from_utf8_lossy(&cli.stdout), String::from_utf8_lossy(&cli.stderr));
    assert!(cli_out.contains("latin1.hl:2:") && cli_out.contains("E0003"), "{cli_out}");

    let mut c = Client::start(&root);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": WEB } }),
    );
    let d = c.diagnostics_until(&bad, |d| !d.is_empty());
    let codes: Vec<&str> = d.iter().filter_map(|x| x["code"].as_str()).collect();
    assert_eq!(codes, ["E0003"], "{d:?}");
    assert_eq!(d[0]["range"]["start"]["line"], 1, "{d:?}");

    // Changed on disk (still not UTF-8): the server rereads the bytes, not a lossy text.
    fs::write(&bad, b"stack latin1 {\n  namespace latin1 { tier = \"aux\" }\n  description = \"\xff\"\n}\n")
        .expect("write");
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&bad), "type": 2 }] }));
    let d = c.diagnostics_until(&bad, |d| d.iter().any(|x| x["range"]["start"]["line"] == 2));
    let codes: Vec<&str> = d.iter().filter_map(|x| x["code"].as_str()).collect();
    assert_eq!(codes, ["E0003"], "{d:?}");
    c.stop();
}

#[test]
fn a_loop_in_the_edited_file_is_cut_off_and_reported() {
    let (root, _db, web) = workspace("lsp-loop");
    let mut c = Client::start(&root);
    let looping = format!(
        "fn down(n: Int) -> Int = down(n - 1)\n{}",
        WEB.replace("port http = 80", "port http = 80\n    replicas = down(3)")
    );
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&web), "languageId": "hl", "version": 1, "text": looping } }),
    );
    let d = c.diagnostics_until(&web, |d| !d.is_empty());
    assert!(d.iter().any(|x| x["code"] == "E0301"), "{d:?}");
    // The server is still there.
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri(&web) }, "position": pos(&looping, "down(3)", 1) }),
    );
    assert!(h["result"]["contents"]["value"].as_str().unwrap_or_default().contains("fn down"), "{h}");
    c.stop();
}

/// With `HLC_CRD_SCHEMAS`, the server checks manifests against their CRD's schema (E0215) as
/// `hlc check --crd-schemas` does; without it, it does not.
#[test]
fn manifests_are_checked_against_crd_schemas_from_the_environment() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ui/E0215-schema-violation");
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp-crds");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("stacks")).expect("mkdir");
    let file = root.join("stacks/main.hl");
    let text = fs::read_to_string(fixture.join("main.hl")).expect("the fixture");
    fs::write(&file, &text).expect("write");
    let open = json!({ "textDocument": { "uri": uri(&file), "languageId": "hl", "version": 1, "text": text } });

    let crds = fixture.join("crds");
    let mut c = Client::start_with_env(&root, &[("HLC_CRD_SCHEMAS", &crds)]);
    c.notify("textDocument/didOpen", open.clone());
    let d = c.diagnostics_until(&file, |d| !d.is_empty());
    let codes: Vec<&str> = d.iter().filter_map(|x| x["code"].as_str()).collect();
    assert_eq!(codes, ["E0215"; 9], "{d:?}");
    c.stop();

    let mut c = Client::start(&root);
    c.notify("textDocument/didOpen", open);
    let d = c.diagnostics_until(&file, |_| true);
    assert!(d.is_empty(), "no schemas, no E0215: {d:?}");
    c.stop();
}
