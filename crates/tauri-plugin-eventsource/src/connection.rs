//! One connection: the EventSource reconnect loop (WHATWG HTML §9.2.3 "Processing model") in a
//! task, writing [`Message`]s to a [`Sink`]. The TS `fetch` transport runs the same loop; the
//! names, defaults and retry formula are docs/architecture.md's.

use std::{collections::BTreeMap, time::Duration};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    error::{Error, Result, ERROR_BODY_BYTES},
    network::{NetworkSignal, Signals, WAKE_GRACE},
    parser::{Event, Item, Parser},
    retry::{parse_retry_after, RetryPolicy, UNBOUNDED_ATTEMPT},
    scope::{normalize, Scope},
    sink::Sink,
};

/// Same bound as browsers and reqwest's default policy.
const MAX_REDIRECTS: usize = 20;

/// What a connection reports, in order; serialized as the wire protocol's Channel messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Message {
    /// A 200 `text/event-stream` response arrived (after any redirects, at `url`).
    Open {
        status: u16,
        url: String,
        headers: BTreeMap<String, String>,
    },
    /// The events parsed from one read, in order.
    Events { events: Vec<Event> },
    /// The last event ID string changed without an event: a block with `id:` and no data (spec
    /// "dispatch the event" step 1). Events carry their own id; this tells the rest.
    #[serde(rename_all = "camelCase")]
    Id { last_event_id: String },
    /// The server sent `retry:`; the reconnection time is now `delay` ms.
    Retry { delay: u64 },
    /// With `reconnect_in` the connection is reestablished after that many ms; without it the
    /// connection failed and `Closed` follows.
    #[serde(rename_all = "camelCase")]
    Error {
        error: Error,
        #[serde(skip_serializing_if = "Option::is_none")]
        reconnect_in: Option<u64>,
    },
    /// A kept-alive connection's buffer, replayed on attach, lost this many events.
    Overflow { dropped: u64 },
    /// Before a reconnect: the page's headers function should run again (`set_headers` answers).
    /// Sent only to an attached page of a connection opened with `refreshHeaders`.
    Headers,
    /// Nothing follows.
    Closed,
}

/// Options of the stream itself (wire: `maxEventSize`, `lastEventId`, `retry`, `idleTimeout`,
/// `networkAware`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StreamOptions {
    /// Bytes; `None` = the plugin's default (8 MiB unless the Builder says otherwise).
    pub max_event_size: Option<usize>,
    /// Sent as `Last-Event-ID` on the first request, to resume a known stream.
    pub last_event_id: Option<String>,
    pub retry: RetryPolicy,
    /// Ms of silence (no byte, not even a comment) before reconnecting; `None` = never.
    pub idle_timeout: Option<u64>,
    /// Heed the network (default true): a reconnect wait ends when the network is back or the
    /// machine wakes, failures while offline do not count and the next attempt waits the longest
    /// delay, and a connection silent since a wake is reestablished at once
    /// (docs/architecture.md "Network awareness").
    pub network_aware: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            max_event_size: None,
            last_event_id: None,
            retry: RetryPolicy::default(),
            idle_timeout: None,
            network_aware: true,
        }
    }
}

impl StreamOptions {
    fn validate(&self) -> Result<()> {
        // It could not be sent as `Last-Event-ID` (no header value holds control characters;
        // the parser never yields CR, LF or NUL in an id): a caller's mistake.
        if let Some(id) = &self.last_event_id {
            if HeaderValue::from_bytes(id.as_bytes()).is_err() {
                return Err(Error::InvalidOptions(
                    "`lastEventId` must not contain control characters such as CR, LF or NUL"
                        .into(),
                ));
            }
        }
        self.retry.validate()
    }
}

/// A stream to open: URL, method, headers, body and options. Validated on construction.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) url: Url,
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) options: StreamOptions,
    /// The page's headers function threw at connect, with this message (`headersError`).
    pub(crate) headers_error: Option<String>,
}

impl Request {
    /// A `GET` of `url` (http or https, no credentials in it).
    pub fn new(url: &str) -> Result<Self> {
        Ok(Self {
            url: normalize(url, None)?,
            method: Method::GET,
            headers: HeaderMap::new(),
            body: None,
            options: StreamOptions::default(),
            headers_error: None,
        })
    }

