//! What a connection hears about the machine's network (the TS `core/network.ts` twin): whether
//! the system is offline, and when it woke from sleep. A loop that ignores them waits out a long
//! backoff after the network is back, burns `max_attempts` while offline, and sits on a
//! connection that died during sleep.
//!
//! Two sources feed a connection: the app's ([`crate::Sse::network_changed`], and the plugin's
//! own wake detector), heard by every connection, and its page's (the `network` command, from the
//! page's `online`/`offline` events and wake detector), heard by that page's connections only.

use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use tokio::sync::watch;

/// A change in the machine's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkSignal {
    /// The system says it is online again.
    Online,
    /// The system says it is offline: failures do not count, and attempts wait the policy's
    /// longest delay or [`NetworkSignal::Online`], whichever comes first.
    Offline,
    /// The machine woke from sleep.
    Wake,
}

/// One source's state; a wake is a count so that no wake is missed between two looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NetworkState {
    offline: bool,
    wakes: u64,
}

impl NetworkState {
    fn apply(&mut self, signal: NetworkSignal) {
        match signal {
            NetworkSignal::Online => self.offline = false,
            NetworkSignal::Offline => self.offline = true,
            NetworkSignal::Wake => self.wakes += 1,
        }
    }
}

/// Where one source's signals are published.
#[derive(Debug)]
pub(crate) struct NetworkSource(watch::Sender<NetworkState>);

impl Default for NetworkSource {
    fn default() -> Self {
        Self(watch::channel(NetworkState::default()).0)
    }
}

impl NetworkSource {
    /// Online and offline are states: telling the current one again changes nothing (an app
    /// forwarding every OS "network changed" must not cut every backoff short). A wake is news.
    pub(crate) fn send(&self, signal: NetworkSignal) {
        self.0.send_if_modified(|state| {
            let before = *state;
            state.apply(signal);
            *state != before
        });
    }
}

/// One source as a connection hears it: its state, and the wake count last seen from it.
struct Heard {
    receiver: watch::Receiver<NetworkState>,
    wakes: u64,
}

impl Heard {
    fn new(source: &NetworkSource) -> Self {
        let mut receiver = source.0.subscribe();
        let wakes = receiver.borrow_and_update().wakes;
        Self { receiver, wakes }
    }

    /// Whether its wake count rose since the last look.
    fn woke(&mut self) -> bool {
        let wakes = self.receiver.borrow_and_update().wakes;
        std::mem::replace(&mut self.wakes, wakes) != wakes
    }
}

/// Waits for a change of `heard`; never returns for a missing source, or one whose sender is
/// gone (the plugin is being torn down: nothing more will come).
async fn changed(heard: &mut Option<Heard>) -> &mut Heard {
    if let Some(h) = heard {
        if h.receiver.changed().await.is_ok() {
            return h;
        }
    }
    std::future::pending().await
}

/// A connection's view of the network: the app's source and its page's.
pub(crate) struct Signals {
    app: Option<Heard>,
    page: Option<Heard>,
}

impl Signals {
    /// Hears `app` and `page`; neither for a connection opened with `networkAware: false`.
    pub(crate) fn new(app: Option<&NetworkSource>, page: Option<&NetworkSource>) -> Self {
        Self {
            app: app.map(Heard::new),
            page: page.map(Heard::new),
        }
    }

    /// Whether any source says the system is offline.
    pub(crate) fn offline(&self) -> bool {
        // A source that is gone (its page closed or reloaded) can no longer vouch for offline.
        [&self.app, &self.page]
            .into_iter()
            .flatten()
            .any(|h| h.receiver.has_changed().is_ok() && h.receiver.borrow().offline)
    }

    /// Waits for the next signal: `Wake` when a source's wake count rose, else whether the
    /// system is now offline or online.
    pub(crate) async fn next(&mut self) -> NetworkSignal {
        let woke = tokio::select! {
            heard = changed(&mut self.app) => heard.woke(),
            heard = changed(&mut self.page) => heard.woke(),
        };
        match (woke, self.offline()) {
            (true, _) => NetworkSignal::Wake,
            (false, true) => NetworkSignal::Offline,
            (false, false) => NetworkSignal::Online,
        }
    }

    /// Forgets the signals that came so far: data arrived after them, so the connection is alive.
    pub(crate) fn mark_seen(&mut self) {
        for heard in [&mut self.app, &mut self.page].into_iter().flatten() {
            heard.woke();
        }
    }
}

/// How often the wake detector looks at the clocks.
pub(crate) const WAKE_TICK: Duration = Duration::from_secs(1);
/// Wall-clock time that passed without the monotonic clock, beyond which the machine slept.
/// Linux's CLOCK_MONOTONIC and macOS's uptime clock (behind [`Instant`]) stop while the
/// machine is suspended; the wall clock does not, so a gap between them is a sleep.
pub(crate) const WAKE_GAP: Duration = Duration::from_secs(5);
/// After a wake, how long an open connection has to show it survived: a byte arrives (the
/// server's next event or keep-alive comment), or it is reestablished at once.
pub(crate) const WAKE_GRACE: Duration = Duration::from_secs(1);

