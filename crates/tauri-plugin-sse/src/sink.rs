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
    target: Mutex<Target>,
}

enum Target {
    Attached(Channel<Message>),
    Detached(Backlog),
}

/// Messages kept while detached, bounded by a number of events (other messages count as one);
/// the oldest events go first.
struct Backlog {
    messages: VecDeque<Message>,
    size: usize,
    capacity: usize,
    dropped: u64,
}

impl Outlet {
    pub(crate) fn new(channel: Channel<Message>, keep_alive: bool) -> Arc<Self> {
        Arc::new(Self {
            keep_alive,
            target: Mutex::new(Target::Attached(channel)),
        })
    }

    pub(crate) fn is_attached(&self) -> bool {
        matches!(*self.target.lock().unwrap(), Target::Attached(_))
    }

    /// The page went away: buffer from now on (`capacity` events).
    pub(crate) fn detach(&self, capacity: usize) {
        let mut target = self.target.lock().unwrap();
        if matches!(*target, Target::Attached(_)) {
            *target = Target::Detached(Backlog::new(capacity));
        }
    }

    /// A page took the connection over: replay the backlog, report losses, then go live.
    /// Holding the lock while replaying keeps live messages behind the replayed ones.
    pub(crate) fn attach(&self, channel: Channel<Message>) -> tauri::Result<()> {
        let mut target = self.target.lock().unwrap();
        if let Target::Detached(backlog) = &mut *target {
            let dropped = backlog.dropped;
            for message in backlog.messages.drain(..) {
                channel.send(message)?;
            }
            if dropped > 0 {
                channel.send(Message::Overflow { dropped })?;
            }
        }
        *target = Target::Attached(channel);
        Ok(())
    }

    fn deliver(&self, message: Message, capacity: usize) -> bool {
        let mut target = self.target.lock().unwrap();
        if let Target::Attached(channel) = &*target {
            if !self.keep_alive {
                return channel.send(message).is_ok();
            }
            match channel.send(message.clone()) {
                Ok(()) => return true,
                // The webview could not take it (page gone): keep it for the next attach.
                Err(_) => *target = Target::Detached(Backlog::new(capacity)),
            }
        }
        match &mut *target {
            Target::Detached(backlog) if self.keep_alive => {
                backlog.push(message);
                true
            }
            _ => false,
        }
    }
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
    fn new(capacity: usize) -> Self {
        Self {
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
                    if let Message::Events { events } = front {
                        self.dropped += events.len() as u64;
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
        let mut backlog = Backlog::new(4);
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
    fn a_batch_larger_than_the_backlog_keeps_its_newest_events() {
        let mut backlog = Backlog::new(2);
        backlog.push(events(&["1", "2", "3", "4"]));
        backlog.push(Message::Closed);
        assert_eq!(backlog.dropped, 3);
        assert_eq!(
            Vec::from(backlog.messages),
            vec![events(&["4"]), Message::Closed]
        );
    }
}
