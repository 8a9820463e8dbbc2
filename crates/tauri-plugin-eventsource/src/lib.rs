//! Server-Sent Events for Tauri: the connection, its reconnect loop and the event-stream parser
//! run in Rust; the webview receives parsed events in batches over one IPC `Channel` per page, and
//! connections can outlive page reloads.
//!
//! ```rust
//! fn register<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
//!     builder.plugin(tauri_plugin_eventsource::init())
//! }
//! ```
//!
//! The webview may only open URLs its capability allows, as with `tauri-plugin-http`:
//!
//! ```json
//! { "permissions": [{ "identifier": "eventsource:default", "allow": [{ "url": "https://api.example.com/*" }] }] }
//! ```
//!
//! Rust code can stream too, without any scope: `app.sse().connect(Request::new(url)?)` is a
//! [`futures_core::Stream`] of [`Message`]s; dropping it closes the connection.
//!
//! The network — proxy, trust, timeouts, compression, cookies — is the app's, set on [`Builder`];
//! no command lets a page change it:
//!
//! ```rust,no_run
//! use std::{sync::Arc, time::Duration};
//! use tauri_plugin_eventsource::{reqwest, Builder};
//!
//! fn plugin<R: tauri::Runtime>(
//!     corporate_root: &[u8],
//! ) -> reqwest::Result<tauri::plugin::TauriPlugin<R>> {
//!     let jar = Arc::new(reqwest::cookie::Jar::default()); // the app's clients may share it
//!     Ok(Builder::new()
//!         .proxy(
//!             reqwest::Proxy::all("http://proxy.corp.example:3128")?
//!                 .no_proxy(reqwest::NoProxy::from_string("localhost, .corp.example")),
//!         )
//!         .add_root_certificate(reqwest::Certificate::from_pem(corporate_root)?)
//!         .connect_timeout(Duration::from_secs(5))
//!         .cookie_store(jar)
//!         .client_builder(|b| b.pool_idle_timeout(Duration::from_secs(30)))
//!         .build())
//! }
//! ```
//!
//! This file is the plugin's wiring (builder, hooks); the state is `state.rs`, the commands
//! `commands.rs` (docs/architecture.md lists every module).

use std::{sync::Arc, time::Duration};

use tauri::{
    plugin::{Builder as PluginBuilder, TauriPlugin},
    webview::PageLoadEvent,
    Manager, RunEvent, Runtime, WindowEvent,
};

mod client;
mod commands;
mod connection;
mod error;
mod headers;
mod network;
pub mod parser;
mod pipe;
mod registry;
mod retry;
mod scope;
mod shared;
mod sink;
mod state;
mod text;

pub use connection::{Message, Request, StreamOptions};
pub use error::{Error, ErrorKind, Result};
pub use network::NetworkSignal;
pub use registry::ConnectionInfo;
/// The reqwest the plugin is built with, for the types of the network options (`Proxy`,
/// `Certificate`, `Identity`, `cookie::Jar`) and an app client sharing its cookie store.
pub use reqwest;
pub use retry::{parse_retry_after, RetryPolicy};
pub use state::{MessageStream, Sse, SseExt};

use network::{SystemClocks, WakeDetector, WAKE_TICK};
use state::Config;

