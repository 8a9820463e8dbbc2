//! The webviews' connections and pipes: which webview owns which, the per-webview limit, and
//! their end: closed, replaced, finished, reloaded away from, expired (keep-alive TTL) or
//! orphaned (their webview is gone).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::Serialize;
use tauri::{
    async_runtime::JoinHandle,
    ipc::{Channel, InvokeResponseBody},
};

use crate::{
    connection::HeadersAnswer,
    error::{Error, Result},
    network::{NetworkSignal, NetworkSource},
    pipe::{Lane, MainThread, Pipe},
    shared::{Shared, Subscription},
    sink::{tell_replaced, Outlet, Reader},
};

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
    /// Approximate bytes of the messages kept for the next page (kept-alive, detached).
    pub buffered_bytes: usize,
    /// Events kept for the next page.
    pub buffered_events: usize,
    /// Events dropped since a page last heard an `overflow`.
    pub dropped: u64,
}

/// Whether the webview that opened a connection still exists.
pub(crate) type Alive = Arc<dyn Fn() -> bool + Send + Sync>;

/// A connection opened by a webview.
pub(crate) struct Registration {
    pub(crate) webview: String,
    alive: Alive,
    pub(crate) name: Option<String>,
    pub(crate) keep_alive: bool,
    pub(crate) url: String,
    pub(crate) outlet: Arc<Outlet>,
    /// What the page forwards of the network (`network` command) to this connection.
    network: NetworkSource,
    /// A subscriber of a shared connection (its opener or a joiner): the connection's task is
    /// the group's, stopped when its last subscriber leaves.
    shared: Option<(Arc<Shared>, Subscription)>,
    task: Option<JoinHandle<()>>,
    /// The loop ended and a page has not received everything yet: kept for `attach` only, it no
    /// longer counts toward the limit.
    finished: bool,
}

impl Registration {
    pub(crate) fn new(
        webview: String,
        alive: Alive,
        name: Option<String>,
        keep_alive: bool,
        url: String,
        outlet: Arc<Outlet>,
        network: NetworkSource,
    ) -> Self {
        Self {
            webview,
            alive,
            name,
            keep_alive,
            url,
            outlet,
            network,
            shared: None,
            task: None,
            finished: false,
        }
    }

    /// Subscribes it to `shared` (as `key`).
    pub(crate) fn subscribed(mut self, shared: Arc<Shared>, key: Subscription) -> Self {
        self.shared = Some((shared, key));
        self
    }

    fn in_group(&self, group: &Arc<Shared>) -> bool {
        self.subscription(group).is_some()
    }

    /// Its key in `group`, if it subscribes to it.
    fn subscription(&self, group: &Arc<Shared>) -> Option<Subscription> {
        let (shared, key) = self.shared.as_ref()?;
        Arc::ptr_eq(shared, group).then_some(*key)
    }

    fn stop(self) {
        if let Some((shared, key)) = &self.shared {
            shared.leave(*key);
            // The shared connection may go on for others: nothing more for this page, and no
            // `headers` question it would have to answer.
            self.outlet.detach();
        }
        if let Some(task) = self.task {
            // Aborting drops the response and with it the HTTP connection.
            task.abort();
        }
    }

    fn is_named(&self, webview: &str, name: &str) -> bool {
        self.webview == webview && self.name.as_deref() == Some(name)
    }
}

/// What a loop serves, told when it ends; or one subscriber of a shared connection, told when
/// its scope fenced it out.
pub(crate) enum Served {
    Connection(u32),
    Shared(Arc<Shared>),
    Subscription(Arc<Shared>, Subscription),
}

pub(crate) struct Registry {
    max_per_webview: usize,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next_id: u32,
    registrations: HashMap<u32, Registration>,
    /// The pages' pipes, by webview and channel id, with whether their webview still exists.
    pipes: HashMap<(String, u32), (Arc<Pipe>, Alive)>,
}

impl Table {
    /// The running shared connection named `name`.
    fn shared(&self, name: &str) -> Option<&Arc<Shared>> {
        let mut groups = self
            .registrations
            .values()
            .filter_map(|r| r.shared.as_ref());
        groups
            .find(|(s, _)| s.name == name && !s.is_ended())
            .map(|(s, _)| s)
    }

