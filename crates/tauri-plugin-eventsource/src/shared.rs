//! Shared connections: one upstream connection read by many subscribers (the page that opened
//! it with `shared`, pages of any window that `join` it, Rust streams from [`crate::Sse::join`]).
//!
//! Each subscriber is an [`Outlet`] with its own window and its own bounded backlog, fed with
//! [`Outlet::offer`], which never waits: a slow subscriber falls behind into its backlog (the
//! oldest events dropped past the bound, then `overflow`) while the others keep the stream's
//! pace. The connection ends when its last subscriber leaves.

use std::sync::{Arc, Mutex};

use tauri::async_runtime::JoinHandle;

use crate::{
    connection::{HeadersAnswer, Message},
    sink::{is_lifecycle, Outlet, OutletSink, Sink},
};

/// One shared connection: its name (app-wide), URL, subscribers and task.
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) url: String,
    state: Mutex<SharedState>,
}

/// A subscriber's key in its [`Shared`].
pub(crate) type Subscription = u64;

#[derive(Default)]
struct SharedState {
    subscribers: Vec<(Subscription, Arc<Outlet>)>,
    next: Subscription,
    /// The last `open`, `error` or `closed`: what a joiner hears first.
    lifecycle: Option<Message>,
    task: Option<JoinHandle<()>>,
    /// Failed for good, stopped, or left by everyone: nobody may join it any more.
    ended: bool,
}

impl Shared {
    pub(crate) fn new(name: String, url: String) -> Arc<Self> {
        Arc::new(Self {
            name,
            url,
            state: Mutex::default(),
        })
    }

    /// Adds a subscriber; it first hears the connection's state (nothing while the first
    /// attempt is under way), then the live messages. Under the same lock as the fan-out, so it
    /// misses nothing between the two. `None` once the connection has ended.
    pub(crate) fn join(&self, outlet: Arc<Outlet>) -> Option<Subscription> {
        let mut state = self.state.lock().unwrap();
        if state.ended {
            return None;
        }
        if let Some(lifecycle) = &state.lifecycle {
            outlet.offer(lifecycle);
        }
        state.next += 1;
        let key = state.next;
        state.subscribers.push((key, outlet));
        Some(key)
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.state.lock().unwrap().ended
    }

    /// The URL of its last `open`, after redirects: what a joiner's scope must allow too.
    pub(crate) fn opened_at(&self) -> Option<String> {
        match &self.state.lock().unwrap().lifecycle {
            Some(Message::Open { url, .. }) => Some(url.clone()),
            _ => None,
        }
    }

    /// Removes a subscriber; the last one to leave stops the connection.
    pub(crate) fn leave(&self, key: Subscription) {
        let task = {
            let mut state = self.state.lock().unwrap();
            state.subscribers.retain(|(k, _)| *k != key);
            state.ended |= state.subscribers.is_empty();
            match state.ended {
                true => state.task.take(),
                false => None,
            }
        };
        if let Some(task) = task {
            // Aborting drops the response and with it the HTTP connection.
            task.abort();
        }
    }

    /// Ends the connection for every subscriber at once (`replaced`); returns them, for the
    /// caller to tell.
    pub(crate) fn stop(&self) -> Vec<Arc<Outlet>> {
        let (task, subscribers) = {
            let mut state = self.state.lock().unwrap();
            state.ended = true;
            let subscribers = std::mem::take(&mut state.subscribers);
            (state.task.take(), subscribers)
        };
        if let Some(task) = task {
            task.abort();
        }
        subscribers.into_iter().map(|(_, outlet)| outlet).collect()
    }

    /// Records the connection's task; aborts it if every subscriber left already.
    pub(crate) fn set_task(&self, task: JoinHandle<()>) {
        let mut state = self.state.lock().unwrap();
        match state.subscribers.is_empty() {
            true => task.abort(),
            false => state.task = Some(task),
        }
    }

    /// Gives `message` to every subscriber; `false` once none is left.
    fn send(&self, message: Message) -> bool {
        let mut state = self.state.lock().unwrap();
        for (_, outlet) in &state.subscribers {
            outlet.offer(&message);
        }
        if is_lifecycle(&message) {
            state.ended |= matches!(message, Message::Closed);
            state.lifecycle = Some(message);
        }
        !state.subscribers.is_empty()
    }
}

/// A shared connection's sink: every message to every subscriber. Fresh headers come from the
/// page that opened it (its headers function), while it is subscribed.
pub(crate) struct SharedSink {
    pub(crate) shared: Arc<Shared>,
    pub(crate) opener: OutletSink,
}

impl Sink for SharedSink {
    async fn send(&mut self, message: Message) -> bool {
        self.shared.send(message)
    }

    async fn refresh_headers(&mut self) -> Option<HeadersAnswer> {
        // Bounded as a whole: the opener may be a full window behind, and the others must not
        // wait for it.
        let timeout = self.opener.headers_timeout?;
        let answer = tokio::time::timeout(timeout, self.opener.refresh_headers());
        answer.await.ok().flatten()
    }
}
