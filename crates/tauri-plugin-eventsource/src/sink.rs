//! Where a connection's messages go. One loop ([`crate::connection::run`]) feeds every kind of
//! reader: a page's pipe ([`crate::pipe`]) that can detach into a bounded backlog across page
//! reloads, and
//! optionally emits Tauri events (`broadcast`) at the same pace ([`Outlet`]), or a Rust stream
//! ([`StreamSink`]).
//!
//! Every reader of a connection of its own bounds memory by pausing the connection instead of
//! queueing: while paused the loop reads nothing, so TCP flow control holds the server back and
//! no event is lost. Only a detached outlet, which no page may ever drain, and a subscriber of a
//! shared connection ([`crate::shared`]), which must not stall the others, drop events (oldest
//! first, reported).

use std::{
    collections::VecDeque,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::{mpsc, oneshot, Notify};

use crate::{
    connection::{HeadersAnswer, Message},
    error::Error,
    parser::Event,
    pipe::Lane,
};

pub(crate) trait Sink: Send + 'static {
    /// Delivers one message; `false` when no one will ever read again (the loop then stops).
    fn send(&mut self, message: Message) -> impl Future<Output = bool> + Send;

    /// Resolves once `send` would not wait for the reader. While it is pending the loop reads on
    /// into the same batch, so a reader that is behind gets fewer, larger messages: per-message
    /// costs (an IPC round trip for large ones) are what hold a behind reader back.
    fn ready(&mut self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }

    /// How many bytes of reads a batch may gather while the reader is behind.
    fn batch_bytes(&self) -> usize {
        MAX_BATCH_BYTES
    }

    /// Fresh user headers before a reconnect, from a reader that can make them (a page with a
    /// headers function); `None` keeps the current ones.
    fn refresh_headers(&mut self) -> impl Future<Output = Option<HeadersAnswer>> + Send {
        std::future::ready(None)
    }
}

/// Rust callers: a bounded queue, so a slow consumer slows the reads down instead of
/// growing memory.
pub(crate) struct StreamSink(pub(crate) mpsc::Sender<Message>);

impl Sink for StreamSink {
    async fn send(&mut self, message: Message) -> bool {
        self.0.send(message).await.is_ok()
    }

    async fn ready(&mut self) {
        // The slot is given back at once: `send` takes it again.
        let _ = self.0.reserve().await;
    }
}

/// Version of the wire protocol between this plugin and the `tauri-sse` package: `connect` and
/// `attach` answer with it, [`WINDOW`] and [`ACK_EVERY`], so that mismatched versions fail with
/// a clear error instead of a stall (version 1 answered with a bare id; version 2 had a channel
/// per connection instead of a pipe per page).
pub(crate) const PROTOCOL: u32 = 3;

/// Messages an attached page may have received and not yet acknowledged (`ack` command) before
/// the connection waits for it. `Channel::send` has no backpressure of its own: without this
/// window a page slower than the stream queues messages in the webview without bound.
pub(crate) const WINDOW: u64 = 64;

/// How often the page acknowledges: every quarter window, so the plugin rarely waits for a page
/// that keeps up.
pub(crate) const ACK_EVERY: u64 = WINDOW / 4;

/// Unacknowledged messages from which the page counts as behind and the connection batches what
/// it reads until an ack ([`Sink::ready`]). Above `ACK_EVERY`, so a page that keeps up (at most
/// one ack interval plus an ack's round trip in flight) never holds an event back; and such a
/// page has `ACK_EVERY` messages to process and ack, so the ack that ends the wait always comes.
const BEHIND: u64 = 2 * ACK_EVERY;

/// Bytes of reads gathered into one batch while the reader is behind. Tauri carries a large
/// channel message at a cost that is mostly per message (one fetch over its IPC protocol): in
/// the webview benchmark 1 MiB JSON messages crossed at 1.2-1.6x the bytes/s of 256 KiB ones,
/// and 16 KiB events went from 0.80-0.91x to 0.92-1.02x the webview's own `EventSource`.
pub(crate) const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Bytes a page may hold unacknowledged (see [`size`]) before a batch stops growing: with the
/// [`WINDOW`] of messages, what waits in the webview stays about this much plus a window of
/// single reads, whatever the batch bound.
const WINDOW_BYTES: usize = 16 * 1024 * 1024;