    /// Whether a running shared connection `name`, other than `group`, was not opened by
    /// `webview` under that name.
    fn taken_elsewhere(&self, group: &Arc<Shared>, webview: &str, name: &str) -> bool {
        self.shared(name).is_some_and(|running| {
            !Arc::ptr_eq(running, group)
                && !self
                    .registrations
                    .values()
                    .any(|r| r.in_group(running) && r.is_named(webview, name))
        })
    }

    /// Connection `id` if `webview` owns it; another webview's is `not-found`, like a missing one.
    fn owned(&self, webview: &str, id: u32) -> Result<&Registration> {
        self.registrations
            .get(&id)
            .filter(|r| r.webview == webview)
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// Closes and forgets the pipes of `webview`: its page is gone.
    fn close_pipes(&mut self, webview: &str) {
        self.pipes.retain(|(w, _), (pipe, _)| {
            let keep = w != webview;
            if !keep {
                pipe.close();
            }
            keep
        });
    }

    fn remove_where(&mut self, matches: impl Fn(u32, &Registration) -> bool) -> Vec<Registration> {
        let ids: Vec<u32> = self
            .registrations
            .iter()
            .filter(|(id, r)| matches(**id, r))
            .map(|(id, _)| *id)
            .collect();
        ids.iter()
            .filter_map(|id| self.registrations.remove(id))
            .collect()
    }
}

impl Registry {
    pub(crate) fn new(max_per_webview: usize) -> Self {
        Self {
            max_per_webview,
            table: Mutex::default(),
        }
    }

    /// Registers a new connection. A connection of the same webview with the same name is
    /// replaced: stopped, and its page (if one is attached) told. Refused (`limit`) when the
    /// webview has too many running connections, in which case nothing changes.
    pub(crate) fn register(&self, registration: Registration) -> Result<u32> {
        let (id, replaced, told) = {
            let mut table = self.table.lock().unwrap();
            let same_name = registration.name.as_deref().and_then(|name| {
                table
                    .registrations
                    .iter()
                    .find(|(_, r)| r.is_named(&registration.webview, name))
                    .map(|(id, _)| *id)
            });
            let running = table
                .registrations
                .iter()
                .filter(|(id, r)| {
                    r.webview == registration.webview && !r.finished && Some(**id) != same_name
                })
                .count();
            if running >= self.max_per_webview {
                return Err(Error::Limit(self.max_per_webview, "connections"));
            }
            // A shared name is app-wide: only the webview that opened it may open it again
            // (replacing it); the others `join` it.
            if let (Some((group, _)), Some(name)) = (&registration.shared, &registration.name) {
                if table.taken_elsewhere(group, &registration.webview, name) {
                    return Err(Error::InvalidOptions(format!(
                        "the shared connection `{name}` is open in another webview: join it"
                    )));
                }
            }
            let mut replaced: Vec<Registration> = same_name
                .and_then(|id| table.registrations.remove(&id))
                .into_iter()
                .collect();
            // A shared one goes as a whole, with every subscriber's registration.
            let group = replaced.first().and_then(|r| r.shared.clone());
            if let Some((group, _)) = &group {
                replaced.extend(table.remove_where(|_, r| r.in_group(group)));
            }
            table.next_id = table.next_id.wrapping_add(1);
            let id = table.next_id;
            table.registrations.insert(id, registration);
            (id, replaced, group)
        };
        // Whoever reads the replaced connection is told (Rust subscribers of a shared one too);
        // the fan-out's lock is taken without the registry's.
        let told: Vec<Arc<Outlet>> = match told {
            Some((group, _)) => group.stop(),
            None => replaced.iter().map(|r| r.outlet.clone()).collect(),
        };
        let name = replaced
            .first()
            .and_then(|r| r.name.clone())
            .unwrap_or_default();
        for reader in told.iter().filter_map(|outlet| outlet.detach()) {
            tell_replaced(&reader, &name);
        }
        replaced.into_iter().for_each(Registration::stop);
        Ok(id)
    }

