// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Where `npm run demo` starts the bundled server when no port is given.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8787";

/// Base URL of the bundled SSE server. Read from `TAURI_SSE_SERVER` at call time so the end-to-end
/// tests and `npm run demo` can point one build at a server listening on any free port.
#[tauri::command]
fn server_url() -> String {
    std::env::var("TAURI_SSE_SERVER").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_http::init())
        .plugin(tauri_plugin_eventsource::init())
        .invoke_handler(tauri::generate_handler![server_url])
        .run(tauri::generate_context!())
        .expect("tauri-sse demo failed to start");
}