    pub fn method(mut self, method: &str) -> Result<Self> {
        self.method = Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::InvalidOptions(format!("`{method}` is not an HTTP method")))?;
        Ok(self)
    }

    /// Appends a header, checked like `fetch` does (no CR, LF or NUL). A value whose characters
    /// are all below U+0100 is a JS `ByteString` and is sent as those bytes (what `Headers`
    /// produces, as in `tauri-plugin-http`); any other is sent as UTF-8.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = header_pair(name, value)?;
        self.headers.append(name, value);
        Ok(self)
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the stream options, refusing values no connection could honour (same checks for
    /// the `connect` command and the Rust API).
    pub fn options(mut self, options: StreamOptions) -> Result<Self> {
        options.validate()?;
        self.options = options;
        Ok(self)
    }

    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// Checks a header like `fetch` does (no CR, LF or NUL). A value whose characters are all below
/// U+0100 is a JS `ByteString` and is sent as those bytes; any other is sent as UTF-8.
fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let invalid = |reason: &str| Error::InvalidHeader {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    let header_name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("not a valid header name"))?;
    let bytes = value
        .chars()
        .map(|c| u8::try_from(c).ok())
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_else(|| value.as_bytes().to_vec());
    let header_value = HeaderValue::from_bytes(&bytes)
        .map_err(|_| invalid("the value contains a control character such as CR or LF"))?;
    Ok((header_name, header_value))
}

/// What the page answered to [`Message::Headers`] (`set_headers`).
#[derive(Debug)]
pub(crate) enum HeadersAnswer {
    /// The user headers for this attempt and the later ones.
    Headers(Vec<(String, String)>),
    /// The headers function threw, with this message: a failed attempt.
    Failed(String),
    /// The page sent a header it may not set (`set_headers`): the connection fails.
    Refused(Error),
    /// The page has no headers function (it attached to a kept-alive connection).
    Keep,
}

/// Why an attempt ended.
enum Outcome {
    /// Reestablish: network error, end of stream, idle timeout, or a status in `on_status`.
    Reconnect {
        error: Error,
        retry_after: Option<u64>,
    },
    /// Reestablish without waiting: the connection died while the machine slept.
    ReconnectNow(Error),
    /// Fail the connection.
    Fatal(Error),
    /// The sink has no reader any more.
    Gone,
}

/// Runs the connection until it fails or its sink is gone. Dropping the future (aborting its
/// task) drops the response, which closes the HTTP connection.
pub(crate) async fn run(
    client: reqwest::Client,
    request: Request,
    scope: Option<Scope>,
    default_max_event_size: usize,
    mut signals: Signals,
    mut sink: impl Sink,
) {
    let options = &request.options;
    let mut connection = Connection {
        client,
        scope,
        parser: Parser::new(
            options.max_event_size.unwrap_or(default_max_event_size),
            options.last_event_id.clone(),
        ),
        reconnection_time: options.retry.initial_delay,
        idle: options.idle_timeout.map(Duration::from_millis),
        headers: request.headers.clone(),
        told_id: options.last_event_id.clone(),
        request: &request,
    };
    let policy = &options.retry;
    let mut attempt: u32 = 0;
    let mut reconnecting = false;
    // The page's headers function threw at connect: that was the first attempt, a failed one.
    let mut failed_at_connect = request
        .headers_error
        .clone()
        .map(|message| reconnect(Error::Headers(message)));
    loop {
        let refreshed = if let Some(failed) = failed_at_connect.take() {
            Some(failed)
        } else if reconnecting {
            connection.refresh_headers(&mut sink).await
        } else {
            None
        };
        let outcome = match refreshed {
            Some(outcome) => outcome,
            None => {
                connection
                    .attempt(&mut sink, &mut attempt, &mut signals)
                    .await
            }
        };
        reconnecting = true;
        let (error, retry_after, now) = match outcome {
            Outcome::Gone => return,
            Outcome::Fatal(error) => return fail(&mut sink, error).await,
            Outcome::Reconnect { error, retry_after } => (error, retry_after, false),
            Outcome::ReconnectNow(error) => (error, None, true),
        };
        // A failure while the system says it is offline is no strike against the server, and the
        // next attempt waits the policy's longest delay. The system's word is advice, not a
        // stop: it can be wrong (a VPN, a route it does not count), and online ends the wait.
        let offline = signals.offline();
        if !offline {
            attempt = attempt.saturating_add(1);
        }
        if !offline && policy.exhausted(attempt) {
            let attempts = attempt - 1;
            let last = Box::new(error);
            return fail(&mut sink, Error::MaxAttempts { attempts, last }).await;
        }
        let delay = if now {
            0
        } else {
            policy.delay(
                connection.reconnection_time,
                if offline {
                    UNBOUNDED_ATTEMPT
                } else {
                    attempt.max(1)
                },
                retry_after,
                fastrand::f64(),
            )
        };
        let message = Message::Error {
            error,
            reconnect_in: Some(delay),
        };
        if !sink.send(message).await {
            return;
        }
        let wait = tokio::time::sleep(Duration::from_millis(delay));
        tokio::pin!(wait);
        // The network coming back, or a wake, ends the wait: the reason for it may be gone.
        loop {
            tokio::select! {
                () = &mut wait => break,
                signal = signals.next() => if signal != NetworkSignal::Offline { break },
            }
        }
    }
}

