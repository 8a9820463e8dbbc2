//! The reconnect loop against the bundled SSE server over loopback, through the Rust API
//! (`app.sse().connect`), which runs the same loop as the webview commands.

mod common;

use std::time::Duration;

use common::{collect_until, encode, event_data, Server};
use serde_json::Value;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri_plugin_eventsource::{
    ErrorKind, Message, MessageStream, Request, RetryPolicy, SseExt, StreamOptions,
};

fn app() -> tauri::App<MockRuntime> {
    mock_builder()
        .plugin(tauri_plugin_eventsource::init())
        .build(mock_context(noop_assets()))
        .unwrap()
}

/// Fast retries so that reconnecting tests take milliseconds.
fn fast(retry: RetryPolicy) -> StreamOptions {
    StreamOptions {
        retry: RetryPolicy {
            initial_delay: 10,
            max_delay: 100,
            ..retry
        },
        ..StreamOptions::default()
    }
}

fn connect(app: &tauri::App<MockRuntime>, request: Request) -> MessageStream {
    app.sse().connect(request)
}

fn is_error(m: &Message) -> bool {
    matches!(m, Message::Error { .. })
}

fn is_closed(m: &Message) -> bool {
    matches!(m, Message::Closed)
}

/// The fatal error before `closed`, asserting the shape of the end of a failed connection.
fn fatal_error(messages: &[Message]) -> &tauri_plugin_eventsource::Error {
    match messages {
        [.., Message::Error {
            error,
            reconnect_in: None,
        }, Message::Closed] => error,
        _ => panic!("expected a fatal error then closed: {messages:#?}"),
    }
}

#[tokio::test]
async fn events_arrive_in_order_in_batches_after_open() {
    let server = Server::start();
    let app = app();
    let mut stream = connect(
        &app,
        Request::new(&server.sse("count=500&size=10")).unwrap(),
    );
    let messages = collect_until(&mut stream, is_error).await;

    let Message::Open {
        status,
        url,
        headers,
    } = &messages[0]
    else {
        panic!("first message is not open: {:?}", messages[0]);
    };
    assert_eq!(*status, 200);
    assert_eq!(url, &server.sse("count=500&size=10"));
    assert!(headers["content-type"].starts_with("text/event-stream"));

    let data = event_data(&messages);
    assert_eq!(data.len(), 500);
    let batches = messages
        .iter()
        .filter(|m| matches!(m, Message::Events { .. }))
        .count();
    assert!(
        batches < 100,
        "{batches} messages for 500 events: reads are not batched"
    );
    // The server ended the response: the loop reestablishes it.
    let Some(Message::Error {
        error,
        reconnect_in: Some(_),
    }) = messages.last()
    else {
        panic!("expected a reconnect: {:?}", messages.last());
    };
    assert_eq!(error.kind(), ErrorKind::Network);
}

#[tokio::test]
async fn method_headers_and_body_reach_the_server() {
    let server = Server::start();
    let app = app();
    let request = Request::new(&server.sse("count=1&tag=echo"))
        .unwrap()
        .method("POST")
        .unwrap()
        .header("x-token", "abc")
        .unwrap()
        .header("content-type", "application/json")
        .unwrap()
        .body(r#"{"prompt":"hi"}"#);
    let mut stream = connect(&app, request);
    collect_until(&mut stream, is_error).await;

    let requests = server.requests("echo").await;
    let first = &requests[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["body"], r#"{"prompt":"hi"}"#);
    assert_eq!(first["headers"]["x-token"], "abc");
    assert_eq!(first["headers"]["accept"], "text/event-stream");
    // fetch's cache mode "no-store" on the wire, as browsers and the TS transport send it
    assert_eq!(first["headers"]["cache-control"], "no-cache");
    assert_eq!(first["headers"]["pragma"], "no-cache");
    assert!(first["lastEventId"].is_null());
}

#[tokio::test]
async fn dropped_connections_resume_from_last_event_id_without_loss_or_duplicates() {
    let server = Server::start();
    let app = app();
    let request = Request::new(&server.sse("ids=1&count=20&drop=6&tag=resume"))
        .unwrap()
        .options(fast(RetryPolicy::default()))
        .unwrap();
    let mut stream = connect(&app, request);
    let mut seen = 0;
    let messages = collect_until(&mut stream, |m| {
        if let Message::Events { events } = m {
            seen += events.len();
        }
        seen >= 20
    })
    .await;

    let ids: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            Message::Events { events } => Some(events.iter().map(|e| e.id.clone().unwrap())),
            _ => None,
        })
        .flatten()
        .collect();
    let expected: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    let sent: Vec<Value> = server
        .requests("resume")
        .await
        .into_iter()
        .map(|r| r["lastEventId"].clone())
        .collect();
    assert_eq!(
        sent[..4],
        [Value::Null, "6".into(), "12".into(), "18".into()]
    );
}

