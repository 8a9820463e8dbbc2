//! Every webview connection has an owner and an end, through Tauri's IPC on the mock runtime
//! (`common::ipc`) against the bundled server: the keep-alive TTL, the slot a finished connection
//! frees, a webview closed inside a window that stays, a source told it was replaced, a refused
//! `connect` that changes nothing, and the kept-alive backlog (byte bound, order, `overflow`,
//! interrupted replay). Prints `lifetime:` figure lines:
//! `cargo test -p tauri-plugin-eventsource --test lifetime -- --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::ipc::{
    attach, closed, connect, event_ids, invoke, kind, open, read_to_close, wait, Harness, WINDOW,
};
use serde_json::{json, Value};
use tauri_plugin_eventsource::SseExt;

fn figures(line: &str) {
    println!("lifetime: {line}");
}

#[test]
fn a_kept_alive_connection_no_page_attaches_ends_after_its_ttl() {
    let ttl = Duration::from_millis(300);
    let h = Harness::new(tauri_plugin_eventsource::Builder::new().keep_alive_ttl(ttl));
    let a = h.webview("a");
    let kept = |name: &str| json!({ "keepAlive": true, "name": name });
    connect(
        &a,
        &h.server.sse("interval=50&tag=orphan"),
        kept("orphan"),
        1,
    )
    .unwrap();
    connect(&a, &h.server.sse("interval=50&tag=back"), kept("back"), 2).unwrap();
    wait(Duration::from_secs(5), "both open", || {
        open(&h, "orphan") && open(&h, "back")
    });

    let unloaded = Instant::now();
    h.app.sse().page_unloaded("a");
    std::thread::sleep(ttl / 3);
    attach(&a, "back", 3).unwrap();
    wait(Duration::from_secs(5), "the TTL", || closed(&h, "orphan"));
    let ended_after = unloaded.elapsed();
    assert!(ended_after >= ttl, "closed before its TTL: {ended_after:?}");
    std::thread::sleep(ttl);
    assert!(open(&h, "back"), "the re-attached connection was closed");
    let names: Vec<Value> = h
        .app
        .sse()
        .list("a")
        .iter()
        .map(|c| json!(c.name))
        .collect();
    assert_eq!(names, [json!("back")]);
    figures(&format!(
        "TTL {} ms: the detached connection closed {} ms after the reload, the re-attached one kept",
        ttl.as_millis(),
        ended_after.as_millis()
    ));
}

#[test]
fn a_finished_connection_frees_its_slot() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new().max_connections_per_webview(1));
    let a = h.webview("a");
    let kept = |name: &str| json!({ "keepAlive": true, "name": name });
    // 204: the connection fails at once (fatal), then `closed`
    connect(&a, &h.server.sse("status=204&tag=done"), kept("one"), 1).unwrap();
    h.wait_for("a", 1, |m| m["type"] == "closed");
    wait(
        Duration::from_secs(5),
        "the finished connection forgotten",
        || h.app.sse().list("a").is_empty(),
    );
    connect(&a, &h.server.sse("hang=1&tag=two"), kept("two"), 2).unwrap();
    // A reload leaves "two" running (detached): it still holds the only slot.
    h.app.sse().page_unloaded("a");
    assert_eq!(
        kind(connect(
            &a,
            &h.server.sse("hang=1&tag=three"),
            kept("three"),
            3
        )),
        "limit"
    );
    assert!(h.requests("three").is_empty());
    figures("limit 1: a connection that ended freed its slot; a detached running one kept it");
}

#[test]
fn a_webview_closed_inside_a_window_that_stays_leaves_no_connection() {
    let h = Harness::new(
        tauri_plugin_eventsource::Builder::new().keep_alive_ttl(Duration::from_secs(4)),
    );
    let a = h.webview("a");
    let child = h.child_webview(&a, "a-child");
    connect(
        &child,
        &h.server.sse("interval=50&tag=child-plain"),
        Value::Null,
        1,
    )
    .unwrap();
    let kept = json!({ "keepAlive": true, "name": "feed" });
    connect(&child, &h.server.sse("interval=50&tag=child-kept"), kept, 2).unwrap();
    connect(&a, &h.server.sse("interval=50&tag=parent"), Value::Null, 3).unwrap();
    wait(Duration::from_secs(5), "all open", || {
        open(&h, "child-plain") && open(&h, "child-kept") && open(&h, "parent")
    });

    let closing = Instant::now();
    child.0.close().unwrap();
    wait(
        Duration::from_secs(3),
        "the child's connections closed",
        || closed(&h, "child-plain") && closed(&h, "child-kept"),
    );
    let took = closing.elapsed();
    assert!(
        open(&h, "parent"),
        "the window's own webview lost its connection"
    );
    assert!(h.app.sse().list("a-child").is_empty());
    assert_eq!(h.app.sse().list("a").len(), 1);
    figures(&format!(
        "webview closed in a window that stays: 2 of 2 connections (plain, kept-alive) closed at \
         the HTTP level in {} ms, the window's other webview kept its own",
        took.as_millis()
    ));
}

