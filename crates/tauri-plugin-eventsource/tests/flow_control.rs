//! Flow control between the plugin and a webview (`ack` command, docs/architecture.md): a page
//! slower than the stream holds the connection back instead of queueing without bound, and
//! nothing is lost. Through Tauri's IPC on the mock runtime (`common::ipc`), against the bundled
//! server. Prints a `figures` line: `cargo test -p tauri-plugin-eventsource --test flow_control -- --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::ipc::{
    connect, event_ids, invoke, read_to_close, wait, Harness, ACK_EVERY, PIPE, WINDOW,
};
use serde_json::{json, Value};

const EVENTS: u64 = 20_000;

#[test]
fn a_page_that_does_not_ack_holds_a_flood_back_and_then_receives_all_of_it() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    // ~41 MB: far more than the window's messages and the loopback socket buffers can hold, so
    // a paused connection must leave the server blocked on a full socket.
    let url = h
        .server
        .sse(&format!("count={EVENTS}&size=2048&ids=1&tag=flood"));
    // The idle watchdog times reads only: waiting for the page is not silence.
    let options = json!({ "idleTimeout": 200, "retry": { "initialDelay": 10 } });
    let id = connect(&a, &url, options, 1).unwrap();

    // The page reads nothing: the plugin fills the window, then stops for as long as it takes.
    let full = Instant::now() + Duration::from_secs(10);
    while h.received("a", 1).len() < WINDOW {
        assert!(Instant::now() < full, "the window never filled");
        std::thread::sleep(Duration::from_millis(10));
    }
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        let sent = h.received("a", 1).len();
        assert_eq!(sent, WINDOW, "messages sent without an ack");
        std::thread::sleep(Duration::from_millis(20));
    }
    let held = h.received("a", 1);
    let paused = held.len();
    let paused_events = event_ids(&held).len();
    let paused_bytes: usize = held
        .iter()
        .filter(|m| m["type"] == "events")
        .flat_map(|m| m["events"].as_array().unwrap().iter())
        .map(|e| e["data"].as_str().unwrap().len())
        .sum();
    assert!((paused_events as u64) < EVENTS, "the whole flood went out");
    let requests = h.requests("flood");
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["closed"], false, "the server finished sending");

    // The page catches up, acking every ACK_EVERY messages as the TS transport does.
    let (mut acked, mut max_in_flight) = (0, paused);
    let deadline = Instant::now() + Duration::from_secs(60);
    let received = loop {
        let received = h.received("a", 1);
        max_in_flight = max_in_flight.max(received.len() - acked);
        if received.last().is_some_and(|m| m["type"] == "closed") {
            break received;
        }
        while received.len() - acked >= ACK_EVERY {
            // The connection may end between the snapshot and the ack (then it is not-found,
            // which the TS transport ignores); a wrongly refused ack would stall the stream.
            let ack = h.ack(&a, &id, ACK_EVERY);
            if let Err(error) = ack {
                assert_eq!(error["kind"], "not-found");
            }
            acked += ACK_EVERY;
        }
        assert!(Instant::now() < deadline, "stalled at {}", received.len());
        std::thread::sleep(Duration::from_millis(1));
    };

    assert!(max_in_flight <= WINDOW, "{max_in_flight} in flight");
    let ids = event_ids(&received);
    assert_eq!(ids, (1..=EVENTS).collect::<Vec<_>>(), "lost or repeated");
    // The only errors are the end: the server ends the stream, the resume past the last event
    // answers 204. No idle timeout fired while the page held the connection back.
    let errors: Vec<(&Value, &Value)> = received
        .iter()
        .filter(|m| m["type"] == "error")
        .map(|m| (&m["error"]["kind"], &m["reconnectIn"]))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, "network");
    assert_eq!(*errors[1].0, json!("http-status"), "{errors:?}");
    assert!(errors[1].1.is_null(), "204 is fatal");
    println!(
        "figures flow_control: {}",
        json!({ "window": WINDOW, "maxInFlight": max_in_flight,
            "pausedMessages": paused, "pausedEvents": paused_events, "pausedDataBytes": paused_bytes,
            "messages": received.len(), "events": ids.len() })
    );
}

/// Unacknowledged messages from which the plugin batches what it reads until an ack.
const BEHIND: usize = 2 * ACK_EVERY;
/// The plugin's batch bound, and the unacknowledged bytes past which batches shrink, in bytes of
/// the stream.
const MAX_BATCH_BYTES: usize = 1024 * 1024;
const WINDOW_BYTES: usize = 16 * 1024 * 1024;

