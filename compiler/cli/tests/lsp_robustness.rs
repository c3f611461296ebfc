//! `hlc lsp` under conditions an editor produces: multi-byte characters next to every
//! position a handler works with, malformed messages, incremental edits, and a 5 MB document.
//! Like `lsp.rs`, these speak JSON-RPC to the real binary over its stdio.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
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
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&body)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
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

fn position_of(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    json!({ "line": line, "character": text[line_start..at].encode_utf16().count() })
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
            "stack s{i} {{\n  description = \"stack number {i} — é\"\n  namespace s{i} {{ tier = {tier} }}\n  service s{i} {{\n    image = \"nginx:1.27\"\n    port http = 80\n    resources {{ cpu = 10m, memory = 64Mi }}\n  }}\n}}\n"
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
    let last_gold = text.rfind("tier = gold").map(|at| position_of(&text, at)["line"].as_u64().unwrap_or(0));
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
    let last_aux = text.rfind("tier = aux").expect("aux");
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
