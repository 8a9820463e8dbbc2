//! Attacks on the plugin through its public surface: the webview commands on the mock runtime
//! (`common::ipc`) and `app.sse()`, against the bundled server over loopback. Each test names
//! the attack and asserts the refusal (error kind and message) and, where a request could leak,
//! that none reached the server (`/requests?tag=`). Each group prints a `security:` figure line:
//! `cargo test -p tauri-plugin-eventsource --test security -- --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::{
    collect_until, encode,
    ipc::{attach, connect, invoke, on_lane, Harness},
    Server,
};
use serde_json::{json, Value};
use tauri::{test::MockRuntime, WebviewWindow};
use tauri_plugin_eventsource::{Message, Request, SseExt};

/// The tag of requests that must never reach the server.
const LEAK: &str = "leak";

/// One connect attempt that must fail: the URL, the error kind, and a part of the message
/// (for `scope`, the URL as normalised: what the check really compared).
struct Refusal {
    url: String,
    kind: &'static str,
    says: String,
}

fn refusal(url: impl Into<String>, kind: &'static str, says: impl Into<String>) -> Refusal {
    Refusal {
        url: url.into(),
        kind,
        says: says.into(),
    }
}

/// Connects to every URL from `webview`, asserts each refusal, then that the server recorded
/// nothing under [`LEAK`]. Returns how many were refused.
fn assert_refused(
    h: &Harness,
    webview: &WebviewWindow<MockRuntime>,
    refusals: &[Refusal],
) -> usize {
    for (n, r) in refusals.iter().enumerate() {
        let error = connect(webview, &r.url, Value::Null, n as u32)
            .expect_err(&format!("{} was allowed", r.url));
        assert_eq!(error["kind"], r.kind, "{}: {error}", r.url);
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(&r.says), "{}: {message}", r.url);
    }
    assert_eq!(
        h.requests(LEAK),
        Vec::<Value>::new(),
        "a refused URL was requested"
    );
    refusals.len()
}

fn scope_refused(url: impl Into<String>, normalised: impl Into<String>) -> Refusal {
    let normalised = normalised.into();
    refusal(
        url,
        "scope",
        format!("{normalised} is not allowed by the eventsource scope"),
    )
}

fn figures(line: &str) {
    println!("security: {line}");
}

/// Waits until the server recorded `n` requests under `tag`.
fn wait_requests(h: &Harness, tag: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let requests = h.requests(tag);
        if requests.len() >= n || Instant::now() > deadline {
            return requests;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Spellings of 127.0.0.1 the URL Standard parses to it: numeric IPv4 forms, a trailing dot,
/// ideographic full stops (IDNA maps them to `.`), and IPv4-mapped IPv6 (the same host on a
/// dual-stack system).
fn spellings_of_127_0_0_1(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0x7f.1",
        "127.0.0.1.",
        "127\u{3002}0\u{3002}0\u{3002}1",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:7f00:1]",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}"))
    .collect()
}

