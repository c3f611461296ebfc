//! `$/cancelRequest`: a request the client cancels before the server reached it is answered
//! with the protocol's "request cancelled" error, not computed; the others are answered.
//!
//! In process, over an in-memory connection: every message is queued before the server
//! starts, so the server sees the cancellation in the same batch as the request.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;

#[test]
fn a_request_cancelled_before_it_is_reached_is_answered_as_cancelled() {
    let dir = std::env::temp_dir().join(format!("hl-lsp-cancel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("a.hl");
    let text = "stack a { namespace a { tier = \"aux\" } }\n";
    std::fs::write(&file, text).expect("write");
    let uri = format!("file://{}", file.display());

    let (server, client) = Connection::memory();
    let send = |m: Message| client.sender.send(m).expect("send");
    send(Message::Request(Request::new(
        RequestId::from(1),
        "initialize".into(),
        json!({ "capabilities": {}, "rootUri": format!("file://{}", dir.display()) }),
    )));
    send(Message::Notification(Notification::new("initialized".into(), json!({}))));
    send(Message::Notification(Notification::new(
        "textDocument/didOpen".into(),
        json!({ "textDocument": { "uri": uri, "languageId": "hl", "version": 1, "text": text } }),
    )));
    let hover = |id: i32| {
        Message::Request(Request::new(
            RequestId::from(id),
            "textDocument/hover".into(),
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 6 } }),
        ))
    };
    send(hover(2));
    send(hover(3));
    send(Message::Notification(Notification::new("$/cancelRequest".into(), json!({ "id": 2 }))));
    send(Message::Request(Request::new(RequestId::from(4), "shutdown".into(), json!(null))));
    send(Message::Notification(Notification::new("exit".into(), json!(null))));

    let handle = std::thread::spawn(move || hl_lsp::run(server));
    let result = handle.join().expect("the server thread does not panic");
    assert_eq!(result, Ok(()));

    let mut answers = std::collections::BTreeMap::new();
    for m in client.receiver.try_iter() {
        if let Message::Response(r) = m {
            let v = serde_json::to_value(&r).expect("json");
            answers.insert(format!("{}", r.id), v);
        }
    }
    let cancelled = answers.get("2").expect("request 2 is answered");
    assert_eq!(cancelled["error"]["code"], json!(-32800), "{cancelled}");
    let answered = answers.get("3").expect("request 3 is answered");
    assert!(answered.get("error").is_none(), "{answered}");
    assert!(answered["result"].to_string().contains("Stack"), "{answered}");
    let _ = std::fs::remove_dir_all(&dir);
}
