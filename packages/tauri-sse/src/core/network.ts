/**
 * What a reconnect loop needs to know about the machine it runs on: whether the system says it is
 * online, when that changes, and when it woke from sleep. Desktop apps live through all three; a
 * loop that ignores them waits out a long backoff after the network is back, burns `maxAttempts`
 * while offline, and sits on a connection that died during sleep.
 */
import { startTimer, type Timer } from './timers.js';

export type NetworkSignal = 'online' | 'offline' | 'wake';

export interface NetworkMonitor {
  /** False only when the system says it is offline (`navigator.onLine`); true when it cannot tell. */
  online(): boolean;
  /** Calls `listener` on every signal; returns the unsubscribe function. */
  subscribe(listener: (signal: NetworkSignal) => void): () => void;
}

/** How often the wake detector looks at the clocks, ms. */
export const WAKE_TICK = 1000;
/**
 * Wall-clock time that passed without the monotonic clock, beyond which the machine slept, ms.
 * Both clocks advance while a page's timers are merely throttled (a hidden window); only the wall
 * clock advances while the machine is suspended (Linux CLOCK_MONOTONIC and macOS's uptime clock
 * stop), so throttling is never taken for sleep.
 */
export const WAKE_GAP = 5000;

/** The two clocks the wake detector compares; a seam for tests. */
export interface Clocks {
  wall(): number;
  monotonic(): number;
}

const systemClocks: Clocks = { wall: () => Date.now(), monotonic: () => performance.now() };

type Scope = {
  navigator?: { onLine?: boolean };
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
};

/**
 * The page's `online`/`offline` events and `navigator.onLine`, plus a wake detector: one unref'd
 * timer while anyone listens, comparing how far the wall clock and the monotonic clock moved.
 */
export class SystemNetwork implements NetworkMonitor {
  readonly #listeners = new Set<(signal: NetworkSignal) => void>();
  readonly #clocks: Clocks;
  readonly #scope: Scope;
  #timer: Timer | undefined;
  #last = { wall: 0, monotonic: 0 };

  constructor(clocks: Clocks = systemClocks, scope: Scope = globalThis as Scope) {
    this.#clocks = clocks;
    this.#scope = scope;
  }

  online(): boolean {
    return this.#scope.navigator?.onLine !== false;
  }

  subscribe(listener: (signal: NetworkSignal) => void): () => void {
    if (this.#listeners.size === 0) this.#start();
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Looks at the clocks once (the timer calls it; tests may too). */
  check(): void {
    const now = { wall: this.#clocks.wall(), monotonic: this.#clocks.monotonic() };
    const slept = now.wall - this.#last.wall - (now.monotonic - this.#last.monotonic);
    this.#last = now;
    if (slept > WAKE_GAP) this.#emit('wake');
  }

  readonly #onOnline = () => this.#emit('online');
  readonly #onOffline = () => this.#emit('offline');

  #emit(signal: NetworkSignal): void {
    for (const listener of [...this.#listeners]) listener(signal);
  }

  #start(): void {
    this.#scope.addEventListener?.('online', this.#onOnline);
    this.#scope.addEventListener?.('offline', this.#onOffline);
    this.#last = { wall: this.#clocks.wall(), monotonic: this.#clocks.monotonic() };
    const tick = () => {
      this.check();
      // A listener may have unsubscribed the last one while hearing a wake: #stop() ran.
      if (this.#listeners.size > 0) this.#timer = startTimer(WAKE_TICK, tick);
    };
    this.#timer = startTimer(WAKE_TICK, tick);
  }

  #stop(): void {
    this.#scope.removeEventListener?.('online', this.#onOnline);
    this.#scope.removeEventListener?.('offline', this.#onOffline);
    clearTimeout(this.#timer);
  }
}

let system: NetworkMonitor | undefined;

/** The process's (page's) monitor, shared by every source. */
export function systemNetwork(): NetworkMonitor {
  return (system ??= new SystemNetwork());
}

/** Test seam: replaces the shared monitor (undefined restores the system one). */
export function setSystemNetwork(monitor: NetworkMonitor | undefined): void {
  system = monitor;
}