#[test]
fn other_spellings_of_a_denied_host_are_still_denied() {
    let h = Harness::scoped(tauri_plugin_eventsource::Builder::new(), |_| {
        let allow = vec!["http://*:*/*".into()];
        let deny = [
            "http://127.0.0.1:*/*",
            "http://localhost:*/*",
            "http://[::1]:*/*",
            "http://example.com/*",
            "http://xn--bcher-kva.example/*", // punycode entry
            "http://m\u{fc}nchen.example/*",  // unicode entry
        ];
        (allow, deny.map(String::from).to_vec())
    });
    let a = h.webview("a");
    let port = h.server.port;
    let path = format!("/sse?status=204&tag={LEAK}");
    let mut refusals: Vec<Refusal> = spellings_of_127_0_0_1(port)
        .into_iter()
        .map(|origin| {
            scope_refused(
                format!("{origin}{path}"),
                format!("http://127.0.0.1:{port}{path}"),
            )
        })
        .collect();
    let hosts = [
        ("LOCALHOST.", "localhost"),
        ("LocalHost", "localhost"),
        (
            "\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}",
            "localhost",
        ),
        ("[::1]", "[::1]"),
        ("[0:0:0:0:0:0:0:1]", "[::1]"),
        ("[0000::0001]", "[::1]"),
    ];
    for (host, normalised) in hosts {
        refusals.push(scope_refused(
            format!("HTTP://{host}:{port}{path}"),
            format!("http://{normalised}:{port}{path}"),
        ));
    }
    let names = [
        (
            "\u{ff45}\u{ff58}\u{ff41}\u{ff4d}\u{ff50}\u{ff4c}\u{ff45}.com",
            "example.com",
        ),
        ("EXAMPLE.com", "example.com"),
        ("example.com.", "example.com"),
        ("example.com:80", "example.com"),
        ("b\u{fc}cher.example", "xn--bcher-kva.example"),
        ("B\u{dc}CHER.example", "xn--bcher-kva.example"),
        ("xn--mnchen-3ya.example", "xn--mnchen-3ya.example"),
    ];
    for (host, normalised) in names {
        refusals.push(scope_refused(
            format!("http://{host}/sse"),
            format!("http://{normalised}/sse"),
        ));
    }
    let refused = assert_refused(&h, &a, &refusals);
    figures(&format!(
        "{refused} spellings of denied hosts refused, 0 requests reached the server"
    ));
}

