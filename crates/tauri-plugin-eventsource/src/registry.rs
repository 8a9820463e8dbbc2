//! The webviews' connections: who owns which, the per-webview limit, and what happens to them
//! when their page reloads or their window is destroyed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde::Serialize;
use tauri::{async_runtime::JoinHandle, ipc::Channel};

use crate::{
    connection::{HeadersAnswer, Message},
    error::{Error, Result},
    sink::Outlet,
};

/// The webview that opened a connection (and its window, which outlives reloads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) webview: String,
    pub(crate) window: String,
}

/// What `list` tells a webview about one of its connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub id: u32,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub keep_alive: bool,
    pub attached: bool,
}

struct Entry {
    owner: Owner,
    name: Option<String>,
    keep_alive: bool,
    url: String,
    outlet: Arc<Outlet>,
    task: Option<JoinHandle<()>>,
    /// The loop ended while detached: kept only so `attach` can replay its last messages.
    finished: bool,
}

impl Entry {
    fn stop(self) {
        if let Some(task) = self.task {
            // Aborting drops the response and with it the HTTP connection.
            task.abort();
        }
    }
}

/// A registered connection, before its task is spawned.
pub(crate) struct Registered {
    pub(crate) id: u32,
    pub(crate) outlet: Arc<Outlet>,
}

pub(crate) struct Registry {
    max_per_webview: usize,
    buffer_capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u32,
    entries: HashMap<u32, Entry>,
}

impl Inner {
    /// Connection `id` if `webview` owns it; another webview's is `not-found`, like a missing one.
    fn owned(&self, webview: &str, id: u32) -> Result<&Entry> {
        self.entries
            .get(&id)
            .filter(|entry| entry.owner.webview == webview)
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }
}

impl Registry {
    pub(crate) fn new(max_per_webview: usize, buffer_capacity: usize) -> Self {
        Self {
            max_per_webview,
            buffer_capacity,
            inner: Mutex::default(),
        }
    }

    pub(crate) fn buffer_capacity(&self) -> usize {
        self.buffer_capacity
    }

    /// Registers a new connection. A connection of the same owner with the same name is
    /// replaced (closed), so a page that reconnects instead of attaching leaks nothing.
    pub(crate) fn register(
        &self,
        owner: Owner,
        name: Option<String>,
        keep_alive: bool,
        url: String,
        channel: Channel<Message>,
    ) -> Result<Registered> {
        let mut inner = self.inner.lock().unwrap();
        if let Some(name) = &name {
            let same_name = inner
                .entries
                .iter()
                .find(|(_, e)| e.owner.webview == owner.webview && e.name.as_ref() == Some(name))
                .map(|(id, _)| *id);
            if let Some(entry) = same_name.and_then(|id| inner.entries.remove(&id)) {
                entry.stop();
            }
        }
        let owned = inner
            .entries
            .values()
            .filter(|e| e.owner.webview == owner.webview)
            .count();
        if owned >= self.max_per_webview {
            return Err(Error::Limit(self.max_per_webview));
        }
        inner.next_id = inner.next_id.wrapping_add(1);
        let id = inner.next_id;
        let outlet = Outlet::new(channel, keep_alive);
        inner.entries.insert(
            id,
            Entry {
                owner,
                name,
                keep_alive,
                url,
                outlet: outlet.clone(),
                task: None,
                finished: false,
            },
        );
        Ok(Registered { id, outlet })
    }

    /// Records the task of connection `id`; aborts it if the connection is already gone.
    pub(crate) fn set_task(&self, id: u32, task: JoinHandle<()>) {
        match self.inner.lock().unwrap().entries.get_mut(&id) {
            Some(entry) if !entry.finished => entry.task = Some(task),
            Some(_) => {}
            None => task.abort(),
        }
    }

    /// The loop of `id` ended (its fatal error and `closed` were delivered or buffered).
    pub(crate) fn finished(&self, id: u32) {
        let mut inner = self.inner.lock().unwrap();
        let Some(entry) = inner.entries.get_mut(&id) else {
            return;
        };
        if entry.keep_alive && !entry.outlet.is_attached() {
            entry.finished = true;
            entry.task = None;
        } else {
            inner.entries.remove(&id);
        }
    }

    /// Closes a connection of `webview`. Another webview's connection is `not-found`: ids
    /// are not secrets, ownership is what protects them.
    pub(crate) fn close(&self, webview: &str, id: u32) -> Result<()> {
        let mut inner = self.inner.lock().unwrap();
        inner.owned(webview, id)?;
        inner.entries.remove(&id).expect("present").stop();
        Ok(())
    }

    /// The page of `webview` processed `count` more messages of connection `id`; like `close`,
    /// another webview's connection is `not-found`.
    pub(crate) fn ack(&self, webview: &str, id: u32, count: u64) -> Result<()> {
        self.with_outlet(webview, id, |outlet| outlet.ack(count))
    }

    /// The page of `webview` answered the `headers` question of connection `id`; like `close`,
    /// another webview's connection is `not-found`.
    pub(crate) fn set_headers(&self, webview: &str, id: u32, answer: HeadersAnswer) -> Result<()> {
        self.with_outlet(webview, id, |outlet| outlet.answer_headers(answer))
    }