    /// Records that connection `id` subscribed to `group` as `key`; leaves at once if `id` was
    /// closed meanwhile.
    pub(crate) fn set_subscription(&self, id: u32, group: Arc<Shared>, key: Subscription) {
        match self.table.lock().unwrap().registrations.get_mut(&id) {
            Some(r) => r.shared = Some((group, key)),
            None => group.leave(key),
        }
    }

    /// The shared connection named `name`, if one runs.
    pub(crate) fn shared(&self, name: &str) -> Option<Arc<Shared>> {
        self.table.lock().unwrap().shared(name).cloned()
    }

    /// Records the task of connection `id`; aborts it if the connection is already gone.
    pub(crate) fn set_task(&self, id: u32, task: JoinHandle<()>) {
        match self.table.lock().unwrap().registrations.get_mut(&id) {
            Some(r) if !r.finished => r.task = Some(task),
            Some(_) => {}
            None => task.abort(),
        }
    }

    /// The loop serving `served` ended (its fatal error and `closed` were delivered or kept).
    pub(crate) fn finished(&self, served: &Served) {
        let mut table = self.table.lock().unwrap();
        let ids: Vec<u32> = match served {
            Served::Connection(id) => vec![*id],
            Served::Subscription(group, key) => {
                let member =
                    (table.registrations.iter()).find(|(_, r)| r.subscription(group) == Some(*key));
                member.map(|(id, _)| *id).into_iter().collect()
            }
            // every subscriber, whether or not the opener still is one
            Served::Shared(group) => {
                let members = table
                    .registrations
                    .iter()
                    .filter(|(_, r)| r.in_group(group));
                members.map(|(id, _)| *id).collect()
            }
        };
        for id in ids {
            if let Some(r) = table.registrations.get_mut(&id) {
                r.finished = true;
                r.task = None;
            }
            Self::forget_if_done(&mut table, id);
        }
    }

    /// A finished connection whose messages all reached a page is forgotten.
    fn forget_if_done(table: &mut Table, id: u32) {
        let done = table
            .registrations
            .get(&id)
            .is_some_and(|r| r.finished && r.outlet.is_done());
        if done {
            table.registrations.remove(&id);
        }
    }

    /// Closes a connection of `webview`. Another webview's connection is `not-found`: ids
    /// are not secrets, ownership is what protects them.
    pub(crate) fn close(&self, webview: &str, id: u32) -> Result<()> {
        let registration = {
            let mut table = self.table.lock().unwrap();
            table.owned(webview, id)?;
            table.registrations.remove(&id).expect("present")
        };
        registration.stop();
        Ok(())
    }

    /// Registers a page's pipe: the channel of `webview` its connections' messages go to. A
    /// channel registered before stays as it is: a JS channel orders what it receives by the
    /// index its Rust end counts, so it must have one Rust end.
    pub(crate) fn open_pipe(
        &self,
        webview: &str,
        alive: Alive,
        channel: Channel<InvokeResponseBody>,
        main_thread: MainThread,
    ) -> Result<()> {
        let mut table = self.table.lock().unwrap();
        let key = (webview.to_string(), channel.id());
        if table.pipes.contains_key(&key) {
            return Ok(());
        }
        // A page needs one; more pipes than connections serve no page.
        let open = table.pipes.keys().filter(|(w, _)| w == webview).count();
        if open >= self.max_per_webview {
            return Err(Error::Limit(self.max_per_webview, "pipes"));
        }
        table
            .pipes
            .insert(key, (Pipe::new(channel, main_thread), alive));
        Ok(())
    }

    /// Lane `lane` of the pipe `pipe` of `webview`, for a connection's messages.
    pub(crate) fn lane(&self, webview: &str, pipe: u32, lane: u32) -> Result<Reader> {
        let pipe = self.pipe(webview, pipe)?;
        Ok(Reader::Webview(Lane { pipe, lane }))
    }

    /// The pipe `id` of `webview`; another webview's is `not-found`, like a missing one.
    fn pipe(&self, webview: &str, id: u32) -> Result<Arc<Pipe>> {
        let table = self.table.lock().unwrap();
        let pipe = table.pipes.get(&(webview.to_string(), id));
        pipe.map(|(pipe, _)| pipe.clone())
            .ok_or_else(|| Error::NotFound(format!("pipe {id} (open_pipe first)")))
    }

