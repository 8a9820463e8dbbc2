//! The shared retry vectors (`testdata/retry-vectors.json`, format in `testdata/README.md`): the
//! formula, the defaults (each policy is deserialised from camelCase JSON like the `connect`
//! options), `max_attempts` and Retry-After parsing. The TS package runs the same file.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use tauri_plugin_eventsource::{parse_retry_after, RetryPolicy};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/retry-vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn list<'a>(file: &'a Value, key: &str) -> &'a [Value] {
    let list = file[key].as_array().unwrap();
    assert!(!list.is_empty(), "no {key} vectors");
    list
}

/// The policy as user options reach the plugin: serde defaults, then validation.
fn policy(vector: &Value) -> Result<RetryPolicy, String> {
    let policy: RetryPolicy =
        serde_json::from_value(vector["policy"].clone()).map_err(|e| e.to_string())?;
    policy.validate().map_err(|e| e.to_string())?;
    Ok(policy)
}

fn name(vector: &Value) -> &str {
    vector["name"].as_str().unwrap()
}

fn attempt(vector: &Value) -> u32 {
    vector["attempt"].as_u64().unwrap().try_into().unwrap()
}

#[test]
fn delays() {
    let file = vectors();
    let mut failures = Vec::new();
    for v in list(&file, "delays") {
        let p = policy(v).unwrap_or_else(|e| panic!("{}: {e}", name(v)));
        let base = v["base"].as_u64().unwrap_or(p.initial_delay);
        let got = p.delay(
            base,
            attempt(v),
            v["retryAfter"].as_u64(),
            v["random"].as_f64().unwrap(),
        );
        if got != v["delay"].as_u64().unwrap() {
            failures.push(format!("{}: got {got}, expected {}", name(v), v["delay"]));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn exhausted() {
    let file = vectors();
    for v in list(&file, "exhausted") {
        let p = policy(v).unwrap_or_else(|e| panic!("{}: {e}", name(v)));
        assert_eq!(
            p.exhausted(attempt(v)),
            v["exhausted"].as_bool().unwrap(),
            "{}",
            name(v)
        );
    }
}

#[test]
fn invalid_policies_are_refused() {
    let file = vectors();
    for v in list(&file, "invalid") {
        assert!(policy(v).is_err(), "{} was accepted", name(v));
    }
}

#[test]
fn retry_after_headers() {
    let file = vectors();
    let now = SystemTime::UNIX_EPOCH + Duration::from_millis(file["now"].as_u64().unwrap());
    let mut failures = Vec::new();
    for v in list(&file, "retryAfter") {
        let got = parse_retry_after(v["header"].as_str().unwrap(), now);
        if got != v["ms"].as_u64() {
            failures.push(format!("{}: got {got:?}, expected {}", name(v), v["ms"]));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
