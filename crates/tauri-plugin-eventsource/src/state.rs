//! The plugin's state, [`Sse`]: the HTTP client, the configuration and the webviews'
//! connections. A webview `connect` flows downward from the commands: checked here, registered
//! in [`Registry`], then run by [`connection::run`] into an [`Outlet`].

use std::{sync::Arc, time::Duration};

use serde::Deserialize;
use tauri::{async_runtime::JoinHandle, AppHandle, Emitter, Manager, Runtime, Webview};
use tokio::sync::mpsc;

use crate::{
    client::ClientOptions,
    connection::{self, Message, Request, StreamOptions},
    error::{Error, Result},
    headers,
    network::{NetworkSignal, NetworkSource, Signals},
    pipe::MainThread,
    registry::{Alive, ConnectionInfo, Registration, Registry, Served},
    scope::Scope,
    shared::{Shared, SharedSink, Subscription},
    sink::{BacklogBound, Emit, Outlet, OutletSink, Reader, Sink, StreamSink, READER_QUEUE},
};

/// Messages a Rust stream may queue before the connection waits for its reader.
const STREAM_QUEUE: usize = 64;

/// The plugin's options, set with [`crate::Builder`].
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_connections_per_webview: usize,
    pub(crate) backlog: BacklogBound,
    pub(crate) keep_alive_ttl: Duration,
    pub(crate) max_event_size: usize,
    pub(crate) headers_timeout: Duration,
    pub(crate) unsafe_headers: bool,
    pub(crate) client: ClientOptions,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_connections_per_webview: 16,
            backlog: BacklogBound {
                bytes: 16 << 20,
                events: 1000,
            },
            // Long enough for a reload, or a login redirect through another site, to come back
            // and attach; short enough that a page which never does frees its slot and socket.
            keep_alive_ttl: Duration::from_secs(5 * 60),
            max_event_size: crate::parser::DEFAULT_MAX_EVENT_SIZE,
            headers_timeout: Duration::from_secs(10),
            unsafe_headers: false,
            client: ClientOptions::default(),
        }
    }
}

/// The arguments of the `connect` command, as the TS `ConnectArgs` sends them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectArgs {
    pub(crate) url: String,
    pub(crate) method: Option<String>,
    pub(crate) headers: Option<Vec<(String, String)>>,
    pub(crate) body: Option<String>,
    pub(crate) options: Option<ConnectOptions>,
}

/// `options` of `connect`, mirroring the TS `ConnectOptions`: the stream options plus what the
/// webview side needs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ConnectOptions {
    #[serde(flatten)]
    stream: StreamOptions,
    /// Survive page reloads (needs `name`, to `attach` from the new page).
    keep_alive: bool,
    name: Option<String>,
    /// Also emit every message as the Tauri event `eventsource://{name}` (needs `name`).
    broadcast: bool,
    /// Other pages (any window) and Rust may `join` it by `name` (needs `name`, app-wide).
    shared: bool,
    /// The page has a headers function: ask it for fresh headers before every reconnect.
    refresh_headers: bool,
    /// The headers function threw at connect, with this message: the first attempt failed
    /// (kind `headers`) and the policy retries, as in the TS loop.
    headers_error: Option<String>,
}