    /// The page of `webview` received `received` more messages of its pipe `pipe` and processed
    /// `processed` (connection id, count) more messages of its connections. Every connection is
    /// acked even if some are not found (ended meanwhile, or another webview's, which is
    /// `not-found` like a missing one): the first such id is the error.
    pub(crate) fn ack(
        &self,
        webview: &str,
        pipe: u32,
        received: u64,
        processed: &[(u32, u64)],
    ) -> Result<()> {
        let pipe = self.pipe(webview, pipe)?;
        let mut missing = None;
        for &(id, count) in processed {
            match self.outlet(webview, id) {
                Ok(outlet) => {
                    outlet.ack(count);
                    Self::forget_if_done(&mut self.table.lock().unwrap(), id);
                }
                Err(error) => missing = missing.or(Some(error)),
            }
        }
        // After the outlets: what their acks replayed leaves in the same batch.
        pipe.received(received);
        missing.map_or(Ok(()), Err)
    }

    /// The page of `webview` answered the `headers` question of connection `id`; like `close`,
    /// another webview's connection is `not-found`.
    pub(crate) fn set_headers(&self, webview: &str, id: u32, answer: HeadersAnswer) -> Result<()> {
        self.outlet(webview, id)?.answer_headers(answer);
        Ok(())
    }

    /// The page of `webview` tells connection `id` of a change in the machine's network; like
    /// `close`, another webview's connection is `not-found`.
    pub(crate) fn network(&self, webview: &str, id: u32, signal: NetworkSignal) -> Result<()> {
        self.table
            .lock()
            .unwrap()
            .owned(webview, id)?
            .network
            .send(signal);
        Ok(())
    }

    /// The outlet of connection `id`, for use after the lock is released: sends to a page never
    /// hold the registry lock.
    fn outlet(&self, webview: &str, id: u32) -> Result<Arc<Outlet>> {
        Ok(self
            .table
            .lock()
            .unwrap()
            .owned(webview, id)?
            .outlet
            .clone())
    }

    /// Gives the kept-alive connection `name` of `webview` a new reader (see [`Outlet::attach`]);
    /// the page that had it is told it was replaced.
    pub(crate) fn attach(&self, webview: &str, name: &str, reader: Reader) -> Result<u32> {
        let (id, outlet) = {
            let table = self.table.lock().unwrap();
            let (id, r) = table
                .registrations
                .iter()
                .find(|(_, r)| r.keep_alive && r.is_named(webview, name))
                .ok_or_else(|| Error::NotFound(name.to_string()))?;
            (*id, r.outlet.clone())
        };
        if let Some(old) = outlet.attach(reader) {
            tell_replaced(&old, name);
        }
        Self::forget_if_done(&mut self.table.lock().unwrap(), id);
        Ok(id)
    }

    pub(crate) fn list(&self, webview: &str) -> Vec<ConnectionInfo> {
        let table = self.table.lock().unwrap();
        let mut list: Vec<ConnectionInfo> = table
            .registrations
            .iter()
            .filter(|(_, r)| r.webview == webview)
            .map(|(id, r)| {
                let buffered = r.outlet.buffered();
                ConnectionInfo {
                    id: *id,
                    url: r.url.clone(),
                    name: r.name.clone(),
                    keep_alive: r.keep_alive,
                    attached: r.outlet.is_attached(),
                    buffered_bytes: buffered.bytes,
                    buffered_events: buffered.events,
                    dropped: buffered.dropped,
                }
            })
            .collect();
        list.sort_by_key(|c| c.id);
        list
    }

