//! Fault suite and hostile input for the Rust connection (docs/reliability.md), against the
//! bundled server's fault knobs, mirroring `packages/tauri-sse/test/faults.test.ts` and
//! `hostile.test.ts`; plus the differential parser fuzzing driven from TypeScript. Each test
//! prints a `figures` line.

mod common;

use std::{
    collections::HashSet,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use common::Server;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri_plugin_eventsource::{ErrorKind, Message, Request, RetryPolicy, SseExt, StreamOptions};

fn app() -> tauri::App<MockRuntime> {
    mock_builder()
        .plugin(tauri_plugin_eventsource::init())
        .build(mock_context(noop_assets()))
        .unwrap()
}

fn options(initial_delay: u64, max_delay: u64, jitter: f64) -> StreamOptions {
    StreamOptions {
        retry: RetryPolicy {
            initial_delay,
            max_delay,
            jitter,
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    }
}

/// What a page would see of one connection until it closed.
#[derive(Default)]
struct Run {
    /// The server's event numbers (`n`, also the `id`), in delivery order.
    numbers: Vec<u64>,
    errors: Vec<(ErrorKind, Option<u16>, Option<u64>)>,
    opens: usize,
    /// Longest time from an error to the next open.
    max_gap: Duration,
}

impl Run {
    /// Panics unless 1..=sent arrived exactly once, in order; returns the figures.
    fn assert_exactly_once(&self, sent: u64) -> Value {
        let unique: HashSet<_> = self.numbers.iter().collect();
        let figures = json!({
            "sent": sent,
            "delivered": self.numbers.len(),
            "duplicates": self.numbers.len() - unique.len(),
            "inOrder": self.numbers.windows(2).all(|w| w[0] < w[1]),
        });
        assert_eq!(self.numbers, (1..=sent).collect::<Vec<_>>(), "{figures}");
        figures
    }

    fn kinds(&self) -> Vec<ErrorKind> {
        self.errors.iter().map(|e| e.0).collect()
    }
}

/// Reads messages until `Closed`; `on_event` sees each event number as it arrives.
async fn run_to_close(
    request: Request,
    options: StreamOptions,
    limit: Duration,
    mut on_event: impl FnMut(u64),
) -> Run {
    let app = app();
    let mut stream = app.sse().connect(request.options(options).unwrap());
    let mut run = Run::default();
    let mut last_error = None;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let message = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "not closed after {limit:?}: {} events, errors {:?}",
                    run.numbers.len(),
                    run.errors
                )
            })
            .expect("the stream ended without Closed");
        match message {
            Message::Open { .. } => {
                run.opens += 1;
                if let Some(at) = last_error.take() {
                    run.max_gap = run.max_gap.max(Instant::now().duration_since(at));
                }
            }
            Message::Events { events } => {
                for event in events {
                    let n = serde_json::from_str::<Value>(&event.data).expect("a torn event")["n"]
                        .as_u64()
                        .unwrap();
                    assert_eq!(event.id.as_deref(), Some(n.to_string().as_str()));
                    run.numbers.push(n);
                    on_event(n);
                }
            }
            Message::Error {
                error,
                reconnect_in,
                ..
            } => {
                run.errors
                    .push((error.kind(), error.status(), reconnect_in));
                last_error = Some(Instant::now());
            }
            Message::Closed => return run,
            _ => {}
        }
    }
}

fn figures(name: &str, values: Value) {
    println!("figures {name}: {values}");
}

#[tokio::test]
async fn survives_1000_reconnect_cycles_every_event_once_in_order() {
    let server = Server::start();
    let (cycles, per_cycle) = (1000u64, 3u64);
    let sent = cycles * per_cycle;
    let started = Instant::now();
    let request =
        Request::new(&server.sse(&format!("ids=1&count={sent}&drop={per_cycle}"))).unwrap();
    let run = run_to_close(
        request,
        options(1, 100, 0.0),
        Duration::from_secs(60),
        |_| {},
    )
    .await;
    let mut f = run.assert_exactly_once(sent);
    f["cycles"] = json!(run.opens);
    f["maxReconnectIn"] = json!(run.errors.iter().filter_map(|e| e.2).max());
    f["maxReconnectGapMs"] = json!(run.max_gap.as_millis());
    f["ms"] = json!(started.elapsed().as_millis());
    figures("rust-reconnect-cycles", f);
    assert_eq!(run.opens as u64, cycles);
    // Every drop reconnects after the 1 ms reconnection time; the resume past the end gets 204.
    let (last, drops) = run.errors.split_last().unwrap();
    assert!(
        drops
            .iter()
            .all(|e| e.0 == ErrorKind::Network && e.2 == Some(1)),
        "{drops:?}"
    );
    assert_eq!(
        (last.0, last.1, last.2),
        (ErrorKind::HttpStatus, Some(204), None)
    );
}

