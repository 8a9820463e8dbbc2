//! Parser throughput, bytes in: `tauri_plugin_eventsource::parser::Parser` against `eventsource-stream`
//! 0.2.3 on the corpus of `bench/corpus.ts` (same generator, same bytes), each workload fed in
//! 64 B, 1 KiB and 16 KiB chunks.
//! Run: `cargo bench -p tauri-plugin-eventsource --bench parser`.

use std::{convert::Infallible, time::Instant};

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use tauri_plugin_eventsource::parser::{Item, Parser};

const CORPUS_BYTES: usize = 4 * 1024 * 1024;
const CHUNK_SIZES: [usize; 3] = [64, 1024, 16 * 1024];
const WARMUP_RUNS: usize = 3;
const RUNS: usize = 15;

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
            "64k-events",
            build(|rng, _| {
                let data: String = (0..64 * 1024)
                    .map(|_| (b'a' + rng.pick(26) as u8) as char)
                    .collect();
                format!("data: {data}\n\n")
            }),
        ),
    ]
}

/// The same work for both parsers per event: count it and touch its data.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    events: usize,
    bytes: usize,
}

fn ours(chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    let mut parser = Parser::new(1 << 20, None);
    for chunk in chunks {
        parser.feed(chunk, &mut |item| {
            if let Item::Event(event) = item {
                tally.events += 1;
                tally.bytes += event.data.len();
            }
        });
    }
    tally
}

fn theirs(runtime: &tokio::runtime::Runtime, chunks: &[&[u8]]) -> Tally {
    let stream = futures_util::stream::iter(chunks.iter().map(Ok::<_, Infallible>)).eventsource();
    runtime.block_on(
        stream.fold(Tally::default(), |mut tally, event| async move {
            let event = event.expect("eventsource-stream error");
            tally.events += 1;
            tally.bytes += event.data.len();
            tally
        }),
    )
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
        "crates: tauri-plugin-eventsource {}, eventsource-stream 0.2.3",
        env!("CARGO_PKG_VERSION")
    );
    println!("median of {RUNS} runs after {WARMUP_RUNS} warm-up runs; MB = 10^6 bytes of input\n");
    println!(
        "| workload | chunk | tauri-plugin-eventsource MB/s | eventsource-stream MB/s | ratio |"
    );
    println!("|---|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for (name, bytes) in workloads() {
        for size in CHUNK_SIZES {
            let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
            assert_eq!(
                ours(&chunks),
                theirs(&runtime, &chunks),
                "{name}: parsers disagree"
            );
            let mb = bytes.len() as f64 / 1e6;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            // Alternating runs, so that machine drift hits both alike.
            for run in 0..WARMUP_RUNS + RUNS {
                let started = Instant::now();
                std::hint::black_box(ours(std::hint::black_box(&chunks)));
                let ours_s = started.elapsed().as_secs_f64();
                let started = Instant::now();
                std::hint::black_box(theirs(&runtime, std::hint::black_box(&chunks)));
                let theirs_s = started.elapsed().as_secs_f64();
                if run >= WARMUP_RUNS {
                    a.push(mb / ours_s);
                    b.push(mb / theirs_s);
                }
            }
            let (a, b) = (median(a), median(b));
            ratios.push(a / b);
            println!("| {name} | {size} | {a:.0} | {b:.0} | {:.2}x |", a / b);
        }
    }
    let geomean = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    println!("\ngeometric mean ratio: {geomean:.2}x (min {min:.2}x)");
}
