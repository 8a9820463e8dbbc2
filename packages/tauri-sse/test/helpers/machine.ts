import { setSystemNetwork, type NetworkMonitor, type NetworkSignal } from '../../src/core/network.js';

/**
 * The machine as a test plays it: whether the system says it is online, and its signals. The
 * operating system is the one boundary a test cannot drive; this stands in for it behind the
 * loops' `setSystemNetwork` seam (restore with `setSystemNetwork(undefined)`).
 */
export class Machine implements NetworkMonitor {
  #online = true;
  readonly #listeners = new Set<(signal: NetworkSignal) => void>();

  online(): boolean {
    return this.#online;
  }

  subscribe(listener: (signal: NetworkSignal) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(online: boolean): void {
    this.#online = online;
    this.emit(online ? 'online' : 'offline');
  }

  emit(signal: NetworkSignal): void {
    for (const listener of this.#listeners) listener(signal);
  }

  /** What the system says: `online`/`offline` change the state, `wake` is a signal only. */
  say(signal: NetworkSignal): void {
    if (signal === 'wake') this.emit(signal);
    else this.set(signal === 'online');
  }
}

/** A new machine in place of the system's monitor. */
export function useMachine(): Machine {
  const machine = new Machine();
  setSystemNetwork(machine);
  return machine;
}
