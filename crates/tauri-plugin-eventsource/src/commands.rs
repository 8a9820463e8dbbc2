//! The webview commands: `connect`, `close`, `attach`, `ack`, `set_headers`, `list`. Every one acts on the calling
//! webview's connections only.

use serde::Deserialize;
use tauri::{
    command,
    ipc::{Channel, CommandScope, GlobalScope},
    AppHandle, Runtime, State, Webview,
};

use crate::{
    connection::{HeadersAnswer, Message, Request, StreamOptions},
    error::{Error, Result},
    registry::{ConnectionInfo, Owner},
    scope::{Entry, Scope},
    sink::{Broadcast, OutletSink},
    Sse,
};

/// `options` of `connect`: the stream options plus what the webview side needs.
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
    /// The page has a headers function: ask it for fresh headers before every reconnect.
    refresh_headers: bool,
    /// The headers function threw at connect, with this message: the first attempt failed
    /// (kind `headers`) and the policy retries, as in the TS loop.
    headers_error: Option<String>,
}

impl ConnectOptions {
    fn validate(&self) -> Result<()> {
        let needs_name = self.keep_alive || self.broadcast;
        match &self.name {
            None if needs_name => Err(Error::InvalidOptions(
                "`keepAlive` and `broadcast` need a `name`".into(),
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

#[allow(clippy::too_many_arguments)]
#[command]
pub(crate) async fn connect<R: Runtime>(
    app: AppHandle<R>,
    webview: Webview<R>,
    sse: State<'_, Sse>,
    command_scope: CommandScope<Entry>,
    global_scope: GlobalScope<Entry>,
    url: String,
    method: Option<String>,
    headers: Option<Vec<(String, String)>>,
    body: Option<String>,
    options: Option<ConnectOptions>,
    on_message: Channel<Message>,
) -> Result<u32> {
    let options = options.unwrap_or_default();
    options.validate()?;
    let mut request = Request::new(&url)?.options(options.stream)?;
    if let Some(method) = method {
        request = request.method(&method)?;
    }
    for (name, value) in headers.unwrap_or_default() {
        request = request.header(&name, &value)?;
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    request.headers_error = options.headers_error;
    let scope = Scope::new(
        command_scope
            .allows()
            .iter()
            .chain(global_scope.allows())
            .cloned()
            .collect(),
        command_scope
            .denies()
            .iter()
            .chain(global_scope.denies())
            .cloned()
            .collect(),
    );
    // Refused up front so the invoke rejects with the reason; redirects and reconnects are
    // checked again inside the loop.
    scope.check(request.url())?;

    let owner = Owner {
        webview: webview.label().to_string(),
        window: webview.window().label().to_string(),
    };
    let registry = &sse.registry;
    let registered = registry.register(
        owner,
        options.name.clone(),
        options.keep_alive,
        request.url().to_string(),
        on_message,
    )?;
    let sink = OutletSink {
        outlet: registered.outlet,
        capacity: registry.buffer_capacity(),
        headers_timeout: options.refresh_headers.then_some(sse.headers_timeout),
    };
    let id = registered.id;
    let task = match (options.broadcast, options.name) {
        (true, Some(name)) => sse.spawn(
            request,
            Some(scope),
            Broadcast {
                app: app.clone(),
                event: format!("eventsource://{name}"),
                inner: sink,
            },
            Some(id),
        ),
        _ => sse.spawn(request, Some(scope), sink, Some(id)),
    };
    registry.set_task(id, task);
    Ok(id)
}

#[command]
pub(crate) fn close<R: Runtime>(webview: Webview<R>, sse: State<'_, Sse>, id: u32) -> Result<()> {
    sse.registry.close(webview.label(), id)
}

#[command]
pub(crate) fn attach<R: Runtime>(
    webview: Webview<R>,
    sse: State<'_, Sse>,
    name: String,
    on_message: Channel<Message>,
) -> Result<u32> {
    sse.registry.attach(webview.label(), &name, on_message)
}

/// The page processed `count` more messages of connection `id`: the plugin may send that many
/// more (flow control, see `sink::WINDOW`).
#[command]
pub(crate) fn ack<R: Runtime>(
    webview: Webview<R>,
    sse: State<'_, Sse>,
    id: u32,
    count: u64,
) -> Result<()> {
    sse.registry.ack(webview.label(), id, count)
}

/// The page's answer to a `headers` message of connection `id`: the headers its function returned
/// now, or the function's `error` message; neither keeps the current headers.
#[command]
pub(crate) fn set_headers<R: Runtime>(
    webview: Webview<R>,
    sse: State<'_, Sse>,
    id: u32,
    headers: Option<Vec<(String, String)>>,
    error: Option<String>,
) -> Result<()> {
    let answer = match (error, headers) {
        (Some(message), _) => HeadersAnswer::Failed(message),
        (None, Some(headers)) => HeadersAnswer::Headers(headers),
        (None, None) => HeadersAnswer::Keep,
    };
    sse.registry.set_headers(webview.label(), id, answer)
}

#[command]
pub(crate) fn list<R: Runtime>(webview: Webview<R>, sse: State<'_, Sse>) -> Vec<ConnectionInfo> {
    sse.registry.list(webview.label())
}
