// In-webview benchmark: the bundled server's stream through each transport inside the real demo
// app (WebKitGTK under Xvfb, driven over WebDriver), beside the floor Tauri's IPC allows. Run it
// with `npm run bench:webview` (scripts/e2e.sh --bench builds the app and starts the processes);
// `npm run bench:webview -- --busy` measures again while a cargo build keeps both cores busy.
// A full run writes its section of BENCHMARKS.md; `-- streams latency` (any of throughput, latency,
// streams) runs only those parts and just prints them.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcFloorResult, IpcLatencyResult, IpcPayload, LatencyResult, StreamsResult, ThroughputResult } from '../examples/demo/src/bench.js';
import { Demo, TRANSPORTS, type TransportName } from '../e2e/support/demo.js';

const ROOT = join(import.meta.dirname, '..');
const BUSY = process.argv.includes('--busy');
const MARK = BUSY ? 'bench:webview-busy' : 'bench:webview';
const PARTS = ['throughput', 'latency', 'streams'] as const;
const asked = PARTS.filter((part) => process.argv.includes(part));
const runs = (part: (typeof PARTS)[number]) => asked.length === 0 || asked.includes(part);
/** Each throughput and latency case runs this many times; the median is reported. */
const RUNS = 3;

/**
 * Event sizes: `null` is the server's natural `{"n":…,"t":…}` (~40 B). `count` events make a run of
 * `native` or `tauri` last 0.7-9 s here: runs of a fifth as many (0.16-1.4 s) moved by a third
 * whenever a stall of a hundred milliseconds, common on a shared machine, fell into one. `fetch`
 * (2-110x slower than `tauri`) and the IPC floor take a fifth (`SHORT_RUN`).
 */
const SIZES = [
  { label: '~40 B', size: null, bytes: 40, count: 100_000 },
  { label: '1 KiB', size: 1024, bytes: 1024, count: 50_000 },
  { label: '16 KiB', size: 16 * 1024, bytes: 16 * 1024, count: 10_000 },
  { label: '256 KiB', size: 256 * 1024, bytes: 256 * 1024, count: 1_000 },
] as const;
const SHORT_RUN = 5;
/** The plugin's batch bound (`MAX_BATCH_BYTES`): the largest message a page that is behind gets. */
const LARGEST_BATCH = 1024 * 1024;
const LARGEST_BATCH_COUNT = 100;
const runCount = (who: TransportName | 'floor', count: number) => (who === 'fetch' || who === 'floor' ? count / SHORT_RUN : count);
const LATENCY = { rate: 1_000, count: 5_000, warmup: 500 };
/** Many streams in one window, each paced like a live panel. */
const STREAMS = { counts: [1, 10, 100], rate: 100, count: 500, transports: ['native', 'tauri'] as TransportName[] };
const PAYLOADS: IpcPayload[] = ['json', 'raw', 'text'];