fn replaced(message: &Value) -> bool {
    message["type"] == "error" && message["error"]["kind"] == "replaced"
}

#[test]
fn a_source_whose_connection_is_taken_is_told_and_closed() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let kept = json!({ "keepAlive": true, "name": "feed" });
    connect(&a, &h.server.sse("interval=20&tag=first"), kept.clone(), 1).unwrap();
    h.wait_for("a", 1, |m| m["type"] == "open");
    // a connect with the same name takes over
    let id = connect(&a, &h.server.sse("interval=20&tag=second"), kept, 2).unwrap();
    let first = h.wait_for("a", 1, |m| m["type"] == "closed");
    let told = &first[first.len() - 2..];
    assert!(replaced(&told[0]), "{first:#?}");
    assert!(told[0].get("reconnectIn").is_none(), "replaced is final");
    assert_eq!(
        told[0]["error"]["message"],
        "connection `feed` was taken over by another connect or attach"
    );
    wait(
        Duration::from_secs(5),
        "the first connection closed",
        || closed(&h, "first"),
    );

    // a second attach takes over too
    h.wait_for("a", 2, |m| m["type"] == "events");
    assert_eq!(attach(&a, "feed", 3), Ok(id));
    let second = h.wait_for("a", 2, |m| m["type"] == "closed");
    assert!(replaced(&second[second.len() - 2]), "{second:#?}");
    let before = h.received("a", 2).len();
    h.wait_for("a", 3, |m| m["type"] == "events");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        h.received("a", 2).len(),
        before,
        "the replaced channel still receives"
    );
    assert!(open(&h, "second"), "attach must not reconnect");
    figures("2 sources replaced (connect with the same name, second attach): each got `replaced` then `closed`");
}

#[test]
fn a_refused_connect_leaves_the_connection_it_would_replace_running() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new().max_connections_per_webview(2));
    let a = h.webview("a");
    let kept = json!({ "keepAlive": true, "name": "feed" });
    let id = connect(&a, &h.server.sse("interval=20&tag=old"), kept.clone(), 1).unwrap();
    connect(&a, &h.server.sse("hang=1&tag=other"), Value::Null, 2).unwrap();
    h.wait_for("a", 1, |m| m["type"] == "events");

    let url = h.server.sse("tag=new");
    let forbidden = json!({ "url": url, "headers": [["host", "evil.test"]], "options": kept });
    let forbidden = common::ipc::on_lane(&a, 3, forbidden);
    assert_eq!(kind(invoke(&a, "connect", forbidden)), "invalid-header");
    let outside = h.server.sse_on_localhost("tag=new");
    assert_eq!(kind(connect(&a, &outside, kept.clone(), 4)), "scope");
    // full: a third name is refused and nothing is replaced
    let third = json!({ "keepAlive": true, "name": "third" });
    assert_eq!(kind(connect(&a, &url, third, 5)), "limit");

    let before = h.received("a", 1).len();
    h.wait_for("a", 1, |_| h.received("a", 1).len() > before + 2);
    assert!(!h.received("a", 1).iter().any(replaced));
    assert!(open(&h, "old"));
    assert!(h.requests("new").is_empty());
    let ids: Vec<Value> = h.app.sse().list("a").iter().map(|c| json!(c.id)).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id));
    figures("3 refused connects (forbidden header, scope, limit): the connection they named kept running, 0 requests sent");
}

