//! Parser throughput, bytes in: `tauri_plugin_eventsource::parser::Parser` against `sseer` 0.3.1 (the
//! fastest Rust SSE parser we know of) and `eventsource-stream` 0.2.3, on the corpus of
//! `bench/corpus.ts` (same generator, same bytes), each workload fed in 64 B, 1 KiB and 16 KiB
//! chunks and one line per chunk (`line`: a server that flushes every line, the "aligned" shape
//! of sseer's own benchmark). All three get `Bytes` slices of one buffer, as a reqwest body stream
//! hands them over (ours through `Parser::feed_bytes`, as the plugin's connections feed it).
//! Run: `cargo bench -p tauri-plugin-eventsource --bench parser`; `... --bench parser -- crlf short`
//! runs only the workloads whose names contain one of the words; `... -- --input FILE` (repeatable)
//! runs a recorded stream instead of the corpus, repeated to the corpus's size as a workload is.
//!
//! `eventsource-stream` re-parses its whole pending buffer on every chunk, so a 4 MiB line in 64 B
//! chunks would take minutes per run: a run of it that exceeds `PEER_BUDGET` is cut short and the
//! row shows `> budget` for it instead of a rate. Ours and sseer alternate run by run;
//! eventsource-stream is timed after them (see the loop).

use std::{
    convert::Infallible,
    time::{Duration, Instant},
};

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use tauri_plugin_eventsource::parser::{Item, Parser, DEFAULT_MAX_EVENT_SIZE};

const CORPUS_BYTES: usize = 4 * 1024 * 1024;
/// Chunk sizes in bytes; `LINE` (0) cuts after every LF instead.
const CHUNK_SIZES: [usize; 4] = [64, 1024, 16 * 1024, LINE];
const LINE: usize = 0;
const WARMUP_RUNS: usize = 3;
const RUNS: usize = 15;
const PEER_BUDGET: Duration = Duration::from_secs(5);

/// `bench/corpus.ts`'s LCG: `state = state * 1664525 + 1013904223 (mod 2^32)`, seeded with 1.
struct Lcg(u32);

impl Lcg {
    fn pick(&mut self, n: u32) -> usize {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 % n) as usize
    }
}

const TOKENS: [&str; 20] = [
    "The",
    " quick",
    " brown",
    " fox",
    " jumps",
    " over",
    " the",
    " lazy",
    " dog",
    ".",
    ",",
    " and",
    " café",
    " naïve",
    " —",
    " 日本",
    " 🙂",
    "\\n",
    " \\\"quoted\\\"",
    " token",
];
const WORDS: [&str; 10] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
];

const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const EVENT_NAMES: [&str; 6] = [
    "mise-à-jour",
    "événement",
    "更新",
    "обновление",
    "update",
    "ñandú",
];

/// `length` characters picked one at a time from `chars` (code points, as `bench/corpus.ts` picks them).
fn text(rng: &mut Lcg, length: usize, chars: &[char]) -> String {
    (0..length)
        .map(|_| chars[rng.pick(chars.len() as u32)])
        .collect()
}

fn build(mut make_event: impl FnMut(&mut Lcg, usize) -> String) -> Vec<u8> {
    let mut rng = Lcg(1);
    let mut bytes = Vec::with_capacity(CORPUS_BYTES + 70_000);
    let mut n = 0;
    while bytes.len() < CORPUS_BYTES {
        bytes.extend_from_slice(make_event(&mut rng, n).as_bytes());
        n += 1;
    }
    bytes
}

