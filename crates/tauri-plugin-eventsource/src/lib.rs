//! Server-Sent Events for Tauri: the connection, its reconnect loop and the event-stream parser
//! run in Rust; the webview receives parsed events in batches over an IPC `Channel`, and
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
//! This file is the plugin's wiring (builder, hooks); the state is `state.rs`, the commands
//! `commands.rs` (docs/architecture.md lists every module).

use std::time::Duration;

use tauri::{
    plugin::{Builder as PluginBuilder, TauriPlugin},
    webview::PageLoadEvent,
    Manager, RunEvent, Runtime, WindowEvent,
};

mod commands;
mod connection;
mod error;
mod headers;
mod network;
pub mod parser;
mod registry;
mod retry;
mod scope;
mod shared;
mod sink;
mod state;

pub use connection::{Message, Request, StreamOptions};
pub use error::{Error, ErrorKind, Result};
pub use network::NetworkSignal;
pub use registry::ConnectionInfo;
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

    pub fn build<R: Runtime>(self) -> TauriPlugin<R> {
        PluginBuilder::new("eventsource")
            .invoke_handler(tauri::generate_handler![
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
                let client = reqwest::Client::builder()
                    // redirects are followed by the loop, to check the scope on every hop
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!(
                        env!("CARGO_PKG_NAME"),
                        "/",
                        env!("CARGO_PKG_VERSION")
                    ))
                    .build()?;
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
