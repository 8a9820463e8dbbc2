import { SseError } from '../core/errors.js';
import { lastEventIdHeader, resolveHeaders } from '../core/headers.js';
import type { MessageSink } from '../core/messages.js';
import { attemptsExhausted, parseRetryAfter, reconnectDelay, UNBOUNDED_ATTEMPT } from '../core/retry.js';
import { refuseTauriOnly, type FetchLike, type SourceRequest, type Transport, type TransportConnection } from '../core/transport.js';
import { systemNetwork, type NetworkMonitor, type NetworkSignal } from '../core/network.js';
import { sleep, startTimer, type Timer } from '../core/timers.js';
import { createParser, type ParsedEvent, type ParseError } from '../parser/index.js';

/** Bytes of a refused response's body kept in its error (`SseError.body`); the Rust loop keeps as many. */
export const ERROR_BODY_BYTES = 4096;
/** How long a refused response's body is waited for, ms. */
const ERROR_BODY_TIMEOUT = 5000;

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
  /** Reconnect at once (the connection died in the machine's sleep), not after the policy's delay. */
  immediate?: boolean;
}

const IDLE = Symbol('idle-timeout');
const ASLEEP = Symbol('woke-from-sleep');
/**
 * After a wake, how long an open connection has to show it survived (a byte arrives: the server
 * wrote while the machine slept, or a keep-alive) before it is taken for dead, ms.
 */
export const WAKE_GRACE = 1000;

/** The attempt in flight: its controller, and how many reads it made (a wake compares them). */
interface Current {
  controller: AbortController;
  reads: number;
}

class FetchLoop {
  readonly #request: SourceRequest;
  readonly #fetch: FetchLike;
  readonly #sink: MessageSink;
  /** Aborted by close(): cancels the request in flight, the body read and the reconnect wait. */
  readonly #closed = new AbortController();
  /** The reconnection time: `retry.initialDelay` until the server sends `retry:`. */
  #base: number;
  /** The last event ID string, as the core knows it and the next request sends it. */
  #lastEventId: string;
  readonly #network: NetworkMonitor | undefined;
  #current: Current | undefined;
  /** Ends the reconnect wait early: the network came back, or the machine woke. */
  #cutWait: (() => void) | undefined;
  /** Why the URL can never be streamed, if so: the first attempt fails with it. */
  readonly #refused: SseError | undefined;

  constructor(request: SourceRequest, fetchFn: FetchLike, sink: MessageSink) {
    this.#request = request;
    this.#fetch = fetchFn;
    this.#sink = sink;
    this.#refused = unfetchable(request.url, request.fetch === undefined);
    this.#base = request.retry.initialDelay;
    this.#lastEventId = request.lastEventId;
    this.#network = request.networkAware === false ? undefined : systemNetwork();
  }

  close(): void {
    this.#closed.abort();
  }

  async run(): Promise<void> {
    const unsubscribe = this.#network?.subscribe((signal) => this.#onNetwork(signal));
    try {
      await this.#loop();
    } finally {
      unsubscribe?.();
    }
  }

