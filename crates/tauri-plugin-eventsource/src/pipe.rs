//! A page's pipe: the one IPC `Channel` that carries the messages of all its connections
//! (`open_pipe`), each tagged with its connection's lane.
//!
//! Every channel message costs the app's main thread a script evaluation and the page a
//! callback, whatever it carries. A page with a hundred streams at 100 events/s would need
//! 10,000 of them a second if each event went alone. So messages do not go out as they come:
//! the first one of a batch asks the main thread for a turn, and what the page's other
//! connections send until that turn comes joins it. An idle main thread takes the turn at once
//! (no delay added); a busy one is exactly when batches grow, so the message count falls as the
//! load rises, with no timer to tune.
//!
//! A batch carries at most one message per lane: a connection's next message waits for the
//! next batch. The page runs each channel message as a task of its own, so each message of a
//! connection still gets its own task, as each network callback of the webview's `EventSource`
//! does: what a listener's promise continuation does (closing the source at `[DONE]`, say)
//! happens before the connection's next message, not after the rest of a batch.
//!
//! The page's own backlog is bounded too: it reports the channel messages it has
//! received (`ack`'s `received`), and while [`BEHIND`] of them are unreported, what its
//! connections send waits here, in the same batches, and leaves as reports come.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard},
};

use tauri::ipc::{Channel, InvokeResponseBody};

use crate::{connection::Message, sink::WINDOW};

/// Runs a task on the app's main thread, after what is queued there; `false` when the app's
/// event loop is gone.
pub(crate) type MainThread = Arc<dyn Fn(Box<dyn FnOnce() + Send>) -> bool + Send + Sync>;

/// Channel messages the page may not yet have reported received before what its connections
/// send waits for the next report. A page that keeps up reports every `ACK_EVERY`, so it is
/// never this far behind; and one that is has a report to send, so the wait always ends. A full
/// window, so a connection that has a page to itself is held by its own window first.
const BEHIND: u64 = WINDOW;

pub(crate) struct Pipe {
    /// Each message is a JSON array of `[lane, message]` pairs, in the order they were sent.
    channel: Channel<InvokeResponseBody>,
    main_thread: MainThread,
    state: Mutex<PipeState>,
    /// Held while a batch is taken and sent, so batches leave in the order they were taken
    /// even where tasks do not all run on one thread (the mock runtime runs them inline).
    sending: Mutex<()>,
}

#[derive(Default)]
struct PipeState {
    /// What waits for the main thread, oldest first.
    batches: VecDeque<Batch>,
    /// The main thread has a turn queued for the oldest batch.
    queued: bool,
    /// Channel messages the page has not reported received.
    unreported: u64,
    /// The channel failed or the page went away: nothing is sent any more.
    closed: bool,
}

/// One channel message in the making.
struct Batch {
    /// Its `[lane, message]` pairs, serialized as they come by the sending thread rather than
    /// the main thread; without the closing bracket.
    json: String,
    lanes: Vec<u32>,
}

impl Batch {
    fn new(lane: u32, pair: &str) -> Self {
        let mut json = String::with_capacity(pair.len() + 2);
        json.push('[');
        json.push_str(pair);
        Self {
            json,
            lanes: vec![lane],
        }
    }

    fn push(&mut self, lane: u32, pair: &str) {
        self.json.push(',');
        self.json.push_str(pair);
        self.lanes.push(lane);
    }
}

impl Pipe {
    pub(crate) fn new(channel: Channel<InvokeResponseBody>, main_thread: MainThread) -> Arc<Self> {
        Arc::new(Self {
            channel,
            main_thread,
            state: Mutex::default(),
            sending: Mutex::new(()),
        })
    }

    /// Adds `message` of `lane` to the last batch, or to a new one if the last has a message of
    /// `lane` already; `false` once the page is gone.
    fn send(self: &Arc<Self>, lane: u32, message: &Message) -> bool {
        let pair = serde_json::to_string(&(lane, message)).expect("messages serialize");
        let mut state = self.state.lock().unwrap();
        if state.closed {
            return false;
        }
        match state.batches.back_mut() {
            Some(batch) if !batch.lanes.contains(&lane) => batch.push(lane, &pair),
            _ => state.batches.push_back(Batch::new(lane, &pair)),
        }
        self.queue_turn(state)
    }

    /// The page received `count` more channel messages: what waited may go out again.
    pub(crate) fn received(self: &Arc<Self>, count: u64) {
        let mut state = self.state.lock().unwrap();
        state.unreported = state.unreported.saturating_sub(count);
        self.queue_turn(state);
    }

    /// The page is gone: what waits is dropped, like what was in flight to it.
    pub(crate) fn close(&self) {
        let mut state = self.state.lock().unwrap();
        state.closed = true;
        state.batches.clear();
    }

    /// Asks the main thread for a turn if a batch waits, none is queued and the page is not
    /// behind; `false` when the app is gone.
    fn queue_turn(self: &Arc<Self>, mut state: MutexGuard<'_, PipeState>) -> bool {
        if state.queued || state.closed || state.batches.is_empty() || state.unreported >= BEHIND {
            return !state.closed;
        }
        state.queued = true;
        drop(state);
        let pipe = self.clone();
        if (self.main_thread)(Box::new(move || pipe.send_batch())) {
            return true;
        }
        self.close();
        false
    }

