import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseError } from '../src/core/errors.js';
import { attemptsExhausted, DEFAULT_RETRY, parseRetryAfter, reconnectDelay, resolveRetry } from '../src/core/retry.js';

describe('retry policy (pure)', () => {
  const policy = resolveRetry({ jitter: 0 });

  it('applies the documented defaults', () => {
    assert.deepEqual(resolveRetry(), { initialDelay: 3000, maxDelay: 30000, factor: 2, jitter: 0.2, onStatus: [] });
    assert.equal(DEFAULT_RETRY.maxAttempts, undefined);
  });

  it('backs off exponentially from the base and caps at maxDelay', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => reconnectDelay(policy, { base: 3000, attempt }));
    assert.deepEqual(delays, [3000, 6000, 12000, 24000, 30000, 30000, 30000]);
  });

  it('lets a server retry: above maxDelay win (the cap is max(maxDelay, base))', () => {
    assert.equal(reconnectDelay(policy, { base: 60000, attempt: 1 }), 60000);
    assert.equal(reconnectDelay(policy, { base: 60000, attempt: 4 }), 60000);
  });

  it('adds jitter to the delay, never takes it off (never sooner than the server\'s retry:)', () => {
    const jittery = resolveRetry({ jitter: 0.5 });
    assert.equal(reconnectDelay(jittery, { base: 1000, attempt: 1, random: 0 }), 1000);
    assert.equal(reconnectDelay(jittery, { base: 1000, attempt: 1, random: 0.5 }), 1250);
    assert.equal(reconnectDelay(jittery, { base: 1000, attempt: 1, random: 0.999999 }), 1500);
    for (let i = 0; i < 100; i++) {
      // 2000 * (1 + 0.5 * random), random in [0, 1), rounded to whole ms: 3000 is reachable.
      const d = reconnectDelay(jittery, { base: 1000, attempt: 2 });
      assert.ok(d >= 2000 && d <= 3000, `delay ${d}`);
    }
  });

  it('uses Retry-After as a lower bound, capped', () => {
    assert.equal(reconnectDelay(policy, { base: 100, attempt: 1, retryAfter: 5000 }), 5000);
    assert.equal(reconnectDelay(policy, { base: 100, attempt: 1, retryAfter: 10 }), 100);
    assert.equal(reconnectDelay(policy, { base: 100, attempt: 1, retryAfter: 3_600_000 }), 30000);
  });

  it('gives up only past maxAttempts', () => {
    const limited = resolveRetry({ maxAttempts: 2 });
    assert.deepEqual([1, 2, 3].map((a) => attemptsExhausted(limited, a)), [false, false, true]);
    assert.equal(attemptsExhausted(resolveRetry({ maxAttempts: 0 }), 1), true);
    assert.equal(attemptsExhausted(policy, 1_000_000), false);
  });

  it('rejects nonsense with an invalid-options SseError naming the field', () => {
    assert.throws(() => resolveRetry({ factor: 0.5 }), /retry\.factor/);
    assert.throws(() => resolveRetry({ jitter: 2 }), /retry\.jitter/);
    assert.throws(() => resolveRetry({ initialDelay: -1 }), /retry\.initialDelay/);
    assert.throws(() => resolveRetry({ maxAttempts: 1.5 }), /retry\.maxAttempts/);
    // What the plugin's integer types cannot take is refused here, not as an opaque IPC failure.
    assert.throws(() => resolveRetry({ maxAttempts: 5e9 }), /retry\.maxAttempts/);
    assert.throws(() => resolveRetry({ onStatus: [70000] }), /retry\.onStatus/);
    assert.throws(() => resolveRetry({ initialDelay: 1.5 }), /retry\.initialDelay/);
    assert.throws(() => resolveRetry({ factor: 0.5 }), (e: unknown) => e instanceof SseError && e.kind === 'invalid-options');
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});
