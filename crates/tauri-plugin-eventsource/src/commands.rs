//! The webview commands: `open_pipe`, `connect`, `close`, `attach`, `join`, `ack`,
//! `set_headers`, `network`, `list`. Every one acts on the calling webview's pipes and
//! connections only; `join` subscribes it to a shared connection its own scope allows.

use serde::{de::DeserializeOwned, Serialize};
use tauri::{
    command,
    ipc::{
        Channel, CommandArg, CommandItem, CommandScope, GlobalScope, InvokeBody, InvokeError,
        InvokeResponseBody,
    },
    Manager, Runtime, Webview,
};

use crate::{
    connection::HeadersAnswer,
    error::Result,
    headers,
    network::NetworkSignal,
    registry::ConnectionInfo,
    scope::{Scope, ScopeEntry},
    sink::{ACK_EVERY, PROTOCOL, WINDOW},
    state::{alive, main_thread, ConnectArgs},
    Sse,
};

/// The protocol the page must speak: its version and the flow-control numbers, so that
/// mismatched versions of this crate and the npm package fail clearly instead of stalling.
/// What `open_pipe` resolves to.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Protocol {
    protocol: u32,
    window: u64,
    ack_every: u64,
}

const CURRENT: Protocol = Protocol {
    protocol: PROTOCOL,
    window: WINDOW,
    ack_every: ACK_EVERY,
};

/// What `connect`, `attach` and `join` resolve to: the connection id, and the protocol again
/// (a page checks it per connection, as version 1 and 2 pages did).
#[derive(Debug, Serialize)]
pub(crate) struct Handshake {
    id: u32,
    #[serde(flatten)]
    protocol: Protocol,
}

impl Handshake {
    fn new(id: u32) -> Self {
        Self {
            id,
            protocol: CURRENT,
        }
    }
}

/// A struct read from the invoke payload's top-level keys, so that `connect` takes one
/// [`ConnectArgs`] (`url`, `method`, `headers`, `body`, `options`, as the TS `ConnectArgs`)
/// beside its channel, with the wire format of separate arguments.
pub(crate) struct Payload<T>(T);

impl<'de, R: Runtime, T: DeserializeOwned> CommandArg<'de, R> for Payload<T> {
    fn from_command(command: CommandItem<'de, R>) -> std::result::Result<Self, InvokeError> {
        let invalid = |reason: String| {
            InvokeError::from(format!(
                "invalid args for command `{}`: {reason}",
                command.name
            ))
        };
        match command.message.payload() {
            InvokeBody::Json(json) => serde_json::from_value(json.clone())
                .map(Payload)
                .map_err(|e| invalid(e.to_string())),
            InvokeBody::Raw(_) => Err(invalid("expected JSON".into())),
        }
    }
}

/// Registers the page's pipe: the one channel over which all its connections' messages come,
/// as `[lane, message]` pairs. `connect`, `attach` and `join` name it and the lane their
/// messages are tagged with.
#[command]
pub(crate) fn open_pipe<R: Runtime>(
    webview: Webview<R>,
    on_message: Channel<InvokeResponseBody>,
) -> Result<Protocol> {
    let registry = &webview.state::<Sse>().registry;
    let (alive, main_thread) = (alive(webview.clone()), main_thread(&webview));
    registry.open_pipe(webview.label(), alive, on_message, main_thread)?;
    Ok(CURRENT)
}

#[command]
pub(crate) async fn connect<R: Runtime>(
    webview: Webview<R>,
    command_scope: CommandScope<ScopeEntry>,
    global_scope: GlobalScope<ScopeEntry>,
    args: Payload<ConnectArgs>,
    pipe: u32,
    lane: u32,
) -> Result<Handshake> {
    let sse = webview.state::<Sse>();
    let scope = scope_of(&command_scope, &global_scope);
    let reader = sse.registry.lane(webview.label(), pipe, lane)?;
    sse.open(&webview, args.0, scope, reader)
        .map(Handshake::new)
}

