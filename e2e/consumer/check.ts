// Drives the app scripts/consumer-test.sh built (TAURI_SSE_APP) through tauri-driver
// (TAURI_DRIVER_URL) and checks both streams against the bundled server (TAURI_SSE_SERVER).
import assert from 'node:assert/strict';
import type { StreamResult } from './main.js';
import { Session } from '../support/webdriver.js';

const need = (name: string) => process.env[name] ?? assert.fail(`${name} is not set: run scripts/consumer-test.sh`);
const [driver, app, server] = [need('TAURI_DRIVER_URL'), need('TAURI_SSE_APP'), need('TAURI_SSE_SERVER')];
const token = `consumer-${process.pid}`;

const RUN = `
const done = arguments[arguments.length - 1];
const [server, token] = arguments;
const attempt = () => {
  if (!window.__consumer) return void setTimeout(attempt, 50);
  window.__consumer.run(server, token).then((ok) => done({ ok }), (e) => done({ error: String(e && e.stack || e) }));
};
attempt();`;

interface Recorded {
  headers: Record<string, string>;
  lastEventId: string | null;
}

const session = await Session.create(driver, app);
try {
  const reply = await session.executeAsync<{ ok?: StreamResult[]; error?: string }>(RUN, [server, token]);
  assert.ok(reply.ok, `the page failed: ${reply.error}`);
  const expected = Array.from({ length: 9 }, (_, i) => String(i + 1));
  for (const r of reply.ok) {
    const what = `transport '${r.transport}': ${JSON.stringify(r)}`;
    // Every event once, in order, across the dropped connections.
    assert.deepEqual(r.events.map((e) => e.id), expected, what);
    for (const e of r.events) assert.equal((JSON.parse(e.data) as { n: number }).n, Number(e.id), what);
    // Three connections end after 3 events each and reconnect (3 opens, 3 errors while CONNECTING);
    // the resume past the last event answers 204: one more error, closed for good.
    assert.equal(r.opens, 3, what);
    assert.deepEqual(r.errors.map((e) => e.readyState), [0, 0, 0, 2], what);
    assert.deepEqual([r.errors[3]?.kind, r.errors[3]?.code], ['http-status', 204], what);

    const response = await fetch(`${server}/requests?tag=${r.transport}`);
    const requests = (await response.json()) as Recorded[];
    // The first request, then resumes after events 3 and 6, then the one answered 204; each with the
    // Bearer token, from the Rust plugin (its user agent: `auto` chose the plugin too).
    assert.deepEqual(requests.map((q) => q.lastEventId ?? ''), ['', '3', '6', '9'], what);
    for (const q of requests) {
      assert.equal(q.headers.authorization, `Bearer ${token}`, what);
      assert.match(q.headers['user-agent'] ?? '', /^tauri-plugin-eventsource\//, what);
    }
    console.log(`consumer: transport '${r.transport}': events 1-9 once, in order, over ${requests.length} requests (cut after events 3, 6 and 9)`);
  }
} finally {
  await session.delete();
}
