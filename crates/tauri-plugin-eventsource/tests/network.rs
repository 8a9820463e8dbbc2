//! The network options of `Builder` against real servers on loopback: explicit proxies (HTTP,
//! HTTPS, SOCKS5, `CONNECT` tunnels), a private CA and mutual TLS, HTTP/2, the connect timeout, TCP
//! keep-alive, compressed streams, a shared cookie jar and the app's own client adjustment. The options read from the environment (proxy variables,
//! the OS trust store) are tests/network_env.rs.

mod common;

use std::{
    io::Write,
    net::Ipv4Addr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{
    app_with as app, collect_until, encode, event_data, first_attempt,
    ipc::{connect, kind, Harness},
    net::{event_stream, forward_proxy, socks5_proxy, write_head, HttpServer, TestCa},
    Server,
};
use serde_json::json;
use tauri_plugin_eventsource::{
    reqwest, Builder, ErrorKind, Message, Request, RetryPolicy, SseExt, StreamOptions,
};
use tokio::io::AsyncWriteExt;

fn figures(line: &str) {
    println!("network: {line}");
}

/// The error of a first attempt that failed, whose kind must be `network`.
fn network_error(messages: &[Message]) -> String {
    let Some(Message::Error { error, .. }) = messages.last() else {
        panic!("expected an error: {messages:#?}");
    };
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    error.to_string()
}

/// The messages of a stream from `url` that reconnects at once, up to its `opens`-th `open`.
async fn until_opened(
    app: &tauri::App<tauri::test::MockRuntime>,
    url: &str,
    opens: usize,
) -> Vec<Message> {
    let options = StreamOptions {
        retry: RetryPolicy {
            initial_delay: 10,
            max_delay: 50,
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    };
    let request = Request::new(url).unwrap().options(options).unwrap();
    let mut stream = app.sse().connect(request);
    let mut opened = 0;
    collect_until(&mut stream, |m| {
        opened += usize::from(matches!(m, Message::Open { .. }));
        opened == opens
    })
    .await
}

fn proxy_to(proxy: &HttpServer) -> reqwest::Proxy {
    reqwest::Proxy::http(proxy.url("")).unwrap()
}

#[tokio::test]
async fn an_explicit_proxy_carries_the_stream_and_its_no_proxy_list_goes_direct() {
    let server = Server::start();
    let proxy = forward_proxy(None);
    let url = server.sse("count=3&tag=proxied");
    let messages = first_attempt(Builder::new().proxy(proxy_to(&proxy)), &url).await;
    assert_eq!(event_data(&messages).len(), 3);
    let forwarded = proxy.requests();
    assert_eq!(forwarded.len(), 1);
    // absolute form: the proxy is told the stream's URL
    assert_eq!(forwarded[0].target, url);
    assert_eq!(server.requests("proxied").await.len(), 1);

    let skipping = proxy_to(&proxy).no_proxy(reqwest::NoProxy::from_string("127.0.0.1"));
    let messages = first_attempt(Builder::new().proxy(skipping), &server.sse("count=1")).await;
    assert_eq!(event_data(&messages).len(), 1);
    assert_eq!(proxy.requests().len(), 1, "a no-proxy host went through");
}

#[tokio::test]
async fn https_and_socks5_proxies_carry_the_stream() {
    let server = Server::start();
    let ca = TestCa::new();
    // TLS to the proxy itself, trusted through the added root
    let https = forward_proxy(Some(ca.server_config(false)));
    let url = server.sse("count=1");
    let plugin = Builder::new()
        .add_root_certificate(ca.root())
        .proxy(reqwest::Proxy::http(https.url("")).unwrap());
    assert_eq!(event_data(&first_attempt(plugin, &url).await).len(), 1);
    assert_eq!(https.requests()[0].target, url);

    // `socks5h`: the proxy resolves the name
    let (port, targets) = socks5_proxy();
    let socks = reqwest::Proxy::all(format!("socks5h://127.0.0.1:{port}")).unwrap();
    let url = server.sse_on_localhost("count=1");
    let messages = first_attempt(Builder::new().proxy(socks), &url).await;
    assert_eq!(event_data(&messages).len(), 1);
    assert_eq!(
        *targets.lock().unwrap(),
        [format!("localhost:{}", server.port)]
    );
}

#[tokio::test]
async fn an_https_stream_tunnels_through_the_proxy_with_connect() {
    let ca = TestCa::new();
    let server = ca.event_server(false, "data: tunnelled\n\n");
    let proxy = forward_proxy(None);
    let plugin = Builder::new()
        .add_root_certificate(ca.root())
        .proxy(reqwest::Proxy::https(proxy.url("")).unwrap());
    let messages = first_attempt(plugin, &server.url("/sse")).await;
    assert_eq!(event_data(&messages), ["tunnelled"]);
    let tunnel = &proxy.requests()[0];
    // the proxy sees where to, not what: TLS runs end to end, checked against the server
    assert_eq!(
        (tunnel.method.as_str(), tunnel.target.clone()),
        ("CONNECT", format!("127.0.0.1:{}", server.port))
    );
}

#[test]
fn the_scope_checks_the_stream_url_never_the_proxy() {
    let proxy = forward_proxy(None);
    let h = Harness::new(Builder::new().proxy(proxy_to(&proxy)));
    let a = h.webview("a");
    // the proxy's origin is in no scope; the stream's URL is
    connect(&a, &h.server.sse("count=2&tag=via-proxy"), json!({}), 1).unwrap();
    let received = h.wait_for("a", 1, |m| m["type"] == "error");
    let events = received.iter().filter(|m| m["type"] == "events").count();
    assert!(events >= 1, "{received:#?}");
    assert_eq!(proxy.requests().len(), 1);
    // a URL out of the scope stays refused, proxy or not
    let outside = h.server.sse_on_localhost("count=1");
    assert_eq!(kind(connect(&a, &outside, json!({}), 2)), "scope");
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn a_private_ca_is_refused_by_default_and_trusted_once_added() {
    let ca = TestCa::new();
    let url = ca.event_server(false, "data: secure\n\n").url("/sse");
    let refused = network_error(&first_attempt(Builder::new(), &url).await);
    figures(&format!("unknown CA refused: {refused}"));

    let messages = first_attempt(Builder::new().add_root_certificate(ca.root()), &url).await;
    assert_eq!(event_data(&messages), ["secure"]);
}

#[tokio::test]
async fn an_http2_stream_delivers_its_events_and_resumes_with_last_event_id() {
    let ca = TestCa::new();
    // The server speaks HTTP/2 only (an HTTP/1.1 request fails its connection preface), so
    // every event below came over HTTP/2, negotiated with ALPN as real deployments do
    let (url, last_event_ids) = ca.h2_event_server("id: 日本-1\ndata: over h2\ndata: é\n\n");
    let app = app(Builder::new().add_root_certificate(ca.root()));
    let messages = until_opened(&app, &url, 2).await;
    assert_eq!(event_data(&messages), ["over h2\né"], "{messages:#?}");
    let Message::Open {
        status, headers, ..
    } = &messages[0]
    else {
        panic!("{messages:#?}");
    };
    assert_eq!(*status, 200);
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(
        last_event_ids.lock().unwrap()[..2],
        [None, Some("日本-1".to_string())]
    );
}

#[tokio::test]
async fn a_server_requiring_a_client_certificate_accepts_the_identity() {
    let ca = TestCa::new();
    let url = ca.event_server(true, "data: mutual\n\n").url("/sse");
    let trusting = || Builder::new().add_root_certificate(ca.root());
    let refused = network_error(&first_attempt(trusting(), &url).await);
    figures(&format!("no client certificate: {refused}"));

    let identity = reqwest::Identity::from_pem(ca.client_identity_pem().as_bytes()).unwrap();
    let messages = first_attempt(trusting().identity(identity), &url).await;
    assert_eq!(event_data(&messages), ["mutual"]);
}

#[tokio::test]
async fn a_connect_that_never_completes_fails_within_the_connect_timeout() {
    // A listener nobody accepts from, its queue full: the kernel drops further SYNs, so a
    // connect hangs, on loopback.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((Ipv4Addr::LOCALHOST, 0).into()).unwrap();
    let addr = socket.local_addr().unwrap();
    let _listener = socket.listen(1).unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) = tokio::time::timeout(
        Duration::from_millis(200),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    {
        queued.push(stream.unwrap());
        assert!(queued.len() < 64, "the accept queue never filled");
    }

    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let messages = first_attempt(
        Builder::new().connect_timeout(timeout),
        &format!("http://{addr}/sse"),
    )
    .await;
    let elapsed = started.elapsed();
    let error = network_error(&messages);
    assert!(
        elapsed >= timeout && elapsed < timeout + Duration::from_secs(2),
        "failed after {elapsed:?}"
    );
    figures(&format!(
        "connect timeout {timeout:?}: failed after {elapsed:?} ({} queued connections): {error}",
        queued.len()
    ));
}

/// A `Write` into a buffer the server drains after every flush.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An encoder for `coding` whose `flush` emits everything written so far (a sync flush).
fn encoder(coding: &str, sink: Shared) -> Box<dyn Write + Send> {
    match coding {
        "identity" => Box::new(sink),
        "gzip" => Box::new(flate2::write::GzEncoder::new(sink, Default::default())),
        // HTTP's `deflate` is the zlib format
        "deflate" => Box::new(flate2::write::ZlibEncoder::new(sink, Default::default())),
        "br" => Box::new(brotli::CompressorWriter::new(sink, 4096, 5, 22)),
        "zstd" => Box::new(zstd::stream::write::Encoder::new(sink, 3).unwrap()),
        _ => unreachable!("{coding}"),
    }
}

const CODINGS: [&str; 5] = ["identity", "gzip", "deflate", "br", "zstd"];
const COMPRESSED_EVENTS: usize = 8;
// wide enough that a loaded machine does not blur "before the next one was sent"
const EVENT_INTERVAL: Duration = Duration::from_millis(100);

#[tokio::test]
async fn compressed_events_arrive_as_they_are_sent() {
    // when each event left the server, by coding
    let sent = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let log = sent.clone();
    let server = HttpServer::start(None, move |head, mut conn| {
        let log = log.clone();
        async move {
            let coding = head.target.trim_start_matches("/sse?coding=").to_string();
            let mut headers = vec![("content-type", "text/event-stream")];
            if coding != "identity" {
                headers.push(("content-encoding", &coding));
            }
            write_head(&mut conn, "200 OK", &headers).await;
            let sink = Shared::default();
            let mut encoder = encoder(&coding, sink.clone());
            for i in 0..COMPRESSED_EVENTS {
                let text = "a token of a streamed answer ".repeat(4);
                write!(
                    encoder,
                    "id: {i}\ndata: {{\"n\":{i},\"text\":\"{text}\"}}\n\n"
                )
                .unwrap();
                encoder.flush().unwrap();
                let bytes = std::mem::take(&mut *sink.0.lock().unwrap());
                log.lock().unwrap().push((coding.clone(), Instant::now()));
                conn.write_all(&bytes).await.unwrap();
                conn.flush().await.unwrap();
                tokio::time::sleep(EVENT_INTERVAL).await;
            }
            // held open: the test reads these events only
            std::future::pending::<()>().await;
        }
    });

    let decoding = app(Builder::new());
    for coding in CODINGS {
        let mut stream = decoding
            .sse()
            .connect(Request::new(&server.url(&format!("/sse?coding={coding}"))).unwrap());
        let mut arrived = Vec::new();
        collect_until(&mut stream, |m| {
            if let Message::Events { events } = m {
                arrived.extend(events.iter().map(|_| Instant::now()));
            }
            assert!(!matches!(m, Message::Error { .. }), "{coding}: {m:?}");
            arrived.len() == COMPRESSED_EVENTS
        })
        .await;
        let sent = sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| c == coding)
            .map(|(_, at)| *at)
            .collect::<Vec<_>>();
        // each event was delivered before the next one was even sent
        for (i, at) in arrived.iter().enumerate().skip(1) {
            assert!(
                arrived[i - 1] < sent[i],
                "{coding}: event {} was held back until event {i} was sent",
                i - 1
            );
            assert!(*at >= sent[i]);
        }
        let mut delays = arrived
            .iter()
            .zip(&sent)
            .map(|(arrived, sent)| arrived.duration_since(*sent))
            .collect::<Vec<_>>();
        delays.sort();
        figures(&format!(
            "{coding}: per-event delay median {:?}, max {:?} over {COMPRESSED_EVENTS} events sent {EVENT_INTERVAL:?} apart",
            delays[delays.len() / 2],
            delays[delays.len() - 1]
        ));
    }
    // reqwest asks for what its features decode
    let accepted = server.requests()[0]
        .header("accept-encoding")
        .unwrap()
        .to_string();
    for coding in ["gzip", "deflate", "br", "zstd"] {
        assert!(accepted.contains(coding), "accept-encoding: {accepted}");
    }
    // and for nothing once the app turns decoding off
    let plain =
        app(Builder::new().client_builder(|b| b.no_gzip().no_brotli().no_deflate().no_zstd()));
    let url = server.url("/sse?coding=identity");
    let mut stream = plain.sse().connect(Request::new(&url).unwrap());
    collect_until(&mut stream, |m| matches!(m, Message::Open { .. })).await;
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("accept-encoding"), None, "{last:?}");
}

#[tokio::test]
async fn cookies_of_a_shared_jar_are_sent_on_the_stream_and_its_reconnects() {
    let server = HttpServer::start(None, |head, mut conn| async move {
        if head.target == "/login" {
            let headers = [
                ("set-cookie", "session=s1; Path=/"),
                ("content-length", "0"),
            ];
            write_head(&mut conn, "200 OK", &headers).await;
        } else {
            event_stream(conn, &[("set-cookie", "seen=1; Path=/")], "data: hi\n\n").await;
        }
    });
    let jar = Arc::new(reqwest::cookie::Jar::default());
    // the app logs in with its own client
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    client.get(server.url("/login")).send().await.unwrap();

    let app = app(Builder::new().cookie_store(jar.clone()));
    let messages = until_opened(&app, &server.url("/sse"), 3).await;
    // the cookie is the store's: like fetch, `open` does not show `Set-Cookie`
    let Message::Open { headers, .. } = &messages[0] else {
        panic!("{messages:#?}");
    };
    assert!(!headers.contains_key("set-cookie"), "{headers:?}");
    let cookies = server
        .requests()
        .iter()
        .filter(|r| r.target == "/sse")
        .map(|r| r.header("cookie").unwrap_or_default().to_string())
        .collect::<Vec<_>>();
    // the app's login on the first request, and the stream's own cookie on every reconnect
    assert_eq!(cookies[0], "session=s1");
    for reconnect in &cookies[1..3] {
        let mut sent = reconnect.split("; ").collect::<Vec<_>>();
        sent.sort();
        assert_eq!(sent, ["seen=1", "session=s1"], "{cookies:?}");
    }
    // and the app sees what the stream was set
    use reqwest::cookie::CookieStore;
    let url = server.url("/").parse().unwrap();
    let shared = jar.cookies(&url).unwrap();
    assert!(shared.to_str().unwrap().contains("seen=1"), "{shared:?}");
}

#[test]
fn the_app_adjusts_the_client_but_redirects_stay_checked() {
    let h = Harness::new(Builder::new().client_builder(|builder| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-app", "adjusted".parse().unwrap());
        // would follow redirects inside reqwest, past the scope: the plugin sets it back
        builder
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::limited(10))
    }));
    let a = h.webview("a");
    let outside = h.server.sse_on_localhost("count=1&tag=outside");
    let url = h
        .server
        .sse(&format!("tag=adjusted&redirect={}", encode(&outside)));
    connect(&a, &url, json!({}), 1).unwrap();
    let received = h.wait_for("a", 1, |m| m["type"] == "closed");
    assert_eq!(received[0]["error"]["kind"], "scope", "{received:#?}");
    assert_eq!(h.requests("adjusted")[0]["headers"]["x-app"], "adjusted");
    assert!(h.requests("outside").is_empty());
}

