//! `hlc lsp` under conditions an editor produces: multi-byte characters next to every
//! position a handler works with, malformed messages, incremental edits, and a 5 MB document.
//! Like `lsp.rs`, these speak JSON-RPC to the real binary over its stdio.

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
    /// Messages received while waiting for something else.
    backlog: Vec<Value>,
}

const TIMEOUT: Duration = Duration::from_secs(120);

/// The binary under test; `HLC_LSP_BINARY` points at another build (to check that a test
/// fails on the code before a fix).
fn binary() -> String {
    std::env::var("HLC_LSP_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hlc").to_string())
}

impl Client {
    fn spawn() -> Client {
        let mut child = Command::new(binary())
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start hlc lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let rx = lsp_frames::read_messages(stdout);
        Client { child, stdin, rx, next_id: 0, backlog: Vec::new() }
    }

    fn start(root: &Path) -> Client {
        let mut c = Client::spawn();
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri(root), "capabilities": {}, "workspaceFolders": [{ "uri": uri(root), "name": "ws" }] }),
        );
        assert!(init["result"]["capabilities"]["hoverProvider"].as_bool().unwrap_or(false), "{init}");
        c.notify("initialized", json!({}));
        c
    }

    /// One framed message with `body` as it is (which need not be JSON).
    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn send(&mut self, v: Value) {
        self.send_raw(&v.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Wait for the first message (from the backlog, then as they come) that satisfies `pred`.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = match self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(v) => v,
                Err(_) => panic!("no {what} in time (is the server still running?)"),
            };
            if pred(&v) {
                return v;
            }
            self.backlog.push(v);
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("reply to `{method}`"), |v| v["id"] == json!(id) && v.get("method").is_none())
    }

    /// A request that must succeed: its result.
    fn ask(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "`{method}` failed: {r}");
        r["result"].clone()
    }

    /// The diagnostics published for `file` at document version `version`.
    fn diagnostics_of_version(&mut self, file: &Path, version: i64) -> Vec<Value> {
        let want = json!(uri(file));
        let v = self.wait_for(&format!("diagnostics of version {version}"), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == want
                && v["params"]["version"] == json!(version)
        });
        v["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    fn open(&mut self, file: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(file), "languageId": "hl", "version": 1, "text": text } }),
        );
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

impl Drop for Client {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// The protocol position (line, UTF-16 column) of `needle` in `text`, `delta` bytes into it.
fn pos(text: &str, needle: &str, delta: usize) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in text")) + delta;
    position_of(text, at)
}

fn position_of(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    json!({ "line": line, "character": text[line_start..at].encode_utf16().count() })
}

fn range(text: &str, needle: &str) -> Value {
    json!({ "start": pos(text, needle, 0), "end": pos(text, needle, needle.len()) })
}

/// Multi-byte characters (2, 3 and 4 bytes; the last two UTF-16 units) right before the
/// names, values and calls the handlers are asked about.
const DB: &str = "// la base de données — 😀 中文\nstack /*é*/db {\n  description = \"les bases partagées 😀\"\n  namespace db { tier = \"cluster\" }\n}\n";
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

