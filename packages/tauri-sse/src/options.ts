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
  /** Aborting it closes the source. */
  signal?: AbortSignal | undefined;
  /** Largest event accepted, in UTF-16 code units; a larger one fails the connection (`event-too-large`). Default 1 MiB. */
  maxEventSize?: number | undefined;
  /**
   * How to connect: `'fetch'` (default), `'native'` (the webview's EventSource), `'tauri'` (the Rust
   * plugin `sse`), `'auto'` (`'tauri'` inside a Tauri webview, else `'fetch'`) or a custom `Transport`.
   */
  transport?: TransportName | Transport | undefined;
  /** tauri transport: keep the connection while the page reloads, for `attach(name)` from the new page. Needs `name`. */
  keepAlive?: boolean | undefined;
  /** tauri transport: the connection's name (ASCII letters, digits, `-/:_`); connecting again with it replaces the connection. */
  name?: string | undefined;
  /** tauri transport: also emit every message as the Tauri event `sse://<name>`. Needs `name`. */
  broadcast?: boolean | undefined;
}


/**
 * Spec, EventSource constructor step 5-6: parse the URL relative to the document's base URL
 * (none outside a page); failure throws a "SyntaxError" DOMException.
 */
export function parseUrl(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(String(url), base).href;
  } catch {
    throw new DOMException(`Failed to construct 'EventSource': The URL '${String(url)}' is invalid.`, 'SyntaxError');
  }
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * A last event ID the server could have sent: the parser splits lines at CR/LF and ignores an `id`
 * containing NUL (spec "id" field step), so such a value can only be a mistake, and would not fit
 * in a `Last-Event-ID` header.
 */
function eventId(value: string | undefined): string {
  if (value !== undefined && /[\r\n\0]/.test(value)) throw new TypeError('lastEventId must not contain CR, LF or NUL');
  return value ?? '';
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
    idleTimeout: positive('idleTimeout', init.idleTimeout),
    lastEventId: eventId(init.lastEventId),
    maxEventSize: positive('maxEventSize', init.maxEventSize) ?? DEFAULT_MAX_EVENT_SIZE,
    keepAlive: init.keepAlive,
    name: init.name,
    broadcast: init.broadcast,
  };
  return new SourceCore(request, resolveTransport(init.transport), observer);
}
