//! Where a connection's messages go. One loop ([`crate::connection::run`]) feeds every kind of
//! reader: a webview `Channel` that can detach into a bounded buffer across page reloads
//! ([`Outlet`]), a Rust stream ([`StreamSink`]), and optionally Tauri events ([`Broadcast`]).
//!
//! Every reader bounds memory by pausing the connection instead of queueing: while paused the
//! loop reads nothing, so TCP flow control holds the server back and no event is lost. Only a
//! detached outlet, which no page may ever drain, drops events (oldest first, reported).

use std::{
    collections::VecDeque,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use tauri::{ipc::Channel, AppHandle, Emitter, Runtime};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::connection::{HeadersAnswer, Message};

pub(crate) trait Sink: Send + 'static {
    /// Delivers one message; `false` when no one will ever read again (the loop then stops).
    fn send(&mut self, message: Message) -> impl Future<Output = bool> + Send;

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
}

/// Also emits every message as the Tauri event `eventsource://{name}` to all webviews.
pub(crate) struct Broadcast<R: Runtime, S> {
    pub(crate) app: AppHandle<R>,
    pub(crate) event: String,
    pub(crate) inner: S,
}

impl<R: Runtime, S: Sink + Sync> Sink for Broadcast<R, S> {
    async fn send(&mut self, message: Message) -> bool {
        // A failed emit concerns listeners only; the connection's own reader decides.
        let _ = self.app.emit(&self.event, &message);
        self.inner.send(message).await
    }

    // Not broadcast: only the page that owns the headers function can answer.
    async fn refresh_headers(&mut self) -> Option<HeadersAnswer> {
        self.inner.refresh_headers().await
    }
}

/// Messages an attached page may have received and not yet acknowledged (`ack` command) before
/// the connection waits for it. `Channel::send` has no backpressure of its own: without this
/// window a page slower than the stream queues messages in the webview without bound.
pub(crate) const WINDOW: u64 = 64;

/// Webview readers. Attached, messages go to the page's `Channel`, at most [`WINDOW`] ahead of
/// the page's acks; detached (the page is reloading, or the channel failed), a kept-alive
/// connection buffers them for `attach`.
pub(crate) struct Outlet {
    keep_alive: bool,
    inner: Mutex<Inner>,
    /// Signalled when the connection may send again: an ack, a detach, an attach.
    credit: Notify,
}

struct Inner {
    target: Target,
    /// The last lifecycle message sent or buffered (see [`is_lifecycle`]): what a page that
    /// attaches now must hear first, since the original went to an earlier page.
    state: Option<Message>,
    /// The connection waits for the page's answer to `headers`; dropped when the page goes, which
    /// ends the wait.
    headers_wanted: Option<oneshot::Sender<HeadersAnswer>>,
}

enum Target {
    Attached(Page),
    Detached(Backlog),
}

/// An attached page's channel and how many of its messages it has not acknowledged.
struct Page {
    channel: Channel<Message>,
    unacked: u64,
}

impl Page {
    fn new(channel: Channel<Message>) -> Self {
        Self {
            channel,
            unacked: 0,
        }
    }

    fn send(&mut self, message: Message) -> tauri::Result<()> {
        self.channel.send(message)?;
        self.unacked += 1;
        Ok(())
    }
}

/// Messages kept while detached, bounded by a number of events (other messages count as one);
/// the oldest events go first.
struct Backlog {
    /// The lifecycle state in force before the first kept message: replayed ahead of them.
    state: Option<Message>,
    messages: VecDeque<Message>,
    size: usize,
    capacity: usize,
    dropped: u64,
}

impl Outlet {
    pub(crate) fn new(channel: Channel<Message>, keep_alive: bool) -> Arc<Self> {
        Arc::new(Self {
            keep_alive,
            inner: Mutex::new(Inner {
                target: Target::Attached(Page::new(channel)),
                state: None,
                headers_wanted: None,
            }),
            credit: Notify::new(),
        })
    }

    pub(crate) fn is_attached(&self) -> bool {
        matches!(self.inner.lock().unwrap().target, Target::Attached(_))
    }

    /// The page went away: buffer from now on (`capacity` events).
    pub(crate) fn detach(&self, capacity: usize) {
        self.inner.lock().unwrap().detach(capacity);
        // A connection waiting for this page's acks would wait forever.
        self.credit.notify_one();
    }

    /// The attached page has processed `count` more messages.
    pub(crate) fn ack(&self, count: u64) {
        if let Target::Attached(page) = &mut self.inner.lock().unwrap().target {
            // Saturating: acks of a page replaced by `attach` may still arrive.
            page.unacked = page.unacked.saturating_sub(count);
        }
        self.credit.notify_one();
    }

