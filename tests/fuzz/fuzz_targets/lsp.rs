//! The language server's message handling: a session of initialize, didOpen with fuzzed text,
//! edits (didChange) and requests at fuzzed positions (hover, definition, references,
//! prepareRename, rename, symbols, formatting, completion, semantic tokens, inlay hints,
//! signature help, code actions), then shutdown and exit. The server thread must end without
//! a panic (libFuzzer's panic hook aborts even on panics the server catches per request).
//!
//! Input: the first byte is the length `n` of a control block (the next `n` bytes, which pick
//! the operations and positions); the rest is the document's text, read lossily as UTF-8.
//! The document lives under a directory that does not exist, so the server reads nothing
//! from disk.

#![no_main]

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

fn session(controls: &[u8], text: String) -> Vec<Message> {
    let mut u = Unstructured::new(controls);
    let doc = json!({ "uri": URI });
    let mut text = text;
    let mut version = 1;
    let mut msgs = vec![
        request(0, "initialize", json!({ "capabilities": {}, "rootUri": ROOT })),
        notification("initialized", json!({})),
        notification(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": URI, "languageId": "hl", "version": version, "text": text } }),
        ),
    ];
    let mut id = 1;
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
    msgs.push(request(id + 1, "shutdown", Value::Null));
    msgs.push(notification("exit", Value::Null));
    msgs
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n as usize).min(rest.len());
    let (controls, text) = rest.split_at(n);
    let text = String::from_utf8_lossy(text).into_owned();
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || hl_lsp::run(server));
    for m in session(controls, text) {
        if client.sender.send(m).is_err() {
            break;
        }
    }
    let result = handle.join();
    assert!(result.is_ok(), "the server thread panicked");
    // Every request was answered, none with an internal error (a handler that panicked).
    while let Ok(msg) = client.receiver.try_recv() {
        if let Message::Response(r) = msg
            && let Err(e) = r.response_result
        {
            assert!(e.code != -32603, "internal error: {}", e.message);
        }
    }
});
