const COMMANDS: &[&str] = &[
    "open_pipe",
    "connect",
    "close",
    "attach",
    "join",
    "ack",
    "set_headers",
    "network",
    "list",
];

/// An entry of the `eventsource` scope (kept in sync with `src/scope.rs`, which parses it).
#[allow(dead_code)] // only its schema is used
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
enum SseScopeEntry {
    /// A URL the webview may stream from, in URL Pattern syntax
    /// (https://urlpattern.spec.whatwg.org/). An omitted path matches the whole origin.
    ///
    /// - "https://api.example.com/*": any path on that origin
    /// - "https://*.example.com/events/*": any subdomain, paths under /events/
    /// - "http://127.0.0.1:*": any port on the loopback address
    Value(String),
    Object {
        /// A URL the webview may stream from, in URL Pattern syntax
        /// (https://urlpattern.spec.whatwg.org/). An omitted path matches the whole origin.
        url: String,
    },
}

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .global_scope_schema(schemars::schema_for!(SseScopeEntry))
        .build();
}
