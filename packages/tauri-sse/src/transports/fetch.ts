import { SseError } from '../core/errors.js';
import { resolveHeaders } from '../core/headers.js';
import type { MessageSink } from '../core/messages.js';
import { attemptsExhausted, parseRetryAfter, reconnectDelay } from '../core/retry.js';
import { refuseTauriOnly, type FetchLike, type SourceRequest, type Transport, type TransportConnection } from '../core/transport.js';
import { createParser, type ParsedEvent, type ParseError } from '../parser/index.js';

/**
 * The `fetch` transport: the spec's reconnect loop in TypeScript over any fetch-compatible function,
 * with the bytes going through the TS parser.
 */
export const fetchTransport: Transport = {
  name: 'fetch',
  connect(request: SourceRequest, sink: MessageSink): TransportConnection {
    refuseTauriOnly(request, 'fetch');
    const fetchFn = request.fetch ?? (globalThis.fetch as FetchLike | undefined)?.bind(globalThis);
    if (fetchFn === undefined) throw new TypeError('tauri-sse: no fetch available; pass one as the `fetch` option');
    const loop = new FetchLoop(request, fetchFn, sink);
    void loop.run();
    return { close: () => loop.close() };
  },
};

/** How one attempt ended: `fatal` fails the source; otherwise it is reestablished. */
interface Outcome {
  error: SseError;
  fatal?: boolean;
  /** ms from `Retry-After`, for statuses in `retry.onStatus`. */
  retryAfter?: number | undefined;
  /** The connection was announced before it ended: the failed-attempt count starts over. */
  opened?: boolean;
}

const IDLE = Symbol('idle-timeout');
/**
 * The longest delay `setTimeout` honours (2^31-1 ms, ~24.8 days): browsers and Node fire longer
 * ones after ~1 ms, which would turn a server's `retry: 3000000000` into a reconnect hot loop.
 */
const MAX_TIMER = 2 ** 31 - 1;

class FetchLoop {
  readonly #request: SourceRequest;
  readonly #fetch: FetchLike;
  readonly #sink: MessageSink;
  /** Aborted by close(): cancels the request in flight, the body read and the reconnect wait. */
  readonly #closed = new AbortController();
  /** The reconnection time: `retry.initialDelay` until the server sends `retry:`. */
  #base: number;
  #lastEventId: string;

  constructor(request: SourceRequest, fetchFn: FetchLike, sink: MessageSink) {
    this.#request = request;
    this.#fetch = fetchFn;
    this.#sink = sink;
    this.#base = request.retry.initialDelay;
    this.#lastEventId = request.lastEventId;
  }

  close(): void {
    this.#closed.abort();
  }