/// Configures the plugin; [`init`] uses the defaults.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// The default options, those of [`init`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Running connections a webview may hold at once (default 16); more fail with `limit`.
    /// A connection that ended no longer counts, even while it keeps messages for `attach`.
    pub fn max_connections_per_webview(mut self, max: usize) -> Self {
        self.config.max_connections_per_webview = max;
        self
    }

    /// Events a kept-alive connection keeps while no page is attached (default 1000); older
    /// ones are dropped and reported as `overflow` on attach.
    pub fn keep_alive_buffer(mut self, events: usize) -> Self {
        self.config.backlog.events = events;
        self
    }

    /// Bytes (approximate heap size of the kept messages) a kept-alive connection keeps while no
    /// page is attached (default 16 MiB); the oldest events are dropped first, and an event
    /// larger than this is not kept at all. Reported as `overflow` on attach.
    pub fn keep_alive_buffer_bytes(mut self, bytes: usize) -> Self {
        self.config.backlog.bytes = bytes;
        self
    }

    /// How long a kept-alive connection runs with no page attached (default 5 minutes): a page
    /// that reloads or navigates away and never calls `attach` does not leave it running.
    pub fn keep_alive_ttl(mut self, ttl: Duration) -> Self {
        self.config.keep_alive_ttl = ttl;
        self
    }

    /// Default `max_event_size` in bytes (default [`parser::DEFAULT_MAX_EVENT_SIZE`], 8 MiB) when a
    /// connection does not set one.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.config.max_event_size = bytes;
        self
    }

    /// How long a reconnect of a connection whose page has a headers function waits for the
    /// page's fresh headers (default 10 s); then it goes on with the previous ones.
    pub fn headers_timeout(mut self, timeout: Duration) -> Self {
        self.config.headers_timeout = timeout;
        self
    }

    /// **Unsafe.** Lets pages set the request headers browsers forbid (`Host`, `Origin`,
    /// `Cookie`, `Content-Length`, `Proxy-*`, `Sec-*`, … — the Fetch standard's list) and the
    /// methods `CONNECT`, `TRACE`, `TRACK`. Off by default: with `Host`, a page allowed one URL
    /// reaches any virtual host served from the same address. Like `tauri-plugin-http`'s
    /// `unsafe-headers` feature, turn it on only if every page the capability covers is trusted.
    pub fn unsafe_headers(mut self, allow: bool) -> Self {
        self.config.unsafe_headers = allow;
        self
    }

    /// Sends the streams through `proxy`: `reqwest::Proxy::all("http://proxy:3128")`, an
    /// `https://` or a `socks5://` (`socks5h://`: the proxy resolves names) URL, with
    /// `.no_proxy(reqwest::NoProxy::from_string("localhost, .internal"))` for the hosts that go
    /// direct. Call again to add one (the first that matches a URL is used). An explicit proxy
    /// replaces the system's. The scope applies to the stream's URL, never to the proxy.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.config.client.proxies.push(proxy);
        self
    }

    /// Whether the system's proxy settings apply when no [`Builder::proxy`] is set (default
    /// `true`): `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (or lowercase) on every
    /// platform, and with the `system-proxy` feature the settings of macOS and Windows. reqwest
    /// exempts no host by itself, loopback included: list those in `NO_PROXY`.
    pub fn system_proxy(mut self, enabled: bool) -> Self {
        self.config.client.system_proxy = enabled;
        self
    }

    /// Trusts `certificate` as a root, besides the operating system's roots (and, with rustls,
    /// Mozilla's): `reqwest::Certificate::from_pem(bytes)?` for a private CA.
    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.config.client.root_certificates.push(certificate);
        self
    }

    /// The client certificate offered to servers that ask for one (mutual TLS). With rustls,
    /// `reqwest::Identity::from_pem(key_and_certificate_chain_pem)?`; with `native-tls`,
    /// `reqwest::Identity::from_pkcs8_pem(certificate_pem, key_pem)?`.
    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    pub fn identity(mut self, identity: reqwest::Identity) -> Self {
        self.config.client.identity = Some(identity);
        self
    }

    /// How long opening a connection may take, DNS, TCP, proxy and TLS handshakes included
    /// (default 10 s); past it the attempt fails with kind `network` and the connection
    /// reconnects as its retry policy says.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.client.connect_timeout = timeout;
        self
    }

    /// TCP keep-alive: a probe after this much silence on the socket, then one as often; three
    /// unanswered ones end the connection, which reconnects (default 15 s, so a dead peer or an
    /// expired NAT mapping is found within a minute; `None` turns probes off).
    pub fn tcp_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.config.client.tcp_keepalive = interval;
        self
    }

    /// A cookie store for the streams: `Set-Cookie` of their responses updates it, and its
    /// cookies are sent on every request and reconnect. Hand the same
    /// `Arc<reqwest::cookie::Jar>` to the app's own client
    /// (`reqwest::Client::builder().cookie_provider(jar.clone())`) to share a login.
    #[cfg(feature = "cookies")]
    pub fn cookie_store<C: reqwest::cookie::CookieStore + 'static>(
        mut self,
        store: Arc<C>,
    ) -> Self {
        self.config.client.cookie_store = Some(store);
        self
    }

    /// Adjusts the `reqwest::ClientBuilder` after the plugin's own options (e.g. timeouts,
    /// default headers, DNS). The redirect policy is set after it: redirects are followed by
    /// the plugin, which checks the scope on every hop.
    pub fn client_builder(
        mut self,
        adjust: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.config.client.adjust_client = Some(Arc::new(adjust));
        self
    }

    /// The plugin, with these options.
    pub fn build<R: Runtime>(self) -> TauriPlugin<R> {
        PluginBuilder::new("eventsource")
            .invoke_handler(tauri::generate_handler![
                commands::open_pipe,
                commands::connect,
                commands::close,
                commands::attach,
                commands::ack,
                commands::set_headers,
                commands::network,
                commands::join,
                commands::list,
            ])
            .setup(move |app, _api| {
                let client = self.config.client.build()?;
                let every = reap_every(self.config.keep_alive_ttl);
                app.manage(Sse::new(client, self.config));
                // No event tells a plugin that a webview was closed inside a window that stays
                // (`Webview::close`): a periodic check finds connections whose webview is gone,
                // and kept-alive ones past their TTL.
                let reaper = app.clone();
                tauri::async_runtime::spawn(async move {
                    let mut tick = tokio::time::interval(every);
                    loop {
                        tick.tick().await;
                        reaper.state::<Sse>().reap();
                    }
                });
                // A timer that fires far later on the wall clock than on the monotonic one: the
                // machine slept, and connections that were open may be dead without a reset.
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    let mut detector = WakeDetector::new(SystemClocks);
                    let mut tick = tokio::time::interval(WAKE_TICK);
                    loop {
                        tick.tick().await;
                        if detector.check() {
                            app.state::<Sse>().network_changed(NetworkSignal::Wake);
                        }
                    }
                });
                Ok(())
            })
            .on_page_load(|webview, payload| {
                // A reload or navigation replaces the page: its channels are dead.
                if payload.event() == PageLoadEvent::Started {
                    if let Some(sse) = webview.try_state::<Sse>() {
                        sse.page_unloaded(webview.label());
                    }
                }
            })
            .on_event(|app, event| {
                // Tauri has removed the window's webviews by now: reap them at once.
                if let RunEvent::WindowEvent {
                    event: WindowEvent::Destroyed,
                    ..
                } = event
                {
                    if let Some(sse) = app.try_state::<Sse>() {
                        sse.reap();
                    }
                }
            })
            .build()
    }
}

/// How often orphaned and expired connections are looked for: within a second, and often
/// enough for a short TTL.
fn reap_every(ttl: Duration) -> Duration {
    (ttl / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// The plugin with default options.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::default().build()
}
