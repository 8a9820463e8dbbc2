// The demo app under test, driven through its `window.__demo` hook over WebDriver. The processes
// (bundled server, Xvfb, tauri-driver) are started by scripts/e2e.sh and passed in the environment.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ConnectSpec, TransportName } from '../../examples/demo/src/connect.js';
import type { RunResult, Until } from '../../examples/demo/src/run.js';
import type { Scenario, ScenarioName } from '../../examples/demo/src/scenarios.js';
import type { RecordedRequest } from '../../packages/sse-server/src/recorder.js';
import { Session } from './webdriver.js';

export type { RunResult, TransportName };
export const TRANSPORTS: readonly TransportName[] = ['native', 'fetch', 'tauri'];

/** A hook run: like `ConnectSpec`, but `url` may be a path on the bundled server. */
export type StartSpec = ConnectSpec;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through scripts/e2e.sh`);
  return value;
}

export const env = {
  get driver(): string {
    return required('TAURI_DRIVER_URL');
  },
  get app(): string {
    return required('TAURI_SSE_APP');
  },
  get server(): string {
    return required('TAURI_SSE_SERVER');
  },
};

/**
 * Calls `window.__demo[method](...args)` (or reads the property) in the page once the hook exists,
 * which also covers the moments after a reload.
 */
const CALL = `
const done = arguments[arguments.length - 1];
const [method, args] = arguments;
const attempt = () => {
  const hook = window.__demo;
  if (!hook) return void setTimeout(attempt, 50);
  Promise.resolve()
    .then(() => (typeof hook[method] === 'function' ? hook[method](...args) : hook[method]))
    .then((value) => done({ ok: value === undefined ? null : value }), (error) => done({ error: String(error && error.stack || error) }));
};
attempt();`;

export class Demo {
  private constructor(private readonly session: Session) {}

  static async launch(): Promise<Demo> {
    const demo = new Demo(await Session.create(env.driver, env.app));
    const server = await demo.call<string>('server');
    if (server !== env.server) throw new Error(`the app talks to ${server}, the tests started ${env.server}`);
    return demo;
  }

  async call<T>(method: string, ...args: unknown[]): Promise<T> {
    const reply = await this.session.executeAsync<{ ok?: T; error?: string }>(CALL, [method, args]);
    if (reply.error !== undefined) throw new Error(`__demo.${method} failed in the page: ${reply.error}`);
    return reply.ok as T;
  }

  run(spec: StartSpec, until: Until, timeoutMs = 15_000): Promise<RunResult> {
    return this.call('run', spec, until, timeoutMs);
  }

  start(spec: StartSpec): Promise<string> {
    return this.call('start', spec);
  }

  wait(id: string, until: Until, timeoutMs = 15_000): Promise<RunResult> {
    return this.call('wait', id, until, timeoutMs);
  }

  close(id: string): Promise<RunResult> {
    return this.call('close', id);
  }

  scenario(name: ScenarioName, transport: TransportName, tag: string): Promise<Scenario> {
    return this.call('scenario', name, transport, tag);
  }

  /** Clicks a button of the UI (`[data-scenario=…]` or `[data-action=…]`). */
  async click(selector: string): Promise<void> {
    await this.session.execute('document.querySelector(arguments[0]).click()', [selector]);
  }

  /** The text of each column's stat cells, its badge (`state`) and its run's `label`, by transport. */
  stats(): Promise<Record<TransportName, Record<string, string>>> {
    return this.session.execute(`
      const out = {};
      for (const col of document.querySelectorAll('[data-transport]')) {
        const stats = { state: col.querySelector('.badge').textContent, label: col.querySelector('.run-label').textContent };
        for (const dd of col.querySelectorAll('[data-stat]')) stats[dd.dataset.stat] = dd.textContent;
        out[col.dataset.transport] = stats;
      }
      return out;`);
  }

  async reload(): Promise<void> {
    await this.session.refresh();
  }

  async screenshot(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await this.session.screenshot());
  }

  async quit(): Promise<void> {
    await this.session.delete();
  }
}

/** The requests the bundled server recorded under `tag`. */
export async function requests(tag: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${env.server}/requests?tag=${encodeURIComponent(tag)}`);
  if (!response.ok) throw new Error(`GET /requests?tag=${tag}: HTTP ${response.status}`);
  return (await response.json()) as RecordedRequest[];
}

/** A tag no other test uses, so `/requests` answers for this test alone. */
export function tagFor(transport: TransportName, what: string): string {
  return `${transport}-${what}-${process.pid}-${Date.now().toString(36)}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