#[test]
fn an_allow_entry_admits_the_spellings_of_its_host_and_nothing_more() {
    let h = Harness::scoped(tauri_plugin_eventsource::Builder::new(), |server| {
        (vec![format!("http://127.0.0.1:{}/*", server.port)], vec![])
    });
    let a = h.webview("a");
    let port = h.server.port;
    let path = format!("/sse?status=204&tag={LEAK}");

    // the same host, spelled differently: allowed, and each reaches the server as 127.0.0.1
    let same = spellings_of_127_0_0_1(port);
    for (n, origin) in same.iter().enumerate() {
        let url = format!("{origin}/sse?status=204&tag=same");
        connect(&a, &url, Value::Null, 100 + n as u32).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    let reached = wait_requests(&h, "same", same.len());
    assert_eq!(reached.len(), same.len(), "{reached:#?}");
    for request in &reached {
        assert_eq!(request["headers"]["host"], format!("127.0.0.1:{port}"));
    }

    let mut refusals: Vec<Refusal> = [
        ("127.0.0.2", "127.0.0.2"),
        ("2130706434", "127.0.0.2"),
        ("0x7f000002", "127.0.0.2"),
        ("127.2", "127.0.0.2"),
        ("0.0.0.0", "0.0.0.0"),
        ("0", "0.0.0.0"),
        ("localhost", "localhost"),
        ("[::1]", "[::1]"),
        ("[::127.0.0.1]", "[::7f00:1]"), // IPv4-compatible, not mapped: another address
        ("127.0.0.1.nip.io", "127.0.0.1.nip.io"),
        ("127.0.0.1*", "127.0.0.1*"),
        ("*", "*"),
    ]
    .iter()
    .map(|(host, normalised)| {
        scope_refused(
            format!("http://{host}:{port}{path}"),
            format!("http://{normalised}:{port}{path}"),
        )
    })
    .collect();
    let other_port = port.wrapping_add(1).max(1);
    refusals.extend([
        scope_refused(
            format!("http://127.0.0.1:{other_port}{path}"),
            format!("http://127.0.0.1:{other_port}{path}"),
        ),
        scope_refused(
            format!("https://127.0.0.1:{port}{path}"),
            format!("https://127.0.0.1:{port}{path}"),
        ),
        // parser differentials: the host is `evil.test` for the URL Standard
        scope_refused(
            format!("http://evil.test\\@127.0.0.1:{port}{path}"),
            format!("http://evil.test/@127.0.0.1:{port}{path}"),
        ),
        scope_refused(
            format!("http://evil.test#@127.0.0.1:{port}{path}"),
            "http://evil.test/",
        ),
        scope_refused(
            format!("http://evil.test?@127.0.0.1:{port}{path}"),
            format!("http://evil.test/?@127.0.0.1:{port}{path}"),
        ),
    ]);
    let refused = assert_refused(&h, &a, &refusals);
    figures(&format!(
        "{} spellings of an allowed host admitted (all reached it as 127.0.0.1), \
         {refused} other hosts refused, 0 requests reached the server",
        same.len()
    ));
}

#[test]
fn credentials_in_the_url_and_other_schemes_are_invalid_urls() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let port = h.server.port;
    let path = format!("/sse?status=204&tag={LEAK}");
    let credentials = "credentials in the URL are not allowed";
    let scheme = "only http and https URLs can be streamed";
    let refusals = [
        refusal(
            format!("http://user@127.0.0.1:{port}{path}"),
            "invalid-url",
            credentials,
        ),
        refusal(
            format!("http://user:pw@127.0.0.1:{port}{path}"),
            "invalid-url",
            credentials,
        ),
        refusal(
            format!("http://:pw@127.0.0.1:{port}{path}"),
            "invalid-url",
            credentials,
        ),
        refusal(
            format!("http://127.0.0.1:{port}@evil.test{path}"),
            "invalid-url",
            credentials,
        ),
        refusal("file:///etc/passwd", "invalid-url", scheme),
        refusal(
            "data:text/event-stream,data:%20x%0A%0A",
            "invalid-url",
            scheme,
        ),
        refusal(
            format!("ws://127.0.0.1:{port}{path}"),
            "invalid-url",
            scheme,
        ),
        refusal(
            format!("wss://127.0.0.1:{port}{path}"),
            "invalid-url",
            scheme,
        ),
        refusal(
            format!("ftp://127.0.0.1:{port}{path}"),
            "invalid-url",
            scheme,
        ),
        refusal(
            format!("blob:http://127.0.0.1:{port}/x"),
            "invalid-url",
            scheme,
        ),
        refusal("javascript:alert(1)", "invalid-url", scheme),
        refusal(
            format!("//127.0.0.1:{port}{path}"),
            "invalid-url",
            "relative URL",
        ),
    ];
    let refused = assert_refused(&h, &a, &refusals);
    // The refusal does not echo the password (the message may end up in a log).
    let url = format!("http://user:s3cret-pw@127.0.0.1:{port}{path}");
    let error = connect(&a, &url, Value::Null, refusals.len() as u32).expect_err("allowed");
    let message = error["message"].as_str().unwrap();
    assert!(!message.contains("s3cret-pw"), "{message}");
    figures(&format!(
        "{refused} URLs with credentials or other schemes refused, 0 requests reached the server"
    ));
}

#[test]
fn dot_segments_and_encoded_letters_cannot_reach_a_denied_path() {
    let h = Harness::scoped(tauri_plugin_eventsource::Builder::new(), |server| {
        let origin = &server.origin;
        (vec![format!("{origin}/*")], vec![format!("{origin}/sse")])
    });
    let a = h.webview("a");
    let origin = h.server.origin.clone();
    let denied = format!("{origin}/sse?status=204&tag={LEAK}");
    let query = format!("?status=204&tag={LEAK}");
    let refusals: Vec<Refusal> = [
        "/sse",
        "/public/../sse",
        "/public/%2e%2e/sse",
        "/public/.%2E/sse",
        "/public\\..\\sse",
        "/./sse",
        "/%73se", // RFC 3986 6.2.2.2: `%73` is `s`
        "/%73%73%65",
    ]
    .iter()
    .map(|path| scope_refused(format!("{origin}{path}{query}"), &denied))
    .collect();
    let refused = assert_refused(&h, &a, &refusals);
    figures(&format!(
        "{refused} spellings of a denied path refused, 0 requests reached the server"
    ));
}

