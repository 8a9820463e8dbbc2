//! Shared connections: one upstream connection read by many subscribers (the page that opened
//! it with `shared`, pages of any window that `join` it, Rust streams from [`crate::Sse::join`]).
//!
//! Each subscriber is an [`Outlet`] with its own window and its own bounded backlog, fed with
//! [`Outlet::offer`], which never waits: a slow subscriber falls behind into its backlog (the
//! oldest events dropped past the bound, then `overflow`) while the others keep the stream's
//! pace. The connection ends when its last subscriber leaves.
//!
//! A page that joins is fenced by its own scope: the URL asked for and every URL the connection
//! streams from, after redirects, must be in it. A reconnect that a redirect takes out of a
//! joiner's scope ends that joiner (its `scope` error, then `closed`); the others go on.

use std::sync::{Arc, Mutex};

use tauri::async_runtime::JoinHandle;

use crate::{
    connection::{HeadersAnswer, Message},
    error::{Error, Result},
    registry::{Registry, Served},
    scope::Scope,
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

struct Subscriber {
    key: Subscription,
    outlet: Arc<Outlet>,
    /// A joining page's scope. The opener's own loop checks its scope at every hop, and Rust
    /// streams are the app's.
    scope: Option<Scope>,
}

#[derive(Default)]
struct SharedState {
    subscribers: Vec<Subscriber>,
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
    /// misses nothing between the two, and no `open` slips between its scope check and its
    /// subscription. `not-found` once the connection has ended; `scope` when `scope` does not
    /// allow the URL asked for or the one of the last `open`.
    pub(crate) fn join(&self, outlet: Arc<Outlet>, scope: Option<Scope>) -> Result<Subscription> {
        let mut state = self.state.lock().unwrap();
        if state.ended {
            return Err(Error::NotFound(self.name.clone()));
        }
        if let Some(scope) = &scope {
            check(scope, &self.url)?;
            if let Some(Message::Open { url, .. }) = &state.lifecycle {
                check(scope, url)?;
            }
        }
        if let Some(lifecycle) = &state.lifecycle {
            outlet.offer(lifecycle);
        }
        state.next += 1;
        let key = state.next;
        state.subscribers.push(Subscriber { key, outlet, scope });
        Ok(key)
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.state.lock().unwrap().ended
    }

    /// Removes a subscriber; the last one to leave stops the connection.
    pub(crate) fn leave(&self, key: Subscription) {
        let task = {
            let mut state = self.state.lock().unwrap();
            state.subscribers.retain(|s| s.key != key);
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
        subscribers.into_iter().map(|s| s.outlet).collect()
    }

    /// Records the connection's task; aborts it if every subscriber left already.
    pub(crate) fn set_task(&self, task: JoinHandle<()>) {
        let mut state = self.state.lock().unwrap();
        match state.subscribers.is_empty() {
            true => task.abort(),
            false => state.task = Some(task),
        }
    }

    /// Gives `message` to every subscriber whose scope allows where it comes from; the others
    /// are told and leave. Whether any subscriber is left, and the keys of those that left.
    fn send(&self, message: Message) -> (bool, Vec<Subscription>) {
        let mut state = self.state.lock().unwrap();
        let mut fenced = Vec::new();
        if let Message::Open { url, .. } = &message {
            state.subscribers.retain(|s| {
                let Some(Err(error)) = s.scope.as_ref().map(|scope| check(scope, url)) else {
                    return true;
                };
                s.outlet.offer(&Message::Error {
                    error,
                    reconnect_in: None,
                });
                s.outlet.offer(&Message::Closed);
                fenced.push(s.key);
                false
            });
            // Left by everyone, as in `leave`: nobody may join it any more.
            state.ended |= state.subscribers.is_empty();
        }
        for subscriber in &state.subscribers {
            subscriber.outlet.offer(&message);
        }
        if is_lifecycle(&message) {
            state.ended |= matches!(message, Message::Closed);
            state.lifecycle = Some(message);
        }
        (!state.subscribers.is_empty(), fenced)
    }
}

/// Whether `scope` allows `url`, a URL the connection was asked for or streamed from.
fn check(scope: &Scope, url: &str) -> Result<()> {
    scope.check(&url::Url::parse(url).expect("a connection's URL"))
}

/// A shared connection's sink: every message to every subscriber. Fresh headers come from the
/// page that opened it (its headers function), while it is subscribed.
pub(crate) struct SharedSink {
    pub(crate) shared: Arc<Shared>,
    pub(crate) opener: OutletSink,
    /// Where a fenced joiner's registration ends, freeing its slot.
    pub(crate) registry: Arc<Registry>,
}

impl Sink for SharedSink {
    async fn send(&mut self, message: Message) -> bool {
        let (subscribed, fenced) = self.shared.send(message);
        for key in fenced {
            self.registry
                .finished(&Served::Subscription(self.shared.clone(), key));
        }
        subscribed
    }

    async fn refresh_headers(&mut self) -> Option<HeadersAnswer> {
        // Bounded as a whole: the opener may be a full window behind, and the others must not
        // wait for it.
        let timeout = self.opener.headers_timeout?;
        let answer = tokio::time::timeout(timeout, self.opener.refresh_headers());
        answer.await.ok().flatten()
    }
}
