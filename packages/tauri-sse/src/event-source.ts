import type { SseError } from './core/errors.js';
import { CLOSED, CONNECTING, OPEN, type ReadyState, type SourceCore } from './core/source.js';
import { parseUrl, startSource, type SourceInit } from './options.js';

/** `EventSourceInit` plus this library's extensions (see `SourceInit`). */
export type EventSourceInit = SourceInit;

/**
 * The `error` event. The DOM fires a bare `Event`; like the `eventsource` package this one also
 * says what happened (an extension): `error.kind`, the HTTP status as `code`, and `message`.
 */
export class SseErrorEvent extends Event {
  readonly error: SseError;
  /** The HTTP status, when the error came from one. */
  readonly code: number | undefined;
  readonly message: string;
  /** ms until the next attempt while reconnecting (readyState CONNECTING); undefined otherwise. */
  readonly reconnectIn: number | undefined;

  constructor(error: SseError, reconnectIn: number | undefined) {
    super('error');
    this.error = error;
    this.code = error.status;
    this.message = error.message;
    this.reconnectIn = reconnectIn;
  }
}

type Handler<E extends Event> = ((this: EventSource, event: E) => unknown) | null;
type HandlerName = 'open' | 'message' | 'error';

/**
 * The WHATWG `EventSource` interface (HTML §9.2), over the source core: any transport, plus
 * headers, POST, retry policy and more through `init` (extensions, see `SourceInit`).
 */
export class EventSource extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: typeof CONNECTING;
  declare readonly OPEN: typeof OPEN;
  declare readonly CLOSED: typeof CLOSED;

  /** The URL as parsed (before redirects; `MessageEvent.origin` tells where events came from). */
  readonly url: string;
  readonly withCredentials: boolean;
  readonly #core: SourceCore;
  /** The event handler attributes' functions, and the one listener each has registered. */
  readonly #handlers = new Map<HandlerName, (this: EventSource, event: Event) => unknown>();
  readonly #listeners = new Map<HandlerName, (event: Event) => void>();

  constructor(url: string | URL, init: EventSourceInit = {}) {
    super();
    // Spec steps 5-6: an unparsable URL throws a "SyntaxError" DOMException.
    this.url = parseUrl(url);
    this.withCredentials = Boolean(init.withCredentials);
    this.#core = startSource(this.url, init, {
      open: () => this.dispatchEvent(new Event('open')),
      event: (event) => {
        // Spec "dispatch the event": a MessageEvent of the event type (default "message") with the
        // data, the last event ID string and the origin of the final URL.
        this.dispatchEvent(
          new MessageEvent(event.event ?? 'message', {
            data: event.data,
            lastEventId: this.#core.lastEventId,
            origin: this.#core.origin,
          }),
        );
      },
      error: (error, reconnectIn) => this.dispatchEvent(new SseErrorEvent(error, reconnectIn)),
    });
  }

  /** CONNECTING (0), OPEN (1) or CLOSED (2). */
  get readyState(): ReadyState {
    return this.#core.readyState;
  }

  /** Extension: the last event ID string (what the next reconnect sends as `Last-Event-ID`). */
  get lastEventId(): string {
    return this.#core.lastEventId;
  }

  /** Spec `close()`: readyState CLOSED, the request is aborted, no further event (not even `error`). */
  close(): void {
    this.#core.close();
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    super.addEventListener(type, listener, options);
    // The native transport must subscribe per event type; the others ignore this.
    this.#core.listen(type);
  }

  get onopen(): Handler<Event> {
    return this.#handlers.get('open') ?? null;
  }
  set onopen(handler: Handler<Event>) {
    this.#setHandler('open', handler);
  }
  get onmessage(): Handler<MessageEvent> {
    return (this.#handlers.get('message') as Handler<MessageEvent> | undefined) ?? null;
  }
  set onmessage(handler: Handler<MessageEvent>) {
    this.#setHandler('message', handler as Handler<Event>);
  }
  get onerror(): Handler<SseErrorEvent> {
    return (this.#handlers.get('error') as Handler<SseErrorEvent> | undefined) ?? null;
  }
  set onerror(handler: Handler<SseErrorEvent>) {
    this.#setHandler('error', handler as Handler<Event>);
  }

  /**
   * Event handler attributes (HTML §8.1.8.1 "event handler IDL attributes"): setting a function when
   * none is set registers one listener, at the end of the list ("activate"); setting another only
   * swaps the function it calls, keeping its place; setting null removes it ("deactivate"), so a
   * later function is registered anew, last.
   */
  #setHandler(type: HandlerName, handler: Handler<Event>): void {
    const listener = this.#listeners.get(type);
    if (typeof handler !== 'function') {
      this.#handlers.delete(type);
      if (listener !== undefined) super.removeEventListener(type, listener);
      this.#listeners.delete(type);
      return;
    }
    this.#handlers.set(type, handler);
    if (listener === undefined) {
      const call = (event: Event) => this.#handlers.get(type)?.call(this, event);
      this.#listeners.set(type, call);
      this.addEventListener(type, call);
    }
  }
}

// Spec: the constants exist on instances too (`es.OPEN === 1`).
for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSED', CLOSED]] as const) {
  Object.defineProperty(EventSource.prototype, name, { value, enumerable: true });
}
