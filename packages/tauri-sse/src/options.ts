import { SseError } from './core/errors.js';
import { lastEventIdHeader } from './core/headers.js';
import { resolveRetry, type RetryOptions } from './core/retry.js';
import { SourceCore, type SourceObserver } from './core/source.js';
import type { FetchLike, HeadersSource, SourceRequest, Transport } from './core/transport.js';
import { DEFAULT_MAX_EVENT_SIZE } from './parser/index.js';
import { resolveTransport, type TransportName } from './transports/index.js';

/**
 * Options shared by `new EventSource(url, init)` and `source(url, init)`. Everything except
 * `withCredentials` is an extension of the standard `EventSourceInit`.
 */
export interface SourceInit {
  /** Standard: send cookies / credentials cross-origin (fetch `credentials: 'include'`). */
  withCredentials?: boolean | undefined;
  /** Request headers, or a (possibly async) function returning them, called before every (re)connect. */
  headers?: HeadersSource | undefined;
  /** HTTP method. Default `GET`. */
  method?: string | undefined;
  /** Request body, sent again on every reconnect (so not a one-shot stream). */
  body?: BodyInit | null | undefined;
  /** The fetch function of the `fetch` transport, e.g. `@tauri-apps/plugin-http`'s. Default `globalThis.fetch`. */
  fetch?: FetchLike | undefined;
  /** Reconnection policy (docs/architecture.md "Retry policy"). */
  retry?: RetryOptions | undefined;
  /** Reconnect when no byte arrived for this many ms. Default off. */
  idleTimeout?: number | undefined;
  /** The last event ID to send (`Last-Event-ID`) on the first connect, e.g. one saved across restarts. */
  lastEventId?: string | undefined;
  /** Aborting it closes the source (no request goes out if it already is). */
  signal?: AbortSignal | undefined;
  /** Largest event accepted, in UTF-16 code units (comments do not count); a larger one fails the connection (`event-too-large`). Default 8 MiB. */
  maxEventSize?: number | undefined;
  /**
   * Desktop life (default true): a source waiting to reconnect tries at once when the network comes
   * back (`online`) or the machine wakes from sleep; while the system says it is offline, failures
   * do not count towards `retry.maxAttempts` and attempts wait the policy's longest delay (the
   * system can be wrong, so they go on); after a wake, an open connection that received
   * nothing within a second is reestablished at once, with `Last-Event-ID`.
   */
  networkAware?: boolean | undefined;
  /**
   * How to connect: `'fetch'` (default), `'native'` (the webview's EventSource), `'tauri'` (the Rust
   * plugin `eventsource`), `'auto'` (`'tauri'` inside a Tauri webview, else `'fetch'`) or a custom `Transport`.
   */
  transport?: TransportName | Transport | undefined;
  /** tauri transport: keep the connection while the page reloads, for `attach(name)` from the new page. Needs `name`. */
  keepAlive?: boolean | undefined;
  /** tauri transport: the connection's name (ASCII letters, digits, `-/:_`); connecting again with it replaces the connection. */
  name?: string | undefined;
  /** tauri transport: also emit every message as the Tauri event `eventsource://<name>`. Needs `name`. */
  broadcast?: boolean | undefined;
  /**
   * tauri transport: one upstream connection for many windows. Other pages of the app `join(name)`
   * it (their capability must grant `eventsource:allow-join`), each with its own flow control:
   * a slow page loses its oldest events past a bound (`buffer-overflow`) instead of stalling the
   * others. Needs `name`, app-wide; the connection ends when its last subscriber leaves.
   */
  shared?: boolean | undefined;
}


/**
 * Spec, EventSource constructor steps 5-6: "encoding-parse a URL" relative to the document's base
 * URL (`document.baseURI`, which a `<base href>` changes; `location` outside a document; none in
 * Node); failure throws a "SyntaxError" DOMException.
 */
export function parseUrl(url: string | URL): string {
  const scope = globalThis as { document?: { baseURI?: string }; location?: { href: string } };
  const base = scope.document?.baseURI ?? scope.location?.href;
  try {
    return new URL(String(url), base).href;
  } catch {
    throw new DOMException(`Failed to construct 'EventSource': The URL '${String(url)}' is invalid.`, 'SyntaxError');
  }
}

/**
 * Milliseconds and sizes are whole numbers up to 2^53 (the plugin reads them as Rust integers, so
 * `1.5` would only fail there, as an obscure IPC error); `invalid-options` names the option.
 */
function whole(name: string, value: number | undefined, min: number): number | undefined {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new SseError('invalid-options', `${name} must be a whole number >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * A last event ID the server could have sent and a request can carry: the parser splits lines at
 * CR/LF and ignores an `id` containing NUL (spec "id" field step), and no header value holds
 * other control characters.
 */
function eventId(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    lastEventIdHeader(value);
  } catch (error) {
    throw new SseError('invalid-options', `lastEventId: ${(error as SseError).message}`);
  }
  return value;
}

/** Validates `init`, builds the transport request and starts the core behind a view. */
export function startSource(url: string, init: SourceInit, observer: SourceObserver): SourceCore {
  const request: SourceRequest = {
    url,
    withCredentials: Boolean(init.withCredentials),
    headers: init.headers,
    method: init.method,
    body: init.body,
    fetch: init.fetch,
    retry: resolveRetry(init.retry),
    idleTimeout: whole('idleTimeout', init.idleTimeout, 1),
    lastEventId: eventId(init.lastEventId),
    maxEventSize: whole('maxEventSize', init.maxEventSize, 1) ?? DEFAULT_MAX_EVENT_SIZE,
    networkAware: init.networkAware !== false,
    keepAlive: init.keepAlive,
    name: init.name,
    broadcast: init.broadcast,
    shared: init.shared,
  };
  return new SourceCore(request, resolveTransport(init.transport), observer, init.signal);
}
