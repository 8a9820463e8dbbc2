//! The webview commands through Tauri's IPC, on the mock runtime (`common::ipc`). Attacks on
//! them (scope bypasses, other webviews' connections) are in `security.rs`.

mod common;

use std::sync::{Arc, Mutex};

use common::ipc::{attach, connect, invoke, kind, on_lane, Harness};
use serde_json::{json, Value};

fn count_events(messages: &[Value]) -> usize {
    messages
        .iter()
        .filter(|m| m["type"] == "events")
        .map(|m| m["events"].as_array().unwrap().len())
        .sum()
}

#[test]
fn connect_streams_to_the_callers_channel_and_close_hangs_up() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h.server.sse("ids=1&interval=20&tag=stream");
    let id = connect(&a, &url, Value::Null, 1).unwrap();
    assert!(id.is_u64(), "{id}");

    let received = h.wait_for("a", 1, |m| m["type"] == "events");
    assert_eq!(received[0]["type"], "open");
    assert_eq!(received[0]["status"], 200);
    assert_eq!(
        received[1]["events"][0],
        json!({ "data": received[1]["events"][0]["data"], "id": "1" })
    );

    assert_eq!(invoke(&a, "close", json!({ "id": id })), Ok(Value::Null));
    tauri::async_runtime::block_on(h.server.wait_closed("stream"));
}

#[test]
fn a_url_outside_the_scope_is_refused_naming_the_permission_to_add() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h.server.sse_on_localhost("tag=outside");
    let error = connect(&a, &url, Value::Null, 1).unwrap_err();
    assert_eq!(error["kind"], "scope");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with(&url), "{message}");
    let permission = format!(
        r#"add {{"identifier":"eventsource:default","allow":[{{"url":"http://localhost:{}/*"}}]}}"#,
        h.server.port
    );
    assert!(message.contains(&permission), "{message}");
    let recorded = h.requests("outside");
    assert!(recorded.is_empty(), "a refused URL was requested");
}

#[test]
fn a_webview_without_the_capability_cannot_call_the_plugin() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let c = h.webview("c");
    let url = h.server.sse("count=1");
    let error = connect(&c, &url, Value::Null, 1).unwrap_err();
    // Tauri's own ACL refusal, a plain string naming the command
    let message = error.as_str().unwrap();
    assert!(
        message.contains("eventsource.connect not allowed"),
        "{message}"
    );
}

#[test]
fn the_connection_limit_applies_per_webview() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new().max_connections_per_webview(2));
    let (a, b) = (h.webview("a"), h.webview("b"));
    let url = h.server.sse("hang=1");
    for n in 1..=2 {
        connect(&a, &url, Value::Null, n).unwrap();
    }
    assert_eq!(kind(connect(&a, &url, Value::Null, 3)), "limit");
    connect(&b, &url, Value::Null, 4).unwrap();
}

#[test]
fn attach_moves_a_kept_alive_connection_to_a_new_channel() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h.server.sse("ids=1&interval=20&tag=attach");
    let options = json!({ "keepAlive": true, "name": "feed" });
    let id = connect(&a, &url, options, 1).unwrap();
    h.wait_for("a", 1, |m| m["type"] == "events");

    assert_eq!(attach(&a, "feed", 2), Ok(id));
    let before = count_events(&h.received("a", 1));
    let later = h.wait_for("a", 2, |m| m["type"] == "events");
    assert_eq!(
        count_events(&h.received("a", 1)),
        before,
        "the old channel still receives"
    );
    // the new channel first hears that the connection is open (the real `open`, with the URL),
    // then continues the stream where the old one stopped
    assert_eq!(later[0]["type"], "open", "{later:#?}");
    assert_eq!(later[0]["url"], url);
    let first_new: u64 = later[1]["events"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first_new, before as u64 + 1);
}

#[test]
fn bad_requests_get_typed_errors() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h.server.sse("count=1");
    let connect = |extra: Value| {
        let mut args = on_lane(&a, 1, json!({ "url": url }));
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        invoke(&a, "connect", args)
    };
    assert_eq!(kind(connect(json!({ "url": "not a url" }))), "invalid-url");
    assert_eq!(
        kind(connect(json!({ "options": { "keepAlive": true } }))),
        "invalid-options"
    );
    assert_eq!(
        kind(connect(json!({ "options": { "retry": { "jitter": 2 } } }))),
        "invalid-options"
    );
    assert!(h.received("a", 1).is_empty());
}

#[test]
fn broadcast_emits_every_message_as_a_tauri_event() {
    use tauri::Listener;
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let heard = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = heard.clone();
    h.app.listen_any("eventsource://news", move |event| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).unwrap());
    });
    let url = h.server.sse("count=2");
    let options = json!({ "broadcast": true, "name": "news" });
    connect(&a, &url, options, 1).unwrap();

    let received = h.wait_for("a", 1, |m| m["type"] == "error");
    // emitted by a task, right after the channel send
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while heard.lock().unwrap().len() < received.len() {
        assert!(std::time::Instant::now() < deadline, "not emitted");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let heard = heard.lock().unwrap().clone();
    assert_eq!(
        heard[..received.len()],
        received[..],
        "the event mirrors the channel"
    );
}
