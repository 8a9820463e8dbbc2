import type { MessageSink } from './messages.js';
import type { RetryPolicy } from './retry.js';

/** Header values for a (re)connect; a function is called again before every attempt. */
export type HeadersSource = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** Options only the Rust loop can honour: the browser transports refuse them rather than ignore them. */
const TAURI_ONLY_OPTIONS = ['keepAlive', 'name', 'broadcast', 'shared'] as const;

/** The tauri-only options `request` sets, for a transport running in the page to refuse. */
export function tauriOnlyOptions(request: SourceRequest): string[] {
  return TAURI_ONLY_OPTIONS.filter((option) => request[option] !== undefined);
}

/** Throws the `TypeError` of a transport running in the page (`fetch`, `native`) given tauri-only options. */
export function refuseTauriOnly(request: SourceRequest, transport: string): void {
  const given = tauriOnlyOptions(request);
  if (given.length > 0) {
    throw new TypeError(`tauri-sse: ${given.join(', ')} need the tauri transport (the ${transport} transport runs in the page); use transport 'tauri'`);
  }
}

/** Any function with the `fetch` signature: `globalThis.fetch`, `@tauri-apps/plugin-http`'s `fetch`, undici… */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Everything a transport needs to run one source; built and validated by the core. */
export interface SourceRequest {
  /** Absolute URL (already parsed and serialized). */
  url: string;
  withCredentials: boolean;
  headers?: HeadersSource | undefined;
  method?: string | undefined;
  body?: BodyInit | null | undefined;
  fetch?: FetchLike | undefined;
  /** Resolved, so every transport (and the Rust plugin) applies the same defaults. */
  retry: RetryPolicy;
  /** ms of silence before reconnecting; undefined = off. */
  idleTimeout?: number | undefined;
  /** The last event ID string to send on the first connect. */
  lastEventId: string;
  maxEventSize: number;
  /** Reconnect when the network comes back or the machine wakes; attempts slow down while offline. */
  networkAware: boolean;
  /** tauri transport: keep the connection across page reloads, under `name` (docs/architecture.md "Plugin commands"). */
  keepAlive?: boolean | undefined;
  name?: string | undefined;
  /** tauri transport: also emit every message as the Tauri event `eventsource://<name>`. */
  broadcast?: boolean | undefined;
  /** tauri transport: other pages and windows may `join(name)` this one upstream connection. */
  shared?: boolean | undefined;
}

/** A running source, as seen by the core. */
export interface TransportConnection {
  /** Stops everything (request, timers); no message is sent afterwards. */
  close(): void;
  /**
   * An event type somebody listens to. Only transports that must subscribe per type (the webview's
   * `EventSource`) need it; the others deliver every type anyway.
   */
  listen?(type: string): void;
}

/**
 * Moves bytes from a server to the core as `SourceMessage`s, running its own reconnect loop
 * (in TS for `fetch`, in the browser for `native`, in Rust for `tauri`). `connect` throws
 * synchronously for options the transport cannot honour; after that, problems arrive as messages.
 */
export interface Transport {
  readonly name: string;
  connect(request: SourceRequest, sink: MessageSink): TransportConnection;
}