async fn fail(sink: &mut impl Sink, error: Error) {
    let message = Message::Error {
        error,
        reconnect_in: None,
    };
    if sink.send(message).await {
        sink.send(Message::Closed).await;
    }
}

struct Connection<'a> {
    client: reqwest::Client,
    scope: Option<Scope>,
    parser: Parser,
    /// spec: the event stream's reconnection time (`retry:` updates it).
    reconnection_time: u64,
    idle: Option<Duration>,
    /// The user headers: the request's, until the page sends fresh ones.
    headers: HeaderMap,
    /// The last event ID string as the reader knows it (from events and `Id` messages).
    told_id: Option<String>,
    request: &'a Request,
}

impl Connection<'_> {
    /// Before a reconnect, asks the sink's reader for fresh headers (a page whose headers
    /// function may renew a token). `Some` ends the attempt before any request, like the TS loop:
    /// a throwing function is a failed attempt, an invalid header fails the connection.
    async fn refresh_headers(&mut self, sink: &mut impl Sink) -> Option<Outcome> {
        let pairs = match sink.refresh_headers().await? {
            HeadersAnswer::Headers(pairs) => pairs,
            HeadersAnswer::Failed(message) => return Some(reconnect(Error::Headers(message))),
            HeadersAnswer::Refused(error) => return Some(Outcome::Fatal(error)),
            HeadersAnswer::Keep => return None,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &pairs {
            match header_pair(name, value) {
                Ok((name, value)) => headers.append(name, value),
                Err(error) => return Some(Outcome::Fatal(error)),
            };
        }
        self.headers = headers;
        None
    }

    /// One request: open it, then read until it ends. `attempt` is reset on a successful open.
    async fn attempt(
        &mut self,
        sink: &mut impl Sink,
        attempt: &mut u32,
        signals: &mut Signals,
    ) -> Outcome {
        // A request made after a wake cannot have died in it.
        signals.mark_seen();
        let response = match guard(self.idle, signals, self.open()).await {
            Ok(Ok(response)) => response,
            Ok(Err(outcome)) | Err(outcome) => return outcome,
        };
        let status = response.status();
        let url = response.url().to_string();
        let on_status = &self.request.options.retry.on_status;
        if status != StatusCode::OK {
            let retried = on_status.contains(&status.as_u16());
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
            let error = Error::HttpStatus {
                status: status.as_u16(),
                url,
                body: error_body(response).await,
            };
            return if retried {
                Outcome::Reconnect { error, retry_after }
            } else {
                Outcome::Fatal(error)
            };
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if !is_event_stream(&content_type) {
            return Outcome::Fatal(Error::ContentType { content_type, url });
        }
        *attempt = 0;
        let open = Message::Open {
            status: status.as_u16(),
            url,
            headers: header_map(response.headers()),
        };
        if !sink.send(open).await {
            return Outcome::Gone;
        }
        let outcome = self.read(response, sink, signals).await;
        // spec: pending data of an unterminated block is discarded at the end of the stream
        self.parser.reset();
        outcome
    }

    /// Sends the request, following redirects by hand so that the scope is checked on every
    /// hop and credentials do not travel to another origin.
    async fn open(&self) -> std::result::Result<reqwest::Response, Outcome> {
        let request = self.request;
        let mut url = request.url.clone();
        let mut method = request.method.clone();
        let mut body = request.body.clone();
        let mut headers = self.headers.clone();
        // spec: `Accept: text/event-stream` (unless the caller chose one), cache mode
        // "no-store" (which fetch's "HTTP-network-or-cache fetch" sends as `Cache-Control:
        // no-cache` and `Pragma: no-cache`, again unless the caller chose them), `Last-Event-ID`
        // when one is known
        headers
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("text/event-stream"));
        for name in [header::CACHE_CONTROL, header::PRAGMA] {
            headers
                .entry(name)
                .or_insert(HeaderValue::from_static("no-cache"));
        }
        let last_event_id = self.parser.last_event_id().unwrap_or_default();
        if !last_event_id.is_empty() {
            // spec: the last event ID string "encoded as UTF-8", as browsers send it. One with
            // control characters cannot be sent at all: a failure no reconnect could fix.
            let value = HeaderValue::from_bytes(last_event_id.as_bytes()).map_err(|_| {
                Outcome::Fatal(Error::InvalidHeader {
                    name: "last-event-id".into(),
                    reason: format!(
                        "the last event ID {last_event_id:?} contains a control character"
                    ),
                })
            })?;
            headers.insert("last-event-id", value);
        }
        for _ in 0..=MAX_REDIRECTS {
            if let Some(scope) = &self.scope {
                scope.check(&url).map_err(Outcome::Fatal)?;
            }
            let mut builder = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                builder = builder.body(body.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|e| reconnect(Error::network(&e)))?;
            let Some(location) = redirect_location(&response) else {
                return Ok(response);
            };
            let next = normalize(&location, Some(&url)).map_err(Outcome::Fatal)?;
            if next.origin() != url.origin() {
                // fetch: credentials set for one origin are not forwarded to another
                for name in [
                    header::AUTHORIZATION,
                    header::COOKIE,
                    header::PROXY_AUTHORIZATION,
                ] {
                    headers.remove(name);
                }
            }
            // fetch "HTTP-redirect fetch" step 12: 303, and 301/302 after POST, become GET
            let status = response.status();
            if (status == StatusCode::SEE_OTHER && method != Method::GET && method != Method::HEAD)
                || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
            {
                method = Method::GET;
                body = None;
                for name in [
                    header::CONTENT_TYPE,
                    header::CONTENT_LENGTH,
                    header::CONTENT_ENCODING,
                    header::CONTENT_LANGUAGE,
                ] {
                    headers.remove(name);
                }
            }
            url = next;
        }
        Err(reconnect(Error::Network(format!(
            "more than {MAX_REDIRECTS} redirects"
        ))))
    }

    /// Reads the body until the stream ends, sending the events of each read as one batch.
    async fn read(
        &mut self,
        mut response: reqwest::Response,
        sink: &mut impl Sink,
        signals: &mut Signals,
    ) -> Outcome {
        let mut items = Vec::new();
        loop {
            let mut ended = match guard(self.idle, signals, response.chunk()).await {
                Ok(read) => self.consume(read, &mut items),
                Err(timeout) => Some(timeout),
            };
            // Whatever else already arrived joins this batch: one IPC message, not one per HTTP
            // chunk. hyper hands chunks over from its connection task one at a time, so yield
            // once to let it catch up before deciding that nothing more is there. While the
            // reader is behind (`ready` pending), what arrives meanwhile joins the batch too.
            let (mut batched, mut yielded) = (0, false);
            let batch_bytes = sink.batch_bytes();
            while ended.is_none() && batched < batch_bytes {
                let read = tokio::select! {
                    biased;
                    // `chunk()` only polls the body: dropping it while pending loses nothing
                    read = response.chunk() => read,
                    () = sink.ready() => {
                        if yielded {
                            break;
                        }
                        yielded = true;
                        tokio::task::yield_now().await;
                        continue;
                    }
                };
                yielded = false;
                batched += read
                    .as_ref()
                    .map_or(0, |c| c.as_ref().map_or(0, Bytes::len));
                ended = self.consume(read, &mut items);
            }
            for message in self.messages(items.drain(..)) {
                if !sink.send(message).await {
                    return Outcome::Gone;
                }
            }
            if let Some(outcome) = ended {
                return outcome;
            }
        }
    }

    /// Feeds one read to the parser; `Some` when the stream is over.
    fn consume(
        &mut self,
        read: reqwest::Result<Option<Bytes>>,
        items: &mut Vec<Item>,
    ) -> Option<Outcome> {
        match read {
            Ok(Some(chunk)) => {
                let mut too_large = None;
                self.parser.feed_bytes(&chunk, &mut |item| match item {
                    // As in the TS loop: nothing after an oversize event is delivered, the
                    // connection fails there (the events before it still go out).
                    _ if too_large.is_some() => {}
                    Item::EventTooLarge { max_event_size } => too_large = Some(max_event_size),
                    item => items.push(item),
                });
                too_large.map(|max| Outcome::Fatal(Error::EventTooLarge(max)))
            }
            Ok(None) => Some(reconnect(Error::Network(
                "the server ended the stream".into(),
            ))),
            Err(e) => Some(reconnect(Error::network(&e))),
        }
    }

    /// Turns one read's parser output into messages: consecutive events become one batch.
    fn messages(&mut self, items: impl Iterator<Item = Item>) -> Vec<Message> {
        let mut messages = Vec::new();
        let mut batch = Vec::new();
        for item in items {
            let message = match item {
                Item::Event(event) => {
                    batch.push(event);
                    continue;
                }
                // oversize events end the read in `consume`
                Item::Comment(_) | Item::EventTooLarge { .. } => continue,
                Item::Retry(delay) => {
                    self.reconnection_time = delay;
                    Message::Retry { delay }
                }
            };
            if !batch.is_empty() {
                messages.push(Message::Events {
                    events: std::mem::take(&mut batch),
                });
            }
            messages.push(message);
        }
        if !batch.is_empty() {
            messages.push(Message::Events { events: batch });
        }
        // A block without data still sets the last event ID string (spec "dispatch the event"
        // step 1): the page learns it from the last event's id, or from an `Id` message.
        let told = messages.iter().rev().find_map(|m| match m {
            Message::Events { events } => Some(events.last().and_then(|e| e.id.as_deref())),
            _ => None,
        });
        if let Some(told) = told {
            self.told_id = told.map(str::to_owned);
        }
        if self.parser.last_event_id() != self.told_id.as_deref() {
            self.told_id = self.parser.last_event_id().map(str::to_owned);
            messages.push(Message::Id {
                last_event_id: self.told_id.clone().unwrap_or_default(),
            });
        }
        messages
    }
}

