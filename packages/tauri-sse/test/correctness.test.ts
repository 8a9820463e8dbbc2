/**
 * What real servers and apps do that the library's own happy paths do not: multi-MiB events and
 * long comments, close() racing a request, a server that never answers, handlers set and unset the
 * DOM way, concurrent consumers. Each case runs against the bundled server over loopback and
 * fails in seconds (its own deadline), not at the runner's timeout.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { EventSource as SpecEventSource } from 'eventsource';
import { EventSource, source, SseError, type SourceMessage, type SseErrorEvent, type Transport } from '../src/index.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { collect, once, sleep, until } from './helpers/wait.js';

const server = useServer();
const sse = (query: string) => `${server().url}/sse?${query}`;
const raw = (text: string) => Buffer.from(text).toString('base64url');
const fast = { initialDelay: 20, maxDelay: 50, jitter: 0 };

describe('event size and comments', () => {
  it('delivers a 5 MiB event with the default maxEventSize (base64 images, whole documents)', async () => {
    const size = 5 * 1024 * 1024;
    const es = new EventSource(sse(`count=1&size=${size}`));
    try {
      const [event] = await collect<MessageEvent>(es, 'message', 1, 10_000);
      assert.equal((event?.data as string).length, size);
    } finally {
      es.close();
    }
  });

  it('skips a comment longer than maxEventSize without failing the connection', async () => {
    const stream = `: ${'x'.repeat(5000)}\ndata: after\n\n`;
    const es = new EventSource(sse(`raw=${raw(stream)}`), { maxEventSize: 1024 });
    const errors: SseErrorEvent[] = [];
    es.onerror = (e) => errors.push(e as SseErrorEvent);
    try {
      const [event] = await collect<MessageEvent>(es, 'message', 1);
      assert.equal(event?.data, 'after');
      assert.deepEqual(errors.map((e) => e.error.kind), []);
    } finally {
      es.close();
    }
  });
});

describe('close() wins every race', () => {
  it('closed while a headers function is pending: no request is ever sent', async () => {
    const tag = uniqueTag();
    let release!: (headers: HeadersInit) => void;
    const es = new EventSource(sse(`tag=${tag}`), { headers: () => new Promise((r) => (release = r)) });
    await until(() => release !== undefined, 2000, 'the headers function to be called');
    es.close();
    release({ authorization: 'Bearer late' });
    await sleep(200);
    assert.deepEqual(server().requests(tag), []);
  });

  it('aborted while a headers function is pending: no request is ever sent', { timeout: 5000 }, async () => {
    const tag = uniqueTag();
    const controller = new AbortController();
    let release!: (headers: HeadersInit) => void;
    const stream = source(sse(`tag=${tag}`), { signal: controller.signal, headers: () => new Promise((r) => (release = r)) });
    await until(() => release !== undefined, 2000, 'the headers function to be called');
    controller.abort();
    release({});
    await assert.rejects(stream.next(), (e: unknown) => e instanceof SseError && e.kind === 'aborted');
    await sleep(200);
    assert.deepEqual(server().requests(tag), []);
  });

  it('a signal aborted before construction: no request, CLOSED at once', async () => {
    const tag = uniqueTag();
    const es = new EventSource(sse(`tag=${tag}`), { signal: AbortSignal.abort() });
    assert.equal(es.readyState, EventSource.CLOSED);
    await sleep(100);
    assert.deepEqual(server().requests(tag), []);
  });

  it('closed during the reconnect wait: no further request', async () => {
    const tag = uniqueTag();
    const es = new EventSource(sse(`count=1&tag=${tag}`), { retry: { initialDelay: 100, jitter: 0 } });
    await once(es, 'error');
    es.close();
    await sleep(300);
    assert.equal(server().requests(tag).length, 1);
  });

  it('closed while the request is in flight: the server sees the socket go at once', async () => {
    const tag = uniqueTag();
    const es = new EventSource(sse(`stall=1&tag=${tag}`));
    await until(() => server().requests(tag).length === 1, 2000, 'the request to arrive');
    es.close();
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the socket to close');
  });

  it('break out of for await: the server sees the socket close', { timeout: 5000 }, async () => {
    const tag = uniqueTag();
    for await (const event of source(sse(`ids=1&tag=${tag}&interval=20`))) {
      if (event.lastEventId === '2') break;
    }
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the socket to close');
  });

  it('a terminator ends the for await and closes the connection', { timeout: 5000 }, async () => {
    const tag = uniqueTag();
    const tokens: string[] = [];
    for await (const event of source(sse(`llm=1&count=3&interval=1&tag=${tag}`), { terminator: '[DONE]' })) tokens.push(event.data);
    assert.equal(tokens.length, 3);
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the socket to close');
  });

  it('removes its listener from a long-lived signal once closed or failed', async () => {
    const signal = new AbortController().signal;
    const closed = new EventSource(sse('count=1'), { signal });
    const failed = new EventSource(sse('status=401'), { signal });
    assert.equal(getEventListeners(signal, 'abort').length, 2);
    closed.close();
    await until(() => failed.readyState === EventSource.CLOSED, 2000, 'the 401 to fail the source');
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  it('does not keep a Node process alive while waiting to reconnect (timers are unref\'d)', async () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `
      const { EventSource } = await import(${JSON.stringify(entry)});
      const es = new EventSource(${JSON.stringify(sse('count=1'))}, { retry: { initialDelay: 60000 } });
      es.onerror = () => console.log('waiting ' + es.readyState);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running' as const)]);
    child.kill();
    assert.equal(code, 0, `the process did not exit during a 60 s reconnect wait (${code}); output: ${output}`);
    assert.match(output, /waiting 0/);
  });
});

describe('idleTimeout and retry timing', () => {
  it('times the wait for the response headers: a server that never answers is an idle timeout', async () => {
    const es = new EventSource(sse('stall=1'), { idleTimeout: 150, retry: { ...fast, maxAttempts: 0 } });
    const errors = await collect<SseErrorEvent>(es, 'error', 1, 3000);
    assert.equal(errors[0]?.error.kind, 'max-attempts');
    assert.equal((errors[0]?.error.cause as SseError).kind, 'idle-timeout');
  });

  it('never reconnects sooner than the server\'s retry: (jitter only adds)', async () => {
    const tag = uniqueTag();
    const es = new EventSource(sse(`retry=150&count=1&tag=${tag}`), { retry: { jitter: 1 } });
    try {
      const delays = (await collect<SseErrorEvent>(es, 'error', 3, 5000)).map((e) => e.reconnectIn as number);
      for (const delay of delays) assert.ok(delay >= 150 && delay <= 300, `reconnectIn ${delay} outside [150, 300]`);
    } finally {
      es.close();
    }
  });
});

describe('EventSource details', () => {
  it('lastEventId is what the next reconnect sends, after an id-only block too', async () => {
    const tag = uniqueTag();
    const es = new EventSource(sse(`ids=1&count=1&raw=${raw('id: 7\n\n')}&tag=${tag}`), { retry: fast });
    try {
      await once(es, 'error');
      assert.equal(es.lastEventId, '7');
      await until(() => server().requests(tag).length === 2, 2000, 'the reconnect');
      assert.equal(server().requests(tag)[1]?.lastEventId, '7');
    } finally {
      es.close();
    }
  });

  it('an http-status error carries the start of the response body', async () => {
    const es = new EventSource(sse('auth=secret&errorbody=token%20expired'));
    const [event] = await collect<SseErrorEvent>(es, 'error', 1);
    assert.equal(event?.error.status, 401);
    assert.equal(event?.error.body, 'token expired\n');
  });

  it('matches the content type essence case-insensitively, parameters ignored', async () => {
    const es = new EventSource(sse('count=1&type=Text%2FEvent-Stream%3B%20charset%3Dutf-8'));
    try {
      const [event] = await collect<MessageEvent>(es, 'message', 1);
      assert.ok(event);
    } finally {
      es.close();
    }
  });

  it('event handler attributes: one listener however often set, null removes it, a new one goes last', async () => {
    const es = new EventSource(sse('count=3&interval=50'));
    const calls: string[] = [];
    try {
      es.onmessage = () => calls.push('first');
      es.onmessage = () => calls.push('handler');
      es.addEventListener('message', () => calls.push('listener'));
      await collect(es, 'message', 1);
      assert.deepEqual(calls, ['handler', 'listener']);
      es.onmessage = null;
      assert.equal(es.onmessage, null);
      await collect(es, 'message', 1);
      assert.deepEqual(calls, ['handler', 'listener', 'listener']);
      // Re-activated: registered anew, after the listener added earlier (HTML "activate").
      es.onmessage = () => calls.push('again');
      await collect(es, 'message', 1);
      assert.deepEqual(calls, ['handler', 'listener', 'listener', 'listener', 'again']);
    } finally {
      es.close();
    }
  });

  it('resolves a relative URL against document.baseURI', () => {
    const scope = globalThis as { document?: { baseURI: string } };
    scope.document = { baseURI: `${server().url}/app/` };
    try {
      const es = new EventSource('../sse?count=1', { signal: AbortSignal.abort() });
      assert.equal(es.url, `${server().url}/sse?count=1`);
    } finally {
      delete scope.document;
    }
  });

  it('refuses numbers the Rust plugin cannot take as invalid-options', () => {
    for (const init of [{ maxEventSize: 1.5 }, { idleTimeout: 0.5 }, { retry: { maxAttempts: 5e9 } }, { retry: { onStatus: [70000] } }]) {
      assert.throws(
        () => new EventSource(sse('count=1'), init),
        (e: unknown) => e instanceof SseError && e.kind === 'invalid-options',
        JSON.stringify(init),
      );
    }
  });
});

describe('source() iterator', () => {
  it('two concurrent next() calls both settle, in order', { timeout: 5000 }, async () => {
    const stream = source(sse('ids=1&count=2'));
    const [a, b] = await Promise.all([stream.next(), stream.next()]);
    assert.equal(a.value?.lastEventId, '1');
    assert.equal(b.value?.lastEventId, '2');
    stream.close();
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  });

  it('pauses the transport exactly when highWaterMark events wait', () => {
    let sink!: (message: SourceMessage) => void | Promise<void>;
    const transport: Transport = { name: 'manual', connect: (_request, s) => ((sink = s), { close: () => undefined }) };
    const stream = source('http://127.0.0.1:9/sse', { transport, highWaterMark: 3 });
    const push = (n: number) => sink({ type: 'events', events: [{ data: String(n) }] });
    assert.equal(push(1), undefined);
    assert.equal(push(2), undefined);
    assert.ok(push(3) instanceof Promise, 'the third waiting event pauses');
    stream.close();
  });
});

describe('native transport over a spec EventSource (the `eventsource` package standing in for the webview)', () => {
  const withNative = async (run: () => Promise<void>) => {
    const scope = globalThis as { EventSource?: unknown };
    scope.EventSource = SpecEventSource;
    try {
      await run();
    } finally {
      delete scope.EventSource;
    }
  };

  it('reports the final origin after a redirect', () =>
    withNative(async () => {
      const target = `http://localhost:${new URL(server().url).port}/sse?count=1`;
      const es = new EventSource(sse(`redirect=${encodeURIComponent(target)}`), { transport: 'native' });
      try {
        const [event] = await collect<MessageEvent>(es, 'message', 1);
        assert.equal(event?.origin, new URL(target).origin);
      } finally {
        es.close();
      }
    }));

  it('honours an empty id: (the last event ID string resets)', () =>
    withNative(async () => {
      const es = new EventSource(sse(`raw=${raw('id: 5\ndata: a\n\nid:\ndata: b\n\n')}`), { transport: 'native' });
      try {
        const events = await collect<MessageEvent>(es, 'message', 2);
        assert.deepEqual(events.map((e) => e.lastEventId), ['5', '']);
        assert.equal(es.lastEventId, '');
      } finally {
        es.close();
      }
    }));
});