/// The messages of a connection whose redirect was refused: one fatal error, then `closed`.
fn assert_fails_on_the_hop(h: &Harness, channel_id: u32, kind: &str, says: &str) {
    let received = h.wait_for("a", channel_id, |m| m["type"] == "closed");
    assert_eq!(received.len(), 2, "{received:#?}");
    assert_eq!(received[0]["type"], "error");
    assert_eq!(received[0]["error"]["kind"], kind, "{received:#?}");
    let message = received[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains(says), "{message}");
    assert!(
        received[0].get("reconnectIn").is_none(),
        "a refused hop is not retried"
    );
}

#[test]
fn redirects_out_of_the_scope_fail_the_connection_on_that_hop() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let other = Server::start(); // 127.0.0.1 on another port: another origin
    let a = h.webview("a");
    let port = h.server.port;
    let leak = format!("/sse?status=204&tag={LEAK}");
    let via = |tag: &str, target: &str| {
        h.server
            .sse(&format!("tag={tag}&redirect={}", encode(target)))
    };
    let in_scope_hop = via("hop1", &format!("http://localhost:{port}{leak}"));
    let credentials = "credentials in the URL are not allowed";
    let cases = [
        (
            via("first", &format!("http://localhost:{port}{leak}")),
            "first",
            "scope",
            format!("http://localhost:{port}{leak} is not allowed"),
        ),
        (
            via("first", &format!("{}{leak}", other.origin)),
            "first",
            "scope",
            format!("{}{leak} is not allowed", other.origin),
        ),
        // a chain: the first hop stays in the scope, the second leaves it
        (
            via("first", &in_scope_hop),
            "hop1",
            "scope",
            format!("http://localhost:{port}{leak} is not allowed"),
        ),
        (
            via("first", "file:///etc/passwd"),
            "first",
            "invalid-url",
            "only http and https".into(),
        ),
        (
            via("first", &format!("http://user:pw@127.0.0.1:{port}{leak}")),
            "first",
            "invalid-url",
            credentials.into(),
        ),
    ];
    for (n, (url, last_hop, kind, says)) in cases.iter().enumerate() {
        let before = h.requests(last_hop).len();
        connect(&a, url, Value::Null, n as u32).unwrap();
        assert_fails_on_the_hop(&h, n as u32, kind, says);
        assert_eq!(h.requests(last_hop).len(), before + 1, "{url}");
    }
    assert_eq!(h.requests(LEAK), Vec::<Value>::new());
    let other_requests = tauri::async_runtime::block_on(other.requests(LEAK));
    assert_eq!(other_requests, Vec::<Value>::new());
    figures(&format!(
        "{} redirects out of the scope failed on their hop (1 of them as the 2nd hop of a chain), \
         none retried, 0 requests reached the target",
        cases.len()
    ));
}