    fn with_outlet(&self, webview: &str, id: u32, action: impl FnOnce(&Outlet)) -> Result<()> {
        let inner = self.inner.lock().unwrap();
        action(&inner.owned(webview, id)?.outlet);
        Ok(())
    }

    /// Gives the kept-alive connection `name` of `webview` a new channel, after replaying what
    /// arrived while it was detached.
    pub(crate) fn attach(
        &self,
        webview: &str,
        name: &str,
        channel: Channel<Message>,
    ) -> Result<u32> {
        let mut inner = self.inner.lock().unwrap();
        let (id, entry) = inner
            .entries
            .iter()
            .find(|(_, e)| {
                e.keep_alive && e.owner.webview == webview && e.name.as_deref() == Some(name)
            })
            .ok_or_else(|| Error::NotFound(name.to_string()))?;
        let id = *id;
        // A failure here means this page is gone too; the outlet stays usable for the next one.
        let _ = entry.outlet.attach(channel);
        if entry.finished {
            inner.entries.remove(&id);
        }
        Ok(id)
    }

    pub(crate) fn list(&self, webview: &str) -> Vec<ConnectionInfo> {
        let inner = self.inner.lock().unwrap();
        let mut list: Vec<ConnectionInfo> = inner
            .entries
            .iter()
            .filter(|(_, e)| e.owner.webview == webview)
            .map(|(id, e)| ConnectionInfo {
                id: *id,
                url: e.url.clone(),
                name: e.name.clone(),
                keep_alive: e.keep_alive,
                attached: e.outlet.is_attached(),
            })
            .collect();
        list.sort_by_key(|c| c.id);
        list
    }

    /// The page of `webview` is being replaced (reload or navigation): its channels are dead.
    /// Kept-alive connections buffer until a new page attaches; the others close.
    pub(crate) fn page_unloaded(&self, webview: &str) {
        self.remove_where(|e| e.owner.webview == webview && !e.keep_alive);
        let inner = self.inner.lock().unwrap();
        for entry in inner.entries.values() {
            if entry.owner.webview == webview {
                entry.outlet.detach(self.buffer_capacity);
            }
        }
    }

    /// The window is destroyed: every connection of its webviews closes, kept alive or not.
    pub(crate) fn window_destroyed(&self, window: &str) {
        self.remove_where(|e| e.owner.window == window);
    }