impl ConnectOptions {
    fn validate(&self) -> Result<()> {
        let needs_name = self.keep_alive || self.broadcast || self.shared;
        match &self.name {
            None if needs_name => Err(Error::InvalidOptions(
                "`keepAlive`, `broadcast` and `shared` need a `name`".into(),
            )),
            // Tauri event names allow these characters only.
            Some(name)
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-/:_".contains(c)) =>
            {
                Err(Error::InvalidOptions(format!(
                    "name `{name}` must be non-empty ASCII letters, digits, `-`, `/`, `:` or `_`"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// The plugin's state, reached with [`SseExt::sse`].
pub struct Sse {
    client: reqwest::Client,
    pub(crate) config: Config,
    pub(crate) registry: Arc<Registry>,
    /// The app's network signals, heard by every connection.
    network: NetworkSource,
}

impl Sse {
    pub(crate) fn new(client: reqwest::Client, config: Config) -> Self {
        Self {
            client,
            registry: Arc::new(Registry::new(config.max_connections_per_webview)),
            config,
            network: NetworkSource::default(),
        }
    }

    /// Tells every connection (opened with `network_aware`, the default) of a change in the
    /// machine's network: after `Online` or `Wake` a connection waiting to reconnect tries at
    /// once; while `Offline` failures do not count and attempts wait the policy's longest delay
    /// (the system can be wrong, so they go on); after `Wake` an open connection that receives
    /// nothing within a second is reestablished. The plugin detects wakes itself;
    /// an app with an OS source of online/offline (or wake) events forwards them here.
    pub fn network_changed(&self, signal: NetworkSignal) {
        self.network.send(signal);
    }

    /// Opens a stream from Rust. Not subject to the webview scope nor to the forbidden
    /// headers: Rust code is trusted. The connection lives as long as the returned stream.
    pub fn connect(&self, request: Request) -> MessageStream {
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        let signals = self.signals(&request, None);
        let task = self.spawn(request, None, signals, StreamSink(tx), None);
        MessageStream {
            rx,
            end: End::Abort(task),
            closed: false,
        }
    }

    /// Subscribes to the shared connection `name` (opened by a page with `shared: true`), like
    /// a page's `join`: its state first, then what comes. The stream has its own window and
    /// bounded backlog, so a slow reader never stalls the pages (it gets `Overflow` instead);
    /// dropping it leaves, and the last subscriber to leave closes the connection. `None` when
    /// no such connection runs.
    pub fn join(&self, name: &str) -> Option<MessageStream> {
        let group = self.registry.shared(name)?;
        let (tx, rx) = mpsc::channel(READER_QUEUE);
        let outlet = Outlet::new(Reader::Rust(tx), false, self.config.backlog, None);
        let key = group.join(outlet.clone(), None).ok()?;
        Some(MessageStream {
            rx,
            end: End::Leave { group, key, outlet },
            closed: false,
        })
    }

    /// The webview connections owned by `webview` (by label).
    pub fn list(&self, webview: &str) -> Vec<ConnectionInfo> {
        self.registry.list(webview)
    }

    /// Closes every connection of webview `webview`, kept alive or not: what happens when the
    /// webview is destroyed, whatever window held it.
    pub fn close_webview(&self, webview: &str) {
        self.registry.close_webview(webview);
    }

    /// The page of webview `webview` goes away (reload or navigation; what the plugin's
    /// page-load hook runs): its connections close, except kept-alive ones, which keep their
    /// messages (bounded) for the next page's `attach`, for at most the keep-alive TTL.
    pub fn page_unloaded(&self, webview: &str) {
        self.registry.page_unloaded(webview);
    }

    /// Closes the connections of webviews that no longer exist and the kept-alive ones past
    /// their TTL.
    pub(crate) fn reap(&self) {
        self.registry.reap(self.config.keep_alive_ttl);
    }

    /// A webview's `connect`: checked (options, forbidden headers, scope) before anything
    /// changes, registered (which may replace the webview's connection of the same name), run.
    pub(crate) fn open<R: Runtime>(
        &self,
        webview: &Webview<R>,
        args: ConnectArgs,
        scope: Scope,
        reader: Reader,
    ) -> Result<u32> {
        let options = args.options.unwrap_or_default();
        options.validate()?;
        let mut request = Request::new(&args.url)?.options(options.stream)?;
        if let Some(method) = args.method {
            if !self.config.unsafe_headers {
                headers::check_method(&method)?;
            }
            request = request.method(&method)?;
        }
        for (name, value) in args.headers.unwrap_or_default() {
            if !self.config.unsafe_headers {
                headers::check(&name, &value)?;
            }
            request = request.header(&name, &value)?;
        }
        if let Some(body) = args.body {
            request = request.body(body);
        }
        request.headers_error = options.headers_error;
        // Refused up front so the invoke rejects with the reason; redirects and reconnects are
        // checked again inside the loop.
        scope.check(request.url())?;

        // Registering refuses a shared name another webview opened (`register`).
        let group = match (options.shared, &options.name) {
            (true, Some(name)) => Some(Shared::new(name.clone(), request.url().to_string())),
            _ => None,
        };
        let emit = match (options.broadcast, &options.name) {
            (true, Some(name)) => Some(broadcast(webview.app_handle().clone(), name)),
            _ => None,
        };
        let outlet = Outlet::new(reader, options.keep_alive, self.config.backlog, emit);
        // What the page forwards through the `network` command reaches this connection only.
        let page_network = NetworkSource::default();
        let signals = self.signals(&request, Some(&page_network));
        let mut registration = Registration::new(
            webview.label().to_string(),
            alive(webview.clone()),
            options.name,
            options.keep_alive,
            request.url().to_string(),
            outlet.clone(),
            page_network,
        );
        if let Some(group) = &group {
            let key = group
                .join(outlet.clone(), None)
                .expect("a new shared connection");
            registration = registration.subscribed(group.clone(), key);
        }
        let id = self.registry.register(registration).inspect_err(|_| {
            // Refused: the group never ran, and nobody else can have joined it yet.
            group.iter().for_each(|g| drop(g.stop()));
        })?;
        let sink = OutletSink {
            outlet,
            headers_timeout: options
                .refresh_headers
                .then_some(self.config.headers_timeout),
        };
        match group {
            Some(shared) => {
                let sink = SharedSink {
                    shared: shared.clone(),
                    opener: sink,
                    registry: self.registry.clone(),
                };
                let served = Served::Shared(shared.clone());
                shared.set_task(self.spawn(request, Some(scope), signals, sink, Some(served)));
            }
            None => {
                let served = Served::Connection(id);
                let task = self.spawn(request, Some(scope), signals, sink, Some(served));
                self.registry.set_task(id, task);
            }
        }
        Ok(id)
    }

    /// A webview's `join`: subscribes it to the shared connection `name`, if its own scope
    /// allows the connection's URL.
    pub(crate) fn join_webview<R: Runtime>(
        &self,
        webview: &Webview<R>,
        name: &str,
        scope: Scope,
        reader: Reader,
    ) -> Result<u32> {
        let group = self
            .registry
            .shared(name)
            .ok_or_else(|| Error::NotFound(name.to_string()))?;
        self.subscribe(webview, group, scope, reader)
    }

    /// Registers `webview` as a subscriber of `group`, fenced by `scope`: it hears the
    /// connection's state, then what comes, through its own window and bounded backlog.
    fn subscribe<R: Runtime>(
        &self,
        webview: &Webview<R>,
        group: Arc<Shared>,
        scope: Scope,
        reader: Reader,
    ) -> Result<u32> {
        let outlet = Outlet::new(reader, false, self.config.backlog, None);
        let registration = Registration::new(
            webview.label().to_string(),
            alive(webview.clone()),
            None,
            false,
            group.url.clone(),
            outlet.clone(),
            NetworkSource::default(),
        );
        // Registered (the limit applies) before it hears anything.
        let id = self.registry.register(registration)?;
        let key = group.join(outlet, Some(scope)).inspect_err(|_| {
            // It ended meanwhile, or is out of the page's scope.
            let _ = self.registry.close(webview.label(), id);
        })?;
        self.registry.set_subscription(id, group, key);
        Ok(id)
    }

    /// What `request`'s loop hears of the network: the app's signals and its page's, unless it
    /// was opened with `network_aware: false`.
    fn signals(&self, request: &Request, page: Option<&NetworkSource>) -> Signals {
        if request.options.network_aware {
            Signals::new(Some(&self.network), page)
        } else {
            Signals::new(None, None)
        }
    }

    /// Spawns the loop; a registered connection is told when it ends.
    fn spawn(
        &self,
        request: Request,
        scope: Option<Scope>,
        signals: Signals,
        sink: impl Sink,
        registered: Option<Served>,
    ) -> JoinHandle<()> {
        let client = self.client.clone();
        let max_event_size = self.config.max_event_size;
        let registry = self.registry.clone();
        tauri::async_runtime::spawn(async move {
            connection::run(client, request, scope, max_event_size, signals, sink).await;
            if let Some(served) = registered {
                registry.finished(&served);
            }
        })
    }
}

/// Runs tasks on the main thread of `webview`'s app.
pub(crate) fn main_thread<R: Runtime>(webview: &Webview<R>) -> MainThread {
    let app = webview.app_handle().clone();
    Arc::new(move |task| app.run_on_main_thread(task).is_ok())
}

/// Whether `webview` still exists, in whatever window holds it now: Tauri forgets a webview
/// when it is closed or its window destroyed.
pub(crate) fn alive<R: Runtime>(webview: Webview<R>) -> Alive {
    Arc::new(move || {
        let label = webview.label();
        webview
            .window()
            .webviews()
            .iter()
            .any(|w| w.label() == label)
    })
}

/// `broadcast`: a task emitting every message it is given as the Tauri event `eventsource://{name}`, to
/// all webviews, in order; it ends with the connection's outlet.
fn broadcast<R: Runtime>(app: AppHandle<R>, name: &str) -> Emit {
    let event = format!("eventsource://{name}");
    let (emit, mut messages) = mpsc::unbounded_channel::<Message>();
    tauri::async_runtime::spawn(async move {
        while let Some(message) = messages.recv().await {
            // A failed emit concerns listeners only; the connection's own page decides.
            let _ = app.emit(&event, &message);
        }
    });
    emit
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

/// A connection opened or joined from Rust: its messages, in order, ending after `Closed`.
/// Dropping it closes the connection (or leaves the shared one).
pub struct MessageStream {
    rx: mpsc::Receiver<Message>,
    end: End,
    closed: bool,
}

/// What dropping a [`MessageStream`] does.
enum End {
    /// Its own connection: stop it.
    Abort(JoinHandle<()>),
    /// A subscription to a shared connection, acknowledged as its messages are taken.
    Leave {
        group: Arc<Shared>,
        key: Subscription,
        outlet: Arc<Outlet>,
    },
}

impl futures_core::Stream for MessageStream {
    type Item = Message;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Message>> {
        if self.closed {
            return std::task::Poll::Ready(None);
        }
        let next = self.rx.poll_recv(cx);
        if let std::task::Poll::Ready(Some(message)) = &next {
            self.closed = matches!(message, Message::Closed);
            if let End::Leave { outlet, .. } = &self.end {
                outlet.ack(1);
            }
        }
        next
    }
}

impl Drop for MessageStream {
    fn drop(&mut self) {
        match &self.end {
            End::Abort(task) => task.abort(),
            End::Leave { group, key, .. } => group.leave(*key),
        }
    }
}