#[tokio::test]
async fn credentials_are_not_forwarded_to_another_origin_on_a_redirect() {
    let server = Server::start();
    let other = Server::start(); // same host, another port
    let app = tauri::test::mock_builder()
        .plugin(tauri_plugin_eventsource::init())
        .build(tauri::test::mock_context(tauri::test::noop_assets()))
        .unwrap();
    let secrets = [
        ("authorization", "Bearer secret"),
        ("cookie", "session=1"),
        ("proxy-authorization", "Basic c2VjcmV0"),
    ];
    let redirect = |from: &str, to: &str| format!("{from}&redirect={}", encode(to));
    let target = |tag: &str| server.sse(&format!("status=204&tag={tag}"));
    let cases = [
        (
            "same-origin",
            server.sse(&redirect("", &target("same-origin"))),
            true,
        ),
        (
            "other-host",
            server.sse(&redirect(
                "",
                &server.sse_on_localhost("status=204&tag=other-host"),
            )),
            false,
        ),
        (
            "other-port",
            server.sse(&redirect("", &other.sse("status=204&tag=other-port"))),
            false,
        ),
        // 127.0.0.1 -> localhost -> 127.0.0.1: removed headers do not come back
        (
            "and-back",
            server.sse(&redirect(
                "",
                &server.sse_on_localhost(&redirect("", &target("and-back"))),
            )),
            false,
        ),
    ];
    let mut dropped = 0;
    for (tag, url, kept) in &cases {
        let mut request = Request::new(url)
            .unwrap()
            .header("x-other", "kept")
            .unwrap();
        for (name, value) in secrets {
            request = request.header(name, value).unwrap();
        }
        let mut stream = app.sse().connect(request);
        collect_until(&mut stream, |m| matches!(m, Message::Closed)).await;
        let recorded = match *tag {
            "other-port" => other.requests(tag).await,
            _ => server.requests(tag).await,
        };
        let headers = &recorded[0]["headers"];
        assert_eq!(headers["x-other"], "kept", "{tag}");
        for (name, value) in secrets {
            if *kept {
                assert_eq!(headers[name], value, "{tag}: {headers}");
            } else {
                assert!(
                    headers.get(name).is_none(),
                    "{tag}: {name} forwarded: {headers}"
                );
                dropped += 1;
            }
        }
    }
    figures(&format!(
        "{dropped} credential headers withheld on 3 cross-origin redirects, 3 kept on a same-origin one"
    ));
}

#[test]
fn control_characters_in_headers_and_methods_are_refused_before_any_request() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h.server.sse(&format!("status=204&tag={LEAK}"));
    let headers: [(&str, &str); 10] = [
        ("x-a", "1\r\nx-injected: 1"),
        ("x-a", "1\nx-injected: 1"),
        ("x-a", "1\rx-injected: 1"),
        ("x-a", "1\0"),
        ("x-a\r\nx-injected", "1"),
        ("x-a\n", "1"),
        ("x\0a", "1"),
        ("x a", "1"),
        ("x:a", "1"),
        ("", "1"),
    ];
    for (n, (name, value)) in headers.iter().enumerate() {
        let args = on_lane(
            &a,
            n as u32,
            json!({ "url": url, "headers": [[name, value]] }),
        );
        let error = invoke(&a, "connect", args).unwrap_err();
        assert_eq!(
            error["kind"], "invalid-header",
            "{name:?}: {value:?}: {error}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("invalid header `{name}`: ")),
            "{message}"
        );
    }
    let methods = ["GET\r\nx-injected: 1", "GET /admin HTTP/1.1", "GET\0"];
    for method in methods {
        let args = on_lane(&a, 99, json!({ "url": url, "method": method }));
        let error = invoke(&a, "connect", args).unwrap_err();
        assert_eq!(error["kind"], "invalid-options", "{method:?}: {error}");
        assert!(error["message"]
            .as_str()
            .unwrap()
            .contains("is not an HTTP method"));
    }
    assert_eq!(h.requests(LEAK), Vec::<Value>::new());
    assert!(h.received("a", 0).is_empty());
    figures(&format!(
        "{} headers and {} methods with CR, LF, NUL or separators refused, 0 requests sent",
        headers.len(),
        methods.len()
    ));
}

