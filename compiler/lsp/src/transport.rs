//! The stdio transport: JSON-RPC messages framed by a `Content-Length` header, read from
//! stdin and written to stdout by two threads, handed to and taken from the main loop as
//! lsp-server [`Message`]s.
//!
//! lsp-server's own reader thread ends at the first message it cannot parse, and the server
//! with it. This one answers such a message with a JSON-RPC error (`-32700` parse error for
//! text that is not JSON or a frame without a length, `-32600` for JSON that is not a
//! message; the id null unless the message had a readable one) and reads on. A string with a
//! lone UTF-16 surrogate escape (`"\ud800"`, which JavaScript clients can send and Rust
//! strings cannot hold) is read with U+FFFD in its place: one UTF-16 unit for one, so the
//! positions of an edit that carries it stay right.

use std::io::{self, BufRead, Read, Write};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{Value, json};

/// The transport's threads, joined when the server is done.
pub struct IoThreads {
    reader: JoinHandle<()>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    pub fn join(self) -> Result<(), String> {
        self.reader.join().map_err(|_| "hlc lsp: the reader thread panicked".to_string())?;
        match self.writer.join() {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("hlc lsp: the writer thread panicked".into()),
        }
    }
}

/// A connection over stdin and stdout.
pub fn stdio() -> Result<(Connection, IoThreads), String> {
    let (to_server, from_client) = crossbeam_channel::unbounded();
    let (to_client, outgoing) = crossbeam_channel::unbounded();
    let (errors_tx, errors_rx) = crossbeam_channel::unbounded();
    let cannot = |e: io::Error| format!("hlc lsp: cannot start the stdio threads: {e}");
    let reader = std::thread::Builder::new()
        .name("hlc-lsp-reader".into())
        .spawn(move || read_messages(&mut io::stdin().lock(), &to_server, &errors_tx))
        .map_err(cannot)?;
    let writer = std::thread::Builder::new()
        .name("hlc-lsp-writer".into())
        .spawn(move || write_messages(&mut io::stdout().lock(), &outgoing, errors_rx))
        .map_err(cannot)?;
    Ok((Connection { sender: to_client, receiver: from_client }, IoThreads { reader, writer }))
}

/// Read messages until the input ends or after `exit`: good ones go to the server, and an
/// error response for each bad one to the writer.
pub fn read_messages(input: &mut impl BufRead, server: &Sender<Message>, errors: &Sender<Value>) {
    loop {
        let message = match read_frame(input) {
            Frame::End => return,
            Frame::Bad(why) => Err(error(Value::Null, ErrorCode::ParseError, &why)),
            Frame::Body(body) => decode(&body),
        };
        match message {
            Ok(m) => {
                let exit = matches!(&m, Message::Notification(n) if n.method == "exit");
                if server.send(m).is_err() || exit {
                    return;
                }
            }
            Err(e) => {
                let _ = errors.send(e);
            }
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    /// A header block without a usable `Content-Length`.
    Bad(String),
    End,
}

/// One framed message: header lines up to an empty line, then `Content-Length` bytes.
fn read_frame(input: &mut impl BufRead) -> Frame {
    let mut length: Option<Result<usize, String>> = None;
    let mut headers = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return Frame::End,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if headers {
                break;
            }
            continue; // blank lines between messages
        }
        headers = true;
        // Looked for anywhere in the line: after a body shorter than its announced length,
        // the next header is glued to the end of that body's line.
        if let Some(at) = text.to_ascii_lowercase().find("content-length:") {
            let value = text[at + "content-length:".len()..].trim();
            length = Some(value.parse().map_err(|_| format!("invalid Content-Length `{value}`")));
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(why)) => return Frame::Bad(why),
        None => return Frame::Bad("a message without a Content-Length header".into()),
    };
    // Read through `take`, not into a buffer of the announced size: a huge length must not
    // allocate before the bytes are there.
    let mut body = Vec::new();
    match input.take(length as u64).read_to_end(&mut body) {
        Ok(n) if n == length => Frame::Body(body),
        _ => Frame::End,
    }
}

