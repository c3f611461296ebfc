//! The language server's message handling: didOpen with fuzzed text, edits (didChange) and
//! requests at fuzzed positions (hover, definition, references, prepareRename, rename, symbols,
//! formatting, completion, semantic tokens, inlay hints, signature help, code actions), then
//! didClose. No request may fail with an internal error (a handler that panicked), and the
//! server must not panic (libFuzzer's panic hook aborts even on panics the server catches per
//! request).
//!
//! One server runs for the whole process, initialized once, as in an editor: the standard
//! library is parsed and evaluated once, not per execution, and each input is a document
//! opened, worked on and closed in it. Every 256th input also shuts the server down and
//! starts a new one, so that shutdown and exit stay fuzzed. An input that fails only after
//! others points at state kept between documents; `cargo fuzz run lsp ARTIFACT` replays it
//! alone.
//!
//! Input: the first byte is the length `n` of a control block (the next `n` bytes, which pick
//! the operations and positions); the rest is the document's text, read lossily as UTF-8.
//! The document lives under a directory that does not exist, so the server reads nothing
//! from disk.

#![no_main]

use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

const ROOT: &str = "file:///hl-fuzz-nowhere";
const URI: &str = "file:///hl-fuzz-nowhere/ws/main.hl";

/// Pieces an edit inserts: brackets, quotes and multi-byte characters (UTF-16 positions).
const PIECES: &[&str] =
    &["{", "}", "[", "]", "(", ")", "\"", "=", ",", ".", "..", "\n", " ", "x", "web", "stack", "é", "😀", "//", "${"];

fn position(u: &mut Unstructured<'_>, text: &str) -> Value {
    let lines = text.split('\n').count() as u32;
    let line = u.int_in_range(0..=lines + 1).unwrap_or(0);
    let width = text.split('\n').nth(line as usize).map(|l| l.encode_utf16().count() as u32).unwrap_or(0);
    let character = u.int_in_range(0..=width + 2).unwrap_or(0);
    json!({ "line": line, "character": character })
}

/// `text` with one piece inserted (or a range removed) at a char boundary the controls pick.
fn edit(u: &mut Unstructured<'_>, text: &str) -> String {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let a = bounds[u.choose_index(bounds.len()).unwrap_or(0)];
    if u.arbitrary::<bool>().unwrap_or(false) {
        let b = bounds[u.choose_index(bounds.len()).unwrap_or(0)];
        let (a, b) = (a.min(b), a.max(b));
        format!("{}{}", &text[..a], &text[b..])
    } else {
        let piece = PIECES[u.choose_index(PIECES.len()).unwrap_or(0)];
        format!("{}{piece}{}", &text[..a], &text[a..])
    }
}

fn request(id: i32, method: &str, params: Value) -> Message {
    Message::Request(Request { id: RequestId::from(id), method: method.into(), params })
}

fn notification(method: &str, params: Value) -> Message {
    Message::Notification(Notification { method: method.into(), params })
}