/// Feeds the task that emits a `broadcast` connection's messages as `eventsource://{name}`. Emitting
/// runs Rust listeners on the emitting thread, so it happens there, without the outlet's lock (a
/// listener may call the plugin); the queue grows only as fast as the owner page acks.
pub(crate) type Emit = mpsc::UnboundedSender<Message>;

/// What a kept-alive connection may keep while no page is attached: approximate bytes held
/// (see [`size`]) and events. The oldest go first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BacklogBound {
    pub(crate) bytes: usize,
    pub(crate) events: usize,
}

/// Webview readers. Attached, messages go to the page's pipe, at most [`WINDOW`] ahead of
/// the page's acks; detached (the page is reloading, or the channel failed), a kept-alive
/// connection keeps them in a bounded backlog, which the next page receives through the same
/// window before any live message.
pub(crate) struct Outlet {
    keep_alive: bool,
    bound: BacklogBound,
    /// `broadcast`: every message is emitted once, when it goes to the owner page, so the
    /// listeners get the owner's pace and the detached connection's bound.
    emit: Option<Emit>,
    state: Mutex<OutletState>,
    /// Signalled when the connection may send again: an ack, a detach, an attach.
    credit: Notify,
}

struct OutletState {
    page: Option<Page>,
    /// Messages no page has received yet, oldest first: kept while detached, then replayed.
    backlog: Backlog,
    /// The last lifecycle message delivered or kept (see [`is_lifecycle`]): what a page that
    /// attaches to an up-to-date connection must hear first.
    lifecycle: Option<Message>,
    /// The connection waits for the page's answer to `headers`; dropped when the page goes, which
    /// ends the wait.
    headers_wanted: Option<oneshot::Sender<HeadersAnswer>>,
    /// When the last page went away (`None` while one is attached): the keep-alive TTL's clock.
    detached_since: Option<Instant>,
}

/// Where an outlet's messages are read: a lane of a page's pipe, or a Rust stream subscribed to
/// a shared connection ([`crate::Sse::join`]), which acknowledges what it takes like a page.
pub(crate) enum Reader {
    Webview(Lane),
    /// A queue of [`READER_QUEUE`] messages: the window keeps it from filling up.
    Rust(mpsc::Sender<Message>),
}

/// A Rust reader's queue: a window, plus the two messages `replaced` sends beyond it.
pub(crate) const READER_QUEUE: usize = WINDOW as usize + 2;

impl Reader {
    /// Sends a copy (a page's is serialized right away); `false` when no one reads any more.
    fn send(&self, message: &Message) -> bool {
        match self {
            Self::Webview(lane) => lane.send(message),
            Self::Rust(queue) => queue.try_send(message.clone()).is_ok(),
        }
    }
}

/// An attached page's reader and the messages it has not acknowledged.
struct Page {
    reader: Reader,
    /// The size of each unacknowledged message (see [`size`]), oldest first: acks count
    /// messages. At most a window and the odd message past it.
    unacked: VecDeque<usize>,
}

impl Page {
    fn new(reader: Reader) -> Self {
        Self {
            reader,
            unacked: VecDeque::new(),
        }
    }

    fn behind_by(&self, messages: u64) -> bool {
        self.unacked.len() as u64 >= messages
    }

    /// The page processed `count` more messages; saturating, as acks of a page replaced by
    /// `attach` may still arrive.
    fn acked(&mut self, count: u64) {
        let count = usize::try_from(count)
            .unwrap_or(usize::MAX)
            .min(self.unacked.len());
        self.unacked.drain(..count);
    }

    /// Sends a copy: on failure the caller still has the message to keep.
    fn send(&mut self, message: &Message, emit: Option<&Emit>) -> Result<(), ()> {
        if !self.reader.send(message) {
            return Err(());
        }
        self.unacked.push_back(size(message));
        if let Some(emit) = emit {
            // The emitting task ends only with the outlet.
            let _ = emit.send(message.clone());
        }
        Ok(())
    }
}

/// Messages kept for the next page, with what they weigh and what was dropped.
#[derive(Default)]
struct Backlog {
    /// The lifecycle state in force before the first kept message: replayed ahead of them.
    start: Option<Message>,
    messages: VecDeque<Message>,
    bytes: usize,
    events: usize,
    /// Events dropped since the last `overflow` a page received.
    dropped: u64,
}

/// What a kept-alive connection holds for its next page (`list`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buffered {
    pub(crate) bytes: usize,
    pub(crate) events: usize,
    pub(crate) dropped: u64,
}