#[tokio::test]
async fn tcp_reset_mid_stream_resumes_without_loss_or_duplicates() {
    let server = Server::start();
    let request = Request::new(&server.sse("ids=1&count=60&reset=10&tag=reset")).unwrap();
    let run = run_to_close(
        request,
        options(5, 100, 0.0),
        Duration::from_secs(10),
        |_| {},
    )
    .await;
    let mut f = run.assert_exactly_once(60);
    let resets = run.errors.len() - 1;
    f["resets"] = json!(resets);
    figures("rust-tcp-reset", f);
    assert!(
        resets >= 6
            && run.kinds()[..resets]
                .iter()
                .all(|k| *k == ErrorKind::Network),
        "{:?}",
        run.errors
    );
    // Each resume asked for the event after the last one delivered.
    let resumed: Vec<Value> = server
        .requests("reset")
        .await
        .iter()
        .skip(1)
        .map(|r| r["lastEventId"].clone())
        .collect();
    assert!(
        resumed
            .iter()
            .all(|id| run.numbers.iter().any(|n| json!(n.to_string()) == *id)),
        "{resumed:?}"
    );
}

#[tokio::test]
async fn half_open_connections_are_caught_by_idle_timeout_and_resumed() {
    let server = Server::start();
    let request = Request::new(&server.sse("ids=1&count=3&interval=60000&tag=idle")).unwrap();
    let started = Instant::now();
    let run = run_to_close(
        request,
        StreamOptions {
            idle_timeout: Some(300),
            ..options(10, 100, 0.0)
        },
        Duration::from_secs(10),
        |_| {},
    )
    .await;
    let mut f = run.assert_exactly_once(3);
    f["ms"] = json!(started.elapsed().as_millis());
    figures("rust-half-open", f);
    // One event per connection, then silence: two timeouts; the third stream ends; 204.
    assert_eq!(
        run.kinds(),
        [
            ErrorKind::IdleTimeout,
            ErrorKind::IdleTimeout,
            ErrorKind::Network,
            ErrorKind::HttpStatus
        ]
    );
    server.wait_closed("idle").await;
}

