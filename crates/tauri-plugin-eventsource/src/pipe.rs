//! A page's pipe: the one IPC `Channel` that carries the messages of all its connections
//! (`open_pipe`), each tagged with its connection's lane.
//!
//! Every channel message costs the app's main thread a script evaluation, whatever it carries.
//! A page with a hundred streams at 100 events/s would need 10,000 of them a second, more than
//! the main thread keeps up with, and messages would pile up in the webview. Sharing one
//! channel lets the messages of all the page's connections that arrive while the page is behind
//! go out together as one: the page reports the channel messages it has received (`ack`'s
//! `received`), and while [`BEHIND`] of them are unreported, what its connections send waits
//! here and leaves as one batch with the next report. A page that keeps up never has a
//! message held.

use std::sync::{Arc, Mutex};

use tauri::ipc::Channel;

use crate::{connection::Message, sink::WINDOW};

/// One channel message: `[lane, message]` pairs, in the order they were sent.
pub(crate) type Batch = Vec<(u32, Message)>;

/// Channel messages the page may not yet have reported received before what its connections
/// send waits for the next report. A page that keeps up reports every `ACK_EVERY`, so it is
/// never this far behind; and one that is has a report to send, so the wait always ends. A full
/// window, so a connection that has a page to itself is held by its own window first.
const BEHIND: u64 = WINDOW;

pub(crate) struct Pipe {
    channel: Channel<Batch>,
    state: Mutex<PipeState>,
}

#[derive(Default)]
struct PipeState {
    /// Messages waiting for the page to catch up, oldest first.
    held: Batch,
    /// Channel messages the page has not reported received.
    unreported: u64,
    /// The channel failed or the page went away: nothing is sent any more.
    closed: bool,
}

impl Pipe {
    pub(crate) fn new(channel: Channel<Batch>) -> Arc<Self> {
        Arc::new(Self {
            channel,
            state: Mutex::default(),
        })
    }

    /// Sends `message` of `lane` now, or with the next batch while the page is behind; `false`
    /// once the page is gone.
    fn send(&self, lane: u32, message: Message) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.closed {
            return false;
        }
        state.held.push((lane, message));
        state.unreported >= BEHIND || self.flush(&mut state)
    }

    /// The page received `count` more channel messages: what waited goes out as one.
    pub(crate) fn received(&self, count: u64) {
        let mut state = self.state.lock().unwrap();
        state.unreported = state.unreported.saturating_sub(count);
        if state.unreported < BEHIND && !state.closed {
            self.flush(&mut state);
        }
    }

    /// The page is gone: what waits is dropped, like what was in flight to it.
    pub(crate) fn close(&self) {
        let mut state = self.state.lock().unwrap();
        state.closed = true;
        state.held = Batch::new();
    }

    /// Sends what waits as one channel message, under the lock: batches leave in order.
    fn flush(&self, state: &mut PipeState) -> bool {
        if state.held.is_empty() {
            return true;
        }
        let batch = std::mem::take(&mut state.held);
        if self.channel.send(batch).is_err() {
            state.closed = true;
            return false;
        }
        state.unreported += 1;
        true
    }
}

/// A connection's lane in its page's pipe: the number the page gave it at `connect`, `attach`
/// or `join`, which tags its messages.
#[derive(Clone)]
pub(crate) struct Lane {
    pub(crate) pipe: Arc<Pipe>,
    pub(crate) lane: u32,
}

impl Lane {
    /// `false` when the page is gone.
    pub(crate) fn send(&self, message: Message) -> bool {
        self.pipe.send(self.lane, message)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tauri::ipc::InvokeResponseBody;

    use super::*;

    /// The lanes of each channel message, in order.
    type Sent = Arc<Mutex<Vec<Vec<u64>>>>;

    /// A pipe whose channel records each message's lanes.
    fn pipe() -> (Arc<Pipe>, Sent) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else {
                panic!("JSON")
            };
            let batch: Vec<(u64, serde_json::Value)> = serde_json::from_str(&json).unwrap();
            record
                .lock()
                .unwrap()
                .push(batch.into_iter().map(|(lane, _)| lane).collect());
            Ok(())
        });
        (Pipe::new(channel), sent)
    }

    #[test]
    fn a_page_behind_gets_what_its_connections_sent_meanwhile_as_one_message() {
        let (pipe, sent) = pipe();
        for n in 0..BEHIND {
            assert!(pipe.send(1 + (n % 2) as u32, Message::Closed));
        }
        assert_eq!(sent.lock().unwrap().len(), BEHIND as usize, "one each");
        for lane in [1, 2, 3, 1] {
            assert!(pipe.send(lane, Message::Closed), "held, not refused");
        }
        assert_eq!(sent.lock().unwrap().len(), BEHIND as usize, "held");
        pipe.received(1);
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![1, 2, 3, 1]));
        assert!(pipe.send(2, Message::Closed));
        assert_eq!(
            sent.lock().unwrap().len(),
            BEHIND as usize + 1,
            "behind again"
        );
        pipe.received(BEHIND);
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![2]));
        assert!(pipe.send(3, Message::Closed));
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![3]), "caught up");
        pipe.close();
        assert!(!pipe.send(3, Message::Closed));
    }
}