    /// The page of `webview` is being replaced (reload or navigation): its pipes are dead.
    /// Kept-alive connections keep their messages until a new page attaches; the others close.
    pub(crate) fn page_unloaded(&self, webview: &str) {
        let (closed, kept) = {
            let mut table = self.table.lock().unwrap();
            table.close_pipes(webview);
            let closed = table.remove_where(|_, r| r.webview == webview && !r.keep_alive);
            let kept: Vec<Arc<Outlet>> = table
                .registrations
                .values()
                .filter(|r| r.webview == webview)
                .map(|r| {
                    // The page that said "offline" is gone and cannot say "online" any more.
                    r.network.send(NetworkSignal::Online);
                    r.outlet.clone()
                })
                .collect();
            (closed, kept)
        };
        closed.into_iter().for_each(Registration::stop);
        for outlet in kept {
            outlet.detach();
        }
    }

    /// Closes what has no owner any more: every connection of a webview that no longer exists
    /// (closed, or its window destroyed), and kept-alive connections no page attached to within
    /// `ttl`.
    pub(crate) fn reap(&self, ttl: Duration) {
        let now = Instant::now();
        let checks: Vec<(u32, Alive, Option<Instant>)> = {
            let table = self.table.lock().unwrap();
            let checks = table.registrations.iter();
            checks
                .map(|(id, r)| (*id, r.alive.clone(), r.outlet.detached_since()))
                .collect()
        };
        // Asked without the registry lock: it takes Tauri's webview lock.
        let ended: Vec<u32> = checks
            .into_iter()
            .filter(|(_, alive, detached_since)| {
                !alive() || detached_since.is_some_and(|since| now.duration_since(since) >= ttl)
            })
            .map(|(id, _, _)| id)
            .collect();
        let pipes: Vec<(String, Alive)> = {
            let table = self.table.lock().unwrap();
            let pipes = table.pipes.iter();
            pipes
                .map(|((w, _), (_, alive))| (w.clone(), alive.clone()))
                .collect()
        };
        let gone: Vec<String> = pipes
            .into_iter()
            .filter(|(_, alive)| !alive())
            .map(|(webview, _)| webview)
            .collect();
        let removed = {
            let mut table = self.table.lock().unwrap();
            gone.iter().for_each(|webview| table.close_pipes(webview));
            table.remove_where(|id, _| ended.contains(&id))
        };
        removed.into_iter().for_each(Registration::stop);
    }

    /// Closes every connection of `webview`, kept alive or not.
    pub(crate) fn close_webview(&self, webview: &str) {
        let removed = {
            let mut table = self.table.lock().unwrap();
            table.close_pipes(webview);
            table.remove_where(|_, r| r.webview == webview)
        };
        removed.into_iter().for_each(Registration::stop);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::{json, Value};

    use super::*;
    use crate::{
        connection::Message,
        parser::Event,
        pipe,
        sink::{BacklogBound, OutletSink, Sink},
    };

    type Received = Arc<Mutex<Vec<Value>>>;

    /// A lane of a pipe whose channel runs `receive` on each message's `[lane, message]` pairs.
    fn lane(
        receive: impl Fn(Vec<(u32, Value)>) -> tauri::Result<()> + Send + Sync + 'static,
    ) -> Reader {
        let pipe = pipe::recording(receive, pipe::idle_main_thread());
        Reader::Webview(Lane { pipe, lane: 1 })
    }

    /// A page recording the messages it is sent.
    fn page() -> (Reader, Received) {
        let received = Received::default();
        let sink = received.clone();
        let reader = lane(move |batch| {
            let mut received = sink.lock().unwrap();
            received.extend(batch.into_iter().map(|(_, message)| message));
            Ok(())
        });
        (reader, received)
    }

    /// A page whose webview is gone.
    fn dead_page() -> Reader {
        lane(|_| Err(tauri::Error::WebviewNotFound))
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

    /// A registered connection: its id and outlet, which the test feeds like the loop does.
    struct Fed {
        id: u32,
        outlet: Arc<Outlet>,
    }

    impl Fed {
        fn send(&self, message: Message) -> bool {
            let mut sink = OutletSink {
                outlet: self.outlet.clone(),
                headers_timeout: None,
            };
            tauri::async_runtime::block_on(sink.send(message))
        }
    }

    fn register(
        registry: &Registry,
        label: &str,
        name: Option<&str>,
        reader: Reader,
    ) -> Result<Fed> {
        let keep_alive = name.is_some();
        let bound = BacklogBound {
            bytes: usize::MAX,
            events: 3,
        };
        let outlet = Outlet::new(reader, keep_alive, bound, None);
        let alive = label != "gone";
        let registration = Registration::new(
            label.into(),
            Arc::new(move || alive),
            name.map(String::from),
            keep_alive,
            "http://127.0.0.1/sse".into(),
            outlet.clone(),
            NetworkSource::default(),
        );
        let id = registry.register(registration)?;
        Ok(Fed { id, outlet })
    }

    fn data(message: &Value) -> Value {
        message["events"][0]["data"].clone()
    }

    #[test]
    fn a_reload_closes_plain_connections_and_keeps_kept_alive_ones() {
        let registry = Registry::new(16);
        let plain = register(&registry, "main", None, page().0).unwrap();
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        registry.page_unloaded("main");

        let listed = registry.list("main");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].id, listed[0].attached), (kept.id, false));
        assert_eq!(
            registry.close("main", plain.id),
            Err(Error::NotFound(plain.id.to_string()))
        );