    /// The main thread's turn: the oldest batch goes out as one channel message, and the next
    /// one, if any, asks for a turn of its own.
    fn send_batch(self: &Arc<Self>) {
        let in_order = self.sending.lock().unwrap();
        let batch = {
            let mut state = self.state.lock().unwrap();
            state.queued = false;
            // Behind again since the turn was asked for: `received` asks for the next one.
            if state.closed || state.unreported >= BEHIND {
                return;
            }
            let Some(batch) = state.batches.pop_front() else {
                return;
            };
            state.unreported += 1;
            batch
        };
        let mut json = batch.json;
        json.push(']');
        if self.channel.send(InvokeResponseBody::Json(json)).is_err() {
            self.close();
        }
        drop(in_order);
        self.queue_turn(self.state.lock().unwrap());
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
    pub(crate) fn send(&self, message: &Message) -> bool {
        self.pipe.send(self.lane, message)
    }
}

/// A pipe for unit tests: its channel hands each message's `[lane, message]` pairs to `receive`,
/// and `main_thread` runs its turns.
#[cfg(test)]
pub(crate) fn recording(
    receive: impl Fn(Vec<(u32, serde_json::Value)>) -> tauri::Result<()> + Send + Sync + 'static,
    main_thread: MainThread,
) -> Arc<Pipe> {
    let channel = Channel::new(move |body| {
        let InvokeResponseBody::Json(json) = body else {
            panic!("messages are JSON")
        };
        receive(serde_json::from_str(&json).unwrap())
    });
    Pipe::new(channel, main_thread)
}

/// A main thread with nothing queued: every turn comes at once.
#[cfg(test)]
pub(crate) fn idle_main_thread() -> MainThread {
    Arc::new(|task| {
        task();
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Task = Box<dyn FnOnce() + Send>;

    /// The lanes of each channel message, in order.
    type Sent = Arc<Mutex<Vec<Vec<u32>>>>;

    /// A pipe whose channel records each message's lanes.
    fn pipe(main_thread: MainThread) -> (Arc<Pipe>, Sent) {
        let sent = Sent::default();
        let record = sent.clone();
        let pipe = recording(
            move |batch| {
                let lanes = batch.into_iter().map(|(lane, _)| lane).collect();
                record.lock().unwrap().push(lanes);
                Ok(())
            },
            main_thread,
        );
        (pipe, sent)
    }

    /// A busy main thread: turns wait until the test runs them.
    fn busy_main_thread() -> (MainThread, Arc<Mutex<Vec<Task>>>) {
        let queue = Arc::new(Mutex::new(Vec::<Task>::new()));
        let tasks = queue.clone();
        let main_thread: MainThread = Arc::new(move |task| {
            tasks.lock().unwrap().push(task);
            true
        });
        (main_thread, queue)
    }

    fn run_turns(queue: &Mutex<Vec<Task>>) {
        let tasks = std::mem::take(&mut *queue.lock().unwrap());
        tasks.into_iter().for_each(|task| task());
    }

    #[test]
    fn what_connections_send_while_the_main_thread_is_busy_leaves_together_one_message_a_lane() {
        let (main_thread, queue) = busy_main_thread();
        let (pipe, sent) = pipe(main_thread);
        for lane in [1, 2, 3, 1, 2] {
            assert!(pipe.send(lane, &Message::Closed));
        }
        assert!(sent.lock().unwrap().is_empty(), "waits for its turn");
        assert_eq!(queue.lock().unwrap().len(), 1, "one turn asked for");
        run_turns(&queue);
        assert_eq!(*sent.lock().unwrap(), vec![vec![1, 2, 3]]);
        assert_eq!(
            queue.lock().unwrap().len(),
            1,
            "the next batch asked for its own"
        );
        run_turns(&queue);
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![1, 2]));
        assert!(pipe.send(3, &Message::Closed));
        run_turns(&queue);
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![3]), "a turn each");
    }

    #[test]
    fn a_page_behind_gets_what_its_connections_sent_meanwhile_as_one_message() {
        let (pipe, sent) = pipe(idle_main_thread());
        for n in 0..BEHIND {
            assert!(pipe.send(1 + (n % 2) as u32, &Message::Closed));
        }
        assert_eq!(sent.lock().unwrap().len(), BEHIND as usize, "one each");
        for lane in [1, 2, 3, 1] {
            assert!(pipe.send(lane, &Message::Closed), "held, not refused");
        }
        assert_eq!(sent.lock().unwrap().len(), BEHIND as usize, "held");
        pipe.received(1);
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![1, 2, 3]));
        assert!(pipe.send(2, &Message::Closed));
        assert_eq!(
            sent.lock().unwrap().len(),
            BEHIND as usize + 1,
            "behind again"
        );
        pipe.received(BEHIND);
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![1, 2]));
        assert!(pipe.send(3, &Message::Closed));
        assert_eq!(sent.lock().unwrap().last(), Some(&vec![3]), "caught up");
        pipe.close();
        assert!(!pipe.send(3, &Message::Closed));
    }

    #[test]
    fn a_pipe_whose_app_is_gone_refuses_messages() {
        let (pipe, sent) = pipe(Arc::new(|_| false));
        assert!(!pipe.send(1, &Message::Closed));
        assert!(!pipe.send(1, &Message::Closed), "closed for good");
        assert!(sent.lock().unwrap().is_empty());
    }
}
