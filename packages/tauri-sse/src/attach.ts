import { EventSource, type EventSourceInit } from './event-source.js';
import { source, type EventStream, type SourceOptions } from './iterator.js';
import { attachTransport } from './transports/index.js';

/** What applies to an attached source: the connection's own options were set by `connect`. */
export type AttachInit = Pick<EventSourceInit, 'signal'>;
export type AttachOptions = Pick<SourceOptions, 'signal' | 'terminator' | 'events' | 'highWaterMark'>;

/**
 * The `url` of an attached source: the connection's URL comes with the plugin's `open` (events
 * carry its origin from then on).
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