function median<T>(values: T[], key: (value: T) => number): T {
  const sorted = [...values].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

function tool(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function cargoVersion(name: string): Promise<string> {
  const lock = await readFile(join(ROOT, 'Cargo.lock'), 'utf8');
  return new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(lock)?.[1] ?? 'unknown';
}

/** A number for the table; a case that received nothing (NaN, null over JSON) shows as —. */
const fmt = (n: number | null | undefined, digits = 0) =>
  n == null || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n: number | null | undefined) => fmt(n, 2);

/** The machine's CPU time so far (all cores, in clock ticks): idle and in total, from /proc/stat. */
async function cpuTicks(): Promise<{ idle: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: waiting for I/O counts as idle
  return { idle: ticks[3]! + ticks[4]!, total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Runs `measure`, and how busy the machine's cores were meanwhile (%, every process). */
async function withCpu<T>(measure: () => Promise<T>): Promise<T & { cpuBusy: number }> {
  const before = await cpuTicks();
  const result = await measure();
  const after = await cpuTicks();
  const total = after.total - before.total;
  return { ...result, cpuBusy: total > 0 ? (100 * (total - (after.idle - before.idle))) / total : NaN };
}

/**
 * `--busy`: a real cargo build (the plugin crate, release, from scratch in a scratch target
 * directory, again and again) competes for the 2 cores while everything is measured.
 */
async function startBuild(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-busy-'));
  const loop = `while :; do cargo clean -q --target-dir "$1"; cargo build -q --release -p tauri-plugin-eventsource --target-dir "$1"; done`;
  const build = spawn('bash', ['-c', loop, 'busy', dir], { cwd: ROOT, detached: true, stdio: 'ignore' });
  // Let it get past dependency resolution into compiling.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  return async () => {
    try {
      process.kill(-build.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await rm(dir, { recursive: true, force: true });
  };
}

const load = [loadavg()[0]!];
const stopBuild = BUSY ? await startBuild() : undefined;
const demo = await Demo.launch();
const throughput = new Map<string, ThroughputResult>();
const floor = new Map<string, IpcFloorResult>();
/** Latency with the demo's columns paused, the transport alone; and while they repaint 5 times a second. */
const latency = new Map<string, LatencyResult>();
/** The same for a bare IPC message (keyed by repainting), the floor of the `tauri` row. */
const ipcLatency = new Map<boolean, IpcLatencyResult>();
const streams: (StreamsResult & { cpuBusy: number })[] = [];
/** A bare channel message per event at the same total rate as each stream count, from one Rust thread. */
const streamFloors: (IpcLatencyResult & { streams: number; cpuBusy: number })[] = [];
const key = (...parts: unknown[]) => parts.join('|');
try {
  await demo.call('render', false);
  for (const { label, size, bytes, count } of runs('throughput') ? SIZES : []) {
    for (const payload of PAYLOADS) {
      const runs: IpcFloorResult[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await demo.call<IpcFloorResult>('ipcFloor', payload, bytes, runCount('floor', count)));
      floor.set(key(payload, label), median(runs, (r) => r.messagesPerSec));
    }
    for (const transport of TRANSPORTS) {
      const runs: ThroughputResult[] = [];
      const events = runCount(transport, count);
      for (let i = 0; i < RUNS; i++) runs.push(await demo.call<ThroughputResult>('throughput', transport, events, size));
      const typical = median(runs, (r) => r.eventsPerSec);
      throughput.set(key(transport, label), typical);
      console.error(`${transport} ${label}: ${fmt(typical.eventsPerSec)} events/s (${typical.received}/${events} received)`);
    }
  }
  const empty: IpcFloorResult[] = [];
  const largest: IpcFloorResult[] = [];
  for (let i = 0; i < (runs('throughput') ? RUNS : 0); i++) {
    empty.push(await demo.call<IpcFloorResult>('ipcFloor', 'empty', 0, runCount('floor', SIZES[0].count)));
    largest.push(await demo.call<IpcFloorResult>('ipcFloor', 'json', LARGEST_BATCH, LARGEST_BATCH_COUNT));
  }
  if (empty.length > 0) floor.set(key('empty'), median(empty, (r) => r.messagesPerSec));
  if (largest.length > 0) floor.set(key('json', LARGEST_BATCH), median(largest, (r) => r.messagesPerSec));

  for (const repainting of runs('latency') ? [false, true] : []) {
    await demo.call('render', repainting);
    for (const transport of TRANSPORTS) {
      const runs: LatencyResult[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await demo.call<LatencyResult>('latency', transport, LATENCY.rate, LATENCY.count, LATENCY.warmup));
      const typical = median(runs, (r) => r.p99);
      latency.set(key(transport, repainting), typical);
      console.error(
        `${transport} latency${repainting ? ' (columns repainting)' : ''}: p50 ${ms(typical.p50)} ms, p99 ${ms(typical.p99)} ms (page clock step ${fmt(typical.clockStep, 3)} ms, server ahead by ${ms(typical.clockOffset)} ms)`,
      );
    }
    const floors: IpcLatencyResult[] = [];
    for (let i = 0; i < RUNS; i++) floors.push(await demo.call<IpcLatencyResult>('ipcLatency', LATENCY.rate, LATENCY.count, LATENCY.warmup));
    const typical = median(floors, (r) => r.p99);
    ipcLatency.set(repainting, typical);
    console.error(
      `IPC floor latency${repainting ? ' (columns repainting)' : ''}: p50 ${ms(typical.p50)} ms, p99 ${ms(typical.p99)} ms (${typical.received}/${LATENCY.count} received, the app ahead by ${ms(typical.clockOffset)} ms)`,
    );
  }

  await demo.call('render', false);
  for (const transport of runs('streams') ? STREAMS.transports : []) {
    for (const n of STREAMS.counts) {
      const runs: (StreamsResult & { cpuBusy: number })[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await withCpu(() => demo.call<StreamsResult>('manyStreams', transport, n, STREAMS.rate, STREAMS.count)));
      const result = median(runs, (r) => r.p99);
      streams.push(result);
      console.error(`${transport} ${n} streams: ${result.complete} complete, ${fmt(result.eventsPerSec)} events/s, p99 ${ms(result.p99)} ms, CPU ${fmt(result.cpuBusy)}% busy`);
    }
  }
  for (const n of runs('streams') ? STREAMS.counts : []) {
    const count = n * STREAMS.count;
    const runs: (IpcLatencyResult & { cpuBusy: number })[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await withCpu(() => demo.call<IpcLatencyResult>('ipcLatency', n * STREAMS.rate, count, count / 10)));
    const result = median(runs, (r) => r.p99);
    streamFloors.push({ ...result, streams: n });
    console.error(`IPC floor at ${n} streams' rate: p99 ${ms(result.p99)} ms (${result.received}/${count} received), CPU ${fmt(result.cpuBusy)}% busy`);
  }
  await demo.call('render', true);
} finally {
  await demo.quit();
  await stopBuild?.();
  load.push(loadavg()[0]!);
}

if (asked.length > 0) process.exit(0);

const versions = {
  tauri: await cargoVersion('tauri'),
  'tauri-plugin-http': await cargoVersion('tauri-plugin-http'),
  webkit2gtk: tool('pkg-config', ['--modversion', 'webkit2gtk-4.1']),
  rustc: tool('rustc', ['--version']),
};
const rate = (transport: TransportName, label: string) => throughput.get(key(transport, label))!;
const cell = (r: { eventsPerSec: number; mibPerSec: number }) => `${fmt(r.eventsPerSec)} (${fmt(r.mibPerSec, 1)})`;
const versus = (transport: TransportName, label: string) => rate(transport, label).eventsPerSec / rate('native', label).eventsPerSec;
const floorCell = (payload: IpcPayload, label: string | number) => {
  const r = floor.get(key(payload, label))!;
  return `${fmt(r.messagesPerSec)} (${fmt(r.mibPerSec, 1)})`;
};

const section = `<!-- ${MARK}:start -->
## In the webview${BUSY ? ', under a concurrent cargo build' : ': the three transports inside the demo app'}

Command: \`npm run bench:webview${BUSY ? ' -- --busy' : ''}\` (builds the demo in release, starts the bundled server, Xvfb
and tauri-driver, then \`bench/webview.ts\` drives \`window.__demo\`${BUSY ? "; a release build of the plugin crate from scratch runs in a loop the whole time, keeping both cores busy" : ''}).
The same server stream goes through each transport inside the real app: \`native\` = the webview's
EventSource, \`fetch\` = tauri-sse over \`@tauri-apps/plugin-http\`'s fetch + the TS parser, \`tauri\` =
the Rust plugin (reqwest + Rust parser, events batched over an IPC channel). See "Reading the
webview figures" below for what each table measures. Median of ${RUNS} runs per cell (many streams: the run with the median p99).

\`\`\`
machine: ${cpus()[0]?.model.trim() ?? 'unknown'}, ${cpus().length} cores, ${process.platform}, Xvfb; load average ${fmt(load[0], 1)} at the start, ${fmt(load[1], 1)} at the end
versions: tauri ${versions.tauri}, tauri-plugin-http ${versions['tauri-plugin-http']}, WebKitGTK ${versions.webkit2gtk}, ${versions.rustc}, Node ${process.version}
app build: cargo release profile

Events/s (MiB/s of data), from the open to the last event (${SIZES.map((s) => `${fmt(s.count)} × ${s.label}`).join(', ')}; \`fetch\` and the IPC floor 1/${SHORT_RUN} of each):

| transport | ${SIZES.map((s) => s.label).join(' | ')} |
|---|${SIZES.map(() => '---:').join('|')}|
${TRANSPORTS.map((t) => `| ${t} | ${SIZES.map((s) => cell(rate(t, s.label))).join(' | ')} |`).join('\n')}
| tauri / native | ${SIZES.map((s) => `${fmt(versus('tauri', s.label), 2)}x`).join(' | ')} |
| tauri / fetch | ${SIZES.map((s) => `${fmt(rate('tauri', s.label).eventsPerSec / rate('fetch', s.label).eventsPerSec, 1)}x`).join(' | ')} |

IPC floor: channel messages/s (MiB/s) from a Rust thread to the page, nothing else (an empty message: ${fmt(floor.get(key('empty'))!.messagesPerSec)}/s; a JSON string of 1 MiB, the transport's largest batch: ${floorCell('json', LARGEST_BATCH)}):

| payload | ${SIZES.map((s) => s.label).join(' | ')} |
|---|${SIZES.map(() => '---:').join('|')}|
| JSON string | ${SIZES.map((s) => floorCell('json', s.label)).join(' | ')} |
| raw bytes | ${SIZES.map((s) => floorCell('raw', s.label)).join(' | ')} |
| raw bytes, decoded to a string | ${SIZES.map((s) => floorCell('text', s.label)).join(' | ')} |
| tauri transport, events/s ÷ JSON floor | ${SIZES.map((s) => `${fmt(rate('tauri', s.label).eventsPerSec / floor.get(key('json', s.label))!.messagesPerSec, 2)}x`).join(' | ')} |

Latency, ms (receive − send at ${fmt(LATENCY.rate)} events/s, ${fmt(LATENCY.count)} events, the first ${LATENCY.warmup} not counted; the server's clock was ${ms(latency.get(key('native', false))!.clockOffset)} ms ahead of the page's, which is subtracted, and the page's clock steps by ${fmt(latency.get(key('native', false))!.clockStep, 3)} ms):

| transport | min | p50 | p90 | p99 | max | p99, repainting | max, repainting |
|---|---:|---:|---:|---:|---:|---:|---:|
${[
  ...TRANSPORTS.map((t) => [t, latency.get(key(t, false))!, latency.get(key(t, true))!] as const),
  ['IPC floor', ipcLatency.get(false)!, ipcLatency.get(true)!] as const,
]
  .map(([name, quiet, busy]) => `| ${name} | ${ms(quiet.min)} | ${ms(quiet.p50)} | ${ms(quiet.p90)} | ${ms(quiet.p99)} | ${ms(quiet.max)} | ${ms(busy.p99)} | ${ms(busy.max)} |`)
  .join('\n')}

Many streams in one window, ${STREAMS.rate} events/s each, ${STREAMS.count} events each (latency over all streams' events, the first tenth of each not counted; \`IPC floor\`: one bare channel message per event at all the streams' rate together, from one Rust thread, unbatched):

| transport | streams | complete | at once | events/s | p50 ms | p99 ms | worst stream's p99 ms | max ms | CPU busy |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${streams.map((r) => `| ${r.transport} | ${r.streams} | ${r.complete} | ${r.concurrent} | ${fmt(r.eventsPerSec)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.worstStreamP99)} | ${ms(r.max)} | ${fmt(r.cpuBusy)}% |`).join('\n')}
${streamFloors.map((r) => `| IPC floor | ${r.streams} | ${fmt(r.received)} of ${fmt(r.streams * STREAMS.count)} messages | — | ${fmt(r.rate)} offered | ${ms(r.p50)} | ${ms(r.p99)} | — | ${ms(r.max)} | ${fmt(r.cpuBusy)}% |`).join('\n')}
\`\`\`
<!-- ${MARK}:end -->`;

const path = join(ROOT, 'BENCHMARKS.md');
const current = await readFile(path, 'utf8').catch(() => '# Benchmarks\n');
const [start, end] = [current.indexOf(`<!-- ${MARK}:start -->`), current.indexOf(`<!-- ${MARK}:end -->`)];
const next =
  start >= 0 && end > start ? current.slice(0, start) + section + current.slice(end + `<!-- ${MARK}:end -->`.length) : `${current.trimEnd()}\n\n${section}\n`;
await writeFile(path, next);
console.log(section);
