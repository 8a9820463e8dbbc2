//! What the plugin holds per idle connection: `N` streams (default 1,000) opened through the Rust
//! API (`Sse::connect`) to the bundled server, each open and silent, and the resident memory of
//! this process before they open, once they are all open, and after they are dropped. The server
//! runs in its own process, so only the client side counts.
//! Run: `cargo bench -p tauri-plugin-eventsource --bench idle` (`-- 5000` for another count).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

use futures_util::StreamExt;
use tauri_plugin_eventsource::{Builder, Message, Request, SseExt};

/// Resident set size of this process, KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Opens `count` streams and waits until each is open.
async fn open(
    app: &tauri::App<tauri::test::MockRuntime>,
    url: &str,
    count: usize,
) -> Vec<tauri_plugin_eventsource::MessageStream> {
    let mut streams: Vec<_> = (0..count)
        .map(|_| app.sse().connect(Request::new(url).unwrap()))
        .collect();
    for stream in &mut streams {
        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
            Ok(Some(Message::Open { .. })) => {}
            other => panic!("expected the stream to open, got {other:?}"),
        }
    }
    streams
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let server = common::Server::start();
    let app = common::app_with(Builder::new().max_connections_per_webview(count));
    // One event an hour: open and silent for the whole measurement.
    let url = server.sse("interval=3600000");
    let settle = || std::thread::sleep(Duration::from_secs(1));
    tauri::async_runtime::block_on(async {
        // One stream first, so the client, the runtime's threads and one-time allocations are
        // in `before`.
        drop(open(&app, &url, 1).await);
        settle();
        let before = rss_kib();
        let streams = open(&app, &url, count).await;
        settle();
        let opened = rss_kib();
        drop(streams);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let dropped = rss_kib();
        let per = (opened.saturating_sub(before)) as f64 / count as f64;
        println!(
            "machine: {} cores, {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            std::env::consts::ARCH
        );
        println!(
            "{count} idle connections (Rust API, plain HTTP/1.1 on loopback, default options)"
        );
        println!(
            "RSS before: {before} KiB, all open: {opened} KiB, after dropping them: {dropped} KiB"
        );
        println!("per idle connection: {per:.1} KiB");
    });
}
