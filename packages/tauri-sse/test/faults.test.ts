/**
 * Fault suite for the fetch transport against the bundled server (docs/reliability.md): the server
 * killed mid-event, TCP resets, half-open connections, a 503 storm, 1,000 reconnect cycles. Each
 * test prints a `figures` line; small retry delays keep the whole file well under a minute.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSource, source, type FetchLike, type SseErrorEvent } from '../src/index.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { sleep, until } from './helpers/wait.js';
import { eventNumber, figures, tally } from './reliability/delivery.js';
import { spawnServer, type ServerProcess } from './reliability/server-process.js';

const server = useServer();

/** A real fetch that records when each attempt started and the `Last-Event-ID` it sent. */
function recordingFetch(rewrite: (url: string, attempt: number) => string = (url) => url) {
  const attempts: { at: number; lastEventId: string | null }[] = [];
  const fetchFn: FetchLike = (url, init) => {
    attempts.push({ at: performance.now(), lastEventId: new Headers(init.headers).get('last-event-id') });
    return fetch(rewrite(url, attempts.length), init);
  };
  return { fetch: fetchFn, attempts };
}

/** Runs an EventSource until it is CLOSED, recording what a page would see. */
async function runToClose(url: string, init: ConstructorParameters<typeof EventSource>[1], ms: number) {
  const es = new EventSource(url, init);
  const numbers: number[] = [];
  const errors: SseErrorEvent[] = [];
  let opens = 0;
  let lastError = 0;
  let maxGap = 0;
  es.onopen = () => {
    opens++;
    if (lastError > 0) maxGap = Math.max(maxGap, performance.now() - lastError);
  };
  es.onmessage = (e) => numbers.push(eventNumber(e.data as string));
  es.onerror = (e) => {
    errors.push(e);
    lastError = performance.now();
  };
  try {
    await until(() => es.readyState === EventSource.CLOSED, ms, 'the source to close');
  } finally {
    es.close();
  }
  return { numbers, errors, opens, maxGap };
}

/** Each reconnect must resume from the last event delivered before it. */
function assertResumes(sent: (string | null)[], numbers: number[]): void {
  const delivered = new Set(numbers.map(String));
  for (const id of sent.slice(1)) assert.ok(id !== null && delivered.has(id), `resumed from ${id}, which was never delivered`);
}

