//! The shared connection scenarios (`testdata/connection-scenarios.json`, format in
//! `testdata/README.md`) through the plugin's loop (`app.sse().connect`) against the bundled
//! server. The TS fetch transport runs the same list; both compare the same normalised shape.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{collect_until, Server};
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets};
use tauri_plugin_eventsource::{Message, NetworkSignal, Request, SseExt, StreamOptions};

/// `open-after-N-events` ends the run once N events arrived; else it lasts until `closed`.
fn events_wanted(final_state: &str) -> Option<usize> {
    final_state
        .strip_prefix("open-after-")?
        .strip_suffix("-events")?
        .parse()
        .ok()
}

async fn observe(server: &Server, scenario: &Value) -> Value {
    static TAGS: AtomicUsize = AtomicUsize::new(0);
    let tag = format!(
        "r{}-{}",
        std::process::id(),
        TAGS.fetch_add(1, Ordering::Relaxed)
    );
    let query = scenario["query"]
        .as_str()
        .unwrap()
        .replace("{origin}", &server.origin)
        .replace("{tag}", &tag);
    // The options as the `connect` command receives them: camelCase JSON through serde.
    let options: StreamOptions = serde_json::from_value(scenario["options"].clone()).unwrap();
    let request = Request::new(&server.sse(&query))
        .unwrap()
        .options(options)
        .unwrap();
    let app = mock_builder()
        .plugin(tauri_plugin_eventsource::init())
        .build(mock_context(noop_assets()))
        .unwrap();
    let mut stream = app.sse().connect(request);
    let wanted = events_wanted(scenario["expect"]["final"].as_str().unwrap());
    let (mut ids, mut opens, mut errors) = (Vec::new(), 0, Vec::new());
    let mut reconnect_ins: Vec<u64> = Vec::new();
    let mut final_state = String::new();
    // The machine's network as the scenario plays it: the system speaks once the nth open,
    // event or error was observed.
    let network = scenario["network"].as_array().cloned().unwrap_or_default();
    let play = |on: &str, from: usize, to: usize| {
        for step in &network {
            let nth = step["nth"].as_u64().unwrap() as usize;
            if step["on"] == on && from < nth && nth <= to {
                let signal: NetworkSignal = serde_json::from_value(step["signal"].clone()).unwrap();
                app.sse().network_changed(signal);
            }
        }
    };
    collect_until(&mut stream, |message| {
        match message {
            Message::Open { .. } => {
                opens += 1;
                play("open", opens - 1, opens);
            }
            Message::Events { events } => {
                let before = ids.len();
                ids.extend(events.iter().map(|e| e.id.clone().unwrap_or_default()));
                play("event", before, ids.len());
            }
            Message::Error {
                error,
                reconnect_in,
            } => {
                let wire = serde_json::to_value(error).unwrap();
                let mut shape = json!({ "kind": wire["kind"], "fatal": reconnect_in.is_none() });
                // Any status or body an error carries is part of the shape: both loops must
                // attach the same.
                for field in ["status", "body"] {
                    if !wire[field].is_null() {
                        shape[field] = wire[field].clone();
                    }
                }
                errors.push(shape);
                reconnect_ins.extend(*reconnect_in);
                play("error", errors.len() - 1, errors.len());
            }
            Message::Closed => final_state = "closed".into(),
            _ => {}
        }
        if final_state.is_empty() && wanted.is_some_and(|n| ids.len() >= n) {
            // Open unless the last message was a pending reconnect.
            if !matches!(message, Message::Error { .. }) {
                final_state = format!("open-after-{}-events", ids.len());
            }
        }
        !final_state.is_empty()
    })
    .await;
    let mut observed =
        json!({ "ids": ids, "opens": opens, "errors": errors, "final": final_state });
    if scenario["expect"].get("reconnectIns").is_some() {
        observed["reconnectIns"] = json!(reconnect_ins);
    }
    // The `Last-Event-ID` of every request the server received, when the scenario lists them.
    if scenario["expect"].get("lastEventIds").is_some() {
        let requests = server.requests(&tag).await;
        let sent: Vec<Value> = requests.iter().map(|r| r["lastEventId"].clone()).collect();
        observed["lastEventIds"] = json!(sent);
    }
    observed
}

#[tokio::test]
async fn every_scenario_through_the_rust_loop() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/connection-scenarios.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let server = Server::start();
    let mut failures = Vec::new();
    for scenario in file["scenarios"].as_array().unwrap() {
        let observed = observe(&server, scenario).await;
        if observed != scenario["expect"] {
            failures.push(format!(
                "{}\nobserved: {observed}\nexpected: {}",
                scenario["name"], scenario["expect"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
