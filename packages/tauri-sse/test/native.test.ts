import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSource, source } from '../src/index.js';

// The webview's EventSource itself is exercised by the end-to-end tests; here only the refusal
// of options it cannot honour, which must happen before any connection is attempted.
describe('native transport', () => {
  for (const [option, value] of [
    ['headers', { authorization: 'Bearer x' }],
    ['method', 'POST'],
    ['body', 'x'],
    ['fetch', fetch],
  ] as const) {
    it(`refuses the ${option} option with a TypeError naming it`, () => {
      assert.throws(
        () => new EventSource('http://127.0.0.1:9/sse', { transport: 'native', [option]: value }),
        (error: unknown) => error instanceof TypeError && error.message.includes(option) && /native/.test(error.message),
      );
    });
  }

  it('says so when the environment has no EventSource', () => {
    assert.equal((globalThis as { EventSource?: unknown }).EventSource, undefined);
    assert.throws(() => source('http://127.0.0.1:9/sse', { transport: 'native' }), /no EventSource/);
  });

  it('rejects an unknown transport name', () => {
    assert.throws(() => new EventSource('http://127.0.0.1:9/sse', { transport: 'carrier-pigeon' as 'fetch' }), /unknown transport/);
  });
});