#[test]
fn a_detached_flood_stays_within_the_byte_bound_and_attach_replays_it_in_order() {
    const EVENTS: u64 = 400;
    const SIZE: usize = 64 * 1024;
    const BOUND: usize = 1 << 20;
    let h = Harness::new(
        tauri_plugin_eventsource::Builder::new()
            .keep_alive_buffer_bytes(BOUND)
            .keep_alive_buffer(100_000),
    );
    let a = h.webview("a");
    let url = h
        .server
        .sse(&format!("count={EVENTS}&size={SIZE}&ids=1&tag=flood"));
    let options = json!({ "keepAlive": true, "name": "flood", "retry": { "initialDelay": 10 } });
    let id = connect(&a, &url, options, 1).unwrap();
    // The page reloads at once: what it got before is at most a window, the rest is kept.
    h.app.sse().page_unloaded("a");

    // ~25 MiB arrive while detached; the backlog never holds more than the bound.
    let (mut max_bytes, mut max_events) = (0, 0);
    wait(Duration::from_secs(30), "the flood to end", || {
        let list = h.app.sse().list("a");
        if let Some(c) = list.first() {
            max_bytes = max_bytes.max(c.buffered_bytes);
            max_events = max_events.max(c.buffered_events);
        }
        h.requests("flood").len() == 2 && closed(&h, "flood")
    });
    assert!(max_bytes <= BOUND, "{max_bytes} bytes kept");
    let listed = h.app.sse().list("a");
    assert_eq!(
        listed.len(),
        1,
        "the finished connection keeps its messages for attach"
    );

    let before = event_ids(&h.received("a", 1));
    assert_eq!(attach(&a, "flood", 2), Ok(id.clone()));
    let replay = read_to_close(&h, &a, "a", 2, &id);
    let overflow: Vec<&Value> = replay.iter().filter(|m| m["type"] == "overflow").collect();
    assert_eq!(
        overflow.len(),
        1,
        "{:?}",
        replay.iter().map(|m| &m["type"]).collect::<Vec<_>>()
    );
    let dropped = overflow[0]["dropped"].as_u64().unwrap();
    let kept = event_ids(&replay);
    let kept_bytes: usize = replay
        .iter()
        .filter(|m| m["type"] == "events")
        .flat_map(|m| m["events"].as_array().unwrap().iter())
        .map(|e| e["data"].as_str().unwrap().len())
        .sum();
    assert!(kept_bytes <= BOUND);
    // in order, the newest kept, and every event accounted for: received, kept or counted lost
    assert!(kept.windows(2).all(|w| w[0] + 1 == w[1]), "{kept:?}");
    assert_eq!(kept.last(), Some(&EVENTS));
    assert_eq!(before.len() as u64 + kept.len() as u64 + dropped, EVENTS);
    let types: Vec<&Value> = replay.iter().map(|m| &m["type"]).collect();
    assert_eq!(types.last(), Some(&&json!("closed")));
    assert!(h.app.sse().list("a").is_empty(), "forgotten once replayed");
    figures(&format!(
        "{EVENTS} events of {} KiB flooded a detached connection: backlog peaked at {} KiB \
         ({max_events} events) for a {} KiB bound; {} reached the page before the reload, {} kept \
         and replayed in order ({} KiB of data), {dropped} reported as overflow",
        SIZE / 1024,
        max_bytes / 1024,
        BOUND / 1024,
        before.len(),
        kept.len(),
        kept_bytes / 1024
    ));
}

#[test]
fn a_replay_interrupted_by_a_reload_resumes_on_the_next_attach() {
    const EVENTS: u64 = 300;
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h
        .server
        .sse(&format!("count={EVENTS}&ids=1&interval=1&tag=replay"));
    let options = json!({ "keepAlive": true, "name": "feed", "retry": { "initialDelay": 10 } });
    let id = connect(&a, &url, options, 1).unwrap();
    h.app.sse().page_unloaded("a");
    wait(Duration::from_secs(20), "the stream to end", || {
        h.requests("replay").len() == 2 && closed(&h, "replay")
    });

    // The next page takes one window and reloads before acking anything.
    attach(&a, "feed", 2).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let interrupted = h.received("a", 2);
    assert_eq!(
        interrupted.len(),
        WINDOW,
        "a replay goes through the window"
    );
    h.app.sse().page_unloaded("a");
    assert_eq!(attach(&a, "feed", 3), Ok(id.clone()));
    let rest = read_to_close(&h, &a, "a", 3, &id);

    let mut all = event_ids(&h.received("a", 1));
    all.extend(event_ids(&interrupted));
    all.extend(event_ids(&rest));
    assert_eq!(all, (1..=EVENTS).collect::<Vec<_>>(), "lost or repeated");
    figures(&format!(
        "replay interrupted after {} of {} messages: the next attach got the other {}, \
         {EVENTS}/{EVENTS} events once, in order",
        interrupted.len(),
        interrupted.len() + rest.len() - 1,
        rest.len() - 1
    ));
}
