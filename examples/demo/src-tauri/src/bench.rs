//! The IPC floor of the webview benchmark (`bench/webview.ts`): messages sent through a `Channel`
//! with no HTTP, parsing or flow control, as fast as Tauri takes them or at a fixed rate, so every
//! transport row can be compared with what Tauri's IPC alone allows for messages of that size, and
//! every latency with that of a bare message.

use std::{
    num::NonZeroU32,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde::Deserialize;
use tauri::ipc::{Channel, InvokeResponseBody};

/// What each message is. Tauri picks its path by payload: JSON under 8 KiB and raw bytes under
/// 1 KiB are evaluated into the page directly, larger ones are fetched by the page over the IPC
/// protocol, one request per message.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Payload {
    /// `null`: the cost of a message itself.
    Empty,
    /// `size` bytes, delivered to the page as an `ArrayBuffer`.
    Raw,
    /// A JSON string of `size` ASCII characters, as an event's data travels.
    Json,
    /// `{"t":…}`, the time it was sent ([`clock`]'s), as the bundled server stamps its events.
    Stamped,
}

impl Payload {
    fn body(self, size: usize) -> InvokeResponseBody {
        match self {
            Self::Empty => InvokeResponseBody::Json("null".into()),
            Self::Raw => InvokeResponseBody::Raw(vec![b'x'; size]),
            Self::Json => InvokeResponseBody::Json(format!("\"{}\"", "x".repeat(size))),
            Self::Stamped => InvokeResponseBody::Json(format!("{{\"t\":{}}}", clock())),
        }
    }
}

/// The time a `Stamped` message is stamped with, ms since the epoch: the page estimates its
/// offset from its own clock with round trips to this command.
#[tauri::command]
pub fn clock() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// Sends `count` messages of `payload` (`size` bytes) to `on_message` from another thread, as the
/// plugin's connections do, and returns at once: the page times them as they arrive. With a
/// `rate` (messages/s) they are paced from the start, like the server's `rate` stream; without,
/// as fast as Tauri takes them.
#[tauri::command]
pub fn ipc_floor(
    payload: Payload,
    size: usize,
    count: usize,
    rate: Option<NonZeroU32>,
    on_message: Channel<InvokeResponseBody>,
) {
    // Built once unless each message carries its own send time: the floor measures the IPC.
    let fixed = (!matches!(payload, Payload::Stamped)).then(|| payload.body(size));
    std::thread::spawn(move || {
        let start = Instant::now();
        for n in 0..count {
            if let Some(rate) = rate {
                let due = start + Duration::from_secs_f64(n as f64 / f64::from(rate.get()));
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
            let body = fixed.clone().unwrap_or_else(|| payload.body(size));
            if on_message.send(body).is_err() {
                break;
            }
        }
    });
}