#[test]
fn control_characters_in_the_url_or_last_event_id_cannot_inject_headers() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    // the URL Standard strips tab, CR and LF from URLs: they end up in no header
    let url = format!(
        "{}/sse?x=1\r\nx-injected:%201\r\n&status=204&tag=url",
        h.server.origin
    );
    connect(&a, &url, Value::Null, 1).unwrap();
    // an initial lastEventId no header can carry is refused before any request
    let ids = ["1\r\nx-injected: 1", "1\nx-injected: 1", "1\0"];
    for id in ids {
        let url = h.server.sse("status=204&tag=id");
        let error = connect(&a, &url, json!({ "lastEventId": id }), 2).unwrap_err();
        assert_eq!(error["kind"], "invalid-options", "{id:?}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains("lastEventId"),
            "{error}"
        );
    }
    let sent = wait_requests(&h, "url", 1);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(sent[0]["headers"].get("x-injected").is_none(), "{sent:#?}");
    assert_eq!(h.requests("id"), Vec::<Value>::new());
    figures(&format!(
        "1 request with CR/LF in the URL sent without an injected header; {} lastEventIds with CR/LF/NUL refused, 0 requests",
        ids.len()
    ));
}

#[test]
fn another_webview_cannot_close_attach_ack_signal_or_list_a_connection_nor_learn_it_exists() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    let url = h.server.sse("interval=50&tag=own");
    let options = json!({ "keepAlive": true, "name": "feed" });
    let id = connect(&a, &url, options, 1).unwrap().as_u64().unwrap();
    h.wait_for("a", 1, |m| m["type"] == "open");

    // b gets exactly the error of a connection that never existed
    let nonexistent = id + 1000;
    let not_found = |what: String| json!({ "kind": "not-found", "message": format!("no such connection: {what}") });
    assert_eq!(
        invoke(&b, "close", json!({ "id": id })),
        Err(not_found(id.to_string()))
    );
    assert_eq!(
        invoke(&b, "close", json!({ "id": nonexistent })),
        Err(not_found(nonexistent.to_string()))
    );
    let attach = |name: &str| on_lane(&b, 2, json!({ "name": name }));
    assert_eq!(
        invoke(&b, "attach", attach("feed")),
        Err(not_found("feed".into()))
    );
    assert_eq!(
        invoke(&b, "attach", attach("nope")),
        Err(not_found("nope".into()))
    );
    assert_eq!(h.ack(&b, &json!(id), 64), Err(not_found(id.to_string())));
    assert_eq!(
        invoke(&b, "network", json!({ "id": id, "signal": "offline" })),
        Err(not_found(id.to_string()))
    );
    assert_eq!(invoke(&b, "list", json!({})), Ok(json!([])));
    assert!(h.received("b", 2).is_empty(), "b received a's messages");

    // a's connection is untouched
    assert_eq!(
        invoke(&a, "list", json!({})),
        Ok(
            json!([{ "id": id, "url": url, "name": "feed", "keepAlive": true, "attached": true,
            "bufferedBytes": 0, "bufferedEvents": 0, "dropped": 0 }])
        )
    );
    assert!(h.requests("own").iter().all(|r| r["closed"] == false));
    invoke(&a, "close", json!({ "id": id })).unwrap();
    tauri::async_runtime::block_on(h.server.wait_closed("own"));
    figures(
        "5 cross-webview commands (close, attach, ack, network, list) answered as for a nonexistent connection",
    );
}

#[test]
fn another_webview_reusing_a_name_cannot_replace_or_hijack_the_connection() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    let options = json!({ "keepAlive": true, "name": "feed" });
    let a_id = connect(
        &a,
        &h.server.sse("ids=1&interval=20&tag=a-feed"),
        options.clone(),
        1,
    )
    .unwrap();
    h.wait_for("a", 1, |m| m["type"] == "events");
    let b_id = connect(
        &b,
        &h.server.sse("ids=1&interval=20&tag=b-feed"),
        options,
        2,
    )
    .unwrap();
    assert_ne!(a_id, b_id);
    h.wait_for("b", 2, |m| m["type"] == "events");

    // a's stream goes on, on a's channel only; b's own close leaves it running
    let before = h.received("a", 1).len();
    invoke(&b, "close", json!({ "id": b_id })).unwrap();
    tauri::async_runtime::block_on(h.server.wait_closed("b-feed"));
    h.wait_for("a", 1, |_| h.received("a", 1).len() > before + 2);
    let a_requests = h.requests("a-feed");
    assert_eq!(a_requests.len(), 1, "a's connection was replaced");
    assert_eq!(a_requests[0]["closed"], false);
    assert_eq!(attach(&a, "feed", 3), Ok(a_id));
    figures(
        "a connection name reused by another webview: 0 connections replaced, 0 messages crossed",
    );
}