/// The two clocks the wake detector compares; a seam for tests.
pub(crate) trait Clocks {
    fn wall(&self) -> SystemTime;
    fn monotonic(&self) -> Instant;
}

pub(crate) struct SystemClocks;

impl Clocks for SystemClocks {
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// Compares how far the wall clock and the monotonic clock moved since its last look.
pub(crate) struct WakeDetector<C: Clocks> {
    clocks: C,
    last: (SystemTime, Instant),
}

impl<C: Clocks> WakeDetector<C> {
    pub(crate) fn new(clocks: C) -> Self {
        let last = (clocks.wall(), clocks.monotonic());
        Self { clocks, last }
    }

    /// Looks at the clocks once: true when the machine slept since the last look.
    pub(crate) fn check(&mut self) -> bool {
        let now = (self.clocks.wall(), self.clocks.monotonic());
        // A wall clock set backwards is no sleep.
        let wall = now.0.duration_since(self.last.0).unwrap_or_default();
        let monotonic = now.1.duration_since(self.last.1);
        self.last = now;
        wall.saturating_sub(monotonic) > WAKE_GAP
    }
}

#[cfg(test)]
mod tests {
    use std::{cell::Cell, rc::Rc};

    use super::*;

    #[derive(Clone)]
    struct FakeClocks {
        start: (SystemTime, Instant),
        wall: Rc<Cell<Duration>>,
        monotonic: Rc<Cell<Duration>>,
    }

    impl Clocks for FakeClocks {
        fn wall(&self) -> SystemTime {
            self.start.0 + self.wall.get()
        }
        fn monotonic(&self) -> Instant {
            self.start.1 + self.monotonic.get()
        }
    }

    #[test]
    fn a_sleep_is_wall_time_passing_without_monotonic_time() {
        let clocks = FakeClocks {
            start: (SystemTime::UNIX_EPOCH, Instant::now()),
            // far from the epoch, so that the wall clock can be set back
            wall: Rc::new(Cell::new(Duration::from_secs(1 << 30))),
            monotonic: Rc::default(),
        };
        let mut detector = WakeDetector::new(clocks.clone());
        let advance = |wall: u64, monotonic: u64| {
            clocks
                .wall
                .set(clocks.wall.get() + Duration::from_secs(wall));
            clocks
                .monotonic
                .set(clocks.monotonic.get() + Duration::from_secs(monotonic));
        };
        // a throttled or busy tick: both clocks moved alike
        advance(30, 30);
        assert!(!detector.check());
        // suspended for a minute
        advance(61, 1);
        assert!(detector.check());
        // the wall clock set back an hour
        clocks
            .wall
            .set(clocks.wall.get() - Duration::from_secs(3600));
        advance(0, 1);
        assert!(!detector.check());
        // a gap within the allowance (NTP slewing, a slow tick)
        advance(5, 1);
        assert!(!detector.check());
    }

    #[tokio::test]
    async fn signals_tell_a_wake_and_the_offline_state_of_any_source() {
        let (app, page) = (NetworkSource::default(), NetworkSource::default());
        let mut signals = Signals::new(Some(&app), Some(&page));
        assert!(!signals.offline());
        page.send(NetworkSignal::Offline);
        assert_eq!(signals.next().await, NetworkSignal::Offline);
        assert!(signals.offline());
        // the app saying online again is no news, and does not undo the page's offline
        app.send(NetworkSignal::Online);
        let next = tokio::time::timeout(Duration::from_millis(50), signals.next()).await;
        assert!(next.is_err(), "an unchanged state is not told again");
        assert!(signals.offline());
        // a page that is gone can no longer vouch for offline
        let gone = NetworkSource::default();
        let heard = Signals::new(None, Some(&gone));
        gone.send(NetworkSignal::Offline);
        assert!(heard.offline());
        drop(gone);
        assert!(!heard.offline());
        page.send(NetworkSignal::Online);
        assert_eq!(signals.next().await, NetworkSignal::Online);
        app.send(NetworkSignal::Wake);
        assert_eq!(signals.next().await, NetworkSignal::Wake);
        // a wake heard before data arrived is forgotten once the data proves the connection alive
        page.send(NetworkSignal::Wake);
        signals.mark_seen();
        let next = tokio::time::timeout(Duration::from_millis(50), signals.next()).await;
        assert!(next.is_err(), "a seen wake is not told again");
        // no source: never a signal, never offline
        let mut deaf = Signals::new(None, None);
        assert!(!deaf.offline());
        let next = tokio::time::timeout(Duration::from_millis(50), deaf.next()).await;
        assert!(next.is_err());
    }
}
