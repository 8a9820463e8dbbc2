import type { ParsedEvent } from '../parser/index.js';
import { SseError } from './errors.js';
import type { SourceMessage } from './messages.js';
import type { SourceRequest, Transport, TransportConnection } from './transport.js';

/** Connecting, or waiting to reconnect. */
export const CONNECTING = 0;
/** Connected: events are arriving. */
export const OPEN = 1;
/** Closed for good: failed, closed, or ended. */
export const CLOSED = 2;
/** `EventSource#readyState`, as in the DOM. */
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSED;

/** What a view (the `EventSource` facade, the `source()` iterator) hears from the core. */
export interface SourceObserver {
  /** The connection was announced; `readyState` is OPEN. */
  open(): void;
  /** One event; the core's `lastEventId` is already updated. A promise pauses the transport (backpressure). */
  event(event: ParsedEvent): void | Promise<void>;
  /**
   * A problem. `readyState` tells what it means: CONNECTING = the transport reconnects in
   * `reconnectIn` ms; CLOSED = the source failed for good; OPEN = a warning (`buffer-overflow`).
   */
  error(error: SseError, reconnectIn: number | undefined): void;
  /** The `signal` closed the source (readyState is CLOSED); `reason` is the signal's. */
  aborted?(reason: unknown): void;
}

/**
 * The one state machine behind every view: CONNECTING → OPEN → (reestablish → CONNECTING | fail → CLOSED).
 * It owns `readyState`, `lastEventId` and `origin`; the transport owns the I/O and the reconnect loop and
 * reports through `SourceMessage`s, so the TS loop and the Rust loop drive it identically.
 */
export class SourceCore {
  readyState: ReadyState = CONNECTING;
  lastEventId: string;
  /** Origin of the final URL (after redirects) of the current connection. */
  origin: string;
  readonly url: string;
  readonly #observer: SourceObserver;
  readonly #signal: AbortSignal | undefined;
  #connection: TransportConnection | undefined;

  constructor(request: SourceRequest, transport: Transport, observer: SourceObserver, signal?: AbortSignal) {
    this.url = request.url;
    this.origin = new URL(request.url).origin;
    this.lastEventId = request.lastEventId;
    this.#observer = observer;
    this.#signal = signal;
    if (signal?.aborted) {
      // Closed before it started: no request ever goes out.
      this.readyState = CLOSED;
      observer.aborted?.(signal.reason);
      return;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    try {
      // May throw (options the transport refuses): the view's constructor throws with it.
      this.#connection = transport.connect(request, (message) => this.#receive(message));
    } catch (error) {
      signal?.removeEventListener('abort', this.#onAbort);
      throw error;
    }
  }

  /** Spec `close()`: CLOSED at once, no event; the transport stops all traffic. */
  close(): void {
    if (this.readyState === CLOSED) return;
    this.#closed();
  }

  readonly #onAbort = (): void => {
    if (this.readyState === CLOSED) return;
    this.#closed();
    this.#observer.aborted?.(this.#signal?.reason);
  };

  /** CLOSED for good: the transport stops, and a long-lived signal no longer holds this source. */
  #closed(): void {
    this.readyState = CLOSED;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#connection?.close();
  }

  /** Tells the transport an event type has a listener (see `TransportConnection.listen`). */
  listen(type: string): void {
    this.#connection?.listen?.(type);
  }

  #receive(message: SourceMessage): void | Promise<void> {
    // After close() or a failure nothing more reaches the views, whatever is still in flight.
    if (this.readyState === CLOSED) return;
    switch (message.type) {
      case 'open':
        // Spec "announce the connection": readyState OPEN, fire `open`.
        this.origin = new URL(message.url).origin;
        this.readyState = OPEN;
        this.#observer.open();
        return;
      case 'events':
        if (message.origin !== undefined) this.origin = message.origin;
        return this.#dispatch(message.events);
      case 'id':
        this.lastEventId = message.lastEventId;
        return;
      case 'retry':
        // The transport's loop applies the new reconnection time itself; nothing to mirror.
        return;
      case 'error': {
        const error = SseError.from(message.error);
        if (message.reconnectIn === undefined) return this.#fail(error);
        // Spec "reestablish the connection": readyState CONNECTING, fire `error`, the transport waits.
        this.readyState = CONNECTING;
        this.#observer.error(error, message.reconnectIn);
        return;
      }
      case 'overflow':
        this.#observer.error(
          new SseError('buffer-overflow', `${message.dropped} events were dropped while the page was away`),
          undefined,
        );
        return;
      case 'closed':
        // A transport that closes without a fatal error first (e.g. the plugin lost the connection).
        return this.#fail(new SseError('aborted', 'the transport closed the source'));
    }
  }

  #dispatch(events: readonly ParsedEvent[]): void | Promise<void> {
    let pending: void | Promise<void> = undefined;
    for (const event of events) {
      // A listener may call close(): the rest of the batch is not delivered (spec: no events once CLOSED).
      if (this.readyState === CLOSED) break;
      if (event.id !== undefined) this.lastEventId = event.id;
      pending = this.#observer.event(event);
    }
    return pending;
  }

  /** Spec "fail the connection": readyState CLOSED, fire `error`, never reconnect. */
  #fail(error: SseError): void {
    this.#closed();
    this.#observer.error(error, undefined);
  }
}
