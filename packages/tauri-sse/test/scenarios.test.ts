/**
 * The shared connection scenarios (testdata/connection-scenarios.json, format in testdata/README.md)
 * through the fetch transport's loop against the bundled server. The Rust plugin's loop runs the
 * same list (crates/tauri-plugin-eventsource/tests/scenarios.rs); both compare the same normalised shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { setSystemNetwork, type NetworkSignal } from '../src/core/network.js';
import { EventSource, type SourceInit, type SseErrorEvent } from '../src/index.js';
import { useMachine } from './helpers/machine.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { until } from './helpers/wait.js';

interface Observed {
  ids: string[];
  opens: number;
  errors: { kind: string; status?: number; body?: string; fatal: boolean }[];
  final: string;
  /** The `Last-Event-ID` of every request the server received (null: none), when the scenario lists them. */
  lastEventIds?: (string | null)[];
  /** The `reconnectIn` of every error that reconnects, in order. */
  reconnectIns?: number[];
}

interface Scenario {
  name: string;
  query: string;
  options: SourceInit;
  network?: { on: 'open' | 'event' | 'error'; nth: number; signal: NetworkSignal }[];
  expect: Observed;
}

const { scenarios } = JSON.parse(
  readFileSync(new URL('../../../testdata/connection-scenarios.json', import.meta.url), 'utf8'),
) as { scenarios: Scenario[] };

const server = useServer();
afterEach(() => setSystemNetwork(undefined));

/** `open-after-N-events` ends the run once N events arrived; else the run lasts until CLOSED. */
function eventsWanted(final: string): number | undefined {
  const match = /^open-after-(\d+)-events$/.exec(final);
  return match ? Number(match[1]) : undefined;
}

async function observe(scenario: Scenario): Promise<Observed> {
  const tag = uniqueTag();
  const query = scenario.query.replaceAll('{origin}', server().url).replaceAll('{tag}', tag);
  const machine = useMachine();
  const es = new EventSource(`${server().url}/sse?${query}`, { ...scenario.options, transport: 'fetch' });
  const seen: Observed = { ids: [], opens: 0, errors: [], final: '' };
  const reconnectIns: number[] = [];
  // The system speaks once the loop has acted on what was observed (a reconnect wait has begun).
  const played = (on: 'open' | 'event' | 'error', nth: number) => {
    for (const step of scenario.network ?? []) {
      if (step.on === on && step.nth === nth) setTimeout(() => machine.say(step.signal), 0);
    }
  };
  es.onopen = () => played('open', ++seen.opens);
  es.onmessage = (e) => played('event', seen.ids.push(e.lastEventId));
  es.onerror = (e) => {
    const { kind, status, body } = (e as SseErrorEvent).error;
    const { reconnectIn } = e as SseErrorEvent;
    if (reconnectIn !== undefined) reconnectIns.push(reconnectIn);
    // Any status or body an error carries is part of the shape: both loops must attach the same.
    seen.errors.push({
      kind,
      ...(status !== undefined ? { status } : {}),
      ...(body !== undefined ? { body } : {}),
      fatal: es.readyState === EventSource.CLOSED,
    });
    played('error', seen.errors.length);
  };
  const wanted = eventsWanted(scenario.expect.final);
  try {
    if (wanted === undefined) {
      await until(() => es.readyState === EventSource.CLOSED, 10_000, `${scenario.name}: CLOSED`);
      seen.final = 'closed';
    } else {
      await until(() => seen.ids.length >= wanted || es.readyState === EventSource.CLOSED, 10_000, `${scenario.name}: ${wanted} events`);
      seen.final = es.readyState === EventSource.OPEN ? `open-after-${seen.ids.length}-events` : 'closed';
    }
  } finally {
    es.close();
  }
  if (scenario.expect.reconnectIns !== undefined) seen.reconnectIns = reconnectIns;
  if (scenario.expect.lastEventIds !== undefined) seen.lastEventIds = server().requests(tag).map((r) => r.lastEventId);
  return seen;
}

describe('shared connection scenarios (fetch transport)', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const observed = await observe(scenario);
      assert.deepEqual(observed, scenario.expect, `${scenario.name}\nobserved: ${JSON.stringify(observed)}\nexpected: ${JSON.stringify(scenario.expect)}`);
    });
  }
});
