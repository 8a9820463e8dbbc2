// Each transport inside the real app, against the bundled server: order and ids, auth and POST
// bodies, headers refreshed per reconnect, resumption after dropped connections, close(), and the
// Rust plugin's scope check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Demo, requests, sleep, tagFor, TRANSPORTS, type RunResult, type TransportName } from './support/demo.js';

let demo: Demo;
before(async () => {
  demo = await Demo.launch();
});
after(async () => {
  await demo?.quit();
});

const TOKEN = 'e2e-token';

/** The query every run of `transport` needs: CORS for the webview's EventSource, a token for the others. */
function access(transport: TransportName): string {
  return transport === 'native' ? 'cors=1' : `auth=${TOKEN}`;
}
function credentials(transport: TransportName) {
  return transport === 'native' ? {} : { token: TOKEN };
}

function describeRun(result: RunResult): string {
  const errors = result.errors.map((e) => `${e.kind} (${e.state}): ${e.message}`).join('; ');
  return `state ${result.state}, ${result.count} events, ids [${result.events.map((e) => e.lastEventId)}], errors [${errors}]${result.timedOut ? ', timed out' : ''}`;
}

/** The event numbers the server put in the data (`{"n":…}`). */
function numbers(result: RunResult): number[] {
  return result.events.map((e) => (JSON.parse(e.data) as { n: number }).n);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

for (const transport of TRANSPORTS) {
  describe(`${transport} transport`, () => {
    test('delivers events in order with their type, data and lastEventId', async () => {
      const result = await demo.run(
        { transport, url: `/sse?count=5&ids=1&event=tick&${access(transport)}`, types: ['tick'], ...credentials(transport) },
        { lastEventId: '5' },
      );
      const why = `${transport}: expected ticks 1..5 in order (${describeRun(result)})`;
      assert.deepEqual(result.events.map((e) => e.lastEventId), range(1, 5), why);
      assert.deepEqual(numbers(result), [1, 2, 3, 4, 5], why);
      assert.ok(result.events.every((e) => e.type === 'tick'), `${transport}: every event should have type "tick"`);
      assert.equal(result.opens, 1, `${transport}: expected exactly one open before the 5th event (${describeRun(result)})`);
    });

    test('resumes with Last-Event-ID after dropped connections, without loss or duplicates', async () => {
      const tag = tagFor(transport, 'resume');
      // The server destroys the socket after every 3 events; `retry: 100` keeps the test quick.
      const result = await demo.run(
        { transport, url: `/sse?ids=1&drop=3&count=10&retry=100&tag=${tag}&${access(transport)}`, ...credentials(transport) },
        { lastEventId: '10' },
        20_000,
      );
      const why = `${transport}: expected ids 1..10 exactly once across reconnects (${describeRun(result)})`;
      assert.deepEqual(result.events.map((e) => e.lastEventId), range(1, 10), why);
      assert.deepEqual(numbers(result), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], why);
      assert.ok(result.reconnects >= 3, `${transport}: expected at least 3 reconnects, saw ${result.reconnects}`);
      const sent = (await requests(tag)).map((r) => r.lastEventId);
      assert.deepEqual(sent.slice(0, 4), [null, '3', '6', '9'], `${transport}: expected the server to see Last-Event-ID none, 3, 6, 9; saw ${JSON.stringify(sent)}`);
    });

    test('close() stops all traffic: no more events, no reconnect, the request is gone', async () => {
      const tag = tagFor(transport, 'close');
      const id = await demo.start({ transport, url: `/sse?ids=1&interval=30&tag=${tag}&${access(transport)}`, ...credentials(transport) });
      const running = await demo.wait(id, { events: 3 });
      assert.ok(running.count >= 3, `${transport}: expected 3 events before close() (${describeRun(running)})`);
      const closed = await demo.close(id);
      assert.equal(closed.state, 'CLOSED', `${transport}: readyState should be CLOSED right after close()`);
      await sleep(600);
      const later = await demo.call<RunResult>('result', id);
      assert.equal(later.count, closed.count, `${transport}: no event may arrive after close() (${closed.count} then ${later.count})`);
      const seen = await requests(tag);
      assert.equal(seen.length, 1, `${transport}: close() must not reconnect; the server saw ${seen.length} requests`);
      assert.ok(seen[0]?.closed, `${transport}: the server should see its connection closed after close()`);
    });

    if (transport === 'native') {
      test('refuses headers and a body with a clear error (the webview EventSource cannot send them)', async () => {
        const result = await demo.run({ transport, url: '/sse?count=1&cors=1', token: TOKEN, method: 'POST', body: '{}' }, { closed: true });
        assert.equal(result.state, 'CLOSED', `native: a source with headers should fail at once (${describeRun(result)})`);
        assert.match(result.errors[0]?.message ?? '', /cannot send .*headers/, 'native: the error should say headers cannot be sent');
      });
    } else {
      test('sends the Bearer token and the POST body on every (re)connect', async () => {
        const tag = tagFor(transport, 'post');
        const body = JSON.stringify({ prompt: `hello from ${transport}`, n: 42 });
        const result = await demo.run(
          { transport, url: `/sse?ids=1&count=4&drop=2&retry=50&tag=${tag}&auth=${TOKEN}`, token: TOKEN, method: 'POST', body },
          { lastEventId: '4' },
        );
        assert.deepEqual(numbers(result), [1, 2, 3, 4], `${transport}: expected events 1..4 through a reconnect (${describeRun(result)})`);
        const seen = await requests(tag);
        assert.ok(seen.length >= 2, `${transport}: expected a reconnect, the server saw ${seen.length} requests`);
        for (const request of seen) {
          assert.equal(request.method, 'POST', `${transport}: every request should be a POST`);
          assert.equal(request.headers.authorization, `Bearer ${TOKEN}`, `${transport}: every request should carry the Bearer token`);
          assert.equal(request.body, body, `${transport}: every request should carry the POST body`);
        }
      });

      test('calls a headers function afresh before every (re)connect', async () => {
        const tag = tagFor(transport, 'fresh-headers');
        // Two events per connection, so 3 connections carry events 1..6; the 4th, resuming past
        // count, is answered 204 and closes the source, which makes the request count exact.
        const result = await demo.run(
          { transport, url: `/sse?ids=1&drop=2&count=6&retry=50&tag=${tag}`, headers: 'rotating' },
          { closed: true },
          20_000,
        );
        const why = `${transport}: expected ids 1..6 exactly once across reconnects (${describeRun(result)})`;
        assert.deepEqual(result.events.map((e) => e.lastEventId), range(1, 6), why);
        assert.deepEqual(numbers(result), [1, 2, 3, 4, 5, 6], why);
        const tokens = (await requests(tag)).map((r) => r.headers['x-token'] ?? null);
        assert.deepEqual(
          tokens,
          range(1, 4),
          `${transport}: expected x-token 1, 2, 3 on the connect and the two reconnects that stream, then 4 on the resume past count (one new token per request); saw ${JSON.stringify(tokens)}`,
        );
      });

      test('a wrong token fails with http-status 401 and does not retry', async () => {
        const tag = tagFor(transport, 'auth');
        const result = await demo.run(
          { transport, url: `/sse?count=3&tag=${tag}&auth=${TOKEN}`, token: 'wrong' },
          { closed: true },
        );
        const error = result.errors[0];
        assert.equal(result.state, 'CLOSED', `${transport}: a 401 should close the source (${describeRun(result)})`);
        assert.equal(error?.kind, 'http-status', `${transport}: a 401 should be an http-status error (${describeRun(result)})`);
        assert.equal(error?.status, 401, `${transport}: the error should carry status 401`);
        assert.equal((await requests(tag)).length, 1, `${transport}: a 401 must not be retried`);
      });
    }
  });
}

describe('tauri transport scope', () => {
  for (const url of ['http://localhost:1/sse', 'https://example.com/']) {
    test(`refuses ${url}, outside the capability's allow list, with kind "scope"`, async () => {
      const result = await demo.run({ transport: 'tauri', url }, { closed: true });
      assert.equal(result.state, 'CLOSED', `tauri: a URL outside the scope should close the source (${describeRun(result)})`);
      assert.equal(result.errors[0]?.kind, 'scope', `tauri: expected a "scope" error for ${url} (${describeRun(result)})`);
      assert.equal(result.count, 0, 'tauri: no event may come from a refused URL');
    });
  }
});
