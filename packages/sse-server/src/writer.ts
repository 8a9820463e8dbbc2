import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OutgoingEvent {
  id?: string | undefined;
  event?: string | undefined;
  data: string;
}

/** Serializes one event block; multi-line data becomes several `data:` lines. */
export function formatEvent(event: OutgoingEvent, nl: string): string {
  let block = '';
  if (event.id !== undefined) block += `id: ${event.id}${nl}`;
  if (event.event !== undefined) block += `event: ${event.event}${nl}`;
  for (const line of event.data.split('\n')) block += `data: ${line}${nl}`;
  return block + nl;
}

/**
 * Writes text to a streaming response: honours backpressure (`drain`), can dribble one byte at a
 * time (`slow`), and stops quietly once the client is gone (`signal` aborts every wait).
 */
export class StreamWriter {
  readonly #res: ServerResponse;
  readonly #slow: number | undefined;
  /** Aborted when the client leaves or the stream is dropped: every wait and write stops. */
  readonly #gone = new AbortController();
  readonly signal: AbortSignal = this.#gone.signal;

  constructor(res: ServerResponse, slow: number | undefined) {
    this.#res = res;
    this.#slow = slow;
    res.once('close', () => this.#gone.abort());
  }

  /**
   * Closes the socket without ending the response (no final chunk), like a dropped link; after the
   * written bytes are flushed, so the events before the drop do arrive.
   */
  drop(): void {
    this.#gone.abort();
    this.#res.socket?.destroySoon();
  }

  /**
   * Resets the connection (TCP RST, `ECONNRESET` for the client) once the written bytes have
   * reached the kernel: the events before it are sent, but nothing ends the response.
   */
  async reset(): Promise<void> {
    this.#gone.abort();
    const socket = this.#res.socket;
    if (socket === null || socket.destroyed) return;
    // Socket writes complete in order: an empty write's callback means the earlier ones are out.
    await new Promise<void>((resolve) => socket.write('', () => resolve()));
    if (!socket.destroyed) socket.resetAndDestroy();
  }

  get closed(): boolean {
    return this.signal.aborted;
  }

  /** Resolves once written (or the client left); never rejects. */
  async write(text: string | Uint8Array): Promise<void> {
    if (this.#slow === undefined) return this.#put(text);
    for (const byte of typeof text === 'string' ? Buffer.from(text) : text) {
      if (this.closed) return;
      await this.#put(Buffer.of(byte));
      await this.wait(this.#slow);
    }
  }

  /** Waits ms, or less if the client leaves. */
  async wait(ms: number): Promise<void> {
    if (ms > 0 && !this.closed) await sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
  }

  async #put(chunk: string | Uint8Array): Promise<void> {
    if (this.closed || this.#res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.#res.once('drain', done);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }
}
