//! The shared parser vectors (`testdata/parser-vectors.json`, format in `testdata/README.md`),
//! each fed whole, in chunks of 1, 2, 3, 7 and 64 bytes, and one line per chunk; borrowed
//! (`Parser::feed`) and as `Bytes` the parser may keep slices of (`Parser::feed_bytes`, sharing
//! lines of any length, where the plugin shares only long ones).

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};
use tauri_plugin_eventsource::parser::{Item, Parser, DEFAULT_MAX_EVENT_SIZE};

/// Chunk sizes in bytes; `LINE` (0) cuts after every LF or CR instead.
const CHUNK_SIZES: [usize; 7] = [usize::MAX, 1, 2, 3, 7, 64, LINE];
const LINE: usize = 0;

fn pieces(input: &[u8], chunk: usize) -> Vec<&[u8]> {
    match chunk {
        LINE => input
            .split_inclusive(|&b| b == b'\n' || b == b'\r')
            .collect(),
        size => input.chunks(size.min(input.len()).max(1)).collect(),
    }
}

/// What a page could observe from a stream, in the vectors' JSON shape.
fn observe(input: &[u8], options: &Value, chunk: usize, as_bytes: bool) -> Value {
    let max = options["maxEventSize"]
        .as_u64()
        .map_or(DEFAULT_MAX_EVENT_SIZE, |m| m as usize);
    let last_event_id = options["lastEventId"].as_str().map(String::from);
    let mut parser = Parser::new(max, last_event_id).share_lines_from(0);
    let (mut events, mut retries, mut comments, mut errors) = (vec![], vec![], vec![], vec![]);
    for piece in pieces(input, chunk) {
        let mut emit = |item| match item {
            Item::Event(e) => events.push(json!({
                "type": e.event_type(),
                "data": e.data,
                "lastEventId": e.id.unwrap_or_default(),
            })),
            Item::Retry(ms) => retries.push(json!(ms)),
            Item::Comment(c) => comments.push(json!(c)),
            Item::EventTooLarge { .. } => errors.push(json!("event-too-large")),
        };
        if as_bytes {
            parser.feed_bytes(&Bytes::copy_from_slice(piece), &mut emit);
        } else {
            parser.feed(piece, &mut emit);
        }
    }
    parser.reset();
    json!({
        "events": events,
        "retries": retries,
        "comments": comments,
        "errors": errors,
        "lastEventId": parser.last_event_id().unwrap_or_default(),
    })
}

/// The vector's expectations with the README's defaults filled in.
fn expected(vector: &Value) -> Value {
    let events: Vec<Value> = vector["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            json!({
                "type": e["type"].as_str().unwrap_or("message"),
                "data": e["data"],
                "lastEventId": e["lastEventId"].as_str().unwrap_or(""),
            })
        })
        .collect();
    let list = |key: &str| vector.get(key).cloned().unwrap_or_else(|| json!([]));
    json!({
        "events": events,
        "retries": list("retries"),
        "comments": list("comments"),
        "errors": list("errors"),
        "lastEventId": vector["lastEventId"].as_str().unwrap_or(""),
    })
}

#[test]
fn every_vector_at_every_chunk_size() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/parser-vectors.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() > 50, "the vector file looks truncated");
    let mut failures = Vec::new();
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let input = match (vector["input"].as_str(), vector["inputBase64"].as_str()) {
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            _ => panic!("{name}: exactly one of input / inputBase64"),
        };
        let want = expected(vector);
        for (chunk, as_bytes) in CHUNK_SIZES
            .into_iter()
            .flat_map(|c| [(c, false), (c, true)])
        {
            let got = observe(&input, &vector["options"], chunk, as_bytes);
            if got != want {
                let how = if as_bytes { "feed_bytes" } else { "feed" };
                failures.push(format!(
                    "{name} ({how}, chunks of {chunk}): got {got}, want {want}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