#[tokio::test]
async fn an_initial_last_event_id_is_sent_on_the_first_request() {
    let server = Server::start();
    let app = app();
    let options = StreamOptions {
        last_event_id: Some("41".into()),
        ..fast(RetryPolicy::default())
    };
    let request = Request::new(&server.sse("ids=1&count=43&tag=seed"))
        .unwrap()
        .options(options)
        .unwrap();
    let messages = collect_until(&mut connect(&app, request), is_error).await;
    assert_eq!(
        event_data(&messages).len(),
        2,
        "resumed at 42: {messages:#?}"
    );
    assert_eq!(server.requests("seed").await[0]["lastEventId"], "41");
}

#[tokio::test]
async fn server_retry_sets_the_reconnection_time() {
    let server = Server::start();
    let app = app();
    let mut stream = connect(&app, Request::new(&server.sse("retry=50&count=1")).unwrap());
    let messages = collect_until(&mut stream, is_error).await;
    assert!(
        messages.contains(&Message::Retry { delay: 50 }),
        "{messages:#?}"
    );
    let Some(Message::Error {
        reconnect_in: Some(delay),
        ..
    }) = messages.last()
    else {
        panic!("no reconnect: {messages:#?}");
    };
    // 50 ms plus at most 20 % jitter (never less: spec), not the 3000 ms default
    assert!((50..=60).contains(delay), "{delay}");
}

#[tokio::test]
async fn unauthorized_and_server_errors_are_fatal() {
    let server = Server::start();
    let app = app();
    for (query, status) in [
        ("auth=secret", 401),
        ("status=500", 500),
        ("status=204", 204),
    ] {
        let mut stream = connect(&app, Request::new(&server.sse(query)).unwrap());
        let messages = collect_until(&mut stream, is_closed).await;
        let error = fatal_error(&messages);
        assert_eq!(error.kind(), ErrorKind::HttpStatus, "{query}");
        assert_eq!(error.status(), Some(status), "{query}");
    }
    // with the token the same URL streams
    let request = Request::new(&server.sse("auth=secret&count=1"))
        .unwrap()
        .header("authorization", "Bearer secret")
        .unwrap();
    let messages = collect_until(&mut connect(&app, request), is_error).await;
    assert_eq!(event_data(&messages).len(), 1);
}

#[tokio::test]
async fn a_wrong_content_type_is_fatal() {
    let server = Server::start();
    let app = app();
    let request = Request::new(&server.sse("type=application/json")).unwrap();
    let messages = collect_until(&mut connect(&app, request), is_closed).await;
    let error = fatal_error(&messages);
    assert_eq!(error.kind(), ErrorKind::ContentType);
    assert!(error.to_string().contains("application/json"), "{error}");
}

