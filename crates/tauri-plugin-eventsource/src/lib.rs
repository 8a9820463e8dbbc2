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

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use tauri::{
    async_runtime::JoinHandle,
    plugin::{Builder as PluginBuilder, TauriPlugin},
    webview::PageLoadEvent,
    Manager, RunEvent, Runtime, WindowEvent,
};
use tokio::sync::mpsc;

mod commands;
mod connection;
mod error;
pub mod parser;
mod registry;
mod retry;
mod scope;
mod sink;

pub use connection::{Message, Request, StreamOptions};
pub use error::{Error, ErrorKind, Result};
pub use registry::ConnectionInfo;
pub use retry::{parse_retry_after, RetryPolicy};

use registry::Registry;
use scope::Scope;
use sink::{Sink, StreamSink};

/// Messages a Rust stream may queue before the connection waits for its reader.
const STREAM_QUEUE: usize = 64;
/// How long a reconnect waits for the page's fresh headers before going on with the old ones.
const HEADERS_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures the plugin; [`init`] uses the defaults.
#[derive(Debug, Clone)]
pub struct Builder {
    max_connections_per_webview: usize,
    keep_alive_buffer: usize,
    max_event_size: usize,
    headers_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            max_connections_per_webview: 16,
            keep_alive_buffer: 1000,
            max_event_size: parser::DEFAULT_MAX_EVENT_SIZE,
            headers_timeout: HEADERS_TIMEOUT,
        }
    }
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Open connections a webview may hold at once (default 16); more fail with `limit`.
    pub fn max_connections_per_webview(mut self, max: usize) -> Self {
        self.max_connections_per_webview = max;
        self
    }

    /// Events a kept-alive connection buffers while its page reloads (default 1000); older
    /// ones are dropped and reported as `overflow` on attach.
    pub fn keep_alive_buffer(mut self, events: usize) -> Self {
        self.keep_alive_buffer = events;
        self
    }

    /// Default `max_event_size` in bytes (default [`DEFAULT_MAX_EVENT_SIZE`], 8 MiB) when a connection does not set one.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// How long a reconnect of a connection whose page has a headers function waits for the
    /// page's fresh headers (default 10 s); then it goes on with the previous ones.
    pub fn headers_timeout(mut self, timeout: Duration) -> Self {
        self.headers_timeout = timeout;
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
                app.manage(Sse {
                    client,
                    max_event_size: self.max_event_size,
                    headers_timeout: self.headers_timeout,
                    registry: Arc::new(Registry::new(
                        self.max_connections_per_webview,
                        self.keep_alive_buffer,
                    )),
                });
                Ok(())
            })
            .on_page_load(|webview, payload| {
                // A reload or navigation replaces the page: its channels are dead.
                if payload.event() == PageLoadEvent::Started {
                    if let Some(sse) = webview.try_state::<Sse>() {
                        sse.registry.page_unloaded(webview.label());
                    }
                }
            })
            .on_event(|app, event| {
                if let RunEvent::WindowEvent {
                    label,
                    event: WindowEvent::Destroyed,
                    ..
                } = event
                {
                    if let Some(sse) = app.try_state::<Sse>() {
                        sse.close_window(label);
                    }
                }
            })
            .build()
    }
}

/// The plugin with default options.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::default().build()
}

/// The plugin's state, reached with [`SseExt::sse`].
pub struct Sse {
    client: reqwest::Client,
    max_event_size: usize,
    headers_timeout: Duration,
    registry: Arc<Registry>,
}

impl Sse {
    /// Opens a stream from Rust. Not subject to the webview scope: Rust code is trusted.
    /// The connection lives as long as the returned stream.
    pub fn connect(&self, request: Request) -> MessageStream {
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        let task = self.spawn(request, None, StreamSink(tx), None);
        MessageStream { rx, task }
    }

    /// The webview connections owned by `webview` (by label).
    pub fn list(&self, webview: &str) -> Vec<ConnectionInfo> {
        self.registry.list(webview)
    }

    /// Closes every connection of the webviews of window `window`, kept alive or not: what
    /// destroying the window does.
    pub fn close_window(&self, window: &str) {
        self.registry.window_destroyed(window);
    }

    /// Spawns the loop; a registered connection is told when it ends.
    fn spawn(
        &self,
        request: Request,
        scope: Option<Scope>,
        sink: impl Sink,
        registered: Option<u32>,
    ) -> JoinHandle<()> {
        let client = self.client.clone();
        let max_event_size = self.max_event_size;
        let registry = self.registry.clone();
        tauri::async_runtime::spawn(async move {
            connection::run(client, request, scope, max_event_size, sink).await;
            if let Some(id) = registered {
                registry.finished(id);
            }
        })
    }
}

/// `app.sse()` on anything that can reach the app state.
pub trait SseExt<R: Runtime> {
    fn sse(&self) -> &Sse;
}

impl<R: Runtime, T: Manager<R>> SseExt<R> for T {
    fn sse(&self) -> &Sse {
        self.state::<Sse>().inner()
    }
}

/// A connection opened from Rust: its messages, in order. Dropping it closes the connection.
pub struct MessageStream {
    rx: mpsc::Receiver<Message>,
    task: JoinHandle<()>,
}

impl futures_core::Stream for MessageStream {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for MessageStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}
