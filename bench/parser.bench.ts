/**
 * Parser throughput, bytes in (UTF-8 decoding included): tauri-sse's `createParser().feed(bytes)`
 * against `eventsource-parser` fed by a streaming `TextDecoder`, in the same process.
 * Run: `npm run bench` (= `node --import tsx bench/parser.bench.ts`) at the repository root;
 * `npm run bench -- crlf short` runs only the workloads whose names contain one of the words;
 * `npm run bench -- --text` feeds both parsers text decoded beforehand (how eventsource-parser's
 * own benchmark feeds it) instead of bytes; `npm run bench -- --feeds` times the feed shapes of
 * bench/feeds.ts instead (text, a fresh parser per pass, as eventsource-parser's benchmark does);
 * `npm run bench -- --feeds --gc` runs a full GC before each pass, as that benchmark's harness does;
 * `npm run bench -- --input FILE` (repeatable) runs a recorded stream instead of the corpus,
 * repeated to the corpus's size as a workload is.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createParser as createEsParser } from 'eventsource-parser';
import { createParser } from '../packages/tauri-sse/dist/parser/index.js';
import { chunkName, CHUNK_SIZES, CORPUS_BYTES, fingerprint, LINE, type Workload, workloads } from './corpus.js';
import { feedShapes } from './feeds.js';

const WARMUP_RUNS = 3;
const RUNS = 15;

interface Tally {
  events: number;
  chars: number;
}

const FEEDS = process.argv.includes('--feeds');
const GC = FEEDS && process.argv.includes('--gc');
/** Passes per run with `--gc`: each one after a full GC (a few ms each), so far fewer. */
const GC_PASSES = 20;
/** A full GC (`--gc`), reached without node's `--expose-gc` flag. */
const collectGarbage: () => void = GC ? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void) : () => {};
const TEXT = FEEDS || process.argv.includes('--text');
const STREAM = { stream: true };

/** Byte chunks, or (`--text`) the same chunks decoded beforehand. */
type Chunks = Uint8Array[] | string[];
type Feeder = (chunks: Chunks) => Tally;

type OnEvent = (event: { event?: string | undefined; data: string }) => void;

/** Feeds `chunks` to a new parser of ours, as the transports do (bytes or text as they are). */
function feedOurs(chunks: Chunks, onEvent: OnEvent): void {
  const parser = createParser({ onEvent });
  for (const chunk of chunks) parser.feed(chunk);
}

/** Feeds `chunks` to a new eventsource-parser, bytes through a streaming TextDecoder (its `feed` takes text). */
function feedTheirs(chunks: Chunks, onEvent: OnEvent): void {
  const parser = createEsParser({ onEvent });
  const decoder = new TextDecoder();
  for (const chunk of chunks) parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, STREAM));
}

/** A timed feeder: the same work for both parsers per event, count it and touch its data. */
function tallied(feed: (chunks: Chunks, onEvent: OnEvent) => void): Feeder {
  return (chunks) => {
    const tally = { events: 0, chars: 0 };
    feed(chunks, (event) => {
      tally.events++;
      tally.chars += event.data.length;
    });
    return tally;
  };
}

const ours = tallied(feedOurs);
const theirs = tallied(feedTheirs);

function split(bytes: Uint8Array, size: number): Chunks {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const end = size === LINE ? bytes.indexOf(10, i) + 1 || bytes.length : i + size;
    chunks.push(bytes.subarray(i, end));
    i = end;
  }
  if (!TEXT) return chunks;
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, STREAM));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

/** Times `passes` passes of `feed` over `chunks` (with `--gc` each one apart, after a full GC); ms in all. */
function timed(feed: Feeder, chunks: Chunks, passes = 1): () => number {
  const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
  return () => {
    let ms = 0;
    if (GC) {
      for (let pass = 0; pass < passes; pass++) {
        collectGarbage();
        const start = process.hrtime.bigint();
        feed(chunks);
        ms += since(start);
      }
    } else {
      const start = process.hrtime.bigint();
      for (let pass = 0; pass < passes; pass++) feed(chunks);
      ms = since(start);
    }
    return ms;
  };
}

/**
 * Median ms of each run. Runs alternate between the two, each first in turn, so that drift and the
 * garbage one leaves for the other's time hit both alike.
 */
function measure(runs: (() => number)[]): number[] {
  const times: number[][] = runs.map(() => []);
  for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
    const order = run % 2 === 0 ? runs.map((_, i) => i) : runs.map((_, i) => runs.length - 1 - i);
    order.forEach((i) => {
      const ms = runs[i]!();
      if (run >= WARMUP_RUNS) times[i]?.push(ms);
    });
  }
  return times.map(median);
}

