// In-webview benchmarks: the bundled server's stream through each transport inside the real app.
// bench/webview.ts drives these through the test hook and writes BENCHMARKS.md.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { TransportName } from './connect.js';
import { Run } from './run.js';

export interface ThroughputResult {
  transport: TransportName;
  count: number;
  size: number | null;
  received: number;
  /** From the open to the last event. */
  ms: number;
  eventsPerSec: number;
  mibPerSec: number;
}

interface Percentiles {
  /** The fastest: the two clocks may disagree by about this much (see BENCHMARKS.md). */
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LatencyResult extends Percentiles {
  transport: TransportName;
  rate: number;
  received: number;
  /** Smallest step of the page's clock, ms: latencies are only this exact (WebKit coarsens timers). */
  clockStep: number;
  /** How far the sender's clock (the server's, the app's) was ahead of the page's, ms: subtracted from every delay. */
  clockOffset: number;
}

/** The latency of a bare IPC message: no transport involved. */
export type IpcLatencyResult = Omit<LatencyResult, 'transport'>;

/** The server's event payload starts `{"n":…,"t":<send time, ms since the epoch>`. */
const SENT_AT = /"t":([0-9.]+)/;

function benchUrl(server: string, transport: TransportName, params: Record<string, string>): string {
  const query = new URLSearchParams(params);
  if (transport === 'native') query.set('cors', '1');
  return `${server}/sse?${query}`;
}

/** `count` events as fast as the server writes them; events/s measured from open to the last one. */
export async function throughput(
  server: string,
  transport: TransportName,
  count: number,
  size: number | null,
  show: (run: Run) => void,
): Promise<ThroughputResult> {
  const params: Record<string, string> = { count: String(count) };
  if (size !== null) params.size = String(size);
  let bytes = 0;
  const run = new Run({ transport, url: benchUrl(server, transport, params) }, `bench: ${count} × ${size ?? 'small'} B`, {
    record: false,
    onEvent: (data) => (bytes += data.length),
  });
  show(run.start());
  const result = await run.wait({ events: count }, 120_000);
  run.close();
  const ms = (result.lastEventAt ?? 0) - (result.openedAt ?? 0);
  return {
    transport,
    count,
    size,
    received: result.count,
    ms,
    eventsPerSec: ms > 0 ? (result.count * 1000) / ms : 0,
    mibPerSec: ms > 0 ? (bytes * 1000) / ms / 2 ** 20 : 0,
  };
}

/** Receive − send time of each event at a fixed rate; the first `warmup` events are not counted. */
export async function latency(
  server: string,
  transport: TransportName,
  rate: number,
  count: number,
  warmup: number,
  show: (run: Run) => void,
): Promise<LatencyResult> {
  const { streams, clockOffset } = await measureStreams(server, transport, 1, rate, count, show);
  const [stream] = streams;
  return { transport, ...latencyOf(rate, stream!.received, stream!.delays.subarray(warmup), clockOffset) };
}

/** A latency row from the counted delays. */
function latencyOf(rate: number, received: number, delays: Float64Array, clockOffset: number): IpcLatencyResult {
  return { rate, received, ...percentiles(delays), clockStep: clockStep(), clockOffset };
}

/** How long a paced run of `count` messages at `rate` a second may take before it is cut off, ms. */
function deadlineFor(count: number, rate: number): number {
  return 30_000 + (count * 1000) / rate;
}

export interface StreamsResult {
  transport: TransportName;
  streams: number;
  /** Events/s per stream, as the server sends them. */
  rate: number;
  /** Streams that received every event. */
  complete: number;
  /** Most streams receiving at the same time (between their first and last events). */
  concurrent: number;
  received: number;
  /** All streams' events per second, from the start to the last event of any stream. */
  eventsPerSec: number;
  /** Receive − send over every stream's events after its warm-up. */
  p50: number;
  p99: number;
  max: number;
  /** The worst stream's own p99. */
  worstStreamP99: number;
}

/**
 * `streams` concurrent connections at `rate` events/s each, `count` events each (the first tenth
 * not counted): what a dashboard with many live panels asks of one window.
 */
export async function manyStreams(
  server: string,
  transport: TransportName,
  streams: number,
  rate: number,
  count: number,
  show: (run: Run) => void,
): Promise<StreamsResult> {
  const started = performance.now();
  const { streams: results } = await measureStreams(server, transport, streams, rate, count, show);
  const warmup = Math.floor(count / 10);
  const counted = results.map((r) => r.delays.subarray(warmup));
  const pooled = new Float64Array(counted.reduce((n, d) => n + d.length, 0));
  counted.reduce((at, d) => (pooled.set(d, at), at + d.length), 0);
  const last = Math.max(...results.map((r) => r.lastAt ?? started));
  const received = results.reduce((n, r) => n + r.received, 0);
  const { p50, p99, max } = percentiles(pooled);
  return {
    transport,
    streams,
    rate,
    complete: results.filter((r) => r.received === count).length,
    concurrent: mostAtOnce(results),
    received,
    eventsPerSec: last > started ? (received * 1000) / (last - started) : 0,
    p50,
    p99,
    max,
    worstStreamP99: Math.max(...counted.map((d) => percentiles(d).p99).filter(Number.isFinite)),
  };
}

interface StreamDelays {
  received: number;
  /** Receive − send of each event in order, ms. */
  delays: Float64Array;
  /** performance.now() of the first and last events. */
  firstAt: number | null;
  lastAt: number | null;
}

/**
 * Opens `streams` connections to the server's paced stream at once and records each event's
 * delay; resolves when each has its `count` events, or when it could not have them in time
 * (e.g. a transport that holds the connections past its per-origin limit back).
 */
async function measureStreams(
  server: string,
  transport: TransportName,
  streams: number,
  rate: number,
  count: number,
  show: (run: Run) => void,
): Promise<{ streams: StreamDelays[]; clockOffset: number }> {
  const url = benchUrl(server, transport, { rate: String(rate), count: String(count) });
  const offset = await measureClockOffset(async () => Number(await (await fetch(`${server}/clock`)).text()));
  const deadline = deadlineFor(count, rate);
  const measured = Array.from({ length: streams }, (_, i) => {
    const stream: StreamDelays = { received: 0, delays: new Float64Array(count), firstAt: null, lastAt: null };
    const run = new Run({ transport, url }, `bench: ${streams} × ${rate} events/s`, {
      record: false,
      onEvent: (data) => {
        const now = performance.now();
        const sent = SENT_AT.exec(data)?.[1];
        if (sent === undefined || stream.received >= count) return;
        stream.delays[stream.received++] = performance.timeOrigin + now - (Number(sent) - offset);
        stream.firstAt ??= now;
        stream.lastAt = now;
      },
    });
    const started = run.start();
    if (i === 0) show(started);
    return started.wait({ events: count }, deadline).then(() => {
      run.close();
      stream.delays = stream.delays.subarray(0, stream.received);
      return stream;
    });
  });
  return { streams: await Promise.all(measured), clockOffset: offset };
}

function percentiles(delays: Float64Array): Percentiles {
  const sorted = Float64Array.from(delays).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { min: at(0), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** The most streams between their first and last events at one moment. */
function mostAtOnce(streams: StreamDelays[]): number {
  const edges = streams.flatMap((s) => (s.firstAt === null ? [] : [[s.firstAt, 1] as const, [s.lastAt!, -1] as const]));
  edges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let live = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (live += step));
  return most;
}

/**
 * What each floor message carries: nothing, `raw` bytes (an `ArrayBuffer`, left as it is), `text`
 * (the same bytes, decoded to a string in the page as a transport would have to) or a `json` string.
 */
export type IpcPayload = 'empty' | 'raw' | 'text' | 'json';

export interface IpcFloorResult {
  payload: IpcPayload;
  size: number;
  count: number;
  received: number;
  messagesPerSec: number;
  mibPerSec: number;
}

/**
 * Tauri's IPC alone (the demo's `ipc_floor` command): `count` channel messages of `size` bytes
 * sent from a Rust thread as fast as Tauri takes them, timed from the command to the last message.
 */
export async function ipcFloor(payload: IpcPayload, size: number, count: number): Promise<IpcFloorResult> {
  const started = performance.now();
  let lastAt = started;
  const decoder = new TextDecoder();
  const received = await runIpcFloor({ payload: payload === 'text' ? 'raw' : payload, size, count }, 120_000, (message) => {
    if (payload === 'text') decoder.decode(message as ArrayBuffer);
    lastAt = performance.now();
  });
  const seconds = (lastAt - started) / 1000;
  const bytes = payload === 'empty' ? 0 : size * received;
  return { payload, size, count, received, messagesPerSec: received / seconds, mibPerSec: bytes / seconds / 2 ** 20 };
}

/**
 * The latency of Tauri's IPC alone: `count` messages stamped with the app's clock, sent at `rate`
 * a second from a Rust thread, receive − send as for a transport's events (the first `warmup`
 * not counted). A transport's latency cannot be lower than this in the same conditions.
 */
export async function ipcLatency(rate: number, count: number, warmup: number): Promise<IpcLatencyResult> {
  const offset = await measureClockOffset(() => invoke<number>('clock'));
  const delays = new Float64Array(count);
  let n = 0;
  const received = await runIpcFloor({ payload: 'stamped', size: 0, count, rate }, deadlineFor(count, rate), (message) => {
    delays[n++] = performance.timeOrigin + performance.now() - ((message as { t: number }).t - offset);
  });
  return latencyOf(rate, received, delays.subarray(warmup, received), offset);
}

/** Runs `ipc_floor`, handing each message to `onMessage`; the number received, at the `count`th or after `timeoutMs`. */
async function runIpcFloor(
  args: { payload: Exclude<IpcPayload, 'text'> | 'stamped'; size: number; count: number; rate?: number },
  timeoutMs: number,
  onMessage: (message: unknown) => void,
): Promise<number> {
  let received = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const channel = new Channel<unknown>((message) => {
      onMessage(message);
      if (++received === args.count) {
        clearTimeout(timer);
        resolve();
      }
    });
    void invoke('ipc_floor', { ...args, onMessage: channel });
  });
  return received;
}

