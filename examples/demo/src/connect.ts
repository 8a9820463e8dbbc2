// The one module that talks to tauri-sse: a scenario's connection over one of the three transports,
// reported through plain callbacks so the rest of the demo does not depend on the package's event types.
import { fetch as tauriFetch } from '@tauri-apps/plugin-http';
import { attach, EventSource, join } from 'tauri-sse';

export type TransportName = 'native' | 'fetch' | 'tauri';
export const TRANSPORTS: readonly TransportName[] = ['native', 'fetch', 'tauri'];

export interface ConnectSpec {
  transport: TransportName;
  /** Absolute URL of the stream. */
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** Sent as `Authorization: Bearer <token>` (not possible over the webview's EventSource). */
  token?: string;
  /**
   * Test hook: `'rotating'` passes a headers *function* that adds `x-token: <n>`, n = 1, 2, … per
   * call, so the server's request log shows whether headers were refreshed before each reconnect.
   */
  headers?: 'rotating';
  /** Event types to listen for; default `message`. */
  types?: string[];
  /** Rust transport only: keep the connection when the page goes away, under `name`. */
  keepAlive?: boolean;
  name?: string;
  /** Rust transport only: one upstream connection other windows `join(name)`. */
  shared?: boolean;
  /** Statuses that reconnect instead of failing (`retry.onStatus`). */
  onStatus?: number[];
  /** ms before the first reconnect when the server sent no `retry:`. */
  initialDelay?: number;
}

export interface WireError {
  kind: string;
  message: string;
  status?: number;
}

export interface ConnectionHandlers {
  open(): void;
  event(type: string, data: string, lastEventId: string): void;
  /** `readyState` after the error: CONNECTING (0) = reconnecting, CLOSED (2) = failed for good. */
  error(error: WireError, readyState: number): void;
}

export interface Connection {
  readonly readyState: number;
  close(): void;
}

/** Opens `spec` and wires its events to `handlers`. Throws (synchronously) what the package refuses up front. */
export function connect(spec: ConnectSpec, handlers: ConnectionHandlers): Connection {
  const headers: Record<string, string> = {};
  if (spec.token !== undefined) headers.authorization = `Bearer ${spec.token}`;
  if (spec.body !== undefined) headers['content-type'] = 'application/json';
  // Only what the spec asks for is passed, so the package (not the demo) refuses what a transport cannot do.
  const source = new EventSource(spec.url, {
    transport: spec.transport,
    ...(spec.transport === 'fetch' ? { fetch: tauriFetch } : {}),
    ...(spec.headers === 'rotating' ? { headers: rotating(headers) } : Object.keys(headers).length > 0 ? { headers } : {}),
    ...(spec.method === undefined ? {} : { method: spec.method }),
    ...(spec.body === undefined ? {} : { body: spec.body }),
    ...(spec.initialDelay === undefined && spec.onStatus === undefined ? {} : { retry: { initialDelay: spec.initialDelay, onStatus: spec.onStatus } }),
    ...(spec.keepAlive ? { keepAlive: true, name: spec.name } : {}),
    ...(spec.shared ? { shared: true, name: spec.name } : {}),
  });
  return observe(source, spec.types ?? ['message'], handlers);
}

/** A headers function returning `fixed` plus `x-token: <n>`, n counting its calls from 1. */
function rotating(fixed: Record<string, string>): () => Record<string, string> {
  let calls = 0;
  return () => ({ ...fixed, 'x-token': String(++calls) });
}

/**
 * Re-attaches to a kept-alive Rust connection by name (after a page reload). It reports the
 * connection's real state first (`open`, or an `error` while Rust reconnects); no such connection
 * is an `error` of kind `not-found`, CLOSED.
 */
export function reattach(name: string, types: string[], handlers: ConnectionHandlers): Connection {
  return observe(attach(name), types, handlers);
}

/** Joins the shared Rust connection `name` (opened by another window with `shared`). */
export function joinFeed(name: string, types: string[], handlers: ConnectionHandlers): Connection {
  return observe(join(name), types, handlers);
}

function observe(source: EventSource, types: string[], handlers: ConnectionHandlers): Connection {
  source.addEventListener('open', () => handlers.open());
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const message = event as MessageEvent<string>;
      handlers.event(message.type, message.data, message.lastEventId);
    });
  }
  source.addEventListener('error', (event) => {
    // tauri-sse puts the typed SseError on the event; the webview's own EventSource carries none.
    const error = (event as Event & { error?: WireError }).error;
    handlers.error(
      error ? { kind: error.kind, message: error.message, status: error.status } : { kind: 'network', message: 'connection lost' },
      source.readyState,
    );
  });
  return source;
}
