//! Differential-fuzzing harness for the parser (driven by
//! `packages/tauri-sse/test/reliability/rust.ts`; see docs/reliability.md).
//!
//! stdin: cases, back to back, each `u32 LE max_event_size` (0 = default), `u32 LE chunk count`,
//! then per chunk `u32 LE length` + bytes. stdout: one JSON line per case, in the log format the
//! TypeScript side produces: `{"items":[["event",type|null,data,id|null] | ["retry",ms] |
//! ["comment",text] | ["error","event-too-large"], …],"lastEventId":"…"}` after the end of stream.

use std::io::{self, BufWriter, Read, Write};

use serde_json::{json, Value};
use tauri_plugin_eventsource::parser::{Item, Parser, DEFAULT_MAX_EVENT_SIZE};

fn read_u32(input: &mut impl Read) -> io::Result<Option<u32>> {
    let mut buf = [0; 4];
    match input.read_exact(&mut buf) {
        Ok(()) => Ok(Some(u32::from_le_bytes(buf))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

fn item(item: Item) -> Value {
    match item {
        Item::Event(e) => json!(["event", e.event, e.data, e.id]),
        Item::Retry(ms) => json!(["retry", ms]),
        Item::Comment(text) => json!(["comment", text]),
        Item::EventTooLarge { .. } => json!(["error", "event-too-large"]),
    }
}

fn main() -> io::Result<()> {
    let mut input = io::stdin().lock();
    let mut output = BufWriter::new(io::stdout().lock());
    let truncated = || io::Error::new(io::ErrorKind::UnexpectedEof, "truncated case");
    while let Some(max) = read_u32(&mut input)? {
        let max = if max == 0 {
            DEFAULT_MAX_EVENT_SIZE
        } else {
            max as usize
        };
        let mut parser = Parser::new(max, None);
        let mut items = Vec::new();
        for _ in 0..read_u32(&mut input)?.ok_or_else(truncated)? {
            let mut chunk = vec![0; read_u32(&mut input)?.ok_or_else(truncated)? as usize];
            input.read_exact(&mut chunk)?;
            parser.feed(&chunk, &mut |i| items.push(item(i)));
        }
        parser.reset();
        let log = json!({ "items": items, "lastEventId": parser.last_event_id().unwrap_or("") });
        writeln!(output, "{log}")?;
    }
    output.flush()
}
