//! The IPC floor of the webview benchmark (`bench/webview.ts`): messages sent through a `Channel`
//! as fast as Tauri takes them, with no HTTP, parsing or flow control, so every transport row can
//! be compared with what Tauri's IPC alone allows for messages of that size.

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
}

impl Payload {
    fn body(self, size: usize) -> InvokeResponseBody {
        match self {
            Self::Empty => InvokeResponseBody::Json("null".into()),
            Self::Raw => InvokeResponseBody::Raw(vec![b'x'; size]),
            Self::Json => InvokeResponseBody::Json(format!("\"{}\"", "x".repeat(size))),
        }
    }
}

/// Sends `count` messages of `payload` (`size` bytes) to `on_message` from another thread, as the
/// plugin's connections do, and returns at once: the page times them as they arrive.
#[tauri::command]
pub fn ipc_floor(
    payload: Payload,
    size: usize,
    count: usize,
    on_message: Channel<InvokeResponseBody>,
) {
    let body = payload.body(size);
    std::thread::spawn(move || {
        for _ in 0..count {
            if on_message.send(body.clone()).is_err() {
                break;
            }
        }
    });
}