const WEB: &str = r#"// 中文 😀 é
stack web {
  description = "é😀中"
  depends_on = [/*😀*/db]
  namespace web { /*é😀*/tier = "aux" } // 中文
  service /*中*/web {
    image = "nginx:1.27" /* 😀 */
    port http = 80
    /*😀*/volume data = pvc(/*é*/1Gi, mount = "/données/😀")
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

/// A server with web.hl open as `text`.
fn opened(name: &str, text: &str) -> (Client, PathBuf, PathBuf, Value) {
    let (root, db, web) = workspace(name);
    let mut c = Client::start(&root);
    c.open(&web, text);
    let doc = json!({ "uri": uri(&web) });
    (c, db, web, doc)
}

fn at(doc: &Value, text: &str, needle: &str, delta: usize) -> Value {
    json!({ "textDocument": doc, "position": pos(text, needle, delta) })
}

#[test]
fn multi_byte_hover() {
    let (mut c, _db, _web, doc) = opened("lsp-mb-hover", WEB);
    let h = c.ask("textDocument/hover", at(&doc, WEB, "tier = \"aux\"", 1));
    assert!(h["contents"]["value"].as_str().unwrap_or_default().contains("tier: String?"), "{h}");
    assert_eq!(h["range"], range(WEB, "tier"), "{h}");
    let h = c.ask("textDocument/hover", at(&doc, WEB, "1Gi", 1));
    assert_eq!(h["range"], range(WEB, "1Gi"), "{h}");
    // A column inside a surrogate pair (the middle of 😀) is no error.
    let mid = json!({ "line": 0, "character": 4 });
    let r = c.request("textDocument/hover", json!({ "textDocument": doc, "position": mid }));
    assert!(r.get("error").is_none(), "{r}");
    c.stop();
}

#[test]
fn multi_byte_definition() {
    let (mut c, db, _web, doc) = opened("lsp-mb-definition", WEB);
    let d = c.ask("textDocument/definition", at(&doc, WEB, "db]", 1));
    assert_eq!(d["uri"], json!(uri(&db)), "{d}");
    assert_eq!(d["range"], json!({ "start": pos(DB, "db {", 0), "end": pos(DB, "db {", 2) }), "{d}");
    c.stop();
}

#[test]
fn multi_byte_references_and_rename() {
    let (mut c, db, web, doc) = opened("lsp-mb-references", WEB);
    let mut p = at(&doc, WEB, "db]", 1);
    p["context"] = json!({ "includeDeclaration": true });
    let r = c.ask("textDocument/references", p);
    let mut found: Vec<(String, Value)> = r
        .as_array()
        .map(|a| a.iter().map(|l| (l["uri"].as_str().unwrap_or_default().to_string(), l["range"].clone())).collect())
        .unwrap_or_default();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let db_name = json!({ "start": pos(DB, "db {", 0), "end": pos(DB, "db {", 2) });
    let web_use = json!({ "start": pos(WEB, "db]", 0), "end": pos(WEB, "db]", 2) });
    assert_eq!(found, [(uri(&db), db_name.clone()), (uri(&web), web_use.clone())]);

    let r = c.ask("textDocument/prepareRename", at(&doc, WEB, "db]", 1));
    assert_eq!(r, web_use);
    let mut p = at(&doc, WEB, "db]", 1);
    p["newName"] = json!("databases");
    let r = c.ask("textDocument/rename", p);
    assert_eq!(r["changes"][uri(&web)][0]["range"], web_use, "{r}");
    assert_eq!(r["changes"][uri(&db)][0]["range"], db_name, "{r}");
    c.stop();
}

#[test]
fn multi_byte_completion() {
    let text = WEB.replace("/*é😀*/tier = \"aux\"", "/*é😀*/tier = ");
    let (mut c, _db, _web, doc) = opened("lsp-mb-completion", &text);
    let r = c.ask("textDocument/completion", at(&doc, &text, "tier = ", 7));
    let labels: Vec<&str> =
        r.as_array().map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect()).unwrap_or_default();
    for tier in ["core", "cluster", "aux"] {
        assert!(labels.contains(&tier), "{labels:?}");
    }
    c.stop();
}

#[test]
fn multi_byte_signature_help() {
    // A multi-byte character right before `(`: no name, no signature, and no failure.
    let text = WEB.replace("pvc(/*é*/1Gi", "😀(/*é*/1Gi");
    let (mut c, _db, web, doc) = opened("lsp-mb-signature", &text);
    let s = c.ask("textDocument/signatureHelp", at(&doc, &text, "😀(", "😀(".len()));
    assert_eq!(s, Value::Null);
    // One that may end a name (`·` is not alphanumeric), then a function's name.
    let text = WEB.replace("= pvc(/*é*/1Gi", "= ·pvc(/*é*/1Gi");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 2 }, "contentChanges": [{ "text": text }] }),
    );
    let s = c.ask("textDocument/signatureHelp", at(&doc, &text, "pvc(", 4));
    assert!(s["signatures"][0]["label"].as_str().unwrap_or_default().starts_with("fn pvc("), "{s}");
    // Multi-byte characters inside the arguments: the named argument is still found.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 3 }, "contentChanges": [{ "text": WEB }] }),
    );
    let s = c.ask("textDocument/signatureHelp", at(&doc, WEB, "/données/😀\"", "/données/😀\"".len()));
    assert!(s["signatures"][0]["label"].as_str().unwrap_or_default().starts_with("fn pvc("), "{s}");
    assert_eq!(s["activeParameter"], 1, "{s}");
    c.stop();
}