/// Bounds one wait of an attempt (the response, the next read) by the idle timeout, whose expiry
/// means reconnecting, and by a wake: a connection that shows no sign of life within
/// [`WAKE_GRACE`] of it most likely died while the machine slept (the peer forgot it, the route
/// changed, no reset ever comes), so it is reestablished at once.
async fn guard<T>(
    idle: Option<Duration>,
    signals: &mut Signals,
    future: impl std::future::Future<Output = T>,
) -> std::result::Result<T, Outcome> {
    let expired = async {
        match idle {
            Some(idle) => tokio::time::sleep(idle).await,
            None => std::future::pending().await,
        }
    };
    let asleep = async {
        while signals.next().await != NetworkSignal::Wake {}
        tokio::time::sleep(WAKE_GRACE).await;
    };
    let result = tokio::select! {
        biased;
        value = future => Ok(value),
        () = expired => Err(reconnect(Error::IdleTimeout(idle.map_or(0, |d| d.as_millis() as u64)))),
        () = asleep => Err(Outcome::ReconnectNow(Error::Network(
            "no data since the machine woke from sleep".into(),
        ))),
    };
    if result.is_ok() {
        signals.mark_seen();
    }
    result
}

fn reconnect(error: Error) -> Outcome {
    Outcome::Reconnect {
        error,
        retry_after: None,
    }
}

