// The main window: three columns (one per transport), the scenario buttons, the notifications
// window and the network simulation, and `window.__demo`, the hook the end-to-end tests and the
// webview benchmark drive through WebDriver. Every run the hook starts is shown in its transport's
// column, exactly like a button press.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { ipcFloor, ipcLatency, latency, manyStreams, throughput } from './bench.js';
import { Column } from './column.js';
import { type ConnectSpec, reattach, TRANSPORTS, type TransportName } from './connect.js';
import { Run, type RunResult, type Until } from './run.js';
import { NOTIFICATIONS_EVENT, type NotificationReport } from './notifications.js';
import { FEED_NAME, scenario, SCENARIOS, type ScenarioName } from './scenarios.js';

/** Runs kept for the hook to query; the oldest are forgotten first. */
const MAX_RUNS = 200;
const RENDER_MS = 200;

const server = await invoke<string>('server_url');
const columns = new Map<TransportName, Column>();
const runs = new Map<string, Run>();
const main = document.querySelector<HTMLElement>('#columns')!;
for (const transport of TRANSPORTS) columns.set(transport, new Column(transport, main));
document.querySelector('#server-url')!.textContent = server;
/** Off while a benchmark measures the transports alone: repainting the columns stalls the webview. */
let rendering = true;
setInterval(() => rendering && columns.forEach((column) => column.render()), RENDER_MS);

/** Shows a run in its transport's column and registers it for the hook. */
function track(run: Run): Run {
  runs.set(run.id, run);
  if (runs.size > MAX_RUNS) runs.delete(runs.keys().next().value!);
  columns.get(run.spec.transport)?.show(run);
  return run;
}

function find(id: string): Run {
  const run = runs.get(id);
  if (!run) throw new Error(`no run ${id}`);
  return run;
}

let tags = 0;
function startScenario(name: ScenarioName, transport: TransportName): Run {
  const preset = scenario(name, transport, server, `ui-${transport}-${name}-${++tags}`);
  columns.get(transport)?.run?.close();
  const run = track(new Run(preset.spec, `${name} · ${preset.spec.method ?? 'GET'} ${preset.spec.url.replace(server, '')}`).start());
  // A finished scenario is closed, else the spec's reconnect after the end of the stream would replay it.
  if (preset.until) void run.wait(preset.until, 60_000).then(() => run.close());
  return run;
}

function attachRun(name: string, types: string[]): Run {
  return new Run({ transport: 'tauri', url: `attach:${name}`, keepAlive: true, name, types }, `attached to kept-alive "${name}"`);
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-scenario]')) {
  button.addEventListener('click', () => {
    for (const transport of TRANSPORTS) startScenario(button.dataset.scenario as ScenarioName, transport);
  });
}
document.querySelector('[data-action="close"]')!.addEventListener('click', () => runs.forEach((run) => run.close()));
document.querySelector('[data-action="reload"]')!.addEventListener('click', () => location.reload());

/** Opens (or focuses) the notifications window, joined to the shared feed `name`. */
const openNotifications = (name: string, types: string[] = ['message']) => invoke<void>('open_notifications', { feed: name, types });
/** What the notifications window reported, in order. */
const notifications: NotificationReport[] = [];
await listen<NotificationReport>(NOTIFICATIONS_EVENT, (event) => void notifications.push(event.payload));
document.querySelector('[data-action="notifications"]')!.addEventListener('click', () => void openNotifications(FEED_NAME, ['notification']));
// What the machine would say: the Rust plugin's connections hear it at once (`Sse::network_changed`).
type NetworkSignal = 'online' | 'offline' | 'wake';
const simulate = (signal: NetworkSignal) => invoke<void>('simulate_network', { signal });
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-network]')) {
  button.addEventListener('click', () => void simulate(button.dataset.network as NetworkSignal));
}

// A feed kept alive in Rust outlives the page: pick it up again after a reload. Its column shows it
// from the first thing the plugin reports; `not-found` just means there is no feed yet.
const feed = attachRun(FEED_NAME, ['notification']);
let feedShown = false;
const showFeed = () => {
  if (!feedShown) track(feed);
  feedShown = true;
};
feed.adopt(
  reattach(FEED_NAME, ['notification'], {
    open: () => (showFeed(), feed.handlers.open()),
    event: (type, data, lastEventId) => (showFeed(), feed.handlers.event(type, data, lastEventId)),
    error: (error, readyState) => {
      if (error.kind === 'not-found') return;
      showFeed();
      feed.handlers.error(error, readyState);
    },
  }),
);

interface StartSpec extends Omit<ConnectSpec, 'url'> {
  /** Absolute URL, or a path on the bundled server such as `/sse?count=3`. */
  url: string;
}

const hook = {
  server,
  transports: TRANSPORTS,
  scenarios: SCENARIOS,
  scenario: (name: ScenarioName, transport: TransportName, tag: string) => scenario(name, transport, server, tag),
  start(spec: StartSpec): string {
    const url = new URL(spec.url, server).href;
    return track(new Run({ ...spec, url }, `hook · ${spec.method ?? 'GET'} ${spec.url}`).start()).id;
  },
  attach(name: string, types: string[] = ['message']): string {
    const run = track(attachRun(name, types));
    run.adopt(reattach(name, types, run.handlers));
    return run.id;
  },
  wait: (id: string, until: Until, timeoutMs = 10_000): Promise<RunResult> => find(id).wait(until, timeoutMs),
  result: (id: string): RunResult => find(id).result(),
  close(id: string): RunResult {
    const run = find(id);
    run.close();
    return run.result();
  },
  async run(spec: StartSpec, until: Until, timeoutMs = 10_000): Promise<RunResult> {
    const id = hook.start(spec);
    const result = await hook.wait(id, until, timeoutMs);
    hook.close(id);
    return { ...hook.result(id), timedOut: result.timedOut };
  },
  throughput: (transport: TransportName, count: number, size: number | null) =>
    throughput(server, transport, count, size, (run) => track(run)),
  /** Pauses (false) or resumes the columns' repainting. */
  render(on: boolean): void {
    rendering = on;
    if (on) columns.forEach((column) => column.render());
  },
  latency: (transport: TransportName, rate: number, count: number, warmup: number) =>
    latency(server, transport, rate, count, warmup, (run) => track(run)),
  manyStreams: (transport: TransportName, streams: number, rate: number, count: number) =>
    manyStreams(server, transport, streams, rate, count, (run) => track(run)),
  ipcFloor,
  ipcLatency,
  openNotifications,
  notifications: (): NotificationReport[] => notifications,
  simulate,
};

declare global {
  interface Window {
    __demo?: typeof hook;
  }
}
window.__demo = hook;
document.querySelector('#foot')!.textContent = `window.__demo ready · ${TRANSPORTS.length} transports · server ${server}`;
