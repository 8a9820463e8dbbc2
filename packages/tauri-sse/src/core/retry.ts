import { SseError } from './errors.js';

/**
 * The reconnection policy of docs/architecture.md ("Retry policy"). Pure: the Rust plugin mirrors
 * these functions, and the shared tests pin both to the same numbers.
 */

/** User-facing retry options; every field is optional. */
export interface RetryOptions {
  /** Reconnection time before the server sends `retry:`, ms. Default 3000. */
  initialDelay?: number | undefined;
  /** Backoff cap, ms (the server's `retry:` may exceed it). Default 30000. */
  maxDelay?: number | undefined;
  /** Backoff factor per consecutive failed attempt. Default 2. */
  factor?: number | undefined;
  /** Random fraction 0..1 of each delay added to it, so clients do not reconnect in lockstep. Default 0.2. */
  jitter?: number | undefined;
  /** Consecutive failed attempts before giving up (`max-attempts`). Default unlimited. */
  maxAttempts?: number | undefined;
  /** HTTP statuses that reestablish the connection instead of failing it. Default none. */
  onStatus?: readonly number[] | undefined;
}

/** Options with defaults applied; `maxAttempts` stays undefined for "unlimited" (JSON has no Infinity). */
export interface RetryPolicy {
  initialDelay: number;
  maxDelay: number;
  factor: number;
  jitter: number;
  maxAttempts?: number | undefined;
  onStatus: readonly number[];
}

/** The retry policy a source uses for what its `retry` option leaves out (docs/architecture.md "Retry policy"). */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  initialDelay: 3000,
  maxDelay: 30000,
  factor: 2,
  jitter: 0.2,
  onStatus: Object.freeze([]) as readonly number[],
});

function check(name: string, value: number, ok: boolean): number {
  if (!ok) throw new SseError('invalid-options', `retry.${name} is out of range: ${value}`);
  return value;
}

/** The plugin's integer types: delays are u64 ms (whole, up to 2^53 here), attempts u32, statuses u16. */
const MAX_ATTEMPTS = 2 ** 32 - 1;
const wholeMs = (value: number) => Number.isSafeInteger(value) && value >= 0;

/** Applies defaults and validates; throws `SseError` of kind `invalid-options` naming the bad field. */
export function resolveRetry(options: RetryOptions = {}): RetryPolicy {
  const initialDelay = options.initialDelay ?? DEFAULT_RETRY.initialDelay;
  const maxDelay = options.maxDelay ?? DEFAULT_RETRY.maxDelay;
  const factor = options.factor ?? DEFAULT_RETRY.factor;
  const jitter = options.jitter ?? DEFAULT_RETRY.jitter;
  const onStatus = [...(options.onStatus ?? DEFAULT_RETRY.onStatus)];
  for (const status of onStatus) check('onStatus', status, Number.isInteger(status) && status >= 100 && status <= 999);
  const policy: RetryPolicy = {
    initialDelay: check('initialDelay', initialDelay, wholeMs(initialDelay)),
    maxDelay: check('maxDelay', maxDelay, wholeMs(maxDelay)),
    factor: check('factor', factor, Number.isFinite(factor) && factor >= 1),
    jitter: check('jitter', jitter, jitter >= 0 && jitter <= 1),
    onStatus,
  };
  const max = options.maxAttempts;
  if (max !== undefined) policy.maxAttempts = check('maxAttempts', max, Number.isInteger(max) && max >= 0 && max <= MAX_ATTEMPTS);
  return policy;
}

export interface DelayInput {
  /** The reconnection time: the last `retry:` from the server, else `initialDelay`. */
  base: number;
  /** Consecutive failed attempts since the last successful open, 1 for the first reconnect. */
  attempt: number;
  /** The response's `Retry-After` in ms, only when its status is in `onStatus`. */
  retryAfter?: number | undefined;
  /** A number in [0, 1); injectable for tests. */
  random?: number | undefined;
}

/** The wait before the next attempt, ms. */
export function reconnectDelay(policy: RetryPolicy, input: DelayInput): number {
  const { base, attempt } = input;
  const cap = Math.max(policy.maxDelay, base);
  let delay = Math.min(cap, base * policy.factor ** (attempt - 1));
  // Spec: wait "the reconnection time" and optionally some more, so jitter only adds: a server
  // shedding load with `retry:` never sees a client come back early.
  delay *= 1 + policy.jitter * (input.random ?? Math.random());
  // Retry-After is a lower bound the server asked for, but never beyond the cap.
  if (input.retryAfter !== undefined) delay = Math.max(delay, Math.min(input.retryAfter, cap));
  return Math.round(delay);
}

/** An attempt past any growth: its delay is the longest the policy waits (a wait while offline). */
export const UNBOUNDED_ATTEMPT = Number.MAX_SAFE_INTEGER;

/** True when `attempt` (the one about to be made) is past `maxAttempts`: fail instead. */
export function attemptsExhausted(policy: RetryPolicy, attempt: number): boolean {
  return policy.maxAttempts !== undefined && attempt > policy.maxAttempts;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d\\d:\\d\\d:\\d\\d';
/** RFC 9110 §5.6.7: IMF-fixdate and the obsolete RFC 850 form, both GMT. */
const ZONED_DATE = new RegExp(`^(?:${DAY}, \\d\\d ${MONTH} \\d{4}|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d\\d-${MONTH}-\\d\\d) ${TIME} GMT$`);
/** The obsolete asctime form: GMT too, but it does not say so (Date.parse would take local time). */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into ms from `now`.
 * Undefined when absent or malformed; a date in the past gives 0. Only the three HTTP-date forms
 * are dates: `Date.parse` alone would accept "-5" or "Nov 2023" and read zone-less dates as local.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let date = Number.NaN;
  if (ZONED_DATE.test(text)) date = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