/// Subscribes the page to the shared connection `name` (opened with `shared`, by any page of
/// the app), if this webview's own scope allows its URL. Asynchronous like `attach`.
#[command]
pub(crate) async fn join<R: Runtime>(
    webview: Webview<R>,
    command_scope: CommandScope<ScopeEntry>,
    global_scope: GlobalScope<ScopeEntry>,
    name: String,
    pipe: u32,
    lane: u32,
) -> Result<Handshake> {
    let sse = webview.state::<Sse>();
    let scope = scope_of(&command_scope, &global_scope);
    let reader = sse.registry.lane(webview.label(), pipe, lane)?;
    sse.join_webview(&webview, &name, scope, reader)
        .map(Handshake::new)
}

/// The URLs the calling webview's capabilities allow, for this command and the plugin.
fn scope_of(command: &CommandScope<ScopeEntry>, global: &GlobalScope<ScopeEntry>) -> Scope {
    let allow = command.allows().iter().chain(global.allows());
    let deny = command.denies().iter().chain(global.denies());
    Scope::new(allow.cloned().collect(), deny.cloned().collect())
}

#[command]
pub(crate) fn close<R: Runtime>(webview: Webview<R>, id: u32) -> Result<()> {
    webview.state::<Sse>().registry.close(webview.label(), id)
}

/// Asynchronous, so the replay it starts runs off the main thread; it sends at most one window
/// of the backlog, the rest follows the page's acks.
#[command]
pub(crate) async fn attach<R: Runtime>(
    webview: Webview<R>,
    name: String,
    pipe: u32,
    lane: u32,
) -> Result<Handshake> {
    let registry = &webview.state::<Sse>().registry;
    let reader = registry.lane(webview.label(), pipe, lane)?;
    registry
        .attach(webview.label(), &name, reader)
        .map(Handshake::new)
}

/// Flow control, for all of a page's connections at once: it received `received` more messages
/// of its pipe `pipe` (see `pipe::BEHIND`) and processed `processed` more messages of each
/// connection, as `[id, count]` pairs (see `sink::WINDOW`).
#[command]
pub(crate) fn ack<R: Runtime>(
    webview: Webview<R>,
    pipe: u32,
    received: u64,
    processed: Vec<(u32, u64)>,
) -> Result<()> {
    let registry = &webview.state::<Sse>().registry;
    registry.ack(webview.label(), pipe, received, &processed)
}

/// The page's answer to a `headers` message of connection `id`: the headers its function returned
/// now, or the function's `error` message; neither keeps the current headers. A forbidden header
/// is refused here and fails the connection, as at `connect`.
#[command]
pub(crate) fn set_headers<R: Runtime>(
    webview: Webview<R>,
    id: u32,
    headers: Option<Vec<(String, String)>>,
    error: Option<String>,
) -> Result<()> {
    let sse = webview.state::<Sse>();
    let forbidden = match &headers {
        Some(pairs) if !sse.config.unsafe_headers => pairs
            .iter()
            .find_map(|(name, value)| headers::check(name, value).err()),
        _ => None,
    };
    let answer = match (error, headers, &forbidden) {
        (_, _, Some(refused)) => HeadersAnswer::Refused(refused.clone()),
        (Some(message), _, None) => HeadersAnswer::Failed(message),
        (None, Some(headers), None) => HeadersAnswer::Headers(headers),
        (None, None, None) => HeadersAnswer::Keep,
    };
    sse.registry.set_headers(webview.label(), id, answer)?;
    forbidden.map_or(Ok(()), Err)
}

/// The page's news of the machine's network (its `online`/`offline` events, a wake it detected)
/// for connection `id`: heard by that connection only.
#[command]
pub(crate) fn network<R: Runtime>(
    webview: Webview<R>,
    id: u32,
    signal: NetworkSignal,
) -> Result<()> {
    webview
        .state::<Sse>()
        .registry
        .network(webview.label(), id, signal)
}

#[command]
pub(crate) fn list<R: Runtime>(webview: Webview<R>) -> Vec<ConnectionInfo> {
    webview.state::<Sse>().list(webview.label())
}