  async #loop(): Promise<void> {
    const policy = this.#request.retry;
    // Consecutive failed attempts since the last announced connection (docs/architecture.md).
    let attempt = 0;
    for (;;) {
      const outcome = await this.#attempt();
      if (this.#closed.signal.aborted) return;
      if (outcome.opened) attempt = 0;
      // A failure while the system says it is offline is no strike against the server, and the
      // next attempt waits the policy's longest delay. The system's word is advice, not a stop:
      // it can be wrong (a VPN, a route it does not count), and `online` ends the wait anyway.
      const offline = this.#network?.online() === false;
      if (!offline) attempt++;
      if (!outcome.fatal && !offline && attemptsExhausted(policy, attempt)) {
        const { status, body } = outcome.error;
        outcome.error = new SseError('max-attempts', `gave up after ${attempt - 1} failed attempts: ${outcome.error.message}`, {
          status,
          body,
          cause: outcome.error,
        });
        outcome.fatal = true;
      }
      if (outcome.fatal) {
        this.#sink({ type: 'error', error: outcome.error });
        this.#sink({ type: 'closed' });
        return;
      }
      const delay = outcome.immediate
        ? 0
        : reconnectDelay(policy, { base: this.#base, attempt: offline ? UNBOUNDED_ATTEMPT : Math.max(attempt, 1), retryAfter: outcome.retryAfter });
      this.#sink({ type: 'error', error: outcome.error, reconnectIn: delay });
      if (!(await this.#wait(delay))) return;
    }
  }

  /** Back online, or awake: a reconnect wait ends now; an open connection silent since the wake goes. */
  #onNetwork(signal: NetworkSignal): void {
    if (signal === 'offline') return;
    this.#cutWait?.();
    const current = this.#current;
    if (signal !== 'wake' || current === undefined) return;
    const reads = current.reads;
    startTimer(WAKE_GRACE, () => {
      if (this.#current === current && current.reads === reads) current.controller.abort(ASLEEP);
    });
  }

  /** Waits `ms` before reconnecting, less if the network comes back; false when closed meanwhile. */
  async #wait(ms: number): Promise<boolean> {
    const cut = new AbortController();
    this.#cutWait = () => cut.abort();
    const closed = this.#closed.signal;
    const onClose = () => cut.abort();
    closed.addEventListener('abort', onClose, { once: true });
    try {
      await sleep(ms, cut.signal);
    } finally {
      closed.removeEventListener('abort', onClose);
      this.#cutWait = undefined;
    }
    return !closed.aborted;
  }

  /** One connection, from the request to the end of the body. */
  async #attempt(): Promise<Outcome> {
    const request = this.#request;
    if (this.#refused !== undefined) return { error: this.#refused, fatal: true };
    let headers: Headers;
    try {
      headers = await this.#headers();
    } catch (error) {
      const failure = error as SseError;
      return { error: failure, fatal: failure.kind === 'invalid-header' };
    }
    // close() came while a headers function was pending: no request goes out (run() returns).
    if (this.#closed.signal.aborted) return { error: new SseError('aborted', 'closed') };
    // One controller per attempt, so the idle watchdog can abort it without closing the source.
    const controller = new AbortController();
    const current: Current = { controller, reads: 0 };
    this.#current = current;
    const onClose = () => controller.abort();
    this.#closed.signal.addEventListener('abort', onClose, { once: true });
    // idleTimeout bounds every wait on the server: for the response, then for each read.
    const idle = new Watchdog(request.idleTimeout, () => controller.abort(IDLE));
    let opened = false;
    try {
      // Spec "fetch" step of the EventSource constructor: cache mode "no-store", redirects followed,
      // credentials "include" only with withCredentials.
      idle.start();
      const response = await this.#fetch(request.url, {
        method: request.method ?? 'GET',
        headers,
        body: request.body ?? null,
        cache: 'no-store',
        redirect: 'follow',
        credentials: request.withCredentials ? 'include' : 'same-origin',
        signal: controller.signal,
      });
      idle.stop();
      const rejected = await checkResponse(response, request.retry.onStatus, controller);
      if (rejected !== undefined) return rejected;
      opened = true;
      // Spec "announce the connection".
      this.#sink({
        type: 'open',
        status: response.status,
        url: response.url || request.url,
        headers: Object.fromEntries(response.headers),
      });
      return { ...(await this.#read(response.body as ReadableStream<Uint8Array>, idle, current)), opened };
    } catch (error) {
      if (controller.signal.reason === IDLE) {
        return { error: new SseError('idle-timeout', `no data for ${request.idleTimeout} ms`), opened };
      }
      if (controller.signal.reason === ASLEEP) {
        return { error: new SseError('network', 'no data since the machine woke from sleep'), opened, immediate: true };
      }
      // Spec: a network error while connecting or reading reestablishes the connection.
      return { error: networkError(error), opened };
    } finally {
      idle.stop();
      this.#current = undefined;
      this.#closed.signal.removeEventListener('abort', onClose);
      controller.abort();
    }
  }

  /** Headers of one attempt: the user's (function called afresh), `Accept`, `Last-Event-ID`. */
  async #headers(): Promise<Headers> {
    const headers = await resolveHeaders(this.#request.headers);
    if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
    // Spec: "If ... last event ID string is not the empty string, set `Last-Event-ID`" to it,
    // encoded as UTF-8.
    if (this.#lastEventId !== '') headers.set('last-event-id', lastEventIdHeader(this.#lastEventId));
    return headers;
  }

  /** Feeds the body to a fresh parser (seeded with the last event ID) until it ends or fails. */
  async #read(body: ReadableStream<Uint8Array>, idle: Watchdog, current: Current): Promise<Outcome> {
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
    for (;;) {
      idle.start();
      const chunk = await reader.read();
      // Not while the consumer is slow below: waiting for the page is not silence.
      idle.stop();
      current.reads++;
      if (chunk.done) return { error: new SseError('network', 'the server ended the stream') };
      parser.feed(chunk.value);
      if (batch.length > 0) {
        const events = batch;
        batch = [];
        this.#lastEventId = events[events.length - 1]?.id ?? this.#lastEventId;
        // Backpressure: a slow `for await` consumer pauses reading here.
        await this.#sink({ type: 'events', events });
      }
      if (tooLarge !== undefined) {
        return { error: new SseError('event-too-large', tooLarge.message, { cause: tooLarge }), fatal: true };
      }
      // A block without data still sets the last event ID string (spec "dispatch the event" step 1).
      if (parser.lastEventId !== this.#lastEventId) {
        this.#lastEventId = parser.lastEventId;
        this.#sink({ type: 'id', lastEventId: this.#lastEventId });
      }
      if (this.#closed.signal.aborted) return { error: new SseError('aborted', 'closed') };
    }
  }
}

/** A restartable deadline: `start()` (re)arms it, `stop()` disarms it; no-op without `ms`. */
class Watchdog {
  #timer: Timer | undefined;

  constructor(
    private readonly ms: number | undefined,
    private readonly expire: () => void,
  ) {}

  start(): void {
    if (this.ms === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = startTimer(this.ms, this.expire);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** Schemes the global fetch can stream (Fetch, "scheme fetch": `about:` and `file:` give no event stream). */
const FETCHABLE = ['http:', 'https:', 'data:', 'blob:'];

/**
 * Why `url` can never be streamed, if so: fetch refuses a URL with credentials (a `TypeError`),
 * and the global fetch answers other schemes with a network error. Either would be retried
 * forever; the spec lets a user agent that "knows that to be futile" fail the connection instead,
 * as browsers do for `ftp:` or `mailto:` (WPT `eventsource-constructor-non-same-origin`). A
 * caller's own `fetch` may serve other schemes (an app's custom protocol), so only credentials
 * are refused before it. The Rust loop refuses all but http(s) with the same kind.
 */
function unfetchable(url: string, globalFetch: boolean): SseError | undefined {
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') {
    // Not in the message: the URL's password.
    parsed.username = parsed.password = '';
    return new SseError('invalid-url', `invalid URL \`${parsed.href}\` (credentials left out here): credentials in the URL are not allowed, send an Authorization header instead`);
  }
  if (globalFetch && !FETCHABLE.includes(parsed.protocol)) {
    return new SseError('invalid-url', `invalid URL \`${url}\`: fetch cannot stream a ${parsed.protocol} URL`);
  }
  return undefined;
}

/**
 * Spec: a 200 with `text/event-stream` announces the connection; any other response fails it —
 * except, as an extension, statuses listed in `retry.onStatus`, which reestablish it. A refused
 * status carries the start of its body (`SseError.body`: "token expired" says more than 401).
 */
async function checkResponse(response: Response, onStatus: readonly number[], controller: AbortController): Promise<Outcome | undefined> {
  const { status } = response;
  if (status !== 200) {
    const retried = onStatus.includes(status);
    const body = await errorBody(response, controller);
    const error = new SseError('http-status', retried ? `HTTP ${status}, retrying` : `HTTP ${status}`, { status, body });
    return retried ? { error, retryAfter: parseRetryAfter(response.headers.get('retry-after')) } : { error, fatal: true };
  }
  const type = response.headers.get('content-type') ?? '';
  if (mimeEssence(type) !== 'text/event-stream') {
    void response.body?.cancel().catch(() => undefined);
    return { error: new SseError('content-type', `expected text/event-stream, got "${type}"`), fatal: true };
  }
  if (response.body === null) return { error: new SseError('network', 'the response has no body') };
  return undefined;
}

/**
 * The start of a refused response's body as text: at most `ERROR_BODY_BYTES`, waited for at most
 * `ERROR_BODY_TIMEOUT` ms (a stalled body is cut there, keeping what arrived).
 */
async function errorBody(response: Response, controller: AbortController): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const deadline = startTimer(ERROR_BODY_TIMEOUT, () => controller.abort());
  const decoder = new TextDecoder();
  let text = '';
  let left = ERROR_BODY_BYTES;
  try {
    while (left > 0) {
      const chunk = await reader.read();
      if (chunk.done) return text + decoder.decode();
      const bytes = chunk.value.subarray(0, left);
      left -= bytes.length;
      // `stream`: a code point cut at the limit is left out rather than shown as U+FFFD.
      text += decoder.decode(bytes, { stream: true });
    }
  } catch {
    // Cut short (deadline, close, network): what arrived is the body.
  } finally {
    clearTimeout(deadline);
    void reader.cancel().catch(() => undefined);
  }
  return text;
}

function mimeEssence(type: string): string {
  return (type.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function networkError(error: unknown): SseError {
  const message = error instanceof Error ? error.message : String(error);
  return new SseError('network', `connection lost: ${message}`, { cause: error });
}