fn workloads() -> Vec<(&'static str, Vec<u8>)> {
    let text_chars: Vec<char> = format!("{ALNUM}      .,").chars().collect();
    let id_chars: Vec<char> = format!("{ALNUM}éü日本-_").chars().collect();
    vec![
        (
            "llm",
            build(|rng, _| {
                let token = TOKENS[rng.pick(TOKENS.len() as u32)];
                format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{token}\"}}}}]}}\n\n")
            }),
        ),
        (
            "crlf-id-event",
            build(|rng, n| {
                let value = rng.pick(100_000);
                format!(
                    "id: {n}\r\nevent: update\r\ndata: {{\"seq\":{n},\"value\":{value}}}\r\n\r\n"
                )
            }),
        ),
        (
            "multiline",
            build(|rng, _| {
                let mut event = String::new();
                for _ in 0..5 {
                    let words: Vec<&str> = (0..6)
                        .map(|_| WORDS[rng.pick(WORDS.len() as u32)])
                        .collect();
                    event.push_str(&format!("data: {}\n", words.join(" ")));
                }
                event + "\n"
            }),
        ),
        (
            "crlf-utf8",
            build(|_, n| {
                format!(
                    "id: {n}\r\nevent: update\r\ndata: line one {n}\r\ndata: line two é\r\n\r\n"
                )
            }),
        ),
        (
            "short-lines",
            build(|rng, _| {
                let mut event = String::new();
                for _ in 0..8 {
                    event.push_str(&format!("data: {}\n", rng.pick(1000)));
                }
                event + "\n"
            }),
        ),
        (
            "notifications",
            build(|rng, n| {
                let user = 1000 + rng.pick(9000);
                let name = rng.pick(100);
                let length = 60 + rng.pick(260);
                let body = text(rng, length, &text_chars);
                let priority = rng.pick(3);
                let created = 1_733_050_000 + n;
                format!(
                    "data: {{\"id\":\"ntf_{n}\",\"type\":\"notification.created\",\"created_at\":{created},\"user\":{{\"id\":{user},\"name\":\"user{name}\"}},\"title\":\"New comment on your post\",\"body\":\"{body}\",\"read\":false,\"priority\":{priority}}}\n\n"
                )
            }),
        ),
        (
            "openai-chat",
            build(|rng, n| {
                let token = TOKENS[rng.pick(TOKENS.len() as u32)];
                let chunk = format!(
                    "data: {{\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion.chunk\",\"created\":1733050000,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_abc\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n"
                );
                if n % 50 == 49 {
                    chunk + "data: [DONE]\n\n"
                } else {
                    chunk
                }
            }),
        ),
        (
            "long-ids",
            build(|rng, n| {
                let length = 64 + rng.pick(137);
                let id = text(rng, length, &id_chars);
                let event = EVENT_NAMES[rng.pick(EVENT_NAMES.len() as u32)];
                format!("id: {id}\nevent: {event}\ndata: {{\"n\":{n}}}\n\n")
            }),
        ),
        (
            "heartbeats",
            build(|rng, n| {
                let pings = ": ping\n\n".repeat(2 + rng.pick(7));
                let value = rng.pick(100_000);
                format!("{pings}data: {{\"n\":{n},\"v\":{value}}}\n\n")
            }),
        ),
        (
            "64k-events",
            build(|rng, _| {
                let data: String = (0..64 * 1024)
                    .map(|_| (b'a' + rng.pick(26) as u8) as char)
                    .collect();
                format!("data: {data}\n\n")
            }),
        ),
        (
            "one-4mib-line",
            build(|rng, _| {
                const ALPHABET: &[u8; 64] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                let data: String = (0..CORPUS_BYTES)
                    .map(|_| ALPHABET[rng.pick(64)] as char)
                    .collect();
                format!("data: {data}\n\n")
            }),
        ),
    ]
}

/// A recorded stream (`--input`), named by its file and repeated until it is as large as a
/// corpus workload, so that runs are as long to time.
fn recorded(path: &str) -> (String, Vec<u8>) {
    let recording = std::fs::read(path).unwrap_or_else(|e| panic!("--input {path}: {e}"));
    assert!(!recording.is_empty(), "--input {path}: empty file");
    let name = std::path::Path::new(path)
        .file_name()
        .map_or(path.into(), |n| n.to_string_lossy().into_owned());
    (
        name,
        recording.repeat(CORPUS_BYTES.div_ceil(recording.len())),
    )
}

/// FNV-1a (32 bits) over the workloads' bytes in order, as `bench/corpus.ts` computes it: both
/// benchmarks print it, so their corpora can be seen to match.
fn fingerprint(all: &[(String, Vec<u8>)]) -> String {
    let hash = all
        .iter()
        .flat_map(|(_, bytes)| bytes)
        .fold(0x811c_9dc5_u32, |hash, &byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
    format!("{hash:#010x}")
}

/// The same work for both parsers per event: count it and touch its data.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    events: usize,
    bytes: usize,
}

fn ours(chunks: &[Bytes]) -> Tally {
    let mut tally = Tally::default();
    let mut parser = Parser::new(DEFAULT_MAX_EVENT_SIZE, None);
    for chunk in chunks {
        parser.feed_bytes(chunk, &mut |item| {
            if let Item::Event(event) = item {
                tally.events += 1;
                tally.bytes += event.data.len();
            }
        });
    }
    tally
}

fn sseer(runtime: &tokio::runtime::Runtime, chunks: &[Bytes]) -> Tally {
    let stream = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    runtime.block_on(sseer::event_stream::EventStream::new(stream).fold(
        Tally::default(),
        |mut tally, event| async move {
            let event = event.expect("sseer error");
            tally.events += 1;
            tally.bytes += event.data.len();
            tally
        },
    ))
}

/// `None` when the run took longer than `PEER_BUDGET` (the input is then cut short).
fn eventsource_stream(runtime: &tokio::runtime::Runtime, chunks: &[Bytes]) -> Option<Tally> {
    let deadline = Instant::now() + PEER_BUDGET;
    let stream = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>))
        .take_while(|_| std::future::ready(Instant::now() < deadline));
    let tally = runtime.block_on(stream.eventsource().fold(
        Tally::default(),
        |mut tally, event| async move {
            let event = event.expect("eventsource-stream error");
            tally.events += 1;
            tally.bytes += event.data.len();
            tally
        },
    ));
    (Instant::now() < deadline).then_some(tally)
}