#[tokio::test]
async fn a_503_storm_is_paced_by_the_policy_without_a_hot_loop() {
    let server = Server::start();
    let policy = RetryPolicy {
        initial_delay: 10,
        max_delay: 150,
        factor: 2.0,
        jitter: 0.5,
        on_status: vec![503],
        ..RetryPolicy::default()
    };
    let opts = StreamOptions {
        retry: policy,
        ..StreamOptions::default()
    };

    // Retry-After: 5 (seconds) is capped at max(max_delay, base) = 150 ms; jitter only adds, so a
    // jittered backoff at the cap may wait up to 150 × 1.5.
    let request =
        Request::new(&server.sse("ids=1&count=2&fail=20&retryAfter=5&tag=storm-a")).unwrap();
    let started = Instant::now();
    let run = run_to_close(request, opts.clone(), Duration::from_secs(20), |_| {}).await;
    run.assert_exactly_once(2);
    let capped: Vec<_> = run.errors[..20].iter().map(|e| e.2).collect();
    assert!(
        capped
            .iter()
            .all(|d| d.is_some_and(|d| (150..=225).contains(&d))),
        "{capped:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(20 * 150));
    assert_eq!(server.requests("storm-a").await.len(), 22);

    // Without Retry-After: exponential backoff with jitter, inside the policy's bounds.
    let request = Request::new(&server.sse("ids=1&count=2&fail=12&tag=storm-b")).unwrap();
    let run = run_to_close(request, opts, Duration::from_secs(20), |_| {}).await;
    run.assert_exactly_once(2);
    let delays: Vec<u64> = run.errors[..12].iter().map(|e| e.2.unwrap()).collect();
    for (i, delay) in delays.iter().enumerate() {
        let full = 150u64.min(10 * 2u64.pow(i as u32));
        assert!(
            *delay >= full && *delay <= full * 3 / 2,
            "attempt {}: {delay} outside [{full}, {}]",
            i + 1,
            full * 3 / 2
        );
    }
    assert_eq!(server.requests("storm-b").await.len(), 14);
    figures(
        "rust-503-storm",
        json!({ "retryAfterCapped": capped, "backoff": delays }),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_event_and_restarted_loses_and_repeats_nothing() {
    let server = Server::start();
    let port = server.port;
    let url = server.sse("ids=1&count=40&slow=1");
    // slow=1: ~50 ms per event, so a kill 20 ms after one lands inside the next.
    let mut current = Some(server);
    let (restarted_tx, mut restarted_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut kills = 0;
    let started = Instant::now();
    let run = run_to_close(
        Request::new(&url).unwrap(),
        options(50, 200, 0.0),
        Duration::from_secs(30),
        |n| {
            if n == 10 || n == 25 {
                kills += 1;
                let victim = current.take().or_else(|| restarted_rx.try_recv().ok());
                let tx = restarted_tx.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    drop(victim); // SIGKILL
                    std::thread::sleep(Duration::from_millis(150));
                    let _ = tx.send(Server::start_on(port));
                });
            }
        },
    )
    .await;
    let mut f = run.assert_exactly_once(40);
    f["kills"] = json!(kills);
    f["ms"] = json!(started.elapsed().as_millis());
    figures("rust-kill-9", f);
    assert_eq!(kills, 2);
    assert!(run.kinds().contains(&ErrorKind::Network));
}

#[tokio::test]
async fn a_gibibyte_without_newline_fails_with_event_too_large_after_the_events_before_it() {
    let server = Server::start();
    let request = Request::new(&server.sse("count=3&nonewline=1073741824&tag=huge")).unwrap();
    let started = Instant::now();
    let app = app();
    let mut stream = app.sse().connect(request);
    let (mut events, mut kinds) = (0, Vec::new());
    while let Some(message) = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .unwrap()
    {
        match message {
            Message::Events { events: batch } => events += batch.len(),
            Message::Error { error, .. } => kinds.push(error.kind()),
            Message::Closed => break,
            _ => {}
        }
    }
    figures(
        "rust-1GiB-no-newline",
        json!({ "served": "1 GiB", "ms": started.elapsed().as_millis() }),
    );
    assert_eq!(events, 3);
    assert_eq!(kinds, [ErrorKind::EventTooLarge]);
    // The client hung up instead of downloading the gigabyte.
    server.wait_closed("huge").await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn invalid_utf8_and_nul_bytes_one_byte_per_write() {
    let server = Server::start();
    let mut bytes = b"id: 1\ndata: a\xFFb\ndata: \xC3\ndata: nul\0in\nid: 7\0x\n\n".to_vec();
    bytes.extend_from_slice("data: 😀 é € ok\n\n".as_bytes());
    let raw = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &bytes);
    let app = app();
    let mut stream = app
        .sse()
        .connect(Request::new(&server.sse(&format!("slow=1&raw={raw}"))).unwrap());
    let mut seen = 0;
    let messages = common::collect_until(&mut stream, |m| {
        if let Message::Events { events } = m {
            seen += events.len();
        }
        seen >= 2
    })
    .await;
    let events: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            Message::Events { events } => {
                Some(events.iter().map(|e| (e.data.to_string(), e.id.clone())))
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        events,
        [
            (
                "a\u{FFFD}b\n\u{FFFD}\nnul\0in".to_string(),
                Some("1".to_string())
            ),
            ("😀 é € ok".to_string(), Some("1".to_string()))
        ]
    );
    assert!(
        !messages.iter().any(|m| matches!(m, Message::Error { .. })),
        "{messages:?}"
    );
}

#[tokio::test]
async fn a_retry_beyond_any_timer_is_a_long_wait_not_a_hot_loop() {
    let server = Server::start();
    let app = app();
    let mut stream = app
        .sse()
        .connect(Request::new(&server.sse("count=1&retry=3000000000&tag=long-retry")).unwrap());
    let messages = common::collect_until(&mut stream, |m| matches!(m, Message::Error { .. })).await;
    let Some(Message::Error {
        reconnect_in: Some(delay),
        ..
    }) = messages.last()
    else {
        panic!("{messages:?}")
    };
    assert!(*delay >= 2_400_000_000, "reconnect in {delay} ms");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.requests("long-retry").await.len(), 1);
}

/// The differential fuzzing of packages/tauri-sse/test/reliability (fixed seeds), with this
/// crate's parser through `examples/parse_stdin`, which `cargo test` builds alongside this test.
#[test]
fn parser_agrees_with_the_typescript_parser_on_fuzzed_streams() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = std::env::current_exe().unwrap();
    let harness = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/parse_stdin");
    assert!(
        harness.exists(),
        "{} not built: run cargo test without target filters",
        harness.display()
    );
    assert!(
        root.join("node_modules/tsx").exists(),
        "npm install first (the fuzzer is TypeScript)"
    );
    let output = Command::new("node")
        .args([
            "--import",
            "tsx",
            "test/reliability/fuzz-cli.ts",
            "300",
            "1",
        ])
        .current_dir(root.join("packages/tauri-sse"))
        .env("SSE_RUST_PARSER", &harness)
        .output()
        .expect("node must be on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("figures rust-differential-fuzz: {stdout}");
    assert!(
        output.status.success(),
        "disagreement (minimal reproducers above): {stdout}{stderr}"
    );
    let report: Value = serde_json::from_str(stdout.lines().next().unwrap_or("{}")).unwrap();
    assert!(
        report["comparisons"]["rust"].as_u64() > Some(0),
        "the Rust parser was not compared: {stderr}"
    );
}
