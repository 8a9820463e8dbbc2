/**
 * Timers of a source (reconnect waits, idle and error-body deadlines). In Node they are `unref`ed:
 * a source left open must not keep a script or a test runner alive; an HTTP request in flight
 * does that on its own.
 */

/**
 * The longest delay `setTimeout` honours (2^31-1 ms, ~24.8 days): browsers and Node fire longer
 * ones after ~1 ms, which would turn a server's `retry: 3000000000` into a reconnect hot loop.
 */
const MAX_TIMER = 2 ** 31 - 1;

export type Timer = ReturnType<typeof setTimeout>;

export function startTimer(ms: number, fire: () => void): Timer {
  const timer = setTimeout(fire, Math.min(ms, MAX_TIMER));
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Resolves true after `ms` (never, for Infinity), or false as soon as `signal` aborts (at once if it already has). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = ms === Number.POSITIVE_INFINITY ? undefined : startTimer(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
