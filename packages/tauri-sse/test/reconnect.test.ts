import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSource, type FetchLike, type SseErrorEvent } from '../src/index.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { collect, once, until } from './helpers/wait.js';

const server = useServer();
const quick = { initialDelay: 20, jitter: 0 };

describe('reestablishing the connection', () => {
  it('resumes a dropped stream with Last-Event-ID: no loss, no duplicate; a 204 then stops it', async () => {
    const tag = uniqueTag();
    const es = new EventSource(`${server().url}/sse?ids=1&count=20&drop=3&tag=${tag}`, { retry: quick });
    const states: number[] = [];
    const errors: string[] = [];
    es.onerror = (e) => {
      states.push(es.readyState);
      errors.push(e.error.kind);
    };
    const events = await collect<MessageEvent>(es, 'message', 20);
    assert.deepEqual(
      events.map((e) => e.lastEventId),
      Array.from({ length: 20 }, (_, i) => String(i + 1)),
    );
    assert.deepEqual(events.map((e) => JSON.parse(e.data as string).n), Array.from({ length: 20 }, (_, i) => i + 1));
    // The server answers the resume past the end with 204: the source fails for good.
    await until(() => es.readyState === EventSource.CLOSED, 5000, 'CLOSED after the 204');
    const sent = server().requests(tag).map((r) => r.lastEventId);
    assert.deepEqual(sent, [null, '3', '6', '9', '12', '15', '18', '20']);
    assert.deepEqual(states.slice(0, -1), Array(7).fill(EventSource.CONNECTING));
    assert.deepEqual(errors.at(-1), 'http-status');
    assert.equal(states.at(-1), EventSource.CLOSED);
  });

  it('sends the initial lastEventId option on the first connect', async () => {
    const es = new EventSource(`${server().url}/sse?ids=1&count=12`, { lastEventId: '10' });
    const events = await collect<MessageEvent>(es, 'message', 2);
    es.close();
    assert.deepEqual(events.map((e) => e.lastEventId), ['11', '12']);
  });

  it("honours the server's retry: as the reconnection time", async () => {
    const es = new EventSource(`${server().url}/sse?count=1&retry=400`, { retry: quick });
    await once(es, 'message');
    await once(es, 'error');
    const dropped = performance.now();
    await once(es, 'open');
    const gap = performance.now() - dropped;
    es.close();
    // Jitter takes at most 20% off; without retry: the gap would be ~20 ms.
    assert.ok(gap >= 300, `reconnected after ${gap.toFixed(0)} ms, expected about 400`);
  });

  it('retries a status in retry.onStatus, waiting for Retry-After, then succeeds', async () => {
    const tag = uniqueTag();
    let calls = 0;
    // A real fetch; the first attempt asks the server for a 503 with Retry-After: 1.
    const flaky: FetchLike = (url, init) => fetch(++calls === 1 ? `${url}&status=503&retryAfter=1` : url, init);
    const es = new EventSource(`${server().url}/sse?count=1&tag=${tag}`, { fetch: flaky, retry: { ...quick, onStatus: [503] } });
    const error = await once<SseErrorEvent>(es, 'error');
    const failed = performance.now();
    assert.equal(error.error.kind, 'http-status');
    assert.equal(error.code, 503);
    assert.equal(error.reconnectIn, 1000);
    assert.equal(es.readyState, EventSource.CONNECTING);
    await once(es, 'message');
    const waited = performance.now() - failed;
    es.close();
    assert.ok(waited >= 900, `waited ${waited.toFixed(0)} ms, Retry-After asked for 1000`);
    assert.equal(server().requests(tag).length, 2);
  });

  it('gives up after retry.maxAttempts with `max-attempts`', async () => {
    const tag = uniqueTag();
    const es = new EventSource(`${server().url}/sse?status=503&tag=${tag}`, { retry: { ...quick, onStatus: [503], maxAttempts: 2 } });
    const errors = await collect<SseErrorEvent>(es, 'error', 3);
    assert.deepEqual(errors.map((e) => e.error.kind), ['http-status', 'http-status', 'max-attempts']);
    assert.equal(es.readyState, EventSource.CLOSED);
    assert.equal(errors[2]?.code, 503);
    assert.equal(server().requests(tag).length, 3);
  });

  it('counts only consecutive failures: each successful open starts the count over', async () => {
    const es = new EventSource(`${server().url}/sse?ids=1&count=9&drop=3`, { retry: { ...quick, maxAttempts: 1 } });
    const kinds: string[] = [];
    es.onerror = (e) => kinds.push(e.error.kind);
    const events = await collect<MessageEvent>(es, 'message', 9);
    es.close();
    assert.equal(events.at(-1)?.lastEventId, '9');
    assert.ok(!kinds.includes('max-attempts'), kinds.join());
  });

  it('reestablishes after a network error (nothing listening)', async () => {
    const es = new EventSource('http://127.0.0.1:9/sse', { retry: { ...quick, maxAttempts: 1 } });
    const errors = await collect<SseErrorEvent>(es, 'error', 2);
    assert.deepEqual(errors.map((e) => e.error.kind), ['network', 'max-attempts']);
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  it('idleTimeout reconnects a silent (hanging) connection', async () => {
    const tag = uniqueTag();
    const es = new EventSource(`${server().url}/sse?hang=1&tag=${tag}`, { idleTimeout: 150, retry: quick });
    await once(es, 'open');
    const error = await once<SseErrorEvent>(es, 'error');
    assert.equal(error.error.kind, 'idle-timeout');
    assert.equal(es.readyState, EventSource.CONNECTING);
    await once(es, 'open');
    es.close();
    await until(() => server().requests(tag).every((r) => r.closed), 2000, 'both connections closed');
    assert.equal(server().requests(tag).length, 2);
  });
});