describe('fault suite (fetch transport)', () => {
  it('survives 1,000 reconnect cycles: every event once, in order, resumed by Last-Event-ID', async () => {
    const cycles = 1000;
    const perCycle = 3;
    const sent = cycles * perCycle;
    const recorder = recordingFetch();
    const started = performance.now();
    const run = await runToClose(
      `${server().url}/sse?ids=1&count=${sent}&drop=${perCycle}`,
      { fetch: recorder.fetch, retry: { initialDelay: 1, jitter: 0 } },
      30_000,
    );
    const t = tally(run.numbers, sent);
    const maxReconnectIn = Math.max(...run.errors.map((e) => e.reconnectIn ?? 0));
    figures('reconnect-cycles', {
      cycles: run.opens,
      ...t,
      maxReconnectIn,
      maxReconnectGapMs: Math.round(run.maxGap),
      ms: Math.round(performance.now() - started),
    });
    assert.equal(run.opens, cycles);
    assert.deepEqual(t, { sent, delivered: sent, duplicates: 0, missing: 0, inOrder: true });
    // Each drop ends a connection: cycles reconnects, the last one answered 204 (done).
    assert.deepEqual(
      recorder.attempts.map((a) => a.lastEventId),
      [null, ...Array.from({ length: cycles }, (_, i) => String((i + 1) * perCycle))],
    );
    assert.equal(run.errors.at(-1)?.code, 204);
    assert.ok(run.errors.slice(0, -1).every((e) => e.error.kind === 'network' && e.reconnectIn === 1));
  });

  it('TCP reset mid-stream: a network error, then the stream resumes with nothing lost or repeated', async () => {
    const sent = 60;
    const recorder = recordingFetch();
    const run = await runToClose(
      `${server().url}/sse?ids=1&count=${sent}&reset=10`,
      { fetch: recorder.fetch, retry: { initialDelay: 5, jitter: 0 } },
      10_000,
    );
    const t = tally(run.numbers, sent);
    const kinds = run.errors.slice(0, -1).map((e) => e.error.kind);
    figures('tcp-reset', { resets: kinds.length, ...t, messages: [...new Set(run.errors.slice(0, -1).map((e) => e.message))] });
    assert.deepEqual(t, { sent, delivered: sent, duplicates: 0, missing: 0, inOrder: true });
    // 6 resets if the client read every event before the RST landed; more if an RST beat a read.
    assert.ok(kinds.length >= sent / 10 && kinds.every((k) => k === 'network'), kinds.join());
    assertResumes(recorder.attempts.map((a) => a.lastEventId), run.numbers);
  });

  it('half-open connection (silent socket) is caught by idleTimeout, then resumed', async () => {
    const tag = uniqueTag();
    const idleTimeout = 300;
    // One event at once, then silence far longer than idleTimeout: each connection yields one
    // event; the third stream is complete after it and ends (network), the resume gets 204.
    const started = performance.now();
    const run = await runToClose(
      `${server().url}/sse?ids=1&count=3&interval=60000&tag=${tag}`,
      { idleTimeout, retry: { initialDelay: 10, jitter: 0 } },
      10_000,
    );
    const elapsed = performance.now() - started;
    const kinds = run.errors.map((e) => e.error.kind);
    const requests = server().requests(tag);
    figures('half-open', { idleTimeout, timeouts: kinds.filter((k) => k === 'idle-timeout').length, ...tally(run.numbers, 3), ms: Math.round(elapsed) });
    assert.deepEqual(run.numbers, [1, 2, 3]);
    assert.deepEqual(kinds, ['idle-timeout', 'idle-timeout', 'network', 'http-status']);
    assert.deepEqual(requests.map((r) => r.lastEventId), [null, '1', '2', '3']);
    // The client really hung up on every silent connection (no leaked sockets).
    await until(() => server().requests(tag).every((r) => r.closed), 2000, 'every connection closed');
    assert.ok(elapsed >= 2 * idleTimeout, `two timeouts took only ${elapsed.toFixed(0)} ms`);
  });

  it('a silent server from the first byte (hang) times out too, and the retry gets the stream', async () => {
    const tag = uniqueTag();
    const recorder = recordingFetch((url, attempt) => (attempt === 1 ? `${url}&hang=1` : url));
    const run = await runToClose(
      `${server().url}/sse?ids=1&count=2&tag=${tag}`,
      { fetch: recorder.fetch, idleTimeout: 200, retry: { initialDelay: 10, jitter: 0 } },
      5000,
    );
    assert.deepEqual(run.numbers, [1, 2]);
    assert.equal(run.errors[0]?.error.kind, 'idle-timeout');
    assert.equal(run.errors[0]?.reconnectIn, 10);
    await until(() => server().requests(tag).every((r) => r.closed), 2000, 'the hanging connection closed');
  });

  it('503 storm: Retry-After capped by maxDelay, exponential backoff within bounds, no hot loop', async () => {
    const policy = { initialDelay: 10, maxDelay: 150, factor: 2, jitter: 0.5, onStatus: [503] };
    const storm = async (fail: number, retryAfter: string) => {
      const tag = uniqueTag();
      const recorder = recordingFetch();
      const run = await runToClose(
        `${server().url}/sse?ids=1&count=2&fail=${fail}${retryAfter}&tag=${tag}`,
        { fetch: recorder.fetch, retry: policy },
        20_000,
      );
      assert.deepEqual(run.numbers, [1, 2]);
      // fail refused attempts, one stream, one resume answered 204: nothing more.
      assert.equal(recorder.attempts.length, fail + 2);
      const delays = run.errors.slice(0, fail).map((e) => e.reconnectIn as number);
      const gaps = recorder.attempts.slice(1, fail + 1).map((a, i) => a.at - (recorder.attempts[i] as { at: number }).at);
      gaps.forEach((gap, i) => assert.ok(gap >= (delays[i] as number) - 2, `attempt ${i + 2} came ${gap.toFixed(1)} ms after the previous one, policy said ${delays[i]}`));
      return { requests: recorder.attempts.length, delays, minGapMs: Math.round(Math.min(...gaps)) };
    };

    // Retry-After: 5 asks for 5 s; the policy caps it at max(maxDelay, base) = 150 ms, and jitter
    // only adds: a jittered backoff at the cap may wait up to 150 × 1.5.
    const capped = await storm(20, '&retryAfter=5');
    capped.delays.forEach((delay, i) => assert.ok(delay >= 150 && delay <= 225, `attempt ${i + 1}: ${delay} outside [150, 225]`));

    const backoff = await storm(12, '');
    backoff.delays.forEach((delay, i) => {
      const full = Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** i);
      assert.ok(delay >= full && delay <= Math.ceil(full * (1 + policy.jitter)), `attempt ${i + 1}: ${delay} not in policy bounds of ${full}`);
    });
    figures('503-storm', { retryAfterCapped: capped, backoff, maxDelay: policy.maxDelay });
  });

  it('server killed (kill -9) mid-event and restarted on the same port: no torn event, nothing lost or repeated', async () => {
    let proc: ServerProcess = await spawnServer();
    const { port } = proc;
    const sent = 40;
    // slow=1 writes one byte per ms: an event (~45 bytes) takes ~50 ms, so a kill 20 ms after an
    // event lands in the middle of the next one.
    const tag = uniqueTag();
    const stream = source(`${proc.url}/sse?ids=1&count=${sent}&slow=1&tag=${tag}`, { retry: { initialDelay: 50, maxDelay: 200, jitter: 0 } });
    const numbers: number[] = [];
    const kills: Promise<void>[] = [];
    const killAt = new Set([10, 25]);
    const started = performance.now();
    const restart = async () => {
      await sleep(20);
      await proc.kill();
      await sleep(150); // down: the client's attempts meet ECONNREFUSED
      proc = await spawnServer(port);
    };
    try {
      for await (const event of stream) {
        // eventNumber throws on a torn event: a half-written block must never be dispatched.
        const n = eventNumber(event.data);
        numbers.push(n);
        assert.equal(event.lastEventId, String(n));
        if (killAt.has(n)) kills.push(restart());
      }
      await Promise.all(kills);
      // The last server saw the resume from the last complete event before its kill, then the 204 one.
      const requests = (await (await fetch(`${proc.url}/requests?tag=${tag}`)).json()) as { lastEventId: string }[];
      assert.deepEqual(requests.map((r) => r.lastEventId), ['25', String(sent)]);
    } finally {
      stream.close();
      await proc.kill();
    }
    const t = tally(numbers, sent);
    figures('kill-9', { kills: kills.length, ...t, ms: Math.round(performance.now() - started) });
    assert.deepEqual(t, { sent, delivered: sent, duplicates: 0, missing: 0, inOrder: true });
  });
});