  async run(): Promise<void> {
    const policy = this.#request.retry;
    // Consecutive failed attempts since the last announced connection (docs/architecture.md).
    let attempt = 0;
    for (;;) {
      const outcome = await this.#attempt();
      if (this.#closed.signal.aborted) return;
      if (outcome.opened) attempt = 0;
      attempt++;
      if (!outcome.fatal && attemptsExhausted(policy, attempt)) {
        outcome.error = new SseError('max-attempts', `gave up after ${attempt - 1} failed attempts: ${outcome.error.message}`, {
          status: outcome.error.status,
          cause: outcome.error,
        });
        outcome.fatal = true;
      }
      if (outcome.fatal) {
        this.#sink({ type: 'error', error: outcome.error });
        this.#sink({ type: 'closed' });
        return;
      }
      const delay = reconnectDelay(policy, { base: this.#base, attempt, retryAfter: outcome.retryAfter });
      this.#sink({ type: 'error', error: outcome.error, reconnectIn: delay });
      if (!(await this.#wait(delay))) return;
    }
  }

  /** One connection, from the request to the end of the body. */
  async #attempt(): Promise<Outcome> {
    const request = this.#request;
    let headers: Headers;
    try {
      headers = await this.#headers();
    } catch (error) {
      const failure = error as SseError;
      return { error: failure, fatal: failure.kind === 'invalid-header' };
    }
    // One controller per attempt, so the idle watchdog can abort it without closing the source.
    const controller = new AbortController();
    const onClose = () => controller.abort();
    let opened = false;
    this.#closed.signal.addEventListener('abort', onClose, { once: true });
    try {
      // Spec "fetch" step of the EventSource constructor: cache mode "no-store", redirects followed,
      // credentials "include" only with withCredentials.
      const response = await this.#fetch(request.url, {
        method: request.method ?? 'GET',
        headers,
        body: request.body ?? null,
        cache: 'no-store',
        redirect: 'follow',
        credentials: request.withCredentials ? 'include' : 'same-origin',
        signal: controller.signal,
      });
      const rejected = checkResponse(response, request.retry.onStatus);
      if (rejected !== undefined) {
        void response.body?.cancel().catch(() => undefined);
        return rejected;
      }
      opened = true;
      // Spec "announce the connection".
      this.#sink({
        type: 'open',
        status: response.status,
        url: response.url || request.url,
        headers: Object.fromEntries(response.headers),
      });
      return { ...(await this.#read(response.body as ReadableStream<Uint8Array>, controller)), opened };
    } catch (error) {
      if (controller.signal.reason === IDLE) {
        return { error: new SseError('idle-timeout', `no data for ${request.idleTimeout} ms`), opened };
      }
      // Spec: a network error while connecting or reading reestablishes the connection.
      return { error: networkError(error), opened };
    } finally {
      this.#closed.signal.removeEventListener('abort', onClose);
      controller.abort();
    }
  }

  /** Headers of one attempt: the user's (function called afresh), `Accept`, `Last-Event-ID`. */
  async #headers(): Promise<Headers> {
    const headers = await resolveHeaders(this.#request.headers);
    if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
    // Spec: "If ... last event ID string is not the empty string, set `Last-Event-ID`".
    if (this.#lastEventId !== '') headers.set('last-event-id', this.#lastEventId);
    return headers;
  }

  /** Feeds the body to a fresh parser (seeded with the last event ID) until it ends or fails. */
  async #read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<Outcome> {
    let batch: ParsedEvent[] = [];
    let tooLarge: ParseError | undefined;
    const parser = createParser(
      {
        // Nothing after an oversize event is delivered: the connection fails there.
        onEvent: (event) => tooLarge === undefined && batch.push(event),
        onRetry: (delay) => {
          this.#base = delay;
          this.#sink({ type: 'retry', delay });
        },
        onError: (error) => (tooLarge ??= error),
      },
      { maxEventSize: this.#request.maxEventSize, lastEventId: this.#lastEventId },
    );
    const reader = body.getReader();
    const idle = this.#request.idleTimeout;
    for (;;) {
      const timer = idle === undefined ? undefined : setTimeout(() => controller.abort(IDLE), Math.min(idle, MAX_TIMER));
      const chunk = await reader.read().finally(() => clearTimeout(timer));
      if (chunk.done) return { error: new SseError('network', 'the server ended the stream') };
      parser.feed(chunk.value);
      this.#lastEventId = parser.lastEventId;
      if (batch.length > 0) {
        const events = batch;
        batch = [];
        // Backpressure: a slow `for await` consumer pauses reading here.
        await this.#sink({ type: 'events', events });
      }
      if (tooLarge !== undefined) {
        return { error: new SseError('event-too-large', tooLarge.message, { cause: tooLarge }), fatal: true };
      }
      if (this.#closed.signal.aborted) return { error: new SseError('aborted', 'closed') };
    }
  }

  /** Waits before reconnecting; false when closed meanwhile. */
  #wait(ms: number): Promise<boolean> {
    const signal = this.#closed.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, Math.min(ms, MAX_TIMER));
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Spec: a 200 with `text/event-stream` announces the connection; any other response fails it —
 * except, as an extension, statuses listed in `retry.onStatus`, which reestablish it.
 */
function checkResponse(response: Response, onStatus: readonly number[]): Outcome | undefined {
  const { status } = response;
  if (onStatus.includes(status)) {
    return {
      error: new SseError('http-status', `HTTP ${status}, retrying`, { status }),
      retryAfter: parseRetryAfter(response.headers.get('retry-after')),
    };
  }
  if (status !== 200) return { error: new SseError('http-status', `HTTP ${status}`, { status }), fatal: true };
  const type = response.headers.get('content-type') ?? '';
  if (mimeEssence(type) !== 'text/event-stream') {
    return { error: new SseError('content-type', `expected text/event-stream, got "${type}"`), fatal: true };
  }
  if (response.body === null) return { error: new SseError('network', 'the response has no body') };
  return undefined;
}

function mimeEssence(type: string): string {
  return (type.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function networkError(error: unknown): SseError {
  const message = error instanceof Error ? error.message : String(error);
  return new SseError('network', `connection lost: ${message}`, { cause: error });
}
