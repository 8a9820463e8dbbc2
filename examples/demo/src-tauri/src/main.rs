// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bench;

use std::sync::Mutex;

use tauri::{AppHandle, Manager, State, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_eventsource::{NetworkSignal, SseExt};

/// Where `npm run demo` starts the bundled server when no port is given.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8787";

/// Base URL of the bundled SSE server. Read from `TAURI_SSE_SERVER` at call time so the end-to-end
/// tests and `npm run demo` can point one build at a server listening on any free port.
#[tauri::command]
fn server_url() -> String {
    std::env::var("TAURI_SSE_SERVER").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// The shared feed the notifications window joins, and its event types.
#[derive(Default)]
struct NotificationsFeed(Mutex<(String, Vec<String>)>);

/// Opens (or focuses) the small "notifications" window, joined to the shared feed `feed`.
#[tauri::command]
fn open_notifications(
    app: AppHandle,
    feed: String,
    types: Vec<String>,
    state: State<NotificationsFeed>,
) -> tauri::Result<()> {
    *state.0.lock().unwrap() = (feed, types);
    if let Some(window) = app.get_webview_window("notifications") {
        return window.set_focus();
    }
    WebviewWindowBuilder::new(&app, "notifications", WebviewUrl::default())
        .title("tauri-sse · notifications")
        .inner_size(420.0, 520.0)
        .build()
        .map(drop)
}

/// What the notifications window joins.
#[tauri::command]
fn notifications_feed(state: State<NotificationsFeed>) -> (String, Vec<String>) {
    state.0.lock().unwrap().clone()
}

/// The demo's stand-in for the operating system: tells the plugin's connections that the network
/// went away or came back, or that the machine woke.
#[tauri::command]
fn simulate_network(app: AppHandle, signal: NetworkSignal) {
    app.sse().network_changed(signal);
}

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_http::init())
        // The webview benchmark opens 100 streams in one window; the default allows 16.
        .plugin(
            tauri_plugin_eventsource::Builder::new()
                .max_connections_per_webview(128)
                .build(),
        )
        .manage(NotificationsFeed::default())
        .invoke_handler(tauri::generate_handler![
            server_url,
            open_notifications,
            notifications_feed,
            simulate_network,
            bench::ipc_floor,
            bench::clock
        ])
        .run(tauri::generate_context!())
        .expect("tauri-sse demo failed to start");
}