/**
 * How far the sender's clock is ahead of the page's, ms, from round trips to `senderNow`. Both stamp
 * ms since the epoch (the page as `performance.timeOrigin + performance.now()`), but each process
 * takes its origin from the wall clock when it starts, so a clock adjustment between the two starts
 * would offset every delay (even below zero). Each round trip estimates it at its midpoint; WebKit's
 * clock moves in 1 ms steps, so one estimate is off by up to a step, and the mean of the quicker
 * half of 40 is used.
 */
async function measureClockOffset(senderNow: () => Promise<number>): Promise<number> {
  const samples: { roundTrip: number; offset: number }[] = [];
  for (let i = 0; i < 40; i++) {
    const before = performance.timeOrigin + performance.now();
    const at = await senderNow();
    const after = performance.timeOrigin + performance.now();
    samples.push({ roundTrip: after - before, offset: at - (before + after) / 2 });
  }
  const quicker = samples.sort((a, b) => a.roundTrip - b.roundTrip).slice(0, samples.length / 2);
  return quicker.reduce((sum, s) => sum + s.offset, 0) / quicker.length;
}

function clockStep(): number {
  let step = Infinity;
  for (let i = 0, last = performance.now(); i < 1_000; i++) {
    let now = performance.now();
    while (now === last) now = performance.now();
    step = Math.min(step, now - last);
    last = now;
  }
  return step;
}
