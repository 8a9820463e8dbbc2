/**
 * Desktop life for the fetch loop: the network coming back, offline periods, waking from sleep.
 * The operating system is the one boundary a test cannot drive, so the loop's `NetworkMonitor` is
 * swapped for one the test controls (`setSystemNetwork`); the monitor itself (clocks, `online`
 * events) is tested on its own below. Servers and sockets are real, on loopback.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SystemNetwork, setSystemNetwork, WAKE_GAP, type NetworkSignal } from '../src/core/network.js';
import { EventSource, type FetchLike, type SseErrorEvent } from '../src/index.js';
import { useMachine } from './helpers/machine.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { collect, sleep, until } from './helpers/wait.js';

const server = useServer();
const sse = (query: string) => `${server().url}/sse?${query}`;

afterEach(() => setSystemNetwork(undefined));

describe('network-aware reconnection (fetch transport)', () => {
  it('the network coming back ends a 30 s backoff at once', { timeout: 5000 }, async () => {
    const machine = useMachine();
    const tag = uniqueTag();
    const es = new EventSource(sse(`count=1&tag=${tag}`), { retry: { initialDelay: 30_000 } });
    try {
      const [error] = await collect<SseErrorEvent>(es, 'error', 1);
      assert.ok((error?.reconnectIn ?? 0) >= 30_000);
      machine.set(true);
      await until(() => server().requests(tag).length === 2, 2000, 'the reconnect after `online`');
    } finally {
      es.close();
    }
  });

  it('a failure while offline is not counted towards maxAttempts, and the next attempt waits the longest delay', { timeout: 5000 }, async () => {
    const machine = useMachine();
    const tag = uniqueTag();
    const refused = `http://127.0.0.1:${await closedPort()}/sse`;
    let calls = 0;
    // The first request fails because the network just went away (a refused loopback port).
    const flaky: FetchLike = (url, init) => {
      calls++;
      if (calls > 1) return fetch(url, init);
      machine.set(false);
      return fetch(refused, init);
    };
    const retry = { initialDelay: 10, maxDelay: 60_000, maxAttempts: 0 };
    const es = new EventSource(sse(`ids=1&count=2&tag=${tag}`), { fetch: flaky, retry });
    try {
      const [error] = await collect<SseErrorEvent>(es, 'error', 1);
      assert.equal(error?.error.kind, 'network');
      assert.equal(es.readyState, EventSource.CONNECTING, 'maxAttempts 0, yet the offline failure did not end the source');
      assert.ok((error?.reconnectIn ?? 0) >= 60_000, `the longest delay, not the first: ${error?.reconnectIn}`);
      await sleep(200);
      assert.equal(calls, 1, 'waiting');
      machine.set(true);
      await collect(es, 'message', 2);
      assert.equal(server().requests(tag).length, 1);
    } finally {
      es.close();
    }
  });

  it('offline from the start does not hold the first request back: the system can be wrong', { timeout: 5000 }, async () => {
    const machine = useMachine();
    machine.set(false);
    const tag = uniqueTag();
    const es = new EventSource(sse(`count=1&tag=${tag}`));
    try {
      await collect(es, 'message', 1);
      assert.equal(server().requests(tag).length, 1);
    } finally {
      es.close();
    }
  });

  it('after a wake, a connection silent since is reestablished at once with Last-Event-ID; nothing lost or repeated', { timeout: 8000 }, async () => {
    const machine = useMachine();
    const tag = uniqueTag();
    // One event, then silence: the socket looks open but nothing comes, as after a sleep.
    const es = new EventSource(sse(`ids=1&count=3&interval=60000&tag=${tag}`), { retry: { initialDelay: 30_000 } });
    const ids: string[] = [];
    es.onmessage = (e) => ids.push(e.lastEventId);
    try {
      await until(() => ids.length === 1, 2000, 'the first event');
      machine.emit('wake');
      const [error] = await collect<SseErrorEvent>(es, 'error', 1, 3000);
      assert.equal(error?.reconnectIn, 0);
      await until(() => ids.length === 2, 2000, 'the resumed stream');
      assert.deepEqual(ids, ['1', '2']);
      assert.equal(server().requests(tag)[1]?.lastEventId, '1');
    } finally {
      es.close();
    }
  });

  it('after a wake, a connection that still delivers is kept', { timeout: 8000 }, async () => {
    const machine = useMachine();
    const tag = uniqueTag();
    const es = new EventSource(sse(`ids=1&interval=200&tag=${tag}`));
    try {
      await collect(es, 'message', 1);
      machine.emit('wake');
      await collect(es, 'message', 8, 4000);
      assert.equal(server().requests(tag).length, 1);
    } finally {
      es.close();
    }
  });

  it('networkAware: false ignores the signals', { timeout: 5000 }, async () => {
    const machine = useMachine();
    const tag = uniqueTag();
    const es = new EventSource(sse(`count=1&tag=${tag}`), { networkAware: false, retry: { initialDelay: 30_000 } });
    try {
      await collect(es, 'error', 1);
      machine.set(true);
      machine.emit('wake');
      await sleep(200);
      assert.equal(server().requests(tag).length, 1);
    } finally {
      es.close();
    }
  });
});

describe('SystemNetwork', () => {
  const scope = () => {
    const target = new EventTarget() as EventTarget & { navigator: { onLine: boolean } };
    target.navigator = { onLine: true };
    return target;
  };

  it('reports the page\'s online state and its online/offline events', () => {
    const page = scope();
    const network = new SystemNetwork(undefined, page);
    const seen: NetworkSignal[] = [];
    const stop = network.subscribe((s) => seen.push(s));
    page.navigator.onLine = false;
    page.dispatchEvent(new Event('offline'));
    assert.equal(network.online(), false);
    page.navigator.onLine = true;
    page.dispatchEvent(new Event('online'));
    stop();
    page.dispatchEvent(new Event('offline'));
    assert.deepEqual(seen, ['offline', 'online']);
  });

  it('takes wall-clock time that passed without the monotonic clock for sleep, not mere timer throttling', () => {
    const clocks = { wall: 0, monotonic: 0 };
    const network = new SystemNetwork({ wall: () => clocks.wall, monotonic: () => clocks.monotonic }, scope());
    const seen: NetworkSignal[] = [];
    const stop = network.subscribe((s) => seen.push(s));
    // A hidden window's timers throttled to a minute: both clocks moved alike.
    clocks.wall += 60_000;
    clocks.monotonic += 60_000;
    network.check();
    assert.deepEqual(seen, []);
    // Suspended: the wall clock moved, the monotonic one barely.
    clocks.wall += WAKE_GAP + 2000;
    clocks.monotonic += 1000;
    network.check();
    assert.deepEqual(seen, ['wake']);
    stop();
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
