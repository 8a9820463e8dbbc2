// The UI a person sees: the scenario buttons run every transport side by side, the columns show the
// same counters the hook reports, and the Rust column's kept-alive feed survives the Reload button.
// Saves artifacts/screenshot.png.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Demo, requests, sleep, TRANSPORTS } from './support/demo.js';

const SCREENSHOT = join(import.meta.dirname, '..', 'artifacts', 'screenshot.png');

let demo: Demo;
before(async () => {
  demo = await Demo.launch();
});
after(async () => {
  await demo?.quit();
});

/** Polls the columns until `done` holds for each of `transports` (the columns re-render 5 times a second). */
async function columnsUntil(done: (stats: Record<string, string>) => boolean, timeoutMs: number, transports = TRANSPORTS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await demo.stats();
    if (transports.every((t) => done(stats[t])) || Date.now() > deadline) return stats;
    await sleep(100);
  }
}

test('LLM stream button: every column streams tokens up to [DONE] and closes', async () => {
  await demo.click('[data-scenario="llm"]');
  const stats = await columnsUntil((s) => s.state === 'CLOSED', 15_000);
  for (const transport of TRANSPORTS) {
    const s = stats[transport];
    assert.equal(s.state, 'CLOSED', `${transport}: the LLM run should close after [DONE] (column shows ${JSON.stringify(s)})`);
    assert.ok(Number(s.events) > 10, `${transport}: the column should count the tokens (shows ${s.events})`);
    assert.equal(s.errors, '0', `${transport}: the LLM run should have no error (column shows ${JSON.stringify(s)})`);
  }
});

test('Drop & resume button: every column resumes to the last id, counting reconnects', async () => {
  await demo.click('[data-scenario="resume"]');
  // Mid-stream, every column OPEN between two drops: the counters, badges and the log are all
  // busy. This is the README's screenshot.
  await sleep(1_000);
  await columnsUntil((s) => s.state === 'OPEN' && Number(s.events) > 10, 5_000);
  await demo.screenshot(SCREENSHOT);
  const stats = await columnsUntil((s) => s['last id'] === '30' && s.state === 'CLOSED', 20_000);
  for (const transport of TRANSPORTS) {
    const s = stats[transport];
    assert.equal(s['last id'], '30', `${transport}: the column should reach id 30 (shows ${JSON.stringify(s)})`);
    assert.equal(s.events, '30', `${transport}: the column should count 30 events, no loss or duplicate (shows ${s.events})`);
    assert.ok(Number(s.reconnects) >= 5, `${transport}: the column should count the reconnects (shows ${s.reconnects})`);
  }
});

test('Auth feed button: every column receives notifications; the Rust feed survives Reload page on the same request', async () => {
  await demo.click('[data-scenario="feed"]');
  const before = await columnsUntil((s) => Number(s.events) >= 3, 15_000);
  for (const transport of TRANSPORTS) {
    const s = before[transport];
    assert.equal(s.state, 'OPEN', `${transport}: the feed should be OPEN (column shows ${JSON.stringify(s)})`);
    assert.ok(Number(s.events) >= 3, `${transport}: the feed column should count notifications (shows ${JSON.stringify(s)})`);
    assert.equal(s.errors, '0', `${transport}: the authenticated feed should have no error (column shows ${JSON.stringify(s)})`);
  }
  // The column label carries the request's URL, hence the server tag of the Rust feed.
  const tag = /tag=([^&\s]+)/.exec(before.tauri.label ?? '')?.[1] ?? '';
  assert.ok(tag, `tauri: the feed column label should show its URL with a tag (shows "${before.tauri.label}")`);
  const lastBefore = Number(before.tauri['last id']);

  await demo.click('[data-action="reload"]');
  await sleep(500);
  const after = await columnsUntil((s) => (s.label ?? '').startsWith('attached') && Number(s['last id']) > lastBefore + 1, 15_000, ['tauri']);
  const s = after.tauri;
  assert.match(s.label ?? '', /attached to kept-alive "demo-feed"/, `tauri: after the reload the column should show the re-attached feed (shows ${JSON.stringify(s)})`);
  assert.equal(s.state, 'OPEN', `tauri: the re-attached feed should be OPEN, from the plugin's own open (column shows ${JSON.stringify(s)})`);
  assert.ok(Number(s['last id']) > lastBefore + 1, `tauri: the feed should go on after the reload (last id ${lastBefore} before, column shows ${JSON.stringify(s)})`);
  assert.equal(s.errors, '0', `tauri: re-attaching should report no error (column shows ${JSON.stringify(s)})`);
  for (const transport of ['native', 'fetch'] as const) {
    assert.equal(after[transport].events, '0', `${transport}: a reload ends the webview-side sources, the column should start empty (shows ${JSON.stringify(after[transport])})`);
  }
  const seen = await requests(decodeURIComponent(tag));
  assert.equal(seen.length, 1, `tauri: the kept-alive feed should keep its one request across the reload (server saw ${seen.length})`);
  assert.equal(seen[0]?.closed, false, 'tauri: the kept-alive feed request should still be open after the reload');

  await demo.click('[data-action="close"]');
  await sleep(300);
  assert.equal((await requests(decodeURIComponent(tag)))[0]?.closed, true, 'tauri: Close all should end the kept-alive feed request');
});
