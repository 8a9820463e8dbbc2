//! Where a connection's messages go. One loop ([`crate::connection::run`]) feeds every kind of
//! reader: a webview `Channel` that can detach into a bounded buffer across page reloads
//! ([`Outlet`]), a Rust stream ([`StreamSink`]), and optionally Tauri events ([`Broadcast`]).

use std::{
    collections::VecDeque,
    future::Future,
    sync::{Arc, Mutex},
};

use tauri::{ipc::Channel, AppHandle, Emitter, Runtime};
use tokio::sync::mpsc;

use crate::connection::Message;

pub(crate) trait Sink: Send + 'static {
    /// Delivers one message; `false` when no one will ever read again (the loop then stops).
    fn send(&mut self, message: Message) -> impl Future<Output = bool> + Send;
}

/// Rust callers: a bounded queue, so a slow consumer slows the reads down instead of
/// growing memory.
pub(crate) struct StreamSink(pub(crate) mpsc::Sender<Message>);

impl Sink for StreamSink {
    async fn send(&mut self, message: Message) -> bool {
        self.0.send(message).await.is_ok()
    }
}

/// Also emits every message as the Tauri event `sse://{name}` to all webviews.
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
}

/// Webview readers. Attached, messages go to the page's `Channel`; detached (the page is
/// reloading, or the channel failed), a kept-alive connection buffers them for `attach`.
pub(crate) struct Outlet {
    keep_alive: bool,
    inner: Mutex<Inner>,
}

struct Inner {
    target: Target,
    /// The last lifecycle message sent or buffered (see [`is_lifecycle`]): what a page that
    /// attaches now must hear first, since the original went to an earlier page.
    state: Option<Message>,
}

enum Target {
    Attached(Channel<Message>),
    Detached(Backlog),
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
                target: Target::Attached(channel),
                state: None,
            }),
        })
    }

    pub(crate) fn is_attached(&self) -> bool {
        matches!(self.inner.lock().unwrap().target, Target::Attached(_))
    }

    /// The page went away: buffer from now on (`capacity` events).
    pub(crate) fn detach(&self, capacity: usize) {
        self.inner.lock().unwrap().detach(capacity);
    }

    /// A page took the connection over: tell it the connection's state (`open`, or the pending
    /// reconnect's `error`; nothing while the first attempt is under way), replay the backlog,
    /// report losses, then go live. Holding the lock while replaying keeps live messages behind
    /// the replayed ones.
    pub(crate) fn attach(&self, channel: Channel<Message>) -> tauri::Result<()> {
        let mut inner = self.inner.lock().unwrap();
        let inner = &mut *inner;
        match &mut inner.target {
            Target::Attached(_) => {
                if let Some(state) = &inner.state {
                    channel.send(state.clone())?;
                }
            }
            Target::Detached(backlog) => {
                if let Some(state) = backlog.state.take() {
                    channel.send(state)?;
                }
                for message in backlog.messages.drain(..) {
                    channel.send(message)?;
                }
                if backlog.dropped > 0 {
                    channel.send(Message::Overflow {
                        dropped: backlog.dropped,
                    })?;
                }
            }
        }
        inner.target = Target::Attached(channel);
        Ok(())
    }

    fn deliver(&self, message: Message, capacity: usize) -> bool {
        let mut inner = self.inner.lock().unwrap();
        // Recorded after the send: a backlog started by a failed send begins from the state
        // before this message, which it then holds.
        let state = (self.keep_alive && is_lifecycle(&message)).then(|| message.clone());
        let delivered = inner.deliver(message, capacity, self.keep_alive);
        if state.is_some() {
            inner.state = state;
        }
        delivered
    }
}

impl Inner {
    fn detach(&mut self, capacity: usize) {
        if matches!(self.target, Target::Attached(_)) {
            self.target = Target::Detached(Backlog::new(capacity, self.state.clone()));
        }
    }

    fn deliver(&mut self, message: Message, capacity: usize, keep_alive: bool) -> bool {
        if let Target::Attached(channel) = &self.target {
            if !keep_alive {
                return channel.send(message).is_ok();
            }
            match channel.send(message.clone()) {
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
}

impl Sink for OutletSink {
    async fn send(&mut self, message: Message) -> bool {
        self.outlet.deliver(message, self.capacity)
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
