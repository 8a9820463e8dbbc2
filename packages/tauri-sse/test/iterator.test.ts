import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { source, SseError } from '../src/index.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { until } from './helpers/wait.js';

const server = useServer();
const quick = { initialDelay: 20, jitter: 0 };

describe('source() async iterator', () => {
  it('yields an LLM token stream and ends cleanly at the terminator', async () => {
    const tag = uniqueTag();
    let text = '';
    for await (const event of source(`${server().url}/sse?llm=1&interval=1&tag=${tag}`, { terminator: '[DONE]' })) {
      assert.equal(event.type, 'message');
      assert.equal(event.origin, server().url);
      text += event.json<{ token: string }>().token;
    }
    assert.match(text, /^Server-sent events deliver .* written\.$/);
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the server to see the end');
    assert.equal(server().requests(tag).length, 1);
  });

  it('break closes the connection on the server side', async () => {
    const tag = uniqueTag();
    const stream = source(`${server().url}/sse?interval=10&ids=1&tag=${tag}`);
    const ids: string[] = [];
    for await (const event of stream) {
      ids.push(event.lastEventId);
      if (ids.length === 3) break;
    }
    assert.deepEqual(ids, ['1', '2', '3']);
    assert.equal(stream.readyState, 2);
    await until(() => server().requests(tag)[0]?.closed === true, 2000, 'the server to see the break');
  });

  it('keeps reconnections transparent and ends cleanly on the final 204', async () => {
    const ids: string[] = [];
    for await (const event of source(`${server().url}/sse?ids=1&count=6&drop=2`, { retry: quick })) {
      ids.push(event.lastEventId);
    }
    assert.deepEqual(ids, ['1', '2', '3', '4', '5', '6']);
  });

  it('yields only the event types asked for', async () => {
    const stream = source(`${server().url}/sse?count=3&event=other&echo=1`, {
      events: ['message', 'tick'],
      retry: { ...quick, maxAttempts: 0 },
    });
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (const event of stream) seen.push(event.type);
      },
      (error: unknown) => error instanceof SseError && error.kind === 'max-attempts',
    );
    assert.deepEqual(seen, []);
    const all: string[] = [];
    for await (const event of source(`${server().url}/sse?count=2&event=other`, { events: ['other'] })) {
      all.push(event.type);
      if (all.length === 2) break;
    }
    assert.deepEqual(all, ['other', 'other']);
  });

  it('rejects with the SseError after yielding the events before a fatal error', async () => {
    const received: number[] = [];
    const stream = source(`${server().url}/sse?count=2&size=3000&nonewline=9000`, { maxEventSize: 8000 });
    await assert.rejects(
      async () => {
        for await (const event of stream) received.push(event.json<{ n: number }>().n);
      },
      (error: unknown) => error instanceof SseError && error.kind === 'event-too-large',
    );
    assert.deepEqual(received, [1, 2]);
  });

  it('rejects on a failed connection (401)', async () => {
    await assert.rejects(
      async () => {
        for await (const _ of source(`${server().url}/sse?auth=secret`)) assert.fail('no event expected');
      },
      (error: unknown) => error instanceof SseError && error.kind === 'http-status' && error.status === 401,
    );
  });

  it('rejects with `aborted` when the signal aborts', async () => {
    const controller = new AbortController();
    const stream = source(`${server().url}/sse?hang=1`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(stream.next(), (error: unknown) => error instanceof SseError && error.kind === 'aborted');
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  });

  it('delivers every event in order to a slow consumer (backpressure)', async () => {
    const stream = source(`${server().url}/sse?ids=1&count=300&size=2000`, { highWaterMark: 4 });
    let expected = 1;
    for await (const event of stream) {
      assert.equal(event.lastEventId, String(expected++));
      if (expected % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      if (expected > 300) break;
    }
    assert.equal(expected, 301);
  });
});