impl Outlet {
    pub(crate) fn new(
        reader: Reader,
        keep_alive: bool,
        bound: BacklogBound,
        emit: Option<Emit>,
    ) -> Arc<Self> {
        Arc::new(Self {
            keep_alive,
            bound,
            emit,
            state: Mutex::new(OutletState {
                page: Some(Page::new(reader)),
                backlog: Backlog::default(),
                lifecycle: None,
                headers_wanted: None,
                detached_since: None,
            }),
            credit: Notify::new(),
        })
    }

    pub(crate) fn is_attached(&self) -> bool {
        self.state.lock().unwrap().page.is_some()
    }

    pub(crate) fn detached_since(&self) -> Option<Instant> {
        self.state.lock().unwrap().detached_since
    }

    pub(crate) fn buffered(&self) -> Buffered {
        let state = self.state.lock().unwrap();
        let backlog = &state.backlog;
        Buffered {
            bytes: backlog.bytes,
            events: backlog.events,
            dropped: backlog.dropped,
        }
    }

    /// A finished connection's outlet is no longer needed: a kept-alive one once a page has
    /// received everything, any other unless its attached page is still catching up (a shared
    /// connection's subscriber working through its backlog).
    pub(crate) fn is_done(&self) -> bool {
        let state = self.state.lock().unwrap();
        match (self.keep_alive, &state.page) {
            (true, page) => page.is_some() && state.backlog.is_empty(),
            (false, page) => page.is_none() || state.backlog.is_empty(),
        }
    }

    /// The page went away: keep messages from now on. Returns its reader, if one was attached.
    pub(crate) fn detach(&self) -> Option<Reader> {
        let page = self.state.lock().unwrap().detach();
        // A connection waiting for this page's acks would wait forever.
        self.credit.notify_one();
        page.map(|page| page.reader)
    }

    /// The attached page has processed `count` more messages: replay more of the backlog, or
    /// let the connection go on.
    pub(crate) fn ack(&self, count: u64) {
        {
            let mut state = self.state.lock().unwrap();
            if let Some(page) = &mut state.page {
                page.acked(count);
            }
            state.replay(self.emit.as_ref());
        }
        self.credit.notify_one();
    }

    /// A page takes the connection over: it hears the connection's state (`open`, or the pending
    /// reconnect's `error`; nothing while the first attempt is under way), then an `overflow` if
    /// events were dropped, then the kept messages through its window (the rest follows its
    /// acks), then live messages. Returns the channel of the page that had it, if any. If the
    /// new page fails too, whatever it did not receive waits for the next one.
    pub(crate) fn attach(&self, reader: Reader) -> Option<Reader> {
        let old = {
            let mut state = self.state.lock().unwrap();
            // The new page never heard a pending `headers`.
            state.headers_wanted = None;
            state.detached_since = None;
            let old = state.page.replace(Page::new(reader));
            let start = match state.backlog.is_empty() {
                true => state.lifecycle.clone(),
                false => state.backlog.start.clone(),
            };
            let started = match (&mut state.page, start) {
                (Some(page), Some(start)) => page.send(&start, None).is_ok(),
                _ => true,
            };
            if started {
                state.replay(self.emit.as_ref());
            } else {
                state.detach();
            }
            old
        };
        self.credit.notify_one();
        old.map(|page| page.reader)
    }

    /// Asks the attached page for fresh headers with a `headers` message (counted in its window
    /// like any other); `None` when no page is attached or the page could not take it: a page
    /// that never heard the question cannot answer, and a reloading one must not be waited for.
    async fn ask_headers(&self) -> Option<oneshot::Receiver<HeadersAnswer>> {
        self.when_window_open(|state| {
            state.page.as_mut()?.send(&Message::Headers, None).ok()?;
            let (wanted, answer) = oneshot::channel();
            state.headers_wanted = Some(wanted);
            Some(answer)
        })
        .await
    }

    /// The page's answer to `headers` (`set_headers`); ignored when the connection no longer
    /// waits for one (it gave up after its wait, or never asked).
    pub(crate) fn answer_headers(&self, answer: HeadersAnswer) {
        if let Some(wanted) = self.state.lock().unwrap().headers_wanted.take() {
            let _ = wanted.send(answer);
        }
    }

