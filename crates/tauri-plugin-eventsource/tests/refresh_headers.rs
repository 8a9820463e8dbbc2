//! `refreshHeaders`: before every reconnect the plugin asks the page for fresh headers
//! (`{type:"headers"}`), the page answers with `set_headers`, and the reconnect carries them. The
//! page is played by the test through Tauri's IPC (mock runtime), the server is the bundled one.

mod common;

use std::time::{Duration, Instant};

use common::ipc::{handshake_id, invoke, kind, on_lane, Harness};
use serde_json::{json, Value};
use tauri::Manager;

/// `drop=2`: every connection ends after 2 events, so the plugin keeps reconnecting.
const OPTIONS: &str = r#"{ "refreshHeaders": true, "retry": { "initialDelay": 10, "jitter": 0 } }"#;

fn harness(timeout: Duration) -> Harness {
    Harness::new(tauri_plugin_eventsource::Builder::new().headers_timeout(timeout))
}

/// Connects from webview `a` with `x-token: 0`, messages to channel 1.
fn open(h: &Harness, tag: &str) -> Value {
    let url = h.server.sse(&format!("ids=1&interval=10&drop=2&tag={tag}"));
    let args = json!({
        "url": url,
        "headers": [["x-token", "0"]],
        "options": serde_json::from_str::<Value>(OPTIONS).unwrap(),
    });
    let a = h.webview("a");
    let handshake = invoke(&a, "connect", on_lane(&a, 1, args)).unwrap();
    handshake_id(handshake)
}

/// Waits until channel 1 of `a` received `n` messages of type `kind`; returns all received.
fn wait_count(h: &Harness, kind: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let received = h.received("a", 1);
        if received.iter().filter(|m| m["type"] == kind).count() >= n {
            return received;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; received {received:#?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn tokens(h: &Harness, tag: &str) -> Vec<Value> {
    h.requests(tag)
        .iter()
        .map(|r| r["headers"]["x-token"].clone())
        .collect()
}

fn set_headers(h: &Harness, webview: &str, args: Value) -> Result<Value, Value> {
    let webview = h.app.get_webview_window(webview).unwrap();
    invoke(&webview, "set_headers", args)
}

#[test]
fn every_reconnect_carries_the_headers_the_page_answered() {
    let h = harness(Duration::from_secs(5));
    let id = open(&h, "fresh");
    for n in 1..=3 {
        let received = wait_count(&h, "headers", n);
        // asked after the reconnect was announced, before any new request
        let last_error = received.iter().rposition(|m| m["type"] == "error").unwrap();
        assert!(
            last_error
                < received
                    .iter()
                    .rposition(|m| m["type"] == "headers")
                    .unwrap()
        );
        assert_eq!(h.requests("fresh").len(), n);
        let token = n.to_string();
        let answer = json!({ "id": id, "headers": [["x-token", token]] });
        assert_eq!(set_headers(&h, "a", answer), Ok(Value::Null));
    }
    wait_count(&h, "headers", 4);
    assert_eq!(tokens(&h, "fresh"), ["0", "1", "2", "3"]);
    // the stream resumed each time: no event lost or repeated
    let ids: Vec<Value> = h
        .received("a", 1)
        .iter()
        .filter(|m| m["type"] == "events")
        .flat_map(|m| m["events"].as_array().unwrap().clone())
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(
        ids,
        (1..=8).map(|n| json!(n.to_string())).collect::<Vec<_>>()
    );
}

#[test]
fn a_throwing_headers_function_is_a_failed_attempt_and_an_invalid_header_is_fatal() {
    let h = harness(Duration::from_secs(5));
    let id = open(&h, "throws");
    wait_count(&h, "headers", 1);
    let message = "the headers function threw: no token";
    let answer = json!({ "id": id, "error": message });
    assert_eq!(set_headers(&h, "a", answer), Ok(Value::Null));

    let received = wait_count(&h, "headers", 2);
    let error = received
        .iter()
        .rev()
        .find(|m| m["type"] == "error")
        .unwrap();
    assert_eq!(
        error["error"],
        json!({ "kind": "headers", "message": message })
    );
    // attempt 2 of the backoff: 10 ms * 2
    assert_eq!(error["reconnectIn"], 20);
    assert_eq!(h.requests("throws").len(), 1, "no request without headers");

    let answer = json!({ "id": id, "headers": [["x-token", "a\r\nb"]] });
    assert_eq!(set_headers(&h, "a", answer), Ok(Value::Null));
    let received = wait_count(&h, "closed", 1);
    let fatal = &received[received.len() - 2];
    assert_eq!(fatal["error"]["kind"], "invalid-header");
    assert!(fatal.get("reconnectIn").is_none(), "{fatal}");
    assert_eq!(h.requests("throws").len(), 1);
}

#[test]
fn a_page_that_does_not_answer_is_waited_for_boundedly_then_the_old_headers_go() {
    let h = harness(Duration::from_millis(300));
    open(&h, "silent");
    let asked = Instant::now();
    wait_count(&h, "headers", 1);
    wait_count(&h, "headers", 2);
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert_eq!(tokens(&h, "silent"), ["0", "0"]);
}

#[test]
fn another_webview_cannot_answer_and_an_answer_without_headers_keeps_them() {
    let h = harness(Duration::from_secs(5));
    let id = open(&h, "owned");
    h.webview("b");
    wait_count(&h, "headers", 1);
    let answer = json!({ "id": id, "headers": [["x-token", "evil"]] });
    assert_eq!(kind(set_headers(&h, "b", answer.clone())), "not-found");
    // the owner answers without headers (a page without a function): the old ones go
    assert_eq!(set_headers(&h, "a", json!({ "id": id })), Ok(Value::Null));
    wait_count(&h, "headers", 2);
    assert_eq!(tokens(&h, "owned"), ["0", "0"]);
    // a late answer (the wait is over) changes nothing and is not an error
    assert_eq!(set_headers(&h, "a", answer), Ok(Value::Null));
}

#[test]
fn a_headers_function_that_threw_at_connect_is_a_failed_first_attempt_then_retried() {
    let h = harness(Duration::from_secs(5));
    let url = h.server.sse("ids=1&count=2&tag=connect-threw");
    let message = "the headers function threw: token store locked";
    let args = json!({
        "url": url,
        "options": {
            "refreshHeaders": true,
            "headersError": message,
            "retry": { "initialDelay": 10, "jitter": 0 },
        },
    });
    let a = h.webview("a");
    let id = invoke(&a, "connect", on_lane(&a, 1, args)).unwrap()["id"].clone();
    // the failed attempt goes through the policy like any other: reported, then fresh headers asked
    let received = wait_count(&h, "headers", 1);
    assert_eq!(
        received[0],
        json!({ "type": "error", "reconnectIn": 10,
            "error": { "kind": "headers", "message": message } })
    );
    assert!(
        h.requests("connect-threw").is_empty(),
        "no request without headers"
    );
    let answer = json!({ "id": id, "headers": [["x-token", "1"]] });
    assert_eq!(set_headers(&h, "a", answer), Ok(Value::Null));
    wait_count(&h, "open", 1);
    assert_eq!(tokens(&h, "connect-threw"), ["1"]);
}