    fn remove_where(&self, matches: impl Fn(&Entry) -> bool) {
        let removed: Vec<Entry> = {
            let mut inner = self.inner.lock().unwrap();
            let ids: Vec<u32> = inner
                .entries
                .iter()
                .filter(|(_, e)| matches(e))
                .map(|(id, _)| *id)
                .collect();
            ids.iter()
                .filter_map(|id| inner.entries.remove(id))
                .collect()
        };
        removed.into_iter().for_each(Entry::stop);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::{json, Value};
    use tauri::ipc::{Channel, InvokeResponseBody};

    use super::*;
    use crate::{
        parser::Event,
        sink::{OutletSink, Sink},
    };

    type Received = Arc<Mutex<Vec<Value>>>;

    /// A channel recording what it is sent, like a page would.
    fn page() -> (Channel<Message>, Received) {
        let received = Received::default();
        let sink = received.clone();
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else {
                unreachable!("messages are JSON")
            };
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(&json).unwrap());
            Ok(())
        });
        (channel, received)
    }

    /// A channel whose webview is gone.
    fn dead_page() -> Channel<Message> {
        Channel::new(|_| Err(tauri::Error::WebviewNotFound))
    }

    fn owner(label: &str) -> Owner {
        Owner {
            webview: label.into(),
            window: label.into(),
        }
    }

    fn event(data: &str) -> Message {
        Message::Events {
            events: vec![Event {
                event: None,
                data: data.into(),
                id: None,
            }],
        }
    }

    fn send(registry: &Registry, registered: &Registered, message: Message) -> bool {
        let mut sink = OutletSink {
            outlet: registered.outlet.clone(),
            capacity: registry.buffer_capacity(),
            headers_timeout: None,
        };
        tauri::async_runtime::block_on(sink.send(message))
    }

    fn register(
        registry: &Registry,
        label: &str,
        name: Option<&str>,
        channel: Channel<Message>,
    ) -> Registered {
        let keep_alive = name.is_some();
        let name = name.map(String::from);
        registry
            .register(
                owner(label),
                name,
                keep_alive,
                "http://127.0.0.1/sse".into(),
                channel,
            )
            .unwrap()
    }

    #[test]
    fn a_reload_closes_plain_connections_and_buffers_kept_alive_ones() {
        let registry = Registry::new(16, 3);
        let plain = register(&registry, "main", None, page().0);
        let kept = register(&registry, "main", Some("feed"), page().0);
        registry.page_unloaded("main");

        let listed = registry.list("main");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].id, listed[0].attached), (kept.id, false));
        assert_eq!(
            registry.close("main", plain.id),
            Err(Error::NotFound(plain.id.to_string()))
        );

        for n in 1..=5 {
            assert!(send(&registry, &kept, event(&n.to_string())));
        }
        let (channel, received) = page();
        assert_eq!(registry.attach("main", "feed", channel), Ok(kept.id));
        assert!(send(&registry, &kept, event("6")));
        let data = |m: &Value| m["events"][0]["data"].clone();
        let received = received.lock().unwrap();
        let replayed: Vec<Value> = received[..3].iter().map(data).collect();
        assert_eq!(replayed, [json!("3"), json!("4"), json!("5")]);
        assert_eq!(received[3], json!({ "type": "overflow", "dropped": 2 }));
        assert_eq!(data(&received[4]), json!("6"));
        assert!(registry.list("main")[0].attached);
    }

    fn open() -> Message {
        Message::Open {
            status: 200,
            url: "http://127.0.0.1/sse".into(),
            headers: Default::default(),
        }
    }

    fn reconnecting(delay: u64) -> Message {
        Message::Error {
            error: Error::Network("the server ended the stream".into()),
            reconnect_in: Some(delay),
        }
    }

    #[test]
    fn attach_tells_the_connection_state_before_the_backlog() {
        let registry = Registry::new(16, 10);
        let kept = register(&registry, "main", Some("feed"), page().0);
        // Open when the page went away: the new page hears `open` first, then what it missed.
        send(&registry, &kept, open());
        send(&registry, &kept, event("1"));
        registry.page_unloaded("main");
        send(&registry, &kept, event("2"));
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        let types = |received: &Received| -> Vec<Value> {
            received
                .lock()
                .unwrap()
                .iter()
                .map(|m| m["type"].clone())
                .collect()
        };
        assert_eq!(types(&received), [json!("open"), json!("events")]);
        assert_eq!(received.lock().unwrap()[0]["url"], "http://127.0.0.1/sse");
        assert_eq!(received.lock().unwrap()[1]["events"][0]["data"], "2");

        // Mid-reconnect, not open: the pending `error` with its `reconnectIn` comes first.
        send(&registry, &kept, reconnecting(1500));
        registry.page_unloaded("main");
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(
            received.lock().unwrap()[..],
            [json!({ "type": "error", "reconnectIn": 1500,
                "error": { "kind": "network",
                "message": "network error: the server ended the stream" } })]
        );

        // A second attach of a page that is still attached hears the state too.
        send(&registry, &kept, open());
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(types(&received), [json!("open")]);
    }

    #[test]
    fn a_connection_attached_before_its_first_open_hears_nothing_first() {
        let registry = Registry::new(16, 10);
        let kept = register(&registry, "main", Some("feed"), page().0);
        registry.page_unloaded("main");
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert!(received.lock().unwrap().is_empty());
        send(&registry, &kept, open());
        assert_eq!(received.lock().unwrap()[0]["type"], "open");
    }

    #[test]
    fn a_failed_send_detaches_a_kept_alive_connection_without_losing_the_message() {
        let registry = Registry::new(16, 10);
        let kept = register(&registry, "main", Some("feed"), dead_page());
        assert!(send(&registry, &kept, event("lost?")));
        assert!(!registry.list("main")[0].attached);
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(received.lock().unwrap()[0]["events"][0]["data"], "lost?");

        // without keep-alive nobody could ever read again: the loop is told to stop
        let plain = register(&registry, "main", None, dead_page());
        assert!(!send(&registry, &plain, event("x")));
    }

    #[test]
    fn a_connection_that_ended_while_detached_is_replayed_then_forgotten() {
        let registry = Registry::new(16, 10);
        let kept = register(&registry, "main", Some("feed"), page().0);
        registry.page_unloaded("main");
        send(&registry, &kept, Message::Closed);
        registry.finished(kept.id);
        assert_eq!(registry.list("main").len(), 1);

        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(*received.lock().unwrap(), [json!({ "type": "closed" })]);
        assert!(registry.list("main").is_empty());
    }

    #[test]
    fn a_destroyed_window_closes_all_its_connections_kept_alive_or_not() {
        let registry = Registry::new(16, 10);
        register(&registry, "one", Some("feed"), page().0);
        register(&registry, "one", None, page().0);
        let other = register(&registry, "two", Some("feed"), page().0);
        registry.window_destroyed("one");
        assert!(registry.list("one").is_empty());
        assert_eq!(registry.list("two")[0].id, other.id);
    }

    #[test]
    fn a_name_in_use_is_replaced_and_limits_count_per_webview() {
        let registry = Registry::new(2, 10);
        let first = register(&registry, "main", Some("feed"), page().0);
        let second = register(&registry, "main", Some("feed"), page().0);
        assert_eq!(registry.list("main").len(), 1);
        assert_eq!(registry.list("main")[0].id, second.id);
        assert_ne!(first.id, second.id);
        register(&registry, "main", None, page().0);
        let third = registry.register(owner("main"), None, false, String::new(), page().0);
        assert_eq!(third.err(), Some(Error::Limit(2)));
        register(&registry, "other", None, page().0);
    }
}
