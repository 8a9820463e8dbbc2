/**
 * The shared retry vectors (testdata/retry-vectors.json, format in testdata/README.md): the formula,
 * the defaults (each policy goes through `resolveRetry`, as user options do), `maxAttempts` and
 * Retry-After parsing. The Rust plugin runs the same file (tests/retry_vectors.rs).
 */
// HTTP dates are GMT whatever the machine's zone: run in one far from it (read before any Date use).
process.env.TZ = 'America/New_York';

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SseError } from '../src/core/errors.js';
import { attemptsExhausted, parseRetryAfter, reconnectDelay, resolveRetry, type RetryOptions } from '../src/core/retry.js';

interface Vectors {
  now: number;
  delays: { name: string; policy: RetryOptions; base?: number; attempt: number; random: number; retryAfter?: number; delay: number }[];
  exhausted: { name: string; policy: RetryOptions; attempt: number; exhausted: boolean }[];
  invalid: { name: string; policy: RetryOptions }[];
  retryAfter: { name: string; header: string; ms: number | null }[];
}

const vectors = JSON.parse(readFileSync(new URL('../../../testdata/retry-vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('shared retry vectors', () => {
  for (const v of vectors.delays) {
    it(`delay: ${v.name}`, () => {
      const policy = resolveRetry(v.policy);
      const base = v.base ?? policy.initialDelay;
      assert.equal(reconnectDelay(policy, { base, attempt: v.attempt, random: v.random, retryAfter: v.retryAfter }), v.delay);
    });
  }
  for (const v of vectors.exhausted) {
    it(`exhausted: ${v.name}`, () => assert.equal(attemptsExhausted(resolveRetry(v.policy), v.attempt), v.exhausted));
  }
  for (const v of vectors.invalid) {
    it(`invalid: ${v.name}`, () => assert.throws(() => resolveRetry(v.policy), (e: unknown) => e instanceof SseError && e.kind === 'invalid-options'));
  }
  for (const v of vectors.retryAfter) {
    it(`Retry-After: ${v.name}`, () => assert.equal(parseRetryAfter(v.header, vectors.now), v.ms ?? undefined));
  }
});