/// The keep-alive timer of the client's socket to `port`, from `/proc/net/tcp`: `None` if the
/// socket has none pending.
#[cfg(target_os = "linux")]
fn keepalive_timer(port: u16) -> Option<Duration> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let fields = table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        // remote address `7F000001:PORT` (hex), state 01: established
        .find(|f| f[2].ends_with(&format!(":{port:04X}")) && f[3] == "01")
        .expect("the client's socket");
    // `tr:tm->when`: timer 2 is the keep-alive one, due in this many clock ticks (1/100 s)
    let (timer, when) = fields[5].split_once(':').unwrap();
    let ticks = u64::from_str_radix(when, 16).unwrap();
    (timer == "02").then(|| Duration::from_millis(ticks * 10))
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_socket_probes_a_silent_stream_with_tcp_keepalive() {
    let silent = || {
        HttpServer::start(None, |_, mut conn| async move {
            write_head(
                &mut conn,
                "200 OK",
                &[("content-type", "text/event-stream")],
            )
            .await;
            std::future::pending::<()>().await;
        })
    };
    for (keepalive, expected) in [
        (None, Some(Duration::from_secs(15))), // the default
        (
            Some(Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7)),
        ),
        (Some(None), None),
    ] {
        let server = silent();
        let plugin = match keepalive {
            Some(keepalive) => Builder::new().tcp_keepalive(keepalive),
            None => Builder::new(),
        };
        let app = app(plugin);
        let mut stream = app
            .sse()
            .connect(Request::new(&server.url("/sse")).unwrap());
        collect_until(&mut stream, |m| matches!(m, Message::Open { .. })).await;
        let timer = keepalive_timer(server.port);
        match expected {
            // due within the interval, and not long ago armed
            Some(interval) => {
                let due = timer.expect("no keep-alive timer on the socket");
                assert!(
                    due <= interval && due + Duration::from_secs(3) > interval,
                    "{due:?}"
                );
            }
            None => assert_eq!(timer, None),
        }
    }
}
