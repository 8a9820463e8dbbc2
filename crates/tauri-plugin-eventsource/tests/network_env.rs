//! What the plugin takes from the system by default, here from the environment: the proxy
//! variables, and the OS trust store (`SSL_CERT_FILE`, which rustls-native-certs reads on Linux
//! and the other Unix systems but macOS). Environment variables belong to the whole process: this
//! binary keeps them away from the other tests, and its tests take [`ENV`] in turn.

mod common;

use std::{
    ffi::OsString,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use common::{
    event_data, first_attempt,
    net::{forward_proxy, TestCa},
    Server,
};
use tauri_plugin_eventsource::{reqwest, Builder};

static ENV: Mutex<()> = Mutex::new(());

/// Every variable that steers reqwest's proxy choice (`REQUEST_METHOD`: under CGI, reqwest
/// ignores `HTTP_PROXY`), and the rustls-native-certs ones.
const VARIABLES: [&str; 11] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// The environment of one test: [`VARIABLES`] cleared but for `set`, restored on drop.
struct Env {
    saved: Vec<(&'static str, Option<OsString>)>,
    _turn: MutexGuard<'static, ()>,
}

impl Env {
    fn with(set: &[(&str, &str)]) -> Self {
        let turn = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let saved = VARIABLES.map(|name| (name, std::env::var_os(name)));
        for name in VARIABLES {
            std::env::remove_var(name);
        }
        for (name, value) in set {
            std::env::set_var(name, value);
        }
        Self {
            saved: saved.into(),
            _turn: turn,
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for (name, value) in &self.saved {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}

/// The events of one stream (the servers here end it), up to the reconnect.
async fn events(plugin: Builder, url: &str) -> Vec<String> {
    event_data(&first_attempt(plugin, url).await)
}

#[tokio::test]
async fn http_proxy_from_the_environment_carries_the_stream_loopback_included() {
    let server = Server::start();
    let proxy = forward_proxy(None);
    let _env = Env::with(&[("HTTP_PROXY", &proxy.url(""))]);
    // reqwest exempts no host by itself: 127.0.0.1 goes through the proxy too
    let url = server.sse("count=2");
    assert_eq!(events(Builder::new(), &url).await.len(), 2);
    assert_eq!(proxy.requests().len(), 1);
    assert_eq!(proxy.requests()[0].target, url);

    // the app may ignore the system's settings
    let direct = events(Builder::new().system_proxy(false), &url).await;
    assert_eq!(direct.len(), 2);
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn no_proxy_from_the_environment_names_the_hosts_that_go_direct() {
    let server = Server::start();
    let proxy = forward_proxy(None);
    let _env = Env::with(&[("HTTP_PROXY", &proxy.url("")), ("NO_PROXY", "localhost")]);
    // a host name matches its own spelling only: `localhost` does not exempt 127.0.0.1
    events(Builder::new(), &server.sse_on_localhost("count=1")).await;
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    events(Builder::new(), &server.sse("count=1")).await;
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn https_proxy_from_the_environment_tunnels_https_streams() {
    let ca = TestCa::new();
    let server = ca.event_server(false, "data: tunnelled\n\n");
    let proxy = forward_proxy(None);
    let _env = Env::with(&[("HTTPS_PROXY", &proxy.url(""))]);
    let plugin = Builder::new().add_root_certificate(ca.root());
    assert_eq!(events(plugin, &server.url("/sse")).await, ["tunnelled"]);
    let tunnel = &proxy.requests()[0];
    assert_eq!(tunnel.method, "CONNECT");
    assert_eq!(tunnel.target, format!("127.0.0.1:{}", server.port));
}

#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test]
async fn a_root_of_the_os_trust_store_is_trusted_by_default() {
    let ca = TestCa::new();
    let server = ca.event_server(false, "data: corporate\n\n");
    let store = std::env::temp_dir().join(format!("tauri-sse-ca-{}.pem", std::process::id()));
    std::fs::write(&store, ca.pem()).unwrap();
    let _env = Env::with(&[("SSL_CERT_FILE", store.to_str().unwrap())]);
    let received = events(Builder::new(), &server.url("/sse")).await;
    std::fs::remove_file(&store).unwrap();
    assert_eq!(received, ["corporate"]);
}

/// What the default trust (the OS store, read when the client is built) costs at start-up,
/// against Mozilla's roots alone (compiled in): the mean of a few client builds each.
#[test]
fn client_start_up_cost_of_the_os_trust_store() {
    let _env = Env::with(&[]);
    let mean = |adjust: fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder| {
        const BUILDS: u32 = 5;
        let started = Instant::now();
        for _ in 0..BUILDS {
            adjust(reqwest::Client::builder()).build().unwrap();
        }
        started.elapsed() / BUILDS
    };
    let defaults = mean(|b| b);
    let webpki_only = mean(|b| b.tls_built_in_native_certs(false));
    let none = mean(|b| b.tls_built_in_root_certs(false));
    println!(
        "network: client build with OS + Mozilla roots {defaults:?}, Mozilla roots only \
         {webpki_only:?}, no built-in roots {none:?} (this build profile)"
    );
    assert!(defaults < Duration::from_secs(5));
}