    /// A page took the connection over: tell it the connection's state (`open`, or the pending
    /// reconnect's `error`; nothing while the first attempt is under way), replay the backlog,
    /// report losses, then go live. Holding the lock while replaying keeps live messages behind
    /// the replayed ones. The new page's window starts from the replayed messages, which it acks
    /// like live ones.
    pub(crate) fn attach(&self, channel: Channel<Message>) -> tauri::Result<()> {
        let result = self.inner.lock().unwrap().attach(Page::new(channel));
        self.credit.notify_one();
        result
    }

    /// Asks the attached page for fresh headers with a `headers` message (counted in its window
    /// like any other); `None` when no page is attached or the page could not take it: a page
    /// that never heard the question cannot answer, and a reloading one must not be waited for.
    async fn ask_headers(&self) -> Option<oneshot::Receiver<HeadersAnswer>> {
        self.when_window_open(|inner| {
            let Target::Attached(page) = &mut inner.target else {
                return None;
            };
            page.send(Message::Headers).ok()?;
            let (wanted, answer) = oneshot::channel();
            inner.headers_wanted = Some(wanted);
            Some(answer)
        })
        .await
    }

    /// The page's answer to `headers` (`set_headers`); ignored when the connection no longer
    /// waits for one (it gave up after its wait, or never asked).
    pub(crate) fn answer_headers(&self, answer: HeadersAnswer) {
        if let Some(wanted) = self.inner.lock().unwrap().headers_wanted.take() {
            let _ = wanted.send(answer);
        }
    }

    /// Delivers `message`, waiting while the attached page is a full window behind.
    async fn send(&self, message: Message, capacity: usize) -> bool {
        self.when_window_open(|inner| {
            // Recorded after the send: a backlog started by a failed send begins from the state
            // before this message, which it then holds.
            let state = (self.keep_alive && is_lifecycle(&message)).then(|| message.clone());
            let delivered = inner.deliver(message, capacity, self.keep_alive);
            if state.is_some() {
                inner.state = state;
            }
            delivered
        })
        .await
    }

    /// Runs `action` on the state once the attached page (if any) is less than a full window
    /// behind: the one place the connection waits for acks.
    async fn when_window_open<T>(&self, action: impl FnOnce(&mut Inner) -> T) -> T {
        loop {
            {
                let mut inner = self.inner.lock().unwrap();
                if !matches!(&inner.target, Target::Attached(page) if page.unacked >= WINDOW) {
                    return action(&mut inner);
                }
            }
            // `notify_one` keeps a permit when no one waits yet: an ack that lands between the
            // check and this wait is not missed.
            self.credit.notified().await;
        }
    }
}

impl Inner {
    fn detach(&mut self, capacity: usize) {
        self.headers_wanted = None;
        if matches!(self.target, Target::Attached(_)) {
            self.target = Target::Detached(Backlog::new(capacity, self.state.clone()));
        }
    }

    fn attach(&mut self, mut page: Page) -> tauri::Result<()> {
        // The new page never heard a pending `headers`.
        self.headers_wanted = None;
        match &mut self.target {
            Target::Attached(_) => {
                if let Some(state) = &self.state {
                    page.send(state.clone())?;
                }
            }
            Target::Detached(backlog) => {
                if let Some(state) = backlog.state.take() {
                    page.send(state)?;
                }
                for message in backlog.messages.drain(..) {
                    page.send(message)?;
                }
                if backlog.dropped > 0 {
                    page.send(Message::Overflow {
                        dropped: backlog.dropped,
                    })?;
                }
            }
        }
        self.target = Target::Attached(page);
        Ok(())
    }

    fn deliver(&mut self, message: Message, capacity: usize, keep_alive: bool) -> bool {
        if let Target::Attached(page) = &mut self.target {
            if !keep_alive {
                return page.send(message).is_ok();
            }
            match page.send(message.clone()) {
                Ok(()) => return true,
                // The webview could not take it (page gone): keep it for the next attach.
                Err(_) => self.detach(capacity),
            }
        }
        match &mut self.target {
            Target::Detached(backlog) if keep_alive => {
                backlog.push(message);
                true
            }
            _ => false,
        }
    }
}

/// Messages that change the connection's readyState: `open`, `error`, `closed`.
fn is_lifecycle(message: &Message) -> bool {
    matches!(
        message,
        Message::Open { .. } | Message::Error { .. } | Message::Closed
    )
}

/// A connection's handle on its [`Outlet`].
pub(crate) struct OutletSink {
    pub(crate) outlet: Arc<Outlet>,
    pub(crate) capacity: usize,
    /// With a page headers function (`refreshHeaders`): how long to wait for its answer.
    pub(crate) headers_timeout: Option<Duration>,
}

impl Sink for OutletSink {
    async fn send(&mut self, message: Message) -> bool {
        self.outlet.send(message, self.capacity).await
    }

    async fn refresh_headers(&mut self) -> Option<HeadersAnswer> {
        let timeout = self.headers_timeout?;
        let answer = self.outlet.ask_headers().await?;
        // No answer in time (a busy or broken page): reconnect with the headers we have.
        tokio::time::timeout(timeout, answer).await.ok()?.ok()
    }
}

