/** Resolves with the first `type` event of `target`; rejects after `ms` (generous: no timing assertions). */
export function once<E extends Event = Event>(target: EventTarget, type: string, ms = 5000): Promise<E> {
  return collect<E>(target, type, 1, ms).then((events) => events[0] as E);
}

/** Resolves with the first `n` events of `type`. */
export function collect<E extends Event = MessageEvent>(target: EventTarget, type: string, n: number, ms = 5000): Promise<E[]> {
  return new Promise((resolve, reject) => {
    const events: E[] = [];
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener);
      reject(new Error(`timed out after ${ms} ms waiting for ${n} "${type}" events (got ${events.length})`));
    }, ms);
    const listener = (event: Event) => {
      events.push(event as E);
      if (events.length < n) return;
      clearTimeout(timer);
      target.removeEventListener(type, listener);
      resolve(events);
    };
    target.addEventListener(type, listener);
  });
}

/** Polls `check` until it returns true. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