/// How long a refused response's body is waited for.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// The start of a refused response's body as text: at most [`ERROR_BODY_BYTES`], waited for at
/// most [`ERROR_BODY_TIMEOUT`] (a stalled body is cut there, keeping what arrived). Dropping the
/// response afterwards closes the connection.
async fn error_body(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    let mut ended = false;
    let _ = tokio::time::timeout(ERROR_BODY_TIMEOUT, async {
        while bytes.len() < ERROR_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let take = chunk.len().min(ERROR_BODY_BYTES - bytes.len());
                    bytes.extend_from_slice(&chunk[..take]);
                }
                Ok(None) => {
                    ended = true;
                    break;
                }
                Err(_) => break,
            }
        }
    })
    .await;
    if !ended {
        // A code point cut at the limit is left out rather than shown as U+FFFD, as in TS.
        bytes.truncate(bytes.len() - incomplete_utf8_tail(&bytes));
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Length of a UTF-8 sequence cut short at the end of `bytes` (0 if none).
fn incomplete_utf8_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xC0 != 0x80 {
            // The lead byte: how long its sequence should be.
            let needed = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => return 0,
            };
            return if back < needed { back } else { 0 };
        }
    }
    0
}

/// Where a response redirects to: fetch follows only a "redirect status" (301, 302, 303, 307,
/// 308) with a `Location`; any other 3xx is a response like others, and not a 200.
fn redirect_location(response: &reqwest::Response) -> Option<String> {
    if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(header::LOCATION)?;
    Some(String::from_utf8_lossy(location.as_bytes()).into_owned())
}