#[test]
fn a_page_that_falls_behind_gets_what_arrives_meanwhile_in_full_batches_and_loses_nothing() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    const COUNT: u64 = 40_000;
    // ~1 KiB events, ~42 MB: more than a window of full batches could hold.
    let url = h
        .server
        .sse(&format!("count={COUNT}&size=1024&ids=1&tag=behind"));
    let id = connect(&a, &url, json!({}), 1).unwrap();

    // No ack: up to BEHIND messages go out as the reads come; from then on each message waits
    // for a full batch, until the window is full.
    wait(Duration::from_secs(20), "a full window", || {
        h.received("a", 1).len() == WINDOW
    });
    let held = h.received("a", 1);
    let record = |m: &Value| {
        m["events"].as_array().map_or(0, |events| {
            events
                .iter()
                .map(|e| e["data"].as_str().unwrap().len() + e["id"].as_str().unwrap().len() + 12)
                .sum::<usize>()
        })
    };
    // The message sent at BEHIND may have started its batch before; the later ones are full
    // while the page holds less than half the byte window (the plugin counts a little more than
    // the stream's bytes), then shrink to single reads.
    let (mut before, mut full, mut room) = (0, 0, false);
    for (i, message) in held.iter().enumerate() {
        let bytes = record(message);
        if i == BEHIND + 1 {
            // The first reads came as the server wrote them; a busy machine makes them larger.
            room = before + MAX_BATCH_BYTES < WINDOW_BYTES / 2;
        }
        if i > BEHIND && before < WINDOW_BYTES / 2 {
            assert_eq!(message["type"], "events", "message {i}");
            assert!(
                bytes >= MAX_BATCH_BYTES - 2048,
                "message {i} of a page {BEHIND}+ behind carries {bytes} bytes of stream"
            );
            full += 1;
        }
        before += bytes;
    }
    assert!(full > 0 || !room, "no full batch");
    println!("figures behind: {before} bytes in a window");
    assert!(
        before <= WINDOW_BYTES + WINDOW * 64 * 1024,
        "{before} bytes in a window"
    );

    // The page catches up: everything arrives, once, in order.
    let received = read_to_close(&h, &a, "a", 1, &id);
    assert_eq!(event_ids(&received), (1..=COUNT).collect::<Vec<_>>());
}

#[test]
fn a_broadcast_is_emitted_at_its_owners_pace_and_kept_within_the_bound_while_detached() {
    use std::sync::{Arc, Mutex};
    use tauri::Listener;
    use tauri_plugin_eventsource::SseExt;

    let h = Harness::new(tauri_plugin_eventsource::Builder::new().keep_alive_buffer(100));
    let a = h.webview("a");
    let heard = Arc::new(Mutex::new(0usize));
    let counter = heard.clone();
    h.app.listen_any("eventsource://flood", move |_| {
        *counter.lock().unwrap() += 1
    });
    let url = h
        .server
        // ~21 MB: a page this far behind gets full batches of 256 KiB, and a window of them
        // must not hold the whole stream.
        .sse(&format!("count={EVENTS}&size=1024&ids=1&tag=broadcast"));
    let options = json!({ "broadcast": true, "keepAlive": true, "name": "flood" });
    connect(&a, &url, options, 1).unwrap();

    // The owner page acks nothing: the listeners hear what it received, one window.
    let full = Instant::now() + Duration::from_secs(20);
    while h.received("a", 1).len() < WINDOW {
        assert!(
            Instant::now() < full,
            "the window never filled: {} received, {} heard",
            h.received("a", 1).len(),
            heard.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(h.received("a", 1).len(), WINDOW);
    assert_eq!(
        *heard.lock().unwrap(),
        WINDOW,
        "emitted beyond the owner's window"
    );

    // Detached, the connection reads on into its bounded backlog and emits nothing.
    h.app.sse().page_unloaded("a");
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.requests("broadcast").iter().any(|r| r["closed"] == false) {
        assert!(Instant::now() < deadline, "the stream never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    let listed = h.app.sse().list("a");
    assert!(listed[0].buffered_events <= 100, "{listed:?}");
    assert_eq!(*heard.lock().unwrap(), WINDOW, "emitted while detached");
    println!(
        "figures flow_control broadcast: {}",
        json!({ "heardWhileOwnerBehind": WINDOW, "heardWhileDetached": 0,
            "keptEvents": listed[0].buffered_events, "droppedEvents": listed[0].dropped })
    );
}

/// A page a window of channel messages behind on its pipe gets what all its connections sent
/// meanwhile as one channel message, in order, and loses nothing.
#[test]
fn a_page_behind_on_its_pipe_gets_what_its_connections_sent_meanwhile_in_shared_messages() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = |query: &str| h.server.sse(query);
    // Large events: a connection gathers what it reads once its page is behind, so only a
    // stream of large events fills a window of messages quickly.
    let first = connect(
        &a,
        &url("ids=1&count=400&size=65536&tag=first"),
        Value::Null,
        1,
    )
    .unwrap();
    wait(Duration::from_secs(10), "a full window", || {
        h.received("a", 1).len() == WINDOW
    });
    assert_eq!(
        h.channel_messages("a").len(),
        WINDOW,
        "one channel message each"
    );

    // The page reports no receipt: what its connections send now waits in the pipe.
    connect(&a, &url("ids=1&count=3&tag=second"), Value::Null, 2).unwrap();
    let processed = json!({ "pipe": PIPE, "received": 0, "processed": [[first, ACK_EVERY]] });
    invoke(&a, "ack", processed).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        h.received("a", 2).is_empty(),
        "sent while the page is behind"
    );
    assert_eq!(h.received("a", 1).len(), WINDOW);

    invoke(
        &a,
        "ack",
        json!({ "pipe": PIPE, "received": WINDOW, "processed": [] }),
    )
    .unwrap();
    wait(Duration::from_secs(10), "the second stream", || {
        event_ids(&h.received("a", 2)).len() == 3
    });
    let held = &h.channel_messages("a")[WINDOW..];
    // where one connection's held messages give way to the other's, they share a batch
    let both = |lanes: &Vec<u32>| lanes.contains(&1) && lanes.contains(&2);
    assert!(held.iter().any(both), "{held:?}");
    // a connection's messages each in a channel message (a task of the page's) of their own
    let once = |lanes: &Vec<u32>| {
        [1, 2]
            .iter()
            .all(|l| lanes.iter().filter(|&x| x == l).count() <= 1)
    };
    assert!(held.iter().all(once), "{held:?}");
    assert_eq!(event_ids(&h.received("a", 2)), [1, 2, 3]);
    let ids = event_ids(&h.received("a", 1));
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "in order");
    assert!(
        ids.len() > WINDOW - 1,
        "the first stream's held events came too"
    );
}