impl Backlog {
    fn new(capacity: usize, state: Option<Message>) -> Self {
        Self {
            state,
            messages: VecDeque::new(),
            size: 0,
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    fn push(&mut self, message: Message) {
        self.size += weight(&message);
        self.messages.push_back(message);
        while self.size > self.capacity {
            let Some(front) = self.messages.front_mut() else {
                break;
            };
            let excess = self.size - self.capacity;
            match front {
                Message::Events { events } if events.len() > excess => {
                    events.drain(..excess);
                    self.size -= excess;
                    self.dropped += excess as u64;
                }
                _ => {
                    let front = self.messages.pop_front().expect("front exists");
                    self.size -= weight(&front);
                    match front {
                        Message::Events { events } => self.dropped += events.len() as u64,
                        // the state after it is what the kept messages start from
                        front if is_lifecycle(&front) => self.state = Some(front),
                        _ => {}
                    }
                }
            }
        }
    }
}

fn weight(message: &Message) -> usize {
    match message {
        Message::Events { events } => events.len(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Event;

    fn events(data: &[&str]) -> Message {
        Message::Events {
            events: data
                .iter()
                .map(|d| Event {
                    event: None,
                    data: d.to_string(),
                    id: None,
                })
                .collect(),
        }
    }

    /// A page's channel counting the messages it receives; it never acks on its own.
    fn page() -> (Channel<Message>, Arc<Mutex<u64>>) {
        let received = Arc::new(Mutex::new(0));
        let counter = received.clone();
        let channel = Channel::new(move |_| {
            *counter.lock().unwrap() += 1;
            Ok(())
        });
        (channel, received)
    }

    /// Sends one message from a task, as the connection loop does.
    fn spawn_send(outlet: &Arc<Outlet>, data: &str) -> tokio::task::JoinHandle<bool> {
        let mut sink = OutletSink {
            outlet: outlet.clone(),
            capacity: 10,
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
        let (channel, received) = page();
        let outlet = Outlet::new(channel, true);
        for n in 0..WINDOW {
            assert!(spawn_send(&outlet, &n.to_string()).await.unwrap());
        }
        let next = spawn_send(&outlet, "next");
        assert!(still_waiting(&next).await);
        assert_eq!(*received.lock().unwrap(), WINDOW);

        outlet.ack(1);
        assert!(next.await.unwrap());
        assert_eq!(*received.lock().unwrap(), WINDOW + 1);

        // The page reloads while the connection waits for it: the message goes to the backlog.
        let buffered = spawn_send(&outlet, "buffered");
        assert!(still_waiting(&buffered).await);
        outlet.detach(10);
        assert!(buffered.await.unwrap());
        assert_eq!(*received.lock().unwrap(), WINDOW + 1);

        // A new page starts a fresh window, counting the replayed message.
        let (channel, replayed) = page();
        outlet.attach(channel).unwrap();
        assert_eq!(*replayed.lock().unwrap(), 1);
        for n in 1..WINDOW {
            assert!(spawn_send(&outlet, &n.to_string()).await.unwrap());
        }
        assert!(still_waiting(&spawn_send(&outlet, "full")).await);
    }

    #[test]
    fn backlog_drops_oldest_messages_and_counts_lost_events() {
        let mut backlog = Backlog::new(4, None);
        backlog.push(Message::Retry { delay: 1 });
        backlog.push(events(&["1", "2"]));
        backlog.push(events(&["3", "4", "5"]));
        assert_eq!(backlog.dropped, 1);
        assert_eq!(
            Vec::from(backlog.messages),
            vec![events(&["2"]), events(&["3", "4", "5"])]
        );
    }

    #[test]
    fn a_state_change_pushed_out_of_the_backlog_becomes_its_starting_state() {
        let open = |url: &str| Message::Open {
            status: 200,
            url: url.into(),
            headers: Default::default(),
        };
        let mut backlog = Backlog::new(2, Some(open("http://a/")));
        backlog.push(Message::Error {
            error: crate::Error::IdleTimeout(5),
            reconnect_in: Some(10),
        });
        backlog.push(open("http://b/"));
        backlog.push(events(&["1", "2"]));
        assert_eq!(backlog.state, Some(open("http://b/")));
        assert_eq!(Vec::from(backlog.messages), vec![events(&["1", "2"])]);
        assert_eq!(backlog.dropped, 0);
    }

    #[test]
    fn a_batch_larger_than_the_backlog_keeps_its_newest_events() {
        let mut backlog = Backlog::new(2, None);
        backlog.push(events(&["1", "2", "3", "4"]));
        backlog.push(Message::Closed);
        assert_eq!(backlog.dropped, 3);
        assert_eq!(
            Vec::from(backlog.messages),
            vec![events(&["4"]), Message::Closed]
        );
    }
}