/// The MIME type essence is `text/event-stream`, whatever the parameters and case.
fn is_event_stream(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("text/event-stream")
}

/// Response headers for `open`: lowercase names, repeated headers joined with `, `. Without
/// `Set-Cookie`, which fetch never shows a page either (a forbidden response-header name): an
/// `HttpOnly` cookie for the app's cookie store is no page's to read.
fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map = BTreeMap::<String, String>::new();
    for (name, value) in headers {
        if name == header::SET_COOKIE || name == "set-cookie2" {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        map.entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_point_cut_at_the_end_is_left_out() {
        assert_eq!(incomplete_utf8_tail(b"ab"), 0);
        assert_eq!(incomplete_utf8_tail("a\u{e9}".as_bytes()), 0);
        assert_eq!(incomplete_utf8_tail(b"a\xC3"), 1);
        assert_eq!(incomplete_utf8_tail(b"a\xE6\x97"), 2);
        assert_eq!(incomplete_utf8_tail(b"a\xF0\x9F\x98"), 3);
        assert_eq!(incomplete_utf8_tail("\u{1F600}".as_bytes()), 0);
        // an invalid byte is no cut code point: U+FFFD shows it, as in TS
        assert_eq!(incomplete_utf8_tail(b"a\xFF"), 0);
    }

    #[test]
    fn content_type_essence() {
        assert!(is_event_stream("text/event-stream"));
        assert!(is_event_stream("Text/Event-Stream; charset=utf-8"));
        assert!(!is_event_stream("text/plain"));
        assert!(!is_event_stream(""));
    }

    #[test]
    fn header_values_are_byte_strings_or_utf8() {
        // control characters and bad names: tests/security.rs
        let request = Request::new("http://127.0.0.1/sse").unwrap();
        let latin1 = request.clone().header("x-a", "caf\u{e9}").unwrap();
        assert_eq!(latin1.headers["x-a"].as_bytes(), b"caf\xe9");
        let utf8 = request.header("x-a", "\u{65e5}").unwrap();
        assert_eq!(utf8.headers["x-a"].as_bytes(), "\u{65e5}".as_bytes());
    }

    #[test]
    fn messages_serialize_as_the_wire_protocol() {
        let events = Message::Events {
            events: vec![Event {
                event: None,
                data: "a".into(),
                id: Some("1".into()),
            }],
        };
        assert_eq!(
            serde_json::to_value(events).unwrap(),
            serde_json::json!({"type": "events", "events": [{"data": "a", "id": "1"}]})
        );
        let error = Message::Error {
            error: Error::IdleTimeout(5),
            reconnect_in: Some(1500),
        };
        assert_eq!(
            serde_json::to_value(error).unwrap(),
            serde_json::json!({"type": "error", "reconnectIn": 1500,
                "error": {"kind": "idle-timeout", "message": "no data for 5 ms"}})
        );
        assert_eq!(
            serde_json::to_value(Message::Closed).unwrap(),
            serde_json::json!({"type": "closed"})
        );
    }
}
