import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSource, SseError, type SseErrorEvent } from '../src/index.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { collect, once, sleep, until } from './helpers/wait.js';

const server = useServer();
/** Fast reconnects for tests; the policy itself is unit-tested in retry.test.ts. */
const quick = { initialDelay: 20, jitter: 0 };

describe('EventSource (DOM interface)', () => {
  it('exposes the standard constants, url and withCredentials', () => {
    const es = new EventSource(`${server().url}/sse?hang=1`, { withCredentials: true });
    try {
      assert.deepEqual([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED], [0, 1, 2]);
      assert.deepEqual([es.CONNECTING, es.OPEN, es.CLOSED], [0, 1, 2]);
      assert.equal(es.url, `${server().url}/sse?hang=1`);
      assert.equal(es.withCredentials, true);
      assert.equal(es.readyState, EventSource.CONNECTING);
      assert.ok(es instanceof EventTarget);
    } finally {
      es.close();
    }
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  it('throws a SyntaxError DOMException for an invalid URL', () => {
    assert.throws(
      () => new EventSource('http://exa mple:99999/'),
      (error: unknown) => error instanceof DOMException && error.name === 'SyntaxError',
    );
  });

  it('refuses an initial lastEventId no request can carry (CR, LF, NUL, other controls) before any request', () => {
    for (const lastEventId of ['a\nb', 'a\rb', 'a\0b', 'a\x01b', 'a\x7fb']) {
      assert.throws(
        () => new EventSource(`${server().url}/sse`, { lastEventId }),
        (error: unknown) => error instanceof SseError && error.kind === 'invalid-options',
        JSON.stringify(lastEventId),
      );
    }
  });

  it('opens, then dispatches MessageEvents with data, lastEventId and origin', async () => {
    const es = new EventSource(`${server().url}/sse?count=3&ids=1`);
    const opened = once(es, 'open');
    const messages = collect<MessageEvent>(es, 'message', 3);
    await opened;
    assert.equal(es.readyState, EventSource.OPEN);
    const events = await messages;
    es.close();
    assert.ok(events.every((e) => e instanceof MessageEvent));
    assert.deepEqual(events.map((e) => JSON.parse(e.data as string).n), [1, 2, 3]);
    assert.deepEqual(events.map((e) => e.lastEventId), ['1', '2', '3']);
    assert.ok(events.every((e) => e.origin === server().url));
  });

  it('calls onopen / onmessage / onerror with this = the source, keeping listener order', async () => {
    const es = new EventSource(`${server().url}/sse?count=1&status=200`, { retry: { ...quick, maxAttempts: 0 } });
    const calls: string[] = [];
    es.addEventListener('message', () => calls.push('listener-before'));
    es.onmessage = function (this: EventSource) {
      assert.equal(this, es);
      calls.push('handler');
    };
    es.addEventListener('message', () => calls.push('listener-after'));
    es.onopen = () => calls.push('open');
    assert.equal(typeof es.onmessage, 'function');
    await once(es, 'error');
    es.close();
    assert.deepEqual(calls, ['open', 'listener-before', 'handler', 'listener-after']);
    es.onmessage = null;
    assert.equal(es.onmessage, null);
  });

  it('dispatches custom event types to their listeners, not to onmessage', async () => {
    const es = new EventSource(`${server().url}/sse?count=2&event=tick`);
    let messages = 0;
    es.onmessage = () => messages++;
    const ticks = await collect<MessageEvent>(es, 'tick', 2);
    es.close();
    assert.equal(ticks[0]?.type, 'tick');
    assert.equal(messages, 0);
  });

  it('sends Accept: text/event-stream, no-cache and no Last-Event-ID on the first connect', async () => {
    const tag = uniqueTag();
    const es = new EventSource(`${server().url}/sse?count=1&tag=${tag}`);
    await once(es, 'message');
    es.close();
    const [request] = server().requests(tag);
    assert.equal(request?.headers.accept, 'text/event-stream');
    // Cache mode "no-store" as fetch sends it (the Rust loop sends the same two headers).
    assert.equal(request?.headers['cache-control'], 'no-cache');
    assert.equal(request?.headers.pragma, 'no-cache');
    assert.equal(request?.headers['last-event-id'], undefined);
    assert.equal(request?.method, 'GET');
  });

  for (const [name, query, kind, status] of [
    ['a non-200 status', 'status=500', 'http-status', 500],
    ['204 No Content', 'status=204', 'http-status', 204],
    ['a wrong content type (no status: the status was fine)', 'count=1&type=text/plain', 'content-type', undefined],
    ['a 401 for a missing bearer token', 'auth=secret', 'http-status', 401],
  ] as const) {
    it(`fails the connection on ${name}: CLOSED, one error, no reconnect`, async () => {
      const tag = uniqueTag();
      const es = new EventSource(`${server().url}/sse?${query}&tag=${tag}`, { retry: quick });
      let opened = false;
      es.onopen = () => (opened = true);
      const error = await once<SseErrorEvent>(es, 'error');
      assert.equal(es.readyState, EventSource.CLOSED);
      assert.ok(error.error instanceof SseError);
      assert.equal(error.error.kind, kind);
      assert.equal(error.code, status);
      assert.match(error.message, /./);
      await sleep(150); // several reconnection delays: none may happen
      assert.equal(server().requests(tag).length, 1);
      assert.equal(opened, false);
    });
  }

  for (const [withCredentials, credentials] of [
    [false, 'same-origin'],
    [true, 'include'],
  ] as const) {
    it(`fetches with cache mode no-store, redirects followed and credentials ${credentials}`, async () => {
      // Spec, EventSource constructor: the request's cache mode, redirect mode and credentials mode.
      const inits: RequestInit[] = [];
      const fetch = (url: string, init: RequestInit) => (inits.push(init), globalThis.fetch(url, init));
      const es = new EventSource(`${server().url}/sse?count=1`, { fetch, withCredentials });
      await once(es, 'message');
      es.close();
      assert.equal(inits[0]?.cache, 'no-store');
      assert.equal(inits[0]?.redirect, 'follow');
      assert.equal(inits[0]?.credentials, credentials);
    });
  }

  // The global fetch (Node's here) cannot stream these: each would be a network error retried forever.
  for (const [name, url] of [
    ['an ftp: URL', 'ftp://127.0.0.1/sse'],
    ['an about: URL', 'about:blank'],
    ['a javascript: URL', 'javascript:void(0)'],
    ['a mailto: URL', 'mailto:someone@127.0.0.1'],
  ] as const) {
    it(`fails the connection on ${name} without a request: no throw, invalid-url, CLOSED`, async () => {
      const es = new EventSource(url, { retry: quick });
      let opened = false;
      es.onopen = () => (opened = true);
      const error = await once<SseErrorEvent>(es, 'error');
      assert.equal(es.readyState, EventSource.CLOSED);
      assert.equal(error.error.kind, 'invalid-url');
      await sleep(100); // several reconnection delays: none may happen
      assert.equal(opened, false);
    });
  }

  for (const [name, userinfo] of [
    ['a user and a password', 'user:s3cret-pw@'],
    ['a user alone', 'user@'],
    ['a password alone', ':s3cret-pw@'],
  ] as const) {
    it(`fails the connection on credentials in the URL (${name}), with any fetch, and does not echo the password`, async () => {
      const tag = uniqueTag();
      let fetched = 0;
      const fetch = (input: string, init: RequestInit) => (fetched++, globalThis.fetch(input, init));
      const es = new EventSource(`http://${userinfo}${new URL(server().url).host}/sse?count=1&tag=${tag}`, { fetch, retry: quick });
      const error = await once<SseErrorEvent>(es, 'error');
      assert.equal(es.readyState, EventSource.CLOSED);
      assert.equal(error.error.kind, 'invalid-url');
      assert.doesNotMatch(error.error.message, /s3cret-pw/);
      await sleep(100);
      assert.equal(fetched, 0);
      assert.equal(server().requests(tag).length, 0);
    });
  }

  it('streams what the global fetch can: an upper-case HTTP scheme, and a data: URL', async () => {
    const upper = new EventSource(`HTTP://${new URL(server().url).host}/sse?count=1`);
    assert.equal((await once<MessageEvent>(upper, 'message')).data.length > 0, true);
    upper.close();
    const data = new EventSource('data:text/event-stream,data:%20from%20a%20data%20URL%0A%0A', { retry: quick });
    assert.equal((await once<MessageEvent>(data, 'message')).data, 'from a data URL');
    data.close();
  });

  it('leaves other schemes to a caller-supplied fetch (an app protocol, say)', async () => {
    const seen: string[] = [];
    const fetch = (input: string, init: RequestInit) => (seen.push(input), globalThis.fetch(`${server().url}/sse?count=1`, init));
    const es = new EventSource('app://localhost/stream', { fetch });
    await once(es, 'message');
    es.close();
    assert.deepEqual(seen, ['app://localhost/stream']);
  });

  it('follows redirects; origin is the final URL origin', async () => {
    const other = `http://localhost:${new URL(server().url).port}`;
    const target = encodeURIComponent(`${other}/sse?count=1`);
    const es = new EventSource(`${server().url}/sse?redirect=${target}`);
    const event = await once<MessageEvent>(es, 'message');
    es.close();
    assert.equal(event.origin, other);
    assert.notEqual(event.origin, new URL(es.url).origin);
  });

  it('sends headers from a function called on every connect, and POST with a body', async () => {
    let calls = 0;
    const es = new EventSource(`${server().url}/sse?echo=1&count=0`, {
      method: 'POST',
      body: '{"prompt":"hi"}',
      headers: async () => ({ authorization: `Bearer token-${++calls}`, 'content-type': 'application/json' }),
      retry: quick,
    });
    const echoes = await collect<MessageEvent>(es, 'message', 2);
    es.close();
    const [first, second] = echoes.map((e) => JSON.parse(e.data as string));
    assert.equal(first.method, 'POST');
    assert.equal(first.body, '{"prompt":"hi"}');
    assert.equal(first.headers.authorization, 'Bearer token-1');
    assert.equal(second.headers.authorization, 'Bearer token-2');
    assert.equal(second.body, '{"prompt":"hi"}');
  });

  it('reports a throwing headers function as a `headers` error and retries per the policy', async () => {
    let calls = 0;
    const es = new EventSource(`${server().url}/sse?count=1`, {
      headers: () => {
        if (++calls === 1) throw new Error('token expired');
        return { 'x-try': String(calls) };
      },
      retry: quick,
    });
    const error = await once<SseErrorEvent>(es, 'error');
    assert.equal(error.error.kind, 'headers');
    assert.match(error.message, /token expired/);
    assert.equal(es.readyState, EventSource.CONNECTING);
    await once(es, 'message');
    es.close();
  });

  it('rejects an invalid header value with `invalid-header` and fails', async () => {
    const es = new EventSource(`${server().url}/sse?count=1`, { headers: { 'x-bad': 'a\nb' } });
    const error = await once<SseErrorEvent>(es, 'error');
    assert.equal(error.error.kind, 'invalid-header');
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  it('close() stops traffic: the server sees the connection end, no more events', async () => {
    const tag = uniqueTag();
    const es = new EventSource(`${server().url}/sse?interval=20&tag=${tag}`);
    let after = 0;
    await once(es, 'message');
    es.close();
    es.onmessage = () => after++;
    assert.equal(es.readyState, EventSource.CLOSED);
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the server to see the close');
    await sleep(100);
    assert.equal(after, 0);
    assert.equal(server().requests(tag).length, 1);
  });

  it('an aborted signal closes the source', async () => {
    const tag = uniqueTag();
    const controller = new AbortController();
    const es = new EventSource(`${server().url}/sse?interval=20&tag=${tag}`, { signal: controller.signal });
    await once(es, 'message');
    controller.abort();
    assert.equal(es.readyState, EventSource.CLOSED);
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the server to see the abort');
  });

  it('fails on an oversize event after delivering the events before it', async () => {
    const es = new EventSource(`${server().url}/sse?count=2&size=5000&nonewline=20000`, {
      maxEventSize: 10000,
      retry: quick,
    });
    const received: number[] = [];
    es.onmessage = (e) => received.push(JSON.parse(e.data as string).n);
    const error = await once<SseErrorEvent>(es, 'error');
    assert.deepEqual(received, [1, 2]);
    assert.equal(error.error.kind, 'event-too-large');
    assert.equal(es.readyState, EventSource.CLOSED);
  });
});