#[tokio::test]
async fn statuses_in_on_status_reconnect_honouring_retry_after() {
    let server = Server::start();
    let app = app();
    let options = StreamOptions {
        retry: RetryPolicy {
            initial_delay: 10,
            max_delay: 5000,
            on_status: vec![503],
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    };
    let request = Request::new(&server.sse("status=503&retryAfter=1"))
        .unwrap()
        .options(options)
        .unwrap();
    let messages = collect_until(&mut connect(&app, request), is_error).await;
    let [Message::Error {
        error,
        reconnect_in: Some(1000),
    }] = messages.as_slice()
    else {
        panic!("expected a reconnect in 1000 ms (Retry-After: 1): {messages:#?}");
    };
    assert_eq!(error.status(), Some(503));
}

#[tokio::test]
async fn max_attempts_gives_up_after_consecutive_failures() {
    let server = Server::start();
    let app = app();
    let options = fast(RetryPolicy {
        max_attempts: Some(2),
        on_status: vec![503],
        ..RetryPolicy::default()
    });
    let request = Request::new(&server.sse("status=503&tag=attempts"))
        .unwrap()
        .options(options)
        .unwrap();
    let messages = collect_until(&mut connect(&app, request), is_closed).await;
    let reconnects = messages
        .iter()
        .filter(|m| {
            matches!(
                m,
                Message::Error {
                    reconnect_in: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(reconnects, 2);
    let error = fatal_error(&messages);
    assert_eq!(error.kind(), ErrorKind::MaxAttempts);
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.requests("attempts").await.len(), 3);
}

#[tokio::test]
async fn a_silent_server_trips_the_idle_timeout_and_is_reconnected() {
    let server = Server::start();
    let app = app();
    let options = StreamOptions {
        idle_timeout: Some(200),
        ..fast(RetryPolicy::default())
    };
    let request = Request::new(&server.sse("hang=1&tag=idle"))
        .unwrap()
        .options(options)
        .unwrap();
    let started = std::time::Instant::now();
    let mut stream = connect(&app, request);
    let messages = collect_until(&mut stream, is_error).await;
    assert!(matches!(messages[0], Message::Open { .. }));
    let Message::Error {
        error,
        reconnect_in: Some(_),
        ..
    } = &messages[1]
    else {
        panic!("{messages:#?}");
    };
    assert_eq!(error.kind(), ErrorKind::IdleTimeout);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // the half-open connection was dropped, not leaked
    collect_until(&mut stream, |m| matches!(m, Message::Open { .. })).await;
    drop(stream);
    server.wait_closed("idle").await;
}

#[tokio::test]
async fn redirects_are_followed_to_the_final_url() {
    let server = Server::start();
    let app = app();
    let target = server.sse("count=1&tag=target");
    let request = Request::new(&server.sse(&format!("redirect={}", encode(&target)))).unwrap();
    let messages = collect_until(&mut connect(&app, request), is_error).await;
    assert!(matches!(&messages[0], Message::Open { url, .. } if *url == target));
    assert_eq!(event_data(&messages).len(), 1);
    // credentials across origins: tests/security.rs
}

#[tokio::test]
async fn dropping_the_stream_closes_the_http_connection() {
    let server = Server::start();
    let app = app();
    let mut stream = connect(
        &app,
        Request::new(&server.sse("interval=20&tag=drop")).unwrap(),
    );
    collect_until(&mut stream, |m| matches!(m, Message::Events { .. })).await;
    drop(stream);
    server.wait_closed("drop").await;
}

#[tokio::test]
async fn an_oversized_event_fails_the_connection_after_the_events_before_it() {
    let server = Server::start();
    let app = app();
    let options = StreamOptions {
        max_event_size: Some(100),
        ..StreamOptions::default()
    };
    let request = Request::new(&server.sse("count=3&size=500&tag=big"))
        .unwrap()
        .options(options)
        .unwrap();
    let messages = collect_until(&mut connect(&app, request), is_closed).await;
    assert!(event_data(&messages).is_empty());
    assert_eq!(fatal_error(&messages).kind(), ErrorKind::EventTooLarge);
    assert_eq!(
        server.requests("big").await.len(),
        1,
        "failed, not reconnected"
    );
}
