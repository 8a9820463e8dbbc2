// The Rust transport's kept-alive connection outlives the page: after a reload the new page
// attaches to it by name and the stream goes on, on the same HTTP request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Demo, requests, sleep, tagFor, type RunResult } from './support/demo.js';

let demo: Demo;
before(async () => {
  demo = await Demo.launch();
});
after(async () => {
  await demo?.quit();
});

const ids = (result: RunResult) => result.events.map((e) => Number(e.lastEventId));

test('tauri: a keepAlive connection survives a page reload and attach(name) picks it up', async () => {
  const tag = tagFor('tauri', 'keep-alive');
  const name = `e2e-${tag}`;
  const id = await demo.start({
    transport: 'tauri',
    url: `/sse?ids=1&interval=100&tag=${tag}&auth=e2e`,
    token: 'e2e',
    method: 'POST',
    body: '{}',
    keepAlive: true,
    name,
  });
  const before = await demo.wait(id, { events: 3 });
  assert.deepEqual(ids(before).slice(0, 3), [1, 2, 3], `tauri: expected ids 1, 2, 3 before the reload (got ${ids(before)})`);

  await demo.reload();
  const attached = await demo.call<string>('attach', name);
  const resumed = await demo.wait(attached, { events: 5 });
  const got = ids(resumed);
  assert.equal(resumed.count >= 5, true, `tauri: expected 5 events after attach("${name}"), got ${resumed.count} (errors ${JSON.stringify(resumed.errors)})`);
  assert.ok((got[0] ?? 0) > (ids(before).at(-1) ?? 0), `tauri: events after the reload should continue the stream (before ${ids(before)}, after ${got})`);
  assert.deepEqual(got, got.map((_, i) => (got[0] ?? 0) + i), `tauri: events after attach should be consecutive (got ${got})`);

  const seen = await requests(tag);
  assert.equal(seen.length, 1, `tauri: the kept-alive connection should not reconnect across the reload (server saw ${seen.length} requests)`);
  assert.equal(seen[0]?.closed, false, 'tauri: the kept-alive request should still be open after the reload');

  await demo.close(attached);
  await sleep(300);
  assert.equal((await requests(tag))[0]?.closed, true, 'tauri: close() on the attached source should end the kept-alive request');
});

test('tauri: a reload while the kept-alive connection waits to reconnect: attach starts CONNECTING, then the stream resumes', async () => {
  const tag = tagFor('tauri', 'mid-reconnect');
  const name = `e2e-${tag}`;
  // every connection drops after 3 events; the reconnect waits 2 s, long enough to reload in
  const id = await demo.start({ transport: 'tauri', url: `/sse?ids=1&interval=50&drop=3&tag=${tag}`, keepAlive: true, name, initialDelay: 2000 });
  const before = await demo.wait(id, { errorKind: 'network' });
  assert.deepEqual(ids(before), [1, 2, 3], `tauri: expected ids 1, 2, 3 then the drop (got ${ids(before)})`);

  await demo.reload();
  const attached = await demo.call<string>('attach', name);
  const resumed = await demo.wait(attached, { events: 3 });
  assert.equal(resumed.errors[0]?.kind, 'network', `tauri: the attached source should first hear the pending reconnect (got ${JSON.stringify(resumed.errors)})`);
  assert.equal(resumed.errors[0]?.state, 'CONNECTING', `tauri: and be CONNECTING then (got ${JSON.stringify(resumed.errors)})`);
  assert.deepEqual(ids(resumed).slice(0, 3), [4, 5, 6], `tauri: the reconnect should resume after the last event (got ${ids(resumed)})`);
  const seen = await requests(tag);
  assert.equal(seen[1]?.lastEventId, '3', `tauri: the reconnect should send Last-Event-ID 3 (got ${JSON.stringify(seen.map((r) => r.lastEventId))})`);
  await demo.close(attached);
});

test('tauri: attach() to an unknown name fails with kind "not-found"', async () => {
  const id = await demo.call<string>('attach', 'no-such-connection');
  const result = await demo.wait(id, { closed: true });
  assert.equal(result.errors[0]?.kind, 'not-found', `tauri: expected a not-found error, got ${JSON.stringify(result.errors)}`);
});