/// A body as a message, or the error response it gets.
fn decode(body: &[u8]) -> Result<Message, Value> {
    if let Ok(m) = serde_json::from_slice::<Message>(body) {
        return Ok(m);
    }
    let repaired = replace_lone_surrogates(body);
    let body = repaired.as_deref().unwrap_or(body);
    if repaired.is_some()
        && let Ok(m) = serde_json::from_slice::<Message>(body)
    {
        return Ok(m);
    }
    match serde_json::from_slice::<Value>(body) {
        Err(e) => Err(error(Value::Null, ErrorCode::ParseError, &format!("not JSON: {e}"))),
        Ok(v) => {
            let id = match v.get("id") {
                Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
                _ => Value::Null,
            };
            Err(error(id, ErrorCode::InvalidRequest, "not a JSON-RPC request, response or notification"))
        }
    }
}

fn error(id: Value, code: ErrorCode, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code as i32, "message": format!("hlc lsp: {message}") } })
}

/// The JSON text with every `\uXXXX` escape of a surrogate that is not half of a pair
/// replaced by `\uFFFD`; `None` when there is none.
fn replace_lone_surrogates(text: &[u8]) -> Option<Vec<u8>> {
    let escape = |at: usize| -> Option<u32> {
        let digits = text.get(at..at + 6)?.strip_prefix(b"\\u")?;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let mut out = Vec::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'\\' {
            out.push(text[i]);
            i += 1;
            continue;
        }
        match escape(i) {
            Some(0xD800..=0xDBFF) if matches!(escape(i + 6), Some(0xDC00..=0xDFFF)) => {
                out.extend_from_slice(&text[i..i + 12]);
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.extend_from_slice(b"\\uFFFD");
                changed = true;
                i += 6;
            }
            // Any other escape (`\\` included) is copied whole, so that the byte after it is
            // never taken for the start of one.
            _ => {
                let end = (i + 2).min(text.len());
                out.extend_from_slice(&text[i..end]);
                i = end;
            }
        }
    }
    changed.then_some(out)
}

/// Write the server's messages, and the reader's error responses, until the server is done.
fn write_messages(out: &mut impl Write, messages: &Receiver<Message>, errors: Receiver<Value>) -> io::Result<()> {
    let mut errors = Some(errors);
    let never = crossbeam_channel::never();
    loop {
        select! {
            recv(messages) -> m => match m {
                Ok(m) => m.write(out)?,
                Err(_) => {
                    // The server is done: what the reader still had to say, then stop.
                    for e in errors.iter().flat_map(Receiver::try_iter) {
                        write_raw(out, &e)?;
                    }
                    return Ok(());
                }
            },
            recv(errors.as_ref().unwrap_or(&never)) -> e => match e {
                Ok(e) => write_raw(out, &e)?,
                // The reader is done; the server may still have things to say.
                Err(_) => errors = None,
            },
        }
    }
}

