// One column of the UI: the current run of one transport, re-rendered a few times a second (never per
// event, so a saturated stream does not spend its time in layout).
import type { TransportName } from './connect.js';
import type { RecordedEvent, Run } from './run.js';

const TITLES: Record<TransportName, [string, string]> = {
  native: ['Webview EventSource', "transport: 'native' · GET · cors=1"],
  fetch: ['plugin-http fetch', "transport: 'fetch' · TS parser · POST + Bearer"],
  tauri: ['Rust plugin', "transport: 'tauri' · Rust parser · POST + Bearer"],
};

/** Events/s is measured over this window. */
const RATE_WINDOW_MS = 1_000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export class Column {
  run: Run | undefined;
  readonly #badge = el('span', 'badge', 'IDLE');
  readonly #label = el('div', 'run-label', 'no run yet — pick a scenario');
  readonly #stats = new Map<string, HTMLElement>();
  readonly #error = el('div', 'error');
  readonly #text = el('pre', 'text');
  readonly #log = el('pre', 'log');
  #samples: Array<[number, number]> = [];

  constructor(
    readonly transport: TransportName,
    parent: HTMLElement,
  ) {
    const [title, via] = TITLES[transport];
    const root = el('section', 'col');
    root.dataset.transport = transport;
    const head = el('div', 'col-head');
    head.append(el('h2', '', title), el('span', 'via', via), this.#badge);
    const stats = el('dl', 'stats');
    for (const name of ['events', 'events/s', 'reconnects', 'last id', 'opens', 'errors']) {
      const cell = el('div');
      const value = el('dd', '', '0');
      value.dataset.stat = name;
      cell.append(el('dt', '', name), value);
      stats.append(cell);
      this.#stats.set(name, value);
    }
    const output = el('div', 'output');
    output.append(el('h3', '', 'last data / text'), this.#text, el('h3', '', 'events'), this.#log);
    root.append(head, this.#label, stats, this.#error, output);
    parent.append(root);
  }

  show(run: Run): void {
    this.run = run;
    this.#samples = [];
    this.#label.textContent = run.label;
    this.render();
  }

  render(): void {
    const run = this.run;
    if (!run) return;
    const state = run.state;
    this.#badge.textContent = state;
    this.#badge.dataset.state = state;
    this.#set('events', String(run.count));
    this.#set('events/s', this.#rate(run));
    this.#set('reconnects', String(run.reconnects));
    this.#set('last id', run.lastEventId || '—');
    this.#set('opens', String(run.opens));
    this.#set('errors', String(run.errors.length));
    const error = run.errors.at(-1);
    this.#error.textContent = error ? `${error.kind}: ${error.message}` : '';
    this.#text.textContent = run.text || run.lastData;
    this.#log.textContent = run.recent.slice(-16).map(logLine).join('\n');
  }

  #set(name: string, value: string): void {
    const node = this.#stats.get(name);
    if (node && node.textContent !== value) node.textContent = value;
  }

  #rate(run: Run): string {
    const now = performance.now();
    this.#samples.push([now, run.count]);
    while (this.#samples.length > 2 && now - (this.#samples[0]?.[0] ?? now) > RATE_WINDOW_MS) this.#samples.shift();
    const [t0, c0] = this.#samples[0] ?? [now, run.count];
    const seconds = (now - t0) / 1000;
    return seconds > 0 ? String(Math.round((run.count - c0) / seconds)) : '0';
  }
}

function logLine(event: RecordedEvent): string {
  const at = (event.at / 1000).toFixed(3).padStart(8);
  const id = event.lastEventId ? `#${event.lastEventId}` : '';
  const data = event.data.length > 60 ? `${event.data.slice(0, 57)}…` : event.data;
  return `${at}s ${event.type.padEnd(12)} ${id.padEnd(5)} ${data}`;
}
