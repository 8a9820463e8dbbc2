import { SseError } from './core/errors.js';
import { CLOSED, type ReadyState, type SourceCore } from './core/source.js';
import { parseUrl, startSource, type SourceInit } from './options.js';
import type { ParsedEvent } from './parser/index.js';

/** Options of `source()`: every `SourceInit` option, plus what only an iterator needs. */
export interface SourceOptions extends SourceInit {
  /** A `data` value that ends the iteration cleanly and closes the connection, e.g. `'[DONE]'`. It is not yielded. */
  terminator?: string | undefined;
  /** Event types to yield (default: all). Other events are dropped, but still advance `lastEventId`. */
  events?: readonly string[] | undefined;
  /** Events buffered for a slow consumer before the transport stops reading (`fetch`: the body; `tauri`: the plugin, after its window of unacknowledged messages). Default 1024. */
  highWaterMark?: number | undefined;
}

/** One event, shaped like the DOM `MessageEvent` fields that matter. */
export class SourceEvent {
  constructor(
    readonly type: string,
    readonly data: string,
    readonly lastEventId: string,
    readonly origin: string,
  ) {}

  /** `JSON.parse(data)`; throws `SyntaxError` for data that is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.data) as T;
  }
}

/** An async iterable over one source; also closable directly. */
export interface EventStream extends AsyncIterableIterator<SourceEvent> {
  readonly readyState: ReadyState;
  readonly lastEventId: string;
  /** Closes the connection; a pending or later `next()` reports the end. */
  close(): void;
}

/**
 * `for await (const event of source(url, options))`: yields every event; reconnections are
 * transparent; a fatal error (the source fails) rejects with the `SseError` after the events
 * received before it, except a 204 No Content, which ends the iteration; `break` closes the connection.
 */
export function source(url: string | URL, options: SourceOptions = {}): EventStream {
  return new SourceIterator(parseUrl(url), options);
}

type End = { error: SseError } | { error?: undefined };

class SourceIterator implements EventStream {
  readonly #core: SourceCore;
  readonly #queue: SourceEvent[] = [];
  readonly #highWaterMark: number;
  readonly #terminator: string | undefined;
  readonly #types: ReadonlySet<string> | undefined;
  #end: End | undefined;
  /** Consumers waiting in `next()`, oldest first: each call settles, in call order. */
  readonly #waiting: { resolve: (result: IteratorResult<SourceEvent>) => void; reject: (error: unknown) => void }[] = [];
  /** Resolves when a full queue drains (backpressure towards the transport). */
  #drained: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(url: string, options: SourceOptions) {
    this.#highWaterMark = options.highWaterMark ?? 1024;
    this.#terminator = options.terminator;
    this.#types = options.events === undefined ? undefined : new Set(options.events);
    this.#core = startSource(url, options, {
      open: () => undefined,
      event: (event) => this.#push(event),
      error: (error) => {
        // Reestablishing and warnings are transparent; only a failed source ends the iteration.
        if (this.#core.readyState !== CLOSED) return;
        // 204 No Content is the spec's way for a server to say "no more": a clean end here.
        this.#finish(error.kind === 'http-status' && error.status === 204 ? {} : { error });
      },
      aborted: (reason) => this.#finish({ error: new SseError('aborted', 'the signal was aborted', { cause: reason }) }),
    });
  }

  get readyState(): ReadyState {
    return this.#core.readyState;
  }

  get lastEventId(): string {
    return this.#core.lastEventId;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<SourceEvent>> {
    const event = this.#queue.shift();
    if (event !== undefined) {
      if (this.#drained !== undefined && this.#queue.length < this.#highWaterMark) {
        this.#drained.resolve();
        this.#drained = undefined;
      }
      return Promise.resolve({ value: event, done: false });
    }
    if (this.#end !== undefined) return this.#settle();
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** `break` / `return` in a `for await`: close the connection. */
  return(): Promise<IteratorResult<SourceEvent>> {
    this.close();
    this.#queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    this.#core.close();
    this.#finish({});
  }

  #push(event: ParsedEvent): void | Promise<void> {
    if (this.#end !== undefined) return;
    if (this.#terminator !== undefined && event.data === this.#terminator) return this.close();
    const type = event.event ?? 'message';
    if (this.#types !== undefined && !this.#types.has(type)) return;
    const item = new SourceEvent(type, event.data, this.#core.lastEventId, this.#core.origin);
    const waiting = this.#waiting.shift();
    if (waiting !== undefined) return waiting.resolve({ value: item, done: false });
    this.#queue.push(item);
    if (this.#queue.length < this.#highWaterMark) return;
    if (this.#drained === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#drained = { promise, resolve };
    }
    return this.#drained.promise;
  }

  #finish(end: End): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#drained?.resolve();
    // The first waiter gets the end (a failure rejects once), the others `done`.
    for (const waiting of this.#waiting.splice(0)) this.#settle().then(waiting.resolve, waiting.reject);
  }

  /** The end, once the queue is empty: a failure rejects once, then the iterator is done. */
  #settle(): Promise<IteratorResult<SourceEvent>> {
    const end = this.#end;
    this.#end = {};
    return end?.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(end.error);
  }
}
