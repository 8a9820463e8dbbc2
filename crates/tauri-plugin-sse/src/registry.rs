//! The webviews' connections: who owns which, the per-webview limit, and what happens to them
//! when their page reloads or their window is destroyed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde::Serialize;
use tauri::{async_runtime::JoinHandle, ipc::Channel};

use crate::{
    connection::Message,
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
        match inner.entries.get(&id) {
            Some(entry) if entry.owner.webview == webview => {
                inner.entries.remove(&id).expect("present").stop();
                Ok(())
            }
            _ => Err(Error::NotFound(id.to_string())),
        }
    }

    /// Gives the kept-alive connection `name` of `webview` a new channel, after replaying what
    /// arrived while it was detached.
    pub(crate) fn attach(&self, webview: &str, name: &str, channel: Channel<Message>) -> Result<u32> {
        let mut inner = self.inner.lock().unwrap();
        let (id, entry) = inner
            .entries
            .iter()
            .find(|(_, e)| e.keep_alive && e.owner.webview == webview && e.name.as_deref() == Some(name))
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
