// In-webview benchmarks: the bundled server's stream through each transport inside the real app.
// bench/webview.ts drives these through the test hook and writes BENCHMARKS.md.
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

export interface LatencyResult {
  transport: TransportName;
  rate: number;
  received: number;
  /** The fastest event: page and server clocks may disagree by about this much (see BENCHMARKS.md). */
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Smallest step of the page's clock, ms: latencies are only this exact (WebKit coarsens timers). */
  clockStep: number;
}

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
  const delays = new Float64Array(count);
  let n = 0;
  const run = new Run({ transport, url: benchUrl(server, transport, { rate: String(rate), count: String(count) }) }, `bench: ${rate} events/s`, {
    record: false,
    onEvent: (data) => {
      const received = performance.timeOrigin + performance.now();
      const sent = SENT_AT.exec(data)?.[1];
      if (sent !== undefined && n < count) delays[n++] = received - Number(sent);
    },
  });
  show(run.start());
  await run.wait({ events: count }, 30_000 + (count * 1000) / rate);
  run.close();
  const sorted = delays.slice(Math.min(warmup, n), n).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { transport, rate, received: n, min: at(0), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), clockStep: clockStep() };
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