        for n in 1..=5 {
            assert!(kept.send(event(&n.to_string())));
        }
        let listed = &registry.list("main")[0];
        assert_eq!((listed.buffered_events, listed.dropped), (3, 2));
        let (channel, received) = page();
        assert_eq!(registry.attach("main", "feed", channel), Ok(kept.id));
        assert!(kept.send(event("6")));
        let received = received.lock().unwrap();
        // the loss first: the dropped events came before the kept ones
        assert_eq!(received[0], json!({ "type": "overflow", "dropped": 2 }));
        let replayed: Vec<Value> = received[1..4].iter().map(data).collect();
        assert_eq!(replayed, [json!("3"), json!("4"), json!("5")]);
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

    fn types(received: &Received) -> Vec<Value> {
        received
            .lock()
            .unwrap()
            .iter()
            .map(|m| m["type"].clone())
            .collect()
    }

    #[test]
    fn attach_tells_the_connection_state_before_the_backlog() {
        let registry = Registry::new(16);
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        // Open when the page went away: the new page hears `open` first, then what it missed.
        kept.send(open());
        kept.send(event("1"));
        registry.page_unloaded("main");
        kept.send(event("2"));
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(types(&received), [json!("open"), json!("events")]);
        assert_eq!(received.lock().unwrap()[0]["url"], "http://127.0.0.1/sse");
        assert_eq!(received.lock().unwrap()[1]["events"][0]["data"], "2");

        // Mid-reconnect, not open: the pending `error` with its `reconnectIn` comes first.
        kept.send(reconnecting(1500));
        registry.page_unloaded("main");
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(
            received.lock().unwrap()[..],
            [json!({ "type": "error", "reconnectIn": 1500,
                "error": { "kind": "network",
                "message": "network error: the server ended the stream" } })]
        );
    }