fn write_raw(out: &mut impl Write, message: &Value) -> io::Result<()> {
    let body = message.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// What the reader hands on for `input`: the messages, and the error responses.
    fn read(input: &str) -> (Vec<Message>, Vec<Value>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (etx, erx) = crossbeam_channel::unbounded();
        read_messages(&mut io::Cursor::new(input.as_bytes().to_vec()), &tx, &etx);
        drop((tx, etx));
        (rx.iter().collect(), erx.iter().collect())
    }

    fn method(m: &Message) -> &str {
        match m {
            Message::Request(r) => &r.method,
            Message::Notification(n) => &n.method,
            Message::Response(_) => "<response>",
        }
    }

    #[test]
    fn bad_messages_are_answered_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let input = [
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            frame("[1,2]"),
            "Content-Length: many\r\n\r\n".to_string(),
            "X-Other: 1\r\n\r\n".to_string(),
            frame("\"\u{e9}\""),
            frame(good),
        ]
        .concat();
        let (messages, errors) = read(&input);
        assert_eq!(messages.iter().map(method).collect::<Vec<_>>(), ["shutdown"]);
        let codes: Vec<(i64, Value)> =
            errors.iter().map(|e| (e["error"]["code"].as_i64().unwrap_or(0), e["id"].clone())).collect();
        assert_eq!(
            codes,
            [
                (-32700, Value::Null),
                (-32600, json!(7)),
                (-32600, Value::Null),
                (-32700, Value::Null),
                (-32700, Value::Null),
                (-32600, Value::Null),
            ]
        );
    }

    #[test]
    fn a_wrong_length_loses_a_message_or_two_not_the_stream() {
        let first = r#"{"jsonrpc":"2.0","method":"a"}"#;
        let second = r#"{"jsonrpc":"2.0","method":"b"}"#;
        let third = r#"{"jsonrpc":"2.0","method":"c"}"#;
        // Announced shorter than it is: the rest of the body is glued to the next header
        // line, whose length is found further on in it.
        let input = format!("Content-Length: {}\r\n\r\n{first}{}{}", first.len() - 3, frame(second), frame(third));
        let (messages, errors) = read(&input);
        assert_eq!(messages.iter().map(method).collect::<Vec<_>>(), ["b", "c"], "{errors:?}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        // Announced longer: it swallows the start of the next header, which is lost too.
        let input = format!("Content-Length: {}\r\n\r\n{first}{}{}", first.len() + 5, frame(second), frame(third));
        let (messages, errors) = read(&input);
        assert_eq!(messages.iter().map(method).collect::<Vec<_>>(), ["c"], "{errors:?}");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn the_input_may_end_anywhere() {
        for input in
            ["", "Content-Length: 10\r\n", "Content-Length: 10\r\n\r\n{\"a\"", "Content-Length: 99999999999\r\n\r\n{}"]
        {
            let (messages, _) = read(input);
            assert!(messages.is_empty());
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let body = r#"{"jsonrpc":"2.0","method":"m","params":{"a":"x\ud800y","b":"\udc00","c":"\ud83d\ude00","d":"\\ud800","e":"\ud800\ud800"}}"#;
        let (messages, errors) = read(&frame(body));
        assert!(errors.is_empty(), "{errors:?}");
        let [Message::Notification(n)] = messages.as_slice() else { panic!("{messages:?}") };
        assert_eq!(n.params["a"], "x\u{fffd}y");
        assert_eq!(n.params["b"], "\u{fffd}");
        assert_eq!(n.params["c"], "😀");
        assert_eq!(n.params["d"], "\\ud800");
        assert_eq!(n.params["e"], "\u{fffd}\u{fffd}");
    }

    #[test]
    fn exit_ends_the_reading() {
        let input =
            [frame(r#"{"jsonrpc":"2.0","method":"exit"}"#), frame(r#"{"jsonrpc":"2.0","method":"after"}"#)].concat();
        let (messages, _) = read(&input);
        assert_eq!(messages.iter().map(method).collect::<Vec<_>>(), ["exit"]);
    }

    #[test]
    fn the_writer_frames_both_kinds() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (etx, erx) = crossbeam_channel::unbounded();
        etx.send(error(Value::Null, ErrorCode::ParseError, "x")).expect("send");
        drop(etx);
        tx.send(Message::Notification(lsp_server::Notification::new("n".into(), json!({})))).expect("send");
        drop(tx);
        let mut out = Vec::new();
        write_messages(&mut out, &rx, erx).expect("write");
        let out = String::from_utf8(out).expect("utf-8");
        let (messages, _) = read(&out);
        // The error response (id null) is no lsp-server message; the notification is.
        assert!(messages.iter().map(method).any(|m| m == "n"), "{out}");
        assert!(out.contains(r#""id":null"#) && out.contains("-32700"), "{out}");
    }
}
