// The UI a person sees: the scenario buttons run every transport side by side, the columns show the
// same counters the hook reports. Saves artifacts/screenshot.png.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Demo, sleep, TRANSPORTS } from './support/demo.js';

const SCREENSHOT = join(import.meta.dirname, '..', 'artifacts', 'screenshot.png');

let demo: Demo;
before(async () => {
  demo = await Demo.launch();
});
after(async () => {
  await demo?.quit();
});

/** Polls the columns until `done` holds for every transport (the columns re-render 5 times a second). */
async function columnsUntil(done: (stats: Record<string, string>) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await demo.stats();
    if (TRANSPORTS.every((t) => done(stats[t])) || Date.now() > deadline) return stats;
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
  // Mid-stream: the counters, badges and the log are all busy. This is the README's screenshot.
  await sleep(1_500);
  await demo.screenshot(SCREENSHOT);
  const stats = await columnsUntil((s) => s['last id'] === '30' && s.state === 'CLOSED', 20_000);
  for (const transport of TRANSPORTS) {
    const s = stats[transport];
    assert.equal(s['last id'], '30', `${transport}: the column should reach id 30 (shows ${JSON.stringify(s)})`);
    assert.equal(s.events, '30', `${transport}: the column should count 30 events, no loss or duplicate (shows ${s.events})`);
    assert.ok(Number(s.reconnects) >= 5, `${transport}: the column should count the reconnects (shows ${s.reconnects})`);
  }
});
