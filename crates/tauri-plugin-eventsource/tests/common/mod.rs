//! Test helpers: the project's bundled SSE server (`packages/sse-server`) on loopback, and
//! message collection with deadlines.
#![allow(dead_code)] // each test binary uses its own subset

pub mod ipc;
pub mod net;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::Duration,
};

use futures_util::StreamExt;
use serde_json::Value;
use tauri_plugin_eventsource::Message;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the server once per test binary if its `dist/` is missing.
fn ensure_built() {
    static BUILT: Mutex<bool> = Mutex::new(false);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if *built || repo_root().join("packages/sse-server/dist/cli.js").exists() {
        *built = true;
        return;
    }
    let status = Command::new("npm")
        .args(["run", "build", "-w", "@tauri-sse/server"])
        .current_dir(repo_root())
        .status()
        .expect("npm must be on PATH to build packages/sse-server");
    assert!(status.success(), "building packages/sse-server failed");
    *built = true;
}

/// A running `sse-server`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    pub port: u16,
}

impl Server {
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// On a given port (0 = any free one), e.g. to restart a killed server where clients expect it.
    pub fn start_on(port: u16) -> Self {
        ensure_built();
        let mut child = Command::new("node")
            .arg(repo_root().join("packages/sse-server/dist/cli.js"))
            .args(["--port", &port.to_string(), "--host", "127.0.0.1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node must be on PATH to run packages/sse-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let announced: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("sse-server printed {line:?}: {e}"));
        let origin = announced["url"].as_str().unwrap().to_string();
        let port = origin.rsplit(':').next().unwrap().parse().unwrap();
        Self {
            child,
            origin,
            port,
        }
    }

    /// `http://127.0.0.1:PORT/sse?{query}`
    pub fn sse(&self, query: &str) -> String {
        format!("{}/sse?{query}", self.origin)
    }

    /// The same stream on the other loopback origin, `http://localhost:PORT`.
    pub fn sse_on_localhost(&self, query: &str) -> String {
        format!("http://localhost:{}/sse?{query}", self.port)
    }

    /// The requests recorded under `tag=`.
    pub async fn requests(&self, tag: &str) -> Vec<Value> {
        let url = format!("{}/requests?tag={tag}", self.origin);
        let body = reqwest::get(url).await.unwrap().text().await.unwrap();
        serde_json::from_str(&body).unwrap()
    }

    /// Waits until every request under `tag` has ended (the client hung up), or panics.
    pub async fn wait_closed(&self, tag: &str) {
        for _ in 0..100 {
            let requests = self.requests(tag).await;
            if !requests.is_empty() && requests.iter().all(|r| r["closed"] == true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the connection of tag {tag} is still open: {:?}",
            self.requests(tag).await
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes a URL for use as a query value (`redirect=`).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An app on the mock runtime with the plugin as `plugin` configures it; its HTTP client is
/// built now (from the environment too).
pub fn app_with(plugin: tauri_plugin_eventsource::Builder) -> tauri::App<tauri::test::MockRuntime> {
    tauri::test::mock_builder()
        .plugin(plugin.build())
        .build(tauri::test::mock_context(tauri::test::noop_assets()))
        .unwrap()
}

/// The messages of a Rust stream's first attempt, up to its first error (a failed attempt, or a
/// reconnect after a stream the server ended).
pub async fn first_attempt(plugin: tauri_plugin_eventsource::Builder, url: &str) -> Vec<Message> {
    use tauri_plugin_eventsource::{Request, SseExt};
    let app = app_with(plugin);
    let mut stream = app.sse().connect(Request::new(url).unwrap());
    collect_until(&mut stream, |m| matches!(m, Message::Error { .. })).await
}

/// Reads messages until `stop` says so (the stopping message included) or 10 s pass.
pub async fn collect_until(
    stream: &mut (impl futures_util::Stream<Item = Message> + Unpin),
    mut stop: impl FnMut(&Message) -> bool,
) -> Vec<Message> {
    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("timed out; received so far: {messages:#?}"))
            .expect("the stream ended before the expected message");
        let done = stop(&message);
        messages.push(message);
        if done {
            return messages;
        }
    }
}

/// The `data` of every event in `messages`, in order.
pub fn event_data(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::Events { events } => Some(events.iter().map(|e| e.data.to_string())),
            _ => None,
        })
        .flatten()
        .collect()
}
