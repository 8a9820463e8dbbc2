//! Shared connections through Tauri's IPC on the mock runtime (`common::ipc`) against the bundled
//! server: one upstream connection for many windows and Rust, each subscriber with its own window
//! and bounded backlog, joins fenced by the joiner's own scope (at the join and at every reconnect),
//! and the last leaver closing it.
//! Prints `sharing:` figure lines: `cargo test -p tauri-plugin-eventsource --test sharing -- --nocapture`.

mod common;

use std::time::Duration;

use common::ipc::{
    closed, connect, entries, event_ids, invoke, join, kind, open, read_to_close, wait, Harness,
    WINDOW,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tauri::{ipc::CapabilityBuilder, Manager};
use tauri_plugin_eventsource::{Message, SseExt};

/// The harness's app, whose window `b` may also join shared connections to the server's
/// `127.0.0.1` origin (`eventsource:allow-join` is not in `eventsource:default`).
fn harness(plugin: tauri_plugin_eventsource::Builder) -> Harness {
    allow_join(Harness::new(plugin))
}

fn allow_join(h: Harness) -> Harness {
    h.app
        .add_capability(
            CapabilityBuilder::new("join")
                .windows(["b"])
                .permission_scoped(
                    "eventsource:allow-join",
                    entries(&[format!("{}/*", h.server.origin)]),
                    vec![],
                ),
        )
        .unwrap();
    h
}

fn shared(name: &str) -> Value {
    json!({ "name": name, "shared": true, "retry": { "initialDelay": 10, "jitter": 0 } })
}

#[test]
fn windows_share_one_upstream_connection_and_each_gets_every_event_once_in_order() {
    let h = harness(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    // dropped twice: the shared connection resumes with Last-Event-ID for everyone
    let url = h
        .server
        .sse("ids=1&count=300&interval=2&drop=100&tag=shared");
    let opener = connect(&a, &url, shared("feed"), 1).unwrap();
    let joiner = join(&b, "feed", 2).unwrap();
    let also = join(&b, "feed", 3).unwrap();
    // the name is taken app-wide: another window joins, it does not open it again
    assert_eq!(
        kind(connect(&b, &url, shared("feed"), 4)),
        "invalid-options"
    );

    let got_a = event_ids(&read_to_close(&h, &a, "a", 1, &opener));
    let got_b = event_ids(&read_to_close(&h, &b, "b", 2, &joiner));
    let got_c = event_ids(&read_to_close(&h, &b, "b", 3, &also));
    assert_eq!(got_a, (1..=300).collect::<Vec<u64>>());
    // joiners hear everything from the moment they joined, once, in order
    for got in [&got_b, &got_c] {
        let first = *got.first().expect("the joiner got events");
        assert_eq!(*got, (first..=300).collect::<Vec<u64>>());
    }
    // one upstream connection at a time: 3 streams for the 2 drops and the 204 that ends it,
    // never one per window
    assert_eq!(h.requests("shared").len(), 4);
    println!(
        "sharing: 3 subscribers, 300 events, 2 drops, 4 requests; joiners started at {} and {}",
        got_b[0], got_c[0]
    );
}

#[test]
fn a_slow_subscriber_never_stalls_a_fast_one_and_its_backlog_stays_bounded() {
    let (bytes, events) = (64 * 1024, 100);
    let h = harness(
        tauri_plugin_eventsource::Builder::new()
            .keep_alive_buffer(events)
            .keep_alive_buffer_bytes(bytes),
    );
    let (a, b) = (h.webview("a"), h.webview("b"));
    // an event per millisecond: many more messages than a window, whatever the batching; the
    // first attempt answers 503 and the retry waits, so that `b` has joined before event 1
    let url = h
        .server
        .sse("ids=1&count=1000&interval=1&size=100&fail=1&tag=slow");
    let options = json!({ "name": "firehose", "shared": true,
        "retry": { "initialDelay": 500, "jitter": 0, "onStatus": [503] } });
    let fast = connect(&a, &url, options, 1).unwrap();
    let slow = join(&b, "firehose", 2).unwrap();

    // `b` acks nothing while `a` reads the whole stream at its own pace
    let got_fast = event_ids(&read_to_close(&h, &a, "a", 1, &fast));
    assert_eq!(got_fast, (1..=1000).collect::<Vec<u64>>());
    let before = h.received("b", 2);
    assert!(
        before.len() <= WINDOW + 1,
        "the slow page got {} messages",
        before.len()
    );
    let info = invoke(&b, "list", json!({})).unwrap();
    let held = info[0].clone();
    assert!(
        held["bufferedEvents"].as_u64().unwrap() <= events as u64,
        "{held}"
    );
    assert!(
        held["bufferedBytes"].as_u64().unwrap() <= bytes as u64,
        "{held}"
    );

    // once it catches up: an `overflow` for what went, then the newest events, then `closed`
    let caught_up = read_to_close(&h, &b, "b", 2, &slow);
    let dropped: u64 = caught_up
        .iter()
        .filter(|m| m["type"] == "overflow")
        .map(|m| m["dropped"].as_u64().unwrap())
        .sum();
    let got_slow = event_ids(&caught_up);
    assert!(dropped > 0);
    assert_eq!(
        got_slow.len() as u64 + dropped,
        1000,
        "every event delivered or counted"
    );
    assert!(got_slow.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(got_slow.last(), Some(&1000));
    println!(
        "sharing: slow subscriber held at most {events} events / {bytes} B, got {} events, {dropped} reported dropped; the fast one got all 1000",
        got_slow.len()
    );
}

#[test]
fn a_page_joins_only_what_its_own_scope_allows() {
    let h = harness(tauri_plugin_eventsource::Builder::new());
    // window `c` may join connections to the server's `localhost` origin only (and open the
    // pipe its messages would come through)
    h.app
        .add_capability(
            CapabilityBuilder::new("localhost-only")
                .windows(["c"])
                .permission("eventsource:allow-open-pipe")
                .permission_scoped(
                    "eventsource:allow-join",
                    entries(&[format!("http://localhost:{}/*", h.server.port)]),
                    vec![],
                ),
        )
        .unwrap();
    let (a, b, c) = (h.webview("a"), h.webview("b"), h.webview("c"));
    connect(
        &a,
        &h.server.sse("interval=50&tag=fenced"),
        shared("fenced"),
        1,
    )
    .unwrap();
    assert_eq!(kind(join(&c, "fenced", 2)), "scope");
    assert!(
        h.received("c", 2).is_empty(),
        "a refused joiner hears nothing"
    );
    assert_eq!(kind(join(&b, "nothing-by-this-name", 3)), "not-found");
    // and a window the app did not grant `join` cannot join at all
    let refused = join(&a, "fenced", 5).unwrap_err();
    assert!(
        refused.as_str().is_some_and(|m| m.contains("not allowed")),
        "{refused}"
    );
    // nor can another window open a different URL under a shared name
    let other = h.server.sse("interval=50&tag=other");
    assert_eq!(
        kind(connect(&b, &other, shared("fenced"), 4)),
        "invalid-options"
    );
    assert!(h.requests("other").is_empty());
}

#[test]
fn a_joiner_whose_scope_a_reconnect_leaves_is_told_and_the_others_go_on() {
    // `a` may stream from both of the server's origins, `b` join from `127.0.0.1` only
    let h = allow_join(Harness::scoped(
        tauri_plugin_eventsource::Builder::new(),
        |server| {
            let localhost = format!("http://localhost:{}/*", server.port);
            (vec![format!("{}/*", server.origin), localhost], vec![])
        },
    ));
    let (a, b) = (h.webview("a"), h.webview("b"));
    // 3 events, then the reconnect is redirected to the `localhost` origin
    let moved = format!(
        "http://localhost:{}/sse?ids=1&interval=20&tag=moved-to",
        h.server.port
    );
    let moved: String = url::form_urlencoded::byte_serialize(moved.as_bytes()).collect();
    let query = format!("ids=1&drop=3&interval=20&tag=moved&redirectafter=1&redirect={moved}");
    connect(&a, &h.server.sse(&query), shared("moved"), 1).unwrap();
    h.wait_for("a", 1, |m| m["type"] == "open");
    let joiner = join(&b, "moved", 2).unwrap();

    let got = read_to_close(&h, &b, "b", 2, &joiner);
    let error = got
        .iter()
        .rfind(|m| m["type"] == "error")
        .expect("an error");
    assert!(error["reconnectIn"].is_null(), "fatal: {error}");
    assert_eq!(error["error"]["kind"], "scope", "{got:?}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("localhost"), "{message}");
    assert!(
        event_ids(&got).iter().all(|&id| id <= 3),
        "nothing from the new origin: {got:?}"
    );
    // the opener goes on there
    h.wait_for("a", 1, |_| {
        event_ids(&h.received("a", 1))
            .last()
            .is_some_and(|&id| id > 5)
    });
    let opened: Vec<Value> = h
        .received("a", 1)
        .into_iter()
        .filter(|m| m["type"] == "open")
        .collect();
    assert!(
        opened[1]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:"),
        "{opened:?}"
    );
    // and the fenced joiner's slot is free, no close needed
    wait(Duration::from_secs(5), "the fenced joiner to go", || {
        invoke(&b, "list", json!({})).unwrap() == json!([])
    });
}

#[test]
fn the_connection_ends_when_its_last_subscriber_leaves_rust_included() {
    let h = harness(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    let opener = connect(
        &a,
        &h.server.sse("ids=1&interval=20&tag=last"),
        shared("last"),
        1,
    )
    .unwrap();
    let joiner = join(&b, "last", 2).unwrap();
    let mut rust = h.app.sse().join("last").expect("the shared connection");

    invoke(&a, "close", json!({ "id": opener })).unwrap();
    let seen = h.received("b", 2).len();
    h.wait_for("b", 2, |_| h.received("b", 2).len() > seen + 2);
    assert!(open(&h, "last"), "the opener left, the joiners keep it");
    invoke(&b, "close", json!({ "id": joiner })).unwrap();
    let events = tauri::async_runtime::block_on(async {
        let mut ids = Vec::new();
        while ids.len() < 5 {
            if let Some(Message::Events { events }) = rust.next().await {
                ids.extend(events.into_iter().filter_map(|e| e.id));
            }
        }
        ids
    });
    let numbers: Vec<u64> = events.iter().map(|id| id.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(open(&h, "last"), "a Rust subscriber keeps it too");
    drop(rust);
    wait(
        Duration::from_secs(5),
        "the last leaver to close it",
        || closed(&h, "last"),
    );
    assert_eq!(h.requests("last").len(), 1);
}

#[test]
fn joiners_are_forgotten_when_the_connection_ends_after_its_opener_left() {
    let h = harness(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    // 10 events, then the resume past the last one answers 204: the connection fails for good
    let url = h.server.sse("ids=1&count=10&interval=30&tag=ended");
    let opener = connect(&a, &url, shared("ended"), 1).unwrap();
    let joiner = join(&b, "ended", 2).unwrap();
    invoke(&a, "close", json!({ "id": opener })).unwrap();
    let got = read_to_close(&h, &b, "b", 2, &joiner);
    assert!(got.iter().any(|m| m["error"]["status"] == 204), "{got:?}");
    // its slot is free: nothing is left in `list`, no close needed
    wait(
        Duration::from_secs(5),
        "the ended subscription to go",
        || invoke(&b, "list", json!({})).unwrap() == json!([]),
    );
}

#[test]
fn an_ended_shared_connection_cannot_be_joined_while_its_kept_alive_opener_lingers() {
    let h = harness(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    let options = json!({ "name": "gone", "shared": true, "keepAlive": true,
        "retry": { "initialDelay": 10, "jitter": 0 } });
    connect(&a, &h.server.sse("ids=1&count=2&tag=gone"), options, 1).unwrap();
    // the page reloads: the kept-alive opener keeps what comes for `attach`
    h.app.sse().page_unloaded("a");
    // the stream ends, and the resume answers 204: the connection failed for good
    wait(Duration::from_secs(5), "the end", || {
        h.requests("gone").len() == 2 && h.app.sse().join("gone").is_none()
    });
    // it lingers for the next page (2 events, the error and `closed`) but takes no one new
    let kept = invoke(&a, "list", json!({})).unwrap();
    assert_eq!(kept[0]["bufferedEvents"], 2, "{kept}");
    assert_eq!(kind(join(&b, "gone", 2)), "not-found");
    assert_eq!(invoke(&b, "list", json!({})).unwrap(), json!([]));
}