#[test]
fn a_destroyed_window_leaves_none_of_its_connections_open() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let (a, b) = (h.webview("a"), h.webview("b"));
    let mut opened = 0;
    for (n, (tag, options)) in [
        ("a-plain", json!(null)),
        ("a-kept", json!({ "keepAlive": true, "name": "feed" })),
        ("a-broadcast", json!({ "broadcast": true, "name": "news" })),
    ]
    .into_iter()
    .enumerate()
    {
        connect(
            &a,
            &h.server.sse(&format!("interval=50&tag={tag}")),
            options,
            n as u32,
        )
        .unwrap();
        h.wait_for("a", n as u32, |m| m["type"] == "open");
        opened += 1;
    }
    connect(&b, &h.server.sse("interval=50&tag=b"), json!(null), 9).unwrap();
    h.wait_for("b", 9, |m| m["type"] == "open");

    // what the plugin does when the webview is destroyed (the mock runtime's `destroy()` removes
    // nothing; `webview_closed_inside_a_window_that_stays` in lifetime.rs closes a real one)
    h.app.sse().close_webview("a");
    for tag in ["a-plain", "a-kept", "a-broadcast"] {
        tauri::async_runtime::block_on(h.server.wait_closed(tag));
    }
    assert_eq!(invoke(&a, "list", json!({})), Ok(json!([])));
    assert_eq!(
        h.requests("b")[0]["closed"],
        false,
        "another window's connection closed"
    );
    figures(&format!(
        "window destroyed: {opened} of {opened} connections closed at the HTTP level, \
         the other window's kept"
    ));
}

/// The Fetch standard's forbidden request-headers, as a page might send them.
const FORBIDDEN_HEADERS: [(&str, &str); 26] = [
    ("Accept-Charset", "utf-8"),
    ("Accept-Encoding", "identity"),
    ("Access-Control-Request-Headers", "x-a"),
    ("Access-Control-Request-Method", "PUT"),
    ("Connection", "close"),
    ("Content-Length", "0"),
    ("Cookie", "session=1"),
    ("Cookie2", "x"),
    ("Date", "Mon, 30 Nov 2026 00:00:00 GMT"),
    ("DNT", "1"),
    ("Expect", "100-continue"),
    ("Host", "evil.test"),
    ("Keep-Alive", "timeout=5"),
    ("Origin", "https://evil.test"),
    ("Referer", "https://evil.test/"),
    ("Set-Cookie", "a=b"),
    ("TE", "trailers"),
    ("Trailer", "x"),
    ("Transfer-Encoding", "chunked"),
    ("Upgrade", "websocket"),
    ("Via", "1.1 evil"),
    ("Proxy-Authorization", "Basic eA=="),
    ("Sec-Fetch-Site", "same-origin"),
    ("X-HTTP-Method", "TRACE"),
    ("X-HTTP-Method-Override", "connect"),
    ("X-Method-Override", "GET, TRACK"),
];