/// Semantic tokens as absolute (line, column, length, type).
fn tokens(data: &Value) -> Vec<(u64, u64, u64, u64)> {
    let data: Vec<u64> = data.as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    let (mut line, mut col) = (0, 0);
    data.chunks(5)
        .map(|t| {
            if t[0] > 0 {
                col = 0;
            }
            line += t[0];
            col += t[1];
            (line, col, t[2], t[3])
        })
        .collect()
}

#[test]
fn multi_byte_semantic_tokens() {
    let (mut c, _db, web, doc) = opened("lsp-mb-tokens", WEB);
    let t = c.ask("textDocument/semanticTokens/full", json!({ "textDocument": doc }));
    let toks = tokens(&t["data"]);
    let token = |needle: &str, len: usize| {
        let p = pos(WEB, needle, 0);
        (p["line"].as_u64().unwrap_or(0), p["character"].as_u64().unwrap_or(0), len as u64)
    };
    let has = |(line, col, len): (u64, u64, u64), ty: u64| toks.contains(&(line, col, len, ty));
    // The comment (UTF-16 length), a string of multi-byte characters, and names after them.
    assert!(has(token("// 中文", "// 中文 😀 é".encode_utf16().count()), 8), "{toks:?}");
    assert!(has(token("\"é😀中\"", "\"é😀中\"".encode_utf16().count()), 6), "{toks:?}");
    assert!(has(token("tier = \"aux\"", 4), 5), "{toks:?}");
    assert!(has(token("\"aux\"", 5), 6), "{toks:?}");
    assert!(has(token("1Gi", 3), 7), "{toks:?}");
    // Interpolations next to multi-byte characters cut no character.
    for (version, interpolated) in [(2, "\"é${\"😀\"}中${ \"x\" }😀\""), (3, "\"é${\"😀\"}中${\"x\"😀}😀\"")]
    {
        let text = WEB.replace("\"é😀中\"", interpolated);
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(&web), "version": version }, "contentChanges": [{ "text": text }] }),
        );
        let t = c.ask("textDocument/semanticTokens/full", json!({ "textDocument": doc }));
        assert!(!tokens(&t["data"]).is_empty(), "{t}");
    }
    c.stop();
}

#[test]
fn multi_byte_inlay_hints() {
    let (mut c, _db, _web, doc) = opened("lsp-mb-hints", WEB);
    let h = c.ask(
        "textDocument/inlayHint",
        json!({ "textDocument": doc, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } } }),
    );
    let hint =
        |label: &str| h.as_array().and_then(|a| a.iter().find(|x| x["label"] == label)).map(|x| x["position"].clone());
    assert_eq!(hint("size ="), Some(pos(WEB, "1Gi", 0)), "{h}");
    assert_eq!(hint(": Service"), Some(pos(WEB, "web {\n    image", 3)), "{h}");
    // A range that starts after multi-byte characters: only the hints inside it.
    let line = pos(WEB, "/*😀*/volume", 0)["line"].clone();
    let h = c.ask(
        "textDocument/inlayHint",
        json!({ "textDocument": doc, "range": { "start": pos(WEB, "1Gi", 0), "end": { "line": line, "character": 99 } } }),
    );
    let labels: Vec<&str> =
        h.as_array().map(|a| a.iter().filter_map(|x| x["label"].as_str()).collect()).unwrap_or_default();
    assert_eq!(labels, ["size ="], "{h}");
    c.stop();
}

