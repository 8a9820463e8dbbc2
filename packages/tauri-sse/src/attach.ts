import { EventSource, type EventSourceInit } from './event-source.js';
import { source, type EventStream, type SourceOptions } from './iterator.js';
import { attachTransport, joinTransport } from './transports/index.js';

/** What applies to an attached or joined source: the connection's own options were set by `connect`. */
export type AttachInit = Pick<EventSourceInit, 'signal'>;
export type AttachOptions = Pick<SourceOptions, 'signal' | 'terminator' | 'events' | 'highWaterMark'>;

/**
 * The `url` of an attached or joined source: the connection's URL comes with the plugin's `open`
 * (events carry its origin from then on).
 */
function attachUrl(name: string): string {
  return `sse:${encodeURIComponent(name)}`;
}

/**
 * An `EventSource` over the kept-alive connection `name` (opened by an earlier page with
 * `{ transport: 'tauri', keepAlive: true, name }`). It starts from the connection's real state:
 * `open` if it is open, an `error` with readyState CONNECTING if it is between reconnects, nothing
 * yet if its first attempt is under way. Then an `error` of kind `buffer-overflow` (readyState
 * unchanged) if events were dropped while no page was attached, then the events kept meanwhile,
 * then live events. No such connection: an `error` of kind `not-found`, CLOSED. If another
 * `attach`, or a `connect` with this name, takes the connection: an `error` of kind `replaced`, CLOSED.
 * `close()` ends the kept-alive connection.
 */
export function attach(name: string, init: AttachInit = {}): EventSource {
  return new EventSource(attachUrl(name), { signal: init.signal, transport: attachTransport(name) });
}

/** `attach` for `for await`: `source()` over the kept-alive connection `name`. */
export function attachSource(name: string, options: AttachOptions = {}): EventStream {
  const { signal, terminator, events, highWaterMark } = options;
  return source(attachUrl(name), { signal, terminator, events, highWaterMark, transport: attachTransport(name) });
}

/**
 * An `EventSource` over the shared connection `name`, opened by any page of the app with
 * `{ transport: 'tauri', name, shared: true }`: one upstream connection for every window. The
 * plugin refuses it (`scope`) unless this window's own capability allows the connection's URL. It
 * starts from the connection's state (`open`, or the pending reconnect's `error`), then live events.
 * This page has its own flow control: if it falls a bound behind (the plugin's keep-alive buffer
 * bounds), its oldest events are dropped and it gets an `error` of kind `buffer-overflow`
 * (readyState unchanged) instead of stalling the others. No such connection: `not-found`, CLOSED.
 * `close()` leaves; the last subscriber to leave closes the connection.
 */
export function join(name: string, init: AttachInit = {}): EventSource {
  return new EventSource(attachUrl(name), { signal: init.signal, transport: joinTransport(name) });
}

/** `join` for `for await`: `source()` over the shared connection `name`. */
export function joinSource(name: string, options: AttachOptions = {}): EventStream {
  const { signal, terminator, events, highWaterMark } = options;
  return source(attachUrl(name), { signal, terminator, events, highWaterMark, transport: joinTransport(name) });
}