/// `shared` as `size`-byte slices, or (`LINE`) one slice per line, its LF included.
fn cut(shared: &Bytes, size: usize) -> Vec<Bytes> {
    let mut ends: Vec<usize> = match size {
        LINE => memchr::memchr_iter(b'\n', shared)
            .map(|lf| lf + 1)
            .collect(),
        size => (size..shared.len()).step_by(size).collect(),
    };
    if ends.last() != Some(&shared.len()) {
        ends.push(shared.len());
    }
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let chunk = shared.slice(start..end);
            start = end;
            chunk
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "machine: {}, {cores} cores, {}",
        cpu_model(),
        std::env::consts::ARCH
    );
    println!(
        "crates: tauri-plugin-eventsource {}, sseer 0.3.1, eventsource-stream 0.2.3",
        env!("CARGO_PKG_VERSION")
    );
    let mut args = std::env::args().skip(1);
    let (mut only, mut inputs) = (Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        if arg == "--input" {
            inputs.push(args.next().expect("--input needs a file"));
        } else if !arg.starts_with('-') {
            only.push(arg);
        }
    }
    let all: Vec<(String, Vec<u8>)> = if inputs.is_empty() {
        workloads()
            .into_iter()
            .map(|(name, bytes)| (name.to_string(), bytes))
            .collect()
    } else {
        inputs.iter().map(|path| recorded(path)).collect()
    };
    println!(
        "{}: {} workloads, FNV-1a {}",
        if inputs.is_empty() { "corpus" } else { "input" },
        all.len(),
        fingerprint(&all)
    );
    println!("median of {RUNS} runs after {WARMUP_RUNS} warm-up runs; MB = 10^6 bytes of input\n");
    println!("| workload | chunk | tauri-plugin-eventsource MB/s | sseer MB/s | eventsource-stream MB/s | vs sseer | vs eventsource-stream |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut vs_sseer, mut vs_es) = (Vec::new(), Vec::new());
    for (name, bytes) in all
        .into_iter()
        .filter(|(name, _)| only.is_empty() || only.iter().any(|word| name.contains(word.as_str())))
    {
        let shared = Bytes::from(bytes);
        for size in CHUNK_SIZES {
            let owned = cut(&shared, size);
            let chunking = match size {
                LINE => "line".to_string(),
                size => size.to_string(),
            };
            let expected = ours(&owned);
            assert_eq!(
                expected,
                sseer(&runtime, &owned),
                "{name}/{chunking}: sseer disagrees"
            );
            // A peer that runs over budget once is not timed: it would again.
            let es_in_budget = match eventsource_stream(&runtime, &owned) {
                Some(tally) => {
                    assert_eq!(
                        expected, tally,
                        "{name}/{chunking}: eventsource-stream disagrees"
                    );
                    true
                }
                None => false,
            };
            let mb = shared.len() as f64 / 1e6;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            // Alternating runs, so that machine drift hits both alike.
            for run in 0..WARMUP_RUNS + RUNS {
                let ours = time(|| ours(std::hint::black_box(&owned)));
                let peer = time(|| sseer(&runtime, std::hint::black_box(&owned)));
                if run >= WARMUP_RUNS {
                    a.push(mb / ours);
                    b.push(mb / peer);
                }
            }
            let (a, b) = (median(a), median(b));
            vs_sseer.push(a / b);
            // Timed apart: its runs churn through hundreds of MB of buffers where the input has
            // long lines, and whoever runs right after one pays for it in page faults (one 4 MiB
            // line in 16 KiB chunks measured 0.14x against sseer interleaved, 1.2x apart).
            let (c, vs_c) = if es_in_budget {
                let rates = (0..WARMUP_RUNS + RUNS)
                    .map(|_| {
                        mb / time(|| eventsource_stream(&runtime, std::hint::black_box(&owned)))
                    })
                    .skip(WARMUP_RUNS)
                    .collect();
                let c = median(rates);
                vs_es.push(a / c);
                (format!("{c:.0}"), format!("{:.2}x", a / c))
            } else {
                let budget = format!("> {} s a run", PEER_BUDGET.as_secs());
                (budget, "-".into())
            };
            println!(
                "| {name} | {chunking} | {a:.0} | {b:.0} | {c} | {:.2}x | {vs_c} |",
                a / b
            );
        }
    }
    for (peer, ratios) in [("sseer", vs_sseer), ("eventsource-stream", vs_es)] {
        let geomean = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "\nvs {peer}: geometric mean {geomean:.2}x (min {min:.2}x) over {} rows",
            ratios.len()
        );
    }
}

/// Seconds one run of `run` takes; its result is kept from the optimiser.
fn time<T>(run: impl FnOnce() -> T) -> f64 {
    let started = Instant::now();
    std::hint::black_box(run());
    started.elapsed().as_secs_f64()
}