#[test]
fn multi_byte_code_actions() {
    let text = WEB.replace("    port http = 80\n", "    port http = 80\n    /*é😀*/replica = 2\n");
    let (mut c, _db, web, doc) = opened("lsp-mb-actions", &text);
    let d = c.diagnostics_of_version(&web, 1);
    let e0204: Vec<Value> = d.iter().filter(|x| x["code"] == "E0204").cloned().collect();
    assert_eq!(e0204[0]["range"], range(&text, "replica"), "{d:?}");
    let a = c.ask(
        "textDocument/codeAction",
        json!({ "textDocument": doc, "range": e0204[0]["range"], "context": { "diagnostics": e0204 } }),
    );
    assert_eq!(a[0]["title"], "Change to `replicas`", "{a}");
    assert_eq!(a[0]["edit"]["changes"][uri(&web)][0]["range"], range(&text, "replica"));
    c.stop();
}

#[test]
fn multi_byte_formatting() {
    // Not formatted, and ending in multi-byte characters without a newline.
    let text = format!(
        "{}// fin 😀 é",
        WEB.replace("namespace web { /*é😀*/tier = \"aux\" }", "namespace web {/*é😀*/tier=\"aux\"}")
    );
    let (mut c, _db, _web, doc) = opened("lsp-mb-format", &text);
    let f = c.ask(
        "textDocument/formatting",
        json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(
        f[0]["range"],
        json!({ "start": { "line": 0, "character": 0 }, "end": position_of(&text, text.len()) }),
        "{f}"
    );
    let new = f[0]["newText"].as_str().unwrap_or_default();
    assert!(new.contains("tier = \"aux\"") && new.contains("// fin 😀 é"), "{new}");
    c.stop();
}

#[test]
fn multi_byte_symbols() {
    let (mut c, _db, web, doc) = opened("lsp-mb-symbols", WEB);
    let s = c.ask("textDocument/documentSymbol", json!({ "textDocument": doc }));
    assert_eq!(s[0]["name"], "stack web", "{s}");
    assert_eq!(s[0]["range"]["start"], pos(WEB, "stack web", 0));
    assert_eq!(s[0]["range"]["end"], position_of(WEB, WEB.len() - 1));
    assert_eq!(s[0]["children"][1]["name"], "service web", "{s}");
    let service_name = json!({ "start": pos(WEB, "web {\n    image", 0), "end": pos(WEB, "web {\n    image", 3) });
    assert_eq!(s[0]["children"][1]["selectionRange"], service_name, "{s}");
    let w = c.ask("workspace/symbol", json!({ "query": "web" }));
    let ranges: Vec<&Value> = w
        .as_array()
        .map(|a| {
            a.iter().filter(|x| x["location"]["uri"] == json!(uri(&web))).map(|x| &x["location"]["range"]).collect()
        })
        .unwrap_or_default();
    assert!(ranges.contains(&&service_name), "{w}");
    c.stop();
}

#[test]
fn malformed_messages_are_answered_and_the_server_goes_on() {
    let (mut c, _db, web, doc) = opened("lsp-malformed", WEB);
    // Not JSON: a parse error, id null.
    c.send_raw("{\"jsonrpc\": \"2.0\", \"id\": 99, \"method\": ");
    let e = c.wait_for("a parse error", |v| v["error"]["code"] == -32700);
    assert_eq!(e["id"], Value::Null, "{e}");
    // A frame without a length.
    write!(c.stdin, "Content-Type: application/vscode-jsonrpc\r\n\r\n").expect("write");
    c.wait_for("a parse error", |v| v["error"]["code"] == -32700);
    // JSON that is no message.
    c.send_raw("[1, 2, 3]");
    c.wait_for("an invalid request", |v| v["error"]["code"] == -32600);
    // A known method with wrong params: invalid params.
    let r = c.request("textDocument/hover", json!({ "textDocument": 5 }));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = c.request("textDocument/semanticTokens/full", json!([]));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // A notification with wrong params is dropped.
    c.notify("textDocument/didChange", json!({ "textDocument": "nope" }));

    // A lone surrogate (as a JavaScript client may send it) reads as U+FFFD, one UTF-16 unit
    // for one: a request carrying it is answered, and a text carrying it keeps its positions.
    c.next_id += 1;
    let id = c.next_id;
    c.send_raw(&format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"workspace/symbol","params":{{"query":"\ud800"}}}}"#));
    let r = c.wait_for("the reply with a lone surrogate", |v| v["id"] == json!(id));
    assert!(r.get("error").is_none(), "{r}");
    let text = WEB.replace("// 中文\n", "// \u{fffd}\u{fffd} x\n").replace("port http = 80", "port http=80");
    let body = json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": { "textDocument": { "uri": uri(&web), "version": 2 }, "contentChanges": [{ "text": text }] } })
        .to_string()
        .replacen("\u{fffd}", "\\udfff", 1)
        .replacen("\u{fffd}", "\\ud800", 1);
    assert!(body.contains("// \\udfff\\ud800 x"), "{body}");
    c.send_raw(&body);
    // Then an incremental edit after it on the same line: in place only if the lone
    // surrogates counted one unit each.
    let x = pos(&text, "\u{fffd}\u{fffd} x", "\u{fffd}\u{fffd} ".len());
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": 3 }, "contentChanges": [{ "range": { "start": x, "end": { "line": x["line"], "character": x["character"].as_u64().unwrap_or(0) + 1 } }, "text": "y" }] }),
    );
    let f = c.ask(
        "textDocument/formatting",
        json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let new = f[0]["newText"].as_str().unwrap_or_default();
    assert!(new.contains("// \u{fffd}\u{fffd} y\n"), "{f}");
    let h = c.ask("textDocument/hover", at(&doc, &text, "tier = \"aux\"", 1));
    assert_eq!(h["range"], range(&text, "tier"), "{h}");
    c.stop();
}