    #[test]
    fn a_second_attach_takes_the_connection_and_tells_the_first_page() {
        let registry = Registry::new(16);
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        kept.send(open());
        let (first, first_received) = page();
        registry.attach("main", "feed", first).unwrap();
        let (second, second_received) = page();
        registry.attach("main", "feed", second).unwrap();
        assert_eq!(types(&second_received), [json!("open")]);
        assert_eq!(
            first_received.lock().unwrap()[1..],
            [
                json!({ "type": "error", "error": { "kind": "replaced",
                    "message": "connection `feed` was taken over by another connect or attach" } }),
                json!({ "type": "closed" })
            ]
        );
        kept.send(event("live"));
        assert_eq!(first_received.lock().unwrap().len(), 3);
        assert_eq!(second_received.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_connection_attached_before_its_first_open_hears_nothing_first() {
        let registry = Registry::new(16);
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        registry.page_unloaded("main");
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert!(received.lock().unwrap().is_empty());
        kept.send(open());
        assert_eq!(received.lock().unwrap()[0]["type"], "open");
    }

    #[test]
    fn a_failed_channel_detaches_a_kept_alive_connection_which_keeps_what_follows() {
        let registry = Registry::new(16);
        let kept = register(&registry, "main", Some("feed"), dead_page()).unwrap();
        // Taken for the main thread's turn, where the channel fails: lost like anything in
        // flight to a page that went away.
        assert!(kept.send(event("in flight")));
        assert!(kept.send(event("kept")));
        assert!(!registry.list("main")[0].attached);
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(received.lock().unwrap()[0]["events"][0]["data"], "kept");

        // without keep-alive nobody could ever read again: the loop is told to stop
        let plain = register(&registry, "main", None, dead_page()).unwrap();
        plain.send(event("in flight"));
        assert!(!plain.send(event("x")));
    }

    #[test]
    fn a_replay_interrupted_by_a_dead_page_keeps_what_it_had_not_sent_for_the_next_attach() {
        let registry = Registry::new(16);
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        registry.page_unloaded("main");
        for n in 1..=3 {
            kept.send(event(&n.to_string()));
        }
        // a page that takes one message, then is gone
        let taken = Received::default();
        let sink = taken.clone();
        let dying = lane(move |batch| {
            let mut taken = sink.lock().unwrap();
            if !taken.is_empty() {
                return Err(tauri::Error::WebviewNotFound);
            }
            taken.extend(batch.into_iter().map(|(_, message)| message));
            Ok(())
        });
        registry.attach("main", "feed", dying).unwrap();
        assert_eq!(
            taken.lock().unwrap().iter().map(data).collect::<Vec<_>>(),
            [json!("1")]
        );
        assert!(!registry.list("main")[0].attached);
        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        let rest: Vec<Value> = received.lock().unwrap().iter().map(data).collect();
        assert_eq!(rest, [json!("3")], "2 was in flight");
    }

    #[test]
    fn a_connection_that_ended_while_detached_frees_its_slot_is_replayed_then_forgotten() {
        let registry = Registry::new(1);
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        registry.page_unloaded("main");
        kept.send(Message::Closed);
        registry.finished(&Served::Connection(kept.id));
        assert_eq!(registry.list("main").len(), 1);
        let other = register(&registry, "main", None, page().0);
        assert!(other.is_ok(), "a finished connection still holds its slot");

        let (channel, received) = page();
        registry.attach("main", "feed", channel).unwrap();
        assert_eq!(*received.lock().unwrap(), [json!({ "type": "closed" })]);
        assert_eq!(registry.list("main").len(), 1, "only the other one is left");
    }

    #[test]
    fn reap_closes_orphans_and_kept_alive_connections_past_their_ttl() {
        let registry = Registry::new(16);
        let orphan = register(&registry, "gone", None, page().0).unwrap();
        let kept = register(&registry, "main", Some("feed"), page().0).unwrap();
        let attached = register(&registry, "main", Some("live"), page().0).unwrap();
        registry.page_unloaded("main");
        registry.attach("main", "live", page().0).unwrap();
        registry.reap(Duration::from_secs(60));
        assert!(registry.list("gone").is_empty(), "{}", orphan.id);
        assert_eq!(registry.list("main").len(), 2, "reaped before the TTL");
        registry.reap(Duration::ZERO);
        let left: Vec<u32> = registry.list("main").iter().map(|c| c.id).collect();
        assert_eq!(left, [attached.id], "{}", kept.id);
    }

    #[test]
    fn a_name_in_use_is_replaced_and_a_refused_register_changes_nothing() {
        let registry = Registry::new(2);
        let (channel, first_received) = page();
        let first = register(&registry, "main", Some("feed"), channel).unwrap();
        let second = register(&registry, "main", Some("feed"), page().0).unwrap();
        assert_eq!(registry.list("main").len(), 1);
        assert_eq!(registry.list("main")[0].id, second.id);
        assert_ne!(first.id, second.id);
        assert_eq!(
            first_received.lock().unwrap()[0]["error"]["kind"],
            "replaced"
        );
        register(&registry, "main", None, page().0).unwrap();
        // full: a third is refused, even one that would replace nothing...
        let third = register(&registry, "main", Some("other"), page().0);
        assert_eq!(third.err(), Some(Error::Limit(2, "connections")));
        // ...while replacing a name in use takes no extra slot
        register(&registry, "main", Some("feed"), page().0).unwrap();
        register(&registry, "other", None, page().0).unwrap();
    }
}