#[test]
fn a_page_cannot_set_forbidden_headers_nor_pick_the_virtual_host() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    let url = h.server.sse(&format!("status=204&tag={LEAK}"));
    for (n, (name, value)) in FORBIDDEN_HEADERS.iter().enumerate() {
        let args = on_lane(
            &a,
            n as u32,
            json!({ "url": url, "headers": [[name, value]] }),
        );
        let error = invoke(&a, "connect", args).unwrap_err();
        assert_eq!(error["kind"], "invalid-header", "{name}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("invalid header `{name}`: ")),
            "{message}"
        );
        assert!(message.contains("Builder::unsafe_headers"), "{message}");
    }
    let args = on_lane(&a, 99, json!({ "url": url, "method": "TRACE" }));
    assert_eq!(
        invoke(&a, "connect", args).unwrap_err()["kind"],
        "invalid-options"
    );
    assert_eq!(h.requests(LEAK), Vec::<Value>::new());

    // allowed headers pass, and the server sees the URL's host
    let url = h.server.sse("status=204&tag=host");
    let allowed = [
        ["authorization", "Bearer 1"],
        ["x-http-method-override", "PATCH"],
    ];
    let args = on_lane(&a, 100, json!({ "url": url, "headers": allowed }));
    invoke(&a, "connect", args).unwrap();
    let sent = wait_requests(&h, "host", 1);
    assert_eq!(
        sent[0]["headers"]["host"],
        format!("127.0.0.1:{}", h.server.port)
    );
    assert_eq!(sent[0]["headers"]["authorization"], "Bearer 1");
    figures(&format!(
        "{} forbidden headers and 1 forbidden method refused from the page, 0 requests; the \
         server saw only the URL's host",
        FORBIDDEN_HEADERS.len()
    ));
}

#[test]
fn a_forbidden_header_from_the_headers_function_fails_the_connection() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new());
    let a = h.webview("a");
    // one event per connection: the reconnect asks the page for fresh headers
    let url = h.server.sse("count=1&tag=refresh");
    let options = json!({ "refreshHeaders": true, "retry": { "initialDelay": 10 } });
    let id = connect(&a, &url, options, 1).unwrap();
    h.wait_for("a", 1, |m| m["type"] == "headers");
    let answer = json!({ "id": id, "headers": [["Host", "evil.test"]] });
    let error = invoke(&a, "set_headers", answer).unwrap_err();
    assert_eq!(error["kind"], "invalid-header");
    let received = h.wait_for("a", 1, |m| m["type"] == "closed");
    let failed = &received[received.len() - 2];
    assert_eq!(failed["error"]["kind"], "invalid-header", "{received:#?}");
    assert!(failed.get("reconnectIn").is_none());
    let requests = h.requests("refresh");
    assert_eq!(
        requests.len(),
        1,
        "a request went out with the forbidden header"
    );
    figures("a forbidden header from the page's headers function: set_headers refused, the connection failed, 0 more requests");
}

#[test]
fn unsafe_headers_lets_the_app_opt_in_and_rust_callers_are_trusted() {
    let h = Harness::new(tauri_plugin_eventsource::Builder::new().unsafe_headers(true));
    let a = h.webview("a");
    let url = h.server.sse("status=204&tag=unsafe");
    let headers = [
        ["Host", "virtual.test"],
        ["Origin", "https://virtual.test"],
        ["Cookie", "session=1"],
        ["Sec-Fetch-Site", "same-origin"],
    ];
    let args = on_lane(&a, 1, json!({ "url": url, "headers": headers }));
    invoke(&a, "connect", args).unwrap();
    let sent = wait_requests(&h, "unsafe", 1);
    for [name, value] in headers {
        assert_eq!(sent[0]["headers"][name.to_lowercase()], value, "{name}");
    }

    // Rust code is trusted whatever the option
    let app = tauri::test::mock_builder()
        .plugin(tauri_plugin_eventsource::init())
        .build(tauri::test::mock_context(tauri::test::noop_assets()))
        .unwrap();
    let request = Request::new(&h.server.sse("status=204&tag=rust"))
        .unwrap()
        .header("host", "virtual.test")
        .unwrap();
    let mut stream = app.sse().connect(request);
    tauri::async_runtime::block_on(collect_until(&mut stream, |m| matches!(m, Message::Closed)));
    assert_eq!(h.requests("rust")[0]["headers"]["host"], "virtual.test");
    figures("unsafe_headers(true): 4 forbidden headers reached the server as given; app.sse().connect sets Host without it");
}