    /// Delivers `message`, waiting while the attached page is a full window behind or still
    /// receiving the backlog.
    async fn send(&self, message: Message) -> bool {
        self.when_window_open(|state| self.deliver(state, message))
            .await
    }

    /// Delivers `message` without ever waiting, for a shared connection, where one slow
    /// subscriber must not stall the others: a subscriber a full window behind keeps it in its
    /// backlog, whose bounds drop the oldest events first, reported as `overflow` once it
    /// catches up. A detached subscriber keeps it only if kept alive.
    pub(crate) fn offer(&self, message: &Message) {
        let state = &mut *self.state.lock().unwrap();
        if !state.page_behind() {
            self.deliver(state, message.clone());
            return;
        }
        state
            .backlog
            .keep(message.clone(), &state.lifecycle, self.bound);
        if is_lifecycle(message) {
            state.lifecycle = Some(message.clone());
        }
    }

    /// Sends `message` to the page, or keeps it while detached (if kept alive); a lifecycle
    /// message becomes the state, after delivering: a backlog it starts begins from the state
    /// before it.
    fn deliver(&self, state: &mut OutletState, message: Message) -> bool {
        let lifecycle = is_lifecycle(&message).then(|| message.clone());
        let delivered = state.deliver(message, self.keep_alive, self.bound, self.emit.as_ref());
        if lifecycle.is_some() {
            state.lifecycle = lifecycle;
        }
        delivered
    }

    /// Resolves once no page is attached, or the attached one has received the backlog and is
    /// less than [`BEHIND`] messages behind.
    async fn caught_up(&self) {
        self.once(|state| !state.page_behind_by(BEHIND), |_| ())
            .await
    }

    /// What the next batch may gather: less as the attached page holds more unacknowledged
    /// bytes, down to single reads.
    fn batch_bytes(&self) -> usize {
        let state = self.state.lock().unwrap();
        let held: usize = state
            .page
            .as_ref()
            .map_or(0, |page| page.unacked.iter().sum());
        WINDOW_BYTES.saturating_sub(held).min(MAX_BATCH_BYTES)
    }

    /// Runs `action` on the state once no page is attached, or the attached one has received
    /// the backlog and is less than a full window behind: the one place the connection waits
    /// to send.
    async fn when_window_open<T>(&self, action: impl FnOnce(&mut OutletState) -> T) -> T {
        self.once(|state| !state.page_behind(), action).await
    }

    /// Runs `action` on the state as soon as `ready` holds, checked again after each credit.
    async fn once<T>(
        &self,
        ready: impl Fn(&OutletState) -> bool,
        action: impl FnOnce(&mut OutletState) -> T,
    ) -> T {
        loop {
            {
                let mut state = self.state.lock().unwrap();
                if ready(&state) {
                    return action(&mut state);
                }
            }
            // `notify_one` keeps a permit when no one waits yet: an ack that lands between the
            // check and this wait is not missed (and a dropped waiter passes its permit on).
            self.credit.notified().await;
        }
    }
}

/// Tells the page that lost its connection to another `connect` or `attach`: a final error of
/// kind `replaced`, then `closed`. A page already gone hears nothing, which is fine.
pub(crate) fn tell_replaced(reader: &Reader, name: &str) {
    let error = Message::Error {
        error: Error::Replaced(name.to_string()),
        reconnect_in: None,
    };
    if reader.send(&error) {
        reader.send(&Message::Closed);
    }
}

impl OutletState {
    /// The attached page is a full window behind, or still receiving the backlog.
    fn page_behind(&self) -> bool {
        self.page_behind_by(WINDOW)
    }

    /// The attached page has not acknowledged `messages` messages, or is still receiving the
    /// backlog.
    fn page_behind_by(&self, messages: u64) -> bool {
        let behind = |page: &Page| page.behind_by(messages) || !self.backlog.is_empty();
        self.page.as_ref().is_some_and(behind)
    }

    fn detach(&mut self) -> Option<Page> {
        self.headers_wanted = None;
        let page = self.page.take();
        if page.is_some() {
            self.detached_since = Some(Instant::now());
        }
        page
    }

