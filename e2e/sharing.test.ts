// Desktop life in the real app: two windows sharing one upstream Rust connection (the main window
// opens it with `shared`, the notifications window `join`s it), and the network simulation the
// demo's buttons drive (`Sse::network_changed`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Demo, requests, sleep, tagFor, type RunResult } from './support/demo.js';

interface NotificationReport {
  kind: 'event' | 'error';
  lastEventId?: string;
  error?: { kind: string };
  closed?: boolean;
}

let demo: Demo;
before(async () => {
  demo = await Demo.launch();
});
after(async () => {
  await demo?.quit();
});

const ids = (result: RunResult) => result.events.map((e) => Number(e.lastEventId));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('tauri: two windows share one upstream connection; both get every event once, in order, across drops', async () => {
  const tag = tagFor('tauri', 'shared');
  const name = `e2e-${tag}`;
  // The first request answers 503 and the reconnect waits 3 s: time for the second window to open
  // and join before the first event. Then 12 events, the socket dropped after every 5, each
  // reconnect after the 50 ms the server asks for with `retry:`.
  const id = await demo.start({
    transport: 'tauri',
    url: `/sse?ids=1&count=12&drop=5&interval=100&fail=1&retry=50&tag=${tag}`,
    name,
    shared: true,
    initialDelay: 3000,
    onStatus: [503],
  });
  await demo.call('openNotifications', name);
  const main = await demo.wait(id, { closed: true }, 30_000);
  assert.deepEqual(ids(main), range(1, 12), `main window: every event once, in order (got ${ids(main)})`);

  let reports: NotificationReport[] = [];
  for (let i = 0; i < 50 && !reports.some((r) => r.closed); i++) {
    await sleep(100);
    reports = await demo.call<NotificationReport[]>('notifications');
  }
  const joined = reports.filter((r) => r.kind === 'event').map((r) => Number(r.lastEventId));
  assert.deepEqual(joined, range(1, 12), `notifications window: every event once, in order (got ${joined})`);
  // one connection for both windows: the 503, three streams (two drops) and the 204 that ends it
  const seen = await requests(tag);
  assert.equal(seen.length, 5, `the server should see one connection at a time, not one per window (saw ${seen.length} requests)`);
  assert.deepEqual(
    seen.map((r) => r.lastEventId),
    [null, null, '5', '10', '12'],
    'each reconnect resumes with Last-Event-ID',
  );
});

test('tauri: Online ends a long reconnect wait; Wake reestablishes a silent connection at once', async () => {
  const tag = tagFor('tauri', 'network');
  // every connection drops after 2 events and the reconnect would wait 60 s
  const id = await demo.start({ transport: 'tauri', url: `/sse?ids=1&drop=2&interval=50&tag=${tag}`, initialDelay: 60_000 });
  await demo.wait(id, { errorKind: 'network' });
  await demo.call('simulate', 'offline');
  await demo.call('simulate', 'online');
  const resumed = await demo.wait(id, { events: 4 }, 5000);
  assert.deepEqual(ids(resumed).slice(0, 4), [1, 2, 3, 4], `Online should reconnect at once (got ${ids(resumed)}, timed out: ${resumed.timedOut})`);
  await demo.close(id);

  const silent = tagFor('tauri', 'wake');
  const quiet = await demo.start({ transport: 'tauri', url: `/sse?ids=1&interval=60000&tag=${silent}`, initialDelay: 10 });
  await demo.wait(quiet, { events: 1 });
  await demo.call('simulate', 'wake');
  const woke = await demo.wait(quiet, { events: 2 }, 5000);
  assert.deepEqual(ids(woke), [1, 2], `Wake should reestablish the silent connection (got ${ids(woke)}, timed out: ${woke.timedOut})`);
  const seen = await requests(silent);
  assert.deepEqual(seen.map((r) => r.lastEventId), [null, '1'], 'the new connection resumes with Last-Event-ID');
  await demo.close(quiet);
});