/// The messages of one input: the document opened, worked on and closed. Request ids start
/// after `base`; returns the messages and the last id used.
fn document(controls: &[u8], text: String, base: i32) -> (Vec<Message>, i32) {
    let mut u = Unstructured::new(controls);
    let doc = json!({ "uri": URI });
    let mut text = text;
    let mut version = 1;
    let mut msgs = vec![notification(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "hl", "version": version, "text": text } }),
    )];
    let mut id = base;
    while !u.is_empty() && msgs.len() < 64 {
        id += 1;
        let op = u.int_in_range(0u8..=13).unwrap_or(0);
        let pos = position(&mut u, &text);
        let at = json!({ "textDocument": doc, "position": pos });
        let range = json!({ "start": pos, "end": position(&mut u, &text) });
        let msg = match op {
            0 => {
                text = edit(&mut u, &text);
                version += 1;
                notification(
                    "textDocument/didChange",
                    json!({ "textDocument": { "uri": URI, "version": version }, "contentChanges": [{ "text": text }] }),
                )
            }
            1 => request(id, "textDocument/hover", at),
            2 => request(id, "textDocument/definition", at),
            3 => request(
                id,
                "textDocument/references",
                json!({ "textDocument": doc, "position": pos, "context": { "includeDeclaration": true } }),
            ),
            4 => request(id, "textDocument/prepareRename", at),
            5 => {
                let name = ["web", "x-y", "", "a b", "é", "stack"][u.choose_index(6).unwrap_or(0)];
                request(id, "textDocument/rename", json!({ "textDocument": doc, "position": pos, "newName": name }))
            }
            6 => request(id, "textDocument/documentSymbol", json!({ "textDocument": doc })),
            7 => {
                let query = ["", "w", "web", "é"][u.choose_index(4).unwrap_or(0)];
                request(id, "workspace/symbol", json!({ "query": query }))
            }
            8 => request(
                id,
                "textDocument/formatting",
                json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }),
            ),
            9 => request(id, "textDocument/completion", at),
            10 => request(id, "textDocument/semanticTokens/full", json!({ "textDocument": doc })),
            11 => request(id, "textDocument/inlayHint", json!({ "textDocument": doc, "range": range })),
            12 => request(id, "textDocument/signatureHelp", at),
            _ => request(
                id,
                "textDocument/codeAction",
                json!({ "textDocument": doc, "range": range, "context": { "diagnostics": [] } }),
            ),
        };
        msgs.push(msg);
    }
    msgs.push(notification("textDocument/didClose", json!({ "textDocument": doc })));
    (msgs, id)
}

/// A running server and the client's end of its connection.
struct Server {
    client: Connection,
    thread: JoinHandle<Result<(), String>>,
    next_id: i32,
    inputs: u32,
}

impl Server {
    fn start() -> Server {
        let (server, client) = Connection::memory();
        let thread = std::thread::spawn(move || hl_lsp::run(server));
        let s = Server { client, thread, next_id: 1, inputs: 0 };
        s.send(request(0, "initialize", json!({ "capabilities": {}, "rootUri": ROOT })));
        s.answers_until(0);
        s.send(notification("initialized", json!({})));
        s
    }

    fn send(&self, m: Message) {
        assert!(self.client.sender.send(m).is_ok(), "the server stopped reading");
    }

    /// Read what the server sends until the answer to request `id`: no answer may be an
    /// internal error (a handler that panicked).
    fn answers_until(&self, id: i32) {
        loop {
            let Ok(msg) = self.client.receiver.recv() else { panic!("the server stopped answering") };
            if let Message::Response(r) = msg {
                if let Err(e) = &r.response_result {
                    assert!(e.code != -32603, "internal error: {}", e.message);
                }
                if r.id == RequestId::from(id) {
                    return;
                }
            }
        }
    }

    /// Shut the server down and wait for its thread, which must end without a panic.
    fn stop(self) {
        let id = self.next_id;
        self.send(request(id, "shutdown", Value::Null));
        self.answers_until(id);
        self.send(notification("exit", Value::Null));
        assert!(self.thread.join().is_ok(), "the server thread panicked");
    }
}

static SERVER: Mutex<Option<Server>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n as usize).min(rest.len());
    let (controls, text) = rest.split_at(n);
    let text = String::from_utf8_lossy(text).into_owned();
    let mut slot = SERVER.lock().unwrap_or_else(PoisonError::into_inner);
    let server = slot.get_or_insert_with(Server::start);
    let (msgs, last) = document(controls, text, server.next_id);
    for m in msgs {
        server.send(m);
    }
    // Every request of this input is answered before the next input starts: a barrier request
    // after them, answered in order (a method the server does not handle: the cheapest answer).
    let barrier = last + 1;
    server.send(request(barrier, "hl-fuzz/barrier", Value::Null));
    server.answers_until(barrier);
    server.next_id = barrier + 1;
    server.inputs += 1;
    if server.inputs % 256 == 0 {
        if let Some(s) = slot.take() {
            s.stop();
        }
    }
});