    /// Sends the backlog while the page's window allows: first an `overflow` if events were
    /// dropped (they came before every kept message), then the oldest messages. A message leaves
    /// the backlog only once sent: an interrupted replay loses nothing.
    fn replay(&mut self, emit: Option<&Emit>) {
        while let Some(page) = &mut self.page {
            if page.behind_by(WINDOW) {
                return;
            }
            let backlog = &mut self.backlog;
            let sent = if backlog.dropped > 0 {
                let overflow = Message::Overflow {
                    dropped: backlog.dropped,
                };
                let sent = page.send(&overflow, None);
                if sent.is_ok() {
                    backlog.dropped = 0;
                }
                sent
            } else if let Some(message) = backlog.messages.front() {
                let sent = page.send(message, emit);
                if sent.is_ok() {
                    backlog.pop_front();
                }
                sent
            } else {
                return;
            };
            if sent.is_err() {
                self.detach();
                return;
            }
        }
    }

    fn deliver(
        &mut self,
        message: Message,
        keep_alive: bool,
        bound: BacklogBound,
        emit: Option<&Emit>,
    ) -> bool {
        if let Some(page) = &mut self.page {
            if page.send(&message, emit).is_ok() {
                return true;
            }
            // The webview could not take it (page gone): keep it for the next attach.
            self.detach();
        }
        if keep_alive {
            self.backlog.keep(message, &self.lifecycle, bound);
        }
        keep_alive
    }
}

/// Messages that change the connection's readyState: `open`, `error`, `closed`.
pub(crate) fn is_lifecycle(message: &Message) -> bool {
    matches!(
        message,
        Message::Open { .. } | Message::Error { .. } | Message::Closed
    )
}

/// A connection's handle on its [`Outlet`].
pub(crate) struct OutletSink {
    pub(crate) outlet: Arc<Outlet>,
    /// With a page headers function (`refreshHeaders`): how long to wait for its answer.
    pub(crate) headers_timeout: Option<Duration>,
}

impl Sink for OutletSink {
    async fn send(&mut self, message: Message) -> bool {
        self.outlet.send(message).await
    }

    async fn ready(&mut self) {
        self.outlet.caught_up().await
    }

    fn batch_bytes(&self) -> usize {
        self.outlet.batch_bytes()
    }

    async fn refresh_headers(&mut self) -> Option<HeadersAnswer> {
        let timeout = self.headers_timeout?;
        let answer = self.outlet.ask_headers().await?;
        // No answer in time (a busy or broken page): reconnect with the headers we have.
        tokio::time::timeout(timeout, answer).await.ok()?.ok()
    }
}

impl Backlog {
    /// Nothing to replay, no loss to report.
    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.dropped == 0
    }

    /// Keeps `message`; `lifecycle` is the state before it. Then drops the oldest events (a
    /// batch loses its oldest events first) until both bounds hold: a message larger than the
    /// byte bound is not kept at all. Dropped events are counted for `overflow`; a dropped
    /// lifecycle message becomes the state the kept ones start from.
    fn keep(&mut self, mut message: Message, lifecycle: &Option<Message>, bound: BacklogBound) {
        if self.messages.is_empty() {
            self.start = lifecycle.clone();
        }
        if let Message::Events { events } = &mut message {
            // Kept events hold only their own bytes: not the spare half of a `String` the parser
            // grew by doubling, nor the rest of a network chunk their data is a slice of.
            events.iter_mut().for_each(|e| e.data.compact());
        }
        self.bytes += size(&message);
        self.events += events(&message);
        self.messages.push_back(message);
        while self.bytes > bound.bytes || self.events > bound.events {
            let Some(front) = self.messages.front_mut() else {
                break;
            };
            if let Message::Events { events } = front {
                // Just enough of the oldest events of a batch, keeping at least its last one
                // (a batch of one goes as a whole below).
                let (mut bytes, mut count, mut n) = (self.bytes, self.events, 0);
                while n + 1 < events.len() && (bytes > bound.bytes || count > bound.events) {
                    bytes -= event_size(&events[n]);
                    count -= 1;
                    n += 1;
                }
                if n > 0 {
                    events.drain(..n);
                    (self.bytes, self.events) = (bytes, count);
                    self.dropped += n as u64;
                    continue;
                }
            }
            let front = self.pop_front().expect("front exists");
            self.dropped += events(&front) as u64;
        }
    }

    /// Removes the oldest message (replayed or dropped); a lifecycle message becomes the state
    /// the rest starts from.
    fn pop_front(&mut self) -> Option<Message> {
        let front = self.messages.pop_front()?;
        self.bytes -= size(&front);
        self.events -= events(&front);
        if is_lifecycle(&front) {
            self.start = Some(front.clone());
        }
        Some(front)
    }
}