#[test]
fn an_initialize_with_wrong_params_is_refused_not_fatal() {
    let (root, _db, _web) = workspace("lsp-bad-initialize");
    let mut c = Client::spawn();
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32002, "{r}");
    let r = c.request("initialize", json!({ "processId": "not a number", "capabilities": 7 }));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = c.request("initialize", json!({ "processId": null, "rootUri": uri(&root), "capabilities": {} }));
    assert!(r["result"]["capabilities"]["hoverProvider"].as_bool().unwrap_or(false), "{r}");
    c.notify("initialized", json!({}));
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    c.stop();
}

/// A range edit: (line, UTF-16 column) of its start and end, and the new text.
type Change = ((usize, usize), (usize, usize), &'static str);

/// A change of the text between UTF-16 positions `start..end` of `text`, and the text after it.
fn edit(text: &str, start: (usize, usize), end: (usize, usize), new: &str) -> (Value, String) {
    let offset = |(line, col): (usize, usize)| {
        let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[line_start..].char_indices() {
            if units >= col || c == '\n' {
                return line_start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let (s, e) = (offset(start), offset(end));
    let change = json!({
        "range": { "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } },
        "text": new,
    });
    (change, format!("{}{new}{}", &text[..s], &text[e..]))
}

/// What the server makes of the document: diagnostics, tokens, symbols and its formatting.
fn views(c: &mut Client, web: &Path, version: i64) -> Vec<Value> {
    let doc = json!({ "uri": uri(web) });
    let mut out = vec![json!(c.diagnostics_of_version(web, version))];
    out.push(c.ask("textDocument/semanticTokens/full", json!({ "textDocument": doc })));
    out.push(c.ask("textDocument/documentSymbol", json!({ "textDocument": doc })));
    out.push(c.ask(
        "textDocument/formatting",
        json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }),
    ));
    out
}

#[test]
fn incremental_edits_give_the_same_document_as_the_full_text() {
    // Announced as such.
    let mut probe = Client::spawn();
    let init = probe.request("initialize", json!({ "processId": null, "capabilities": {} }));
    assert_eq!(init["result"]["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync: {init}");
    probe.notify("initialized", json!({}));
    probe.stop();

    let (mut c, _db, web, _doc) = opened("lsp-incremental", WEB);
    c.diagnostics_of_version(&web, 1);
    let mut text = WEB.to_string();
    let mut version = 1;
    // (start, end, new text) in UTF-16 line/columns, several per notification.
    let batches: &[&[Change]] = &[
        // Replace `aux` (after `/*é😀*/`: 3 characters, 4 units) by a wrong tier; insert
        // before a space that follows CJK characters.
        &[((4, 33), (4, 36), "gold"), ((0, 5), (0, 5), "🎉")],
        // Across lines and multi-byte characters: join lines 2-3, then insert a line.
        &[((2, 17), (3, 16), "é中😀\", depends_on = ["), ((2, 0), (2, 0), "  // 新しい行\n")],
        // Delete a surrogate pair and the space after it; append past the last line.
        &[((0, 5), (0, 8), ""), ((99, 0), (99, 0), "// end é")],
        // An empty edit, and one that replaces a range with the same text.
        &[((1, 0), (1, 0), ""), ((4, 2), (4, 6), "name")],
    ];
    for batch in batches {
        version += 1;
        let mut changes = Vec::new();
        for &(start, end, new) in *batch {
            let (change, after) = edit(&text, start, end, new);
            changes.push(change);
            text = after;
        }
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(&web), "version": version }, "contentChanges": changes }),
        );
    }
    let incremental = views(&mut c, &web, version);
    assert!(
        incremental[0]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x["code"] == "E0214" && x["range"] == range(&text, "\"gold\""))),
        "the wrong tier, where it is: {} in {text}",
        incremental[0]
    );
    // The same text sent whole.
    version += 1;
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&web), "version": version }, "contentChanges": [{ "text": text }] }),
    );
    let full = views(&mut c, &web, version);
    let names = ["diagnostics", "semantic tokens", "symbols", "formatting"];
    for ((name, a), b) in names.iter().zip(&incremental).zip(&full) {
        assert_eq!(a, b, "{name} differ for {text}");
    }
    c.stop();
}