function version(pkgJson: string): string {
  return (JSON.parse(readFileSync(new URL(pkgJson, import.meta.url), 'utf8')) as { version: string }).version;
}

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model.trim()}, ${cpu.length} cores, Node ${process.version}`);
console.log(
  `packages: tauri-sse ${version('../packages/tauri-sse/package.json')}, ` +
    `eventsource-parser ${version('../node_modules/eventsource-parser/package.json')}`,
);
const args = process.argv.slice(2);
/** `--input FILE`: recorded streams to run instead of the corpus. */
const inputs = args.flatMap((arg, i) => (args[i - 1] === '--input' ? [arg] : []));
const only = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--input');
const selected = <T extends { name: string }>(all: T[]) => all.filter((w) => only.length === 0 || only.some((word) => w.name.includes(word)));

/**
 * Both parsers must report the same events, type and data, before anything is timed (ids are not
 * compared: eventsource-parser reports a block's own `id:` only, this parser the last event ID
 * carried over, as the DOM's `lastEventId` is).
 */
function check(name: string, chunks: Chunks): void {
  const a: string[] = [];
  const b: string[] = [];
  const log = (into: string[]): OnEvent => (e) => into.push(JSON.stringify([e.event ?? '', e.data]));
  feedOurs(chunks, log(a));
  feedTheirs(chunks, log(b));
  const first = a.findIndex((entry, i) => entry !== b[i]);
  if (a.length !== b.length || first !== -1) {
    throw new Error(`${name}: parsers disagree (${a.length} vs ${b.length} events; first difference at ${first}: ${a[first]} vs ${b[first]})`);
  }
}

if (FEEDS) {
  // A shape is a few to a few hundred KiB: one run feeds it to this many fresh parsers in a row,
  // about 2 MB of text, so that a run is long enough to time.
  console.log('input: text, one feed() per piece of each shape, a fresh parser for each pass over it');
  console.log(
    GC
      ? `median of ${RUNS} runs after ${WARMUP_RUNS} warm-up runs, each ${GC_PASSES} passes timed after a full GC each\n`
      : `median of ${RUNS} runs after ${WARMUP_RUNS} warm-up runs, each ~2 MB of text\n`,
  );
  console.log('| shape | feeds | tauri-sse µs per pass | eventsource-parser µs per pass | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  const ratios: number[] = [];
  for (const shape of selected(feedShapes())) {
    check(shape.name, shape.feeds);
    const chars = shape.feeds.reduce((sum, feed) => sum + feed.length, 0);
    const passes = GC ? GC_PASSES : Math.ceil(2e6 / chars);
    const [mine, other] = measure([timed(ours, shape.feeds, passes), timed(theirs, shape.feeds, passes)]).map((ms) => (ms * 1e3) / passes) as [number, number];
    ratios.push(other / mine);
    console.log(`| ${shape.name} | ${shape.feeds.length} | ${mine.toFixed(1)} | ${other.toFixed(1)} | ${(other / mine).toFixed(2)}x |`);
  }
  report(ratios);
  process.exit(0);
}

/** A recorded stream, named by its file and repeated until it is as large as a corpus workload. */
function recorded(path: string): Workload {
  const recording = readFileSync(path);
  if (recording.length === 0) throw new Error(`--input ${path}: empty file`);
  const bytes = new Uint8Array(Math.ceil(CORPUS_BYTES / recording.length) * recording.length);
  for (let at = 0; at < bytes.length; at += recording.length) bytes.set(recording, at);
  return { name: basename(path), describe: `recorded: ${path}`, bytes };
}

const all = inputs.length === 0 ? workloads() : inputs.map(recorded);
console.log(`${inputs.length === 0 ? 'corpus' : 'input'}: ${all.length} workloads, FNV-1a ${fingerprint(all)}`);
console.log(TEXT ? 'input: text, decoded before timing (both parsers fed the same strings)' : 'input: bytes, UTF-8 decoding included');
console.log(`median of ${RUNS} runs after ${WARMUP_RUNS} warm-up runs; MB = 10^6 bytes of input\n`);
console.log('| workload | chunk | tauri-sse MB/s | eventsource-parser MB/s | ratio |');
console.log('|---|---:|---:|---:|---:|');

const ratios: number[] = [];
for (const workload of selected(all)) {
  for (const size of CHUNK_SIZES) {
    const chunks = split(workload.bytes, size);
    check(`${workload.name}/${chunkName(size)}`, chunks);
    const [mine, other] = measure([timed(ours, chunks), timed(theirs, chunks)]).map((ms) => workload.bytes.length / 1e6 / (ms / 1e3)) as [number, number];
    ratios.push(mine / other);
    console.log(`| ${workload.name} | ${chunkName(size)} | ${mine.toFixed(0)} | ${other.toFixed(0)} | ${(mine / other).toFixed(2)}x |`);
  }
}
report(ratios);

function report(ratios: number[]): void {
  const geomean = Math.exp(ratios.reduce((sum, r) => sum + Math.log(r), 0) / ratios.length);
  console.log(`\ngeometric mean ratio: ${geomean.toFixed(2)}x (min ${Math.min(...ratios).toFixed(2)}x)`);
}