fn events(message: &Message) -> usize {
    match message {
        Message::Events { events } => events.len(),
        _ => 0,
    }
}

/// Approximate bytes a kept message holds: its own size plus what its strings allocated.
fn size(message: &Message) -> usize {
    let strings = |strings: &mut dyn Iterator<Item = &String>| -> usize {
        strings.map(|s| size_of::<String>() + s.capacity()).sum()
    };
    size_of::<Message>()
        + match message {
            Message::Events { events } => events.iter().map(event_size).sum(),
            Message::Open { url, headers, .. } => {
                url.capacity() + strings(&mut headers.iter().flat_map(|(k, v)| [k, v]))
            }
            Message::Error { error, .. } => error.to_string().len(),
            _ => 0,
        }
}

fn event_size(event: &Event) -> usize {
    size_of::<Event>()
        + event.data.len()
        + event.event.as_ref().map_or(0, String::capacity)
        + event.id.as_ref().map_or(0, String::capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{self, Pipe};

    fn events(data: &[&str]) -> Message {
        Message::Events {
            events: data
                .iter()
                .map(|d| Event {
                    event: None,
                    data: (*d).into(),
                    id: None,
                })
                .collect(),
        }
    }

    const BOUND: BacklogBound = BacklogBound {
        bytes: usize::MAX,
        events: 10,
    };

    /// A page: a pipe counting the messages it receives, which reports nothing on its own.
    struct PageStub {
        pipe: Arc<Pipe>,
        received: Arc<Mutex<u64>>,
    }

    fn page() -> PageStub {
        let received = Arc::new(Mutex::new(0));
        let counter = received.clone();
        let count = move |batch: Vec<(u32, serde_json::Value)>| {
            *counter.lock().unwrap() += batch.len() as u64;
            Ok(())
        };
        PageStub {
            pipe: pipe::recording(count, pipe::idle_main_thread()),
            received,
        }
    }

    impl PageStub {
        fn reader(&self) -> Reader {
            Reader::Webview(Lane {
                pipe: self.pipe.clone(),
                lane: 1,
            })
        }

        fn received(&self) -> u64 {
            *self.received.lock().unwrap()
        }

        /// Reports every channel message received and acks `count` messages of `outlet`.
        fn ack(&self, outlet: &Outlet, count: u64) {
            self.pipe.received(u64::MAX);
            outlet.ack(count);
        }
    }

    /// Sends one message from a task, as the connection loop does.
    fn spawn_send(outlet: &Arc<Outlet>, data: &str) -> tokio::task::JoinHandle<bool> {
        let mut sink = OutletSink {
            outlet: outlet.clone(),
            headers_timeout: None,
        };
        let message = events(&[data]);
        tokio::spawn(async move { sink.send(message).await })
    }

    /// Whether `task` is still pending after the runtime had time to run it.
    async fn still_waiting(task: &tokio::task::JoinHandle<bool>) -> bool {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        !task.is_finished()
    }

    #[tokio::test]
    async fn a_full_window_waits_for_acks_and_a_detach_wakes_it() {
        let first = page();
        let outlet = Outlet::new(first.reader(), true, BOUND, None);
        for n in 0..WINDOW {
            assert!(spawn_send(&outlet, &n.to_string()).await.unwrap());
        }
        let next = spawn_send(&outlet, "next");
        assert!(still_waiting(&next).await);
        assert_eq!(first.received(), WINDOW);

        first.ack(&outlet, 1);
        assert!(next.await.unwrap());
        assert_eq!(first.received(), WINDOW + 1);

        // The page reloads while the connection waits for it: the message goes to the backlog.
        let buffered = spawn_send(&outlet, "buffered");
        assert!(still_waiting(&buffered).await);
        outlet.detach();
        assert!(buffered.await.unwrap());
        assert_eq!(first.received(), WINDOW + 1);

        // A new page starts a fresh window, counting the replayed message.
        let second = page();
        assert!(outlet.attach(second.reader()).is_none());
        assert_eq!(second.received(), 1);
        for n in 1..WINDOW {
            assert!(spawn_send(&outlet, &n.to_string()).await.unwrap());
        }
        assert!(still_waiting(&spawn_send(&outlet, "full")).await);
    }

    #[tokio::test]
    async fn batches_shrink_as_a_page_holds_more_unacknowledged_bytes() {
        let page = page();
        let outlet = Outlet::new(page.reader(), false, BOUND, None);
        assert_eq!(outlet.batch_bytes(), MAX_BATCH_BYTES, "nothing held");
        let mib = "x".repeat(1024 * 1024);
        let held = WINDOW_BYTES / mib.len() - 1;
        for _ in 0..held {
            assert!(spawn_send(&outlet, &mib).await.unwrap());
        }
        let left = outlet.batch_bytes();
        assert!(
            left > 0 && left < MAX_BATCH_BYTES,
            "what is left of the window: {left}"
        );
        assert!(spawn_send(&outlet, &mib).await.unwrap());
        assert_eq!(outlet.batch_bytes(), 0, "single reads only");
        page.ack(&outlet, 2);
        assert_eq!(outlet.batch_bytes(), MAX_BATCH_BYTES, "acks free it");
        page.ack(&outlet, u64::MAX);
        assert_eq!(
            outlet.batch_bytes(),
            MAX_BATCH_BYTES,
            "more acks than messages"
        );
    }

    #[tokio::test]
    async fn a_replay_goes_through_the_window_and_live_messages_wait_behind_it() {
        let bound = BacklogBound {
            bytes: usize::MAX,
            events: 1000,
        };
        let outlet = Outlet::new(page().reader(), true, bound, None);
        outlet.detach();
        for n in 0..WINDOW + 10 {
            assert!(spawn_send(&outlet, &n.to_string()).await.unwrap());
        }
        let next = page();
        outlet.attach(next.reader());
        assert_eq!(next.received(), WINDOW, "one window of the backlog");
        let live = spawn_send(&outlet, "live");
        assert!(
            still_waiting(&live).await,
            "a live message overtook the replay"
        );
        next.ack(&outlet, WINDOW);
        assert_eq!(next.received(), WINDOW + 10);
        assert!(live.await.unwrap());
        assert_eq!(next.received(), WINDOW + 11);
        assert!(outlet.is_done());
    }

    #[test]
    fn backlog_drops_oldest_events_and_counts_them() {
        let mut backlog = Backlog::default();
        let bound = BacklogBound {
            bytes: usize::MAX,
            events: 4,
        };
        backlog.keep(Message::Retry { delay: 1 }, &None, bound);
        backlog.keep(events(&["1", "2"]), &None, bound);
        backlog.keep(events(&["3", "4", "5"]), &None, bound);
        // oldest first: the `retry` before them goes too
        assert_eq!(backlog.dropped, 1);
        assert_eq!(
            Vec::from(backlog.messages),
            vec![events(&["2"]), events(&["3", "4", "5"])]
        );
    }

    #[test]
    fn the_byte_bound_keeps_the_newest_events_that_fit_and_refuses_a_larger_one() {
        let big = "x".repeat(1000);
        let one = size(&events(&[&big]));
        let bound = BacklogBound {
            bytes: 3 * one,
            events: usize::MAX,
        };
        let mut backlog = Backlog::default();
        for _ in 0..10 {
            backlog.keep(events(&[&big, &big]), &None, bound);
        }
        assert!(
            backlog.bytes <= bound.bytes,
            "{} > {}",
            backlog.bytes,
            bound.bytes
        );
        // the last batch and the newest event of the one before
        assert_eq!((backlog.events, backlog.dropped), (3, 17));
        backlog.keep(events(&[&"y".repeat(5000)]), &None, bound);
        assert_eq!((backlog.events, backlog.bytes, backlog.dropped), (0, 0, 21));
    }

    #[test]
    fn a_state_change_pushed_out_of_the_backlog_becomes_its_starting_state() {
        let open = |url: &str| Message::Open {
            status: 200,
            url: url.into(),
            headers: Default::default(),
        };
        let bound = BacklogBound {
            bytes: usize::MAX,
            events: 2,
        };
        let mut backlog = Backlog::default();
        backlog.keep(
            Message::Error {
                error: crate::Error::IdleTimeout(5),
                reconnect_in: Some(10),
            },
            &Some(open("http://a/")),
            bound,
        );
        backlog.keep(open("http://b/"), &None, bound);
        backlog.keep(events(&["1", "2", "3"]), &None, bound);
        assert_eq!(backlog.start, Some(open("http://b/")));
        assert_eq!(Vec::from(backlog.messages), vec![events(&["2", "3"])]);
        assert_eq!(backlog.dropped, 1);
    }
}