/// A well-formed hl document of about 5 MB: stacks, each after a block of comments with
/// multi-byte characters (so that columns need UTF-16 counting), every tenth one with an
/// error.
fn big_document() -> (String, usize) {
    let mut text = String::with_capacity(5_100_000);
    let mut stacks = 0;
    while text.len() < 5_000_000 {
        let i = stacks;
        for _ in 0..60 {
            text.push_str(&format!("// Stack {i}: généré pour le test — 😀 中文 {}\n", "x".repeat(40)));
        }
        let tier = if i % 10 == 5 { "gold" } else { "aux" };
        text.push_str(&format!(
            "stack s{i} {{\n  description = \"stack number {i} — é\"\n  namespace s{i} {{ tier = \"{tier}\" }}\n  service s{i} {{\n    image = \"nginx:1.27\"\n    port http = 80\n    resources {{ cpu = 10m, memory = 64Mi }}\n  }}\n}}\n"
        ));
        stacks += 1;
    }
    (text, stacks)
}

#[test]
fn a_five_megabyte_document() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp-big");
    let _ = fs::remove_dir_all(&root);
    let ws = root.join("stacks");
    fs::create_dir_all(&ws).expect("mkdir");
    let (text, stacks) = big_document();
    let file = ws.join("big.hl");
    fs::write(&file, &text).expect("write");
    fs::write(ws.join("cluster.hl"), CLUSTER).expect("write");
    let mut c = Client::start(&root);
    let doc = json!({ "uri": uri(&file) });
    let mut times = Vec::new();
    let timed = |c: &mut Client, times: &mut Vec<(&'static str, Duration)>, name, method: &str, params: Value| {
        let t = Instant::now();
        let r = c.ask(method, params);
        times.push((name, t.elapsed()));
        r
    };

    let t = Instant::now();
    c.open(&file, &text);
    let d = c.diagnostics_of_version(&file, 1);
    times.push(("diagnostics (compile included)", t.elapsed()));
    assert_eq!(d.len(), (stacks + 4) / 10, "one error every tenth stack");
    let last = d.iter().filter_map(|x| x["range"]["start"]["line"].as_u64()).max();
    let last_gold = text.rfind("tier = \"gold\"").map(|at| position_of(&text, at)["line"].as_u64().unwrap_or(0));
    assert_eq!(last, last_gold);

    let s = timed(
        &mut c,
        &mut times,
        "first request (parse and index included)",
        "textDocument/documentSymbol",
        json!({ "textDocument": doc }),
    );
    assert_eq!(s.as_array().map(Vec::len), Some(stacks));
    let t = timed(
        &mut c,
        &mut times,
        "semantic tokens",
        "textDocument/semanticTokens/full",
        json!({ "textDocument": doc }),
    );
    let toks = tokens(&t["data"]);
    assert!(toks.len() > stacks * 60, "{}", toks.len());
    let last_aux = text.rfind("tier = \"aux\"").expect("aux");
    let p = position_of(&text, last_aux);
    assert!(toks.iter().any(|x| (x.0, x.1) == (p["line"].as_u64().unwrap_or(0), p["character"].as_u64().unwrap_or(0))));
    let s =
        timed(&mut c, &mut times, "document symbols", "textDocument/documentSymbol", json!({ "textDocument": doc }));
    assert_eq!(s.as_array().map(Vec::len), Some(stacks));
    assert_eq!(s[stacks - 1]["name"], format!("stack s{}", stacks - 1));
    let h = timed(
        &mut c,
        &mut times,
        "hover",
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position_of(&text, last_aux + 1) }),
    );
    assert_eq!(h["range"]["start"], position_of(&text, last_aux), "{h}");
    let at_value = position_of(&text, last_aux + "tier = ".len());
    let r = timed(
        &mut c,
        &mut times,
        "completion",
        "textDocument/completion",
        json!({ "textDocument": doc, "position": at_value }),
    );
    assert!(r.as_array().is_some_and(|a| a.iter().any(|i| i["label"] == "cluster")), "{r}");
    let h = timed(
        &mut c,
        &mut times,
        "inlay hints",
        "textDocument/inlayHint",
        json!({ "textDocument": doc, "range": { "start": { "line": 0, "character": 0 }, "end": position_of(&text, text.len()) } }),
    );
    assert!(h.as_array().is_some_and(|a| a.len() >= stacks), "{}", h.as_array().map(Vec::len).unwrap_or(0));

    // An incremental edit in the middle: fixes the tier of the last stack with an error.
    let t = Instant::now();
    let gold = text.rfind("tier = \"gold\"").expect("gold") + "tier = \"".len();
    let (start, end) = (position_of(&text, gold), position_of(&text, gold + 4));
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&file), "version": 2 }, "contentChanges": [{ "range": { "start": start, "end": end }, "text": "aux" }] }),
    );
    let d2 = c.diagnostics_of_version(&file, 2);
    times.push(("diagnostics after an edit (compile included)", t.elapsed()));
    assert_eq!(d2.len(), d.len() - 1);
    let h = timed(
        &mut c,
        &mut times,
        "hover after the edit (parse included)",
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position_of(&text, gold + 1) }),
    );
    assert!(h["contents"]["value"].as_str().unwrap_or_default().contains("\"aux\": String"), "{h}");
    let h = timed(
        &mut c,
        &mut times,
        "hover after the edit",
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position_of(&text, gold + 1) }),
    );
    assert!(h.is_object());

    eprintln!("5 MB document ({} bytes, {stacks} stacks, {} lines):", text.len(), text.lines().count());
    for (name, t) in &times {
        eprintln!("  {name:<45} {:>8.1} ms", t.as_secs_f64() * 1000.0);
    }
    // The requests themselves must take well under a second (the bound is generous for
    // loaded machines and debug builds); parsing and compiling 5 MB may take longer.
    for (name, t) in &times {
        let bound = if name.contains("included") { Duration::from_secs(90) } else { Duration::from_secs(5) };
        assert!(*t < bound, "{name} took {t:?}");
    }
    c.stop();
}
