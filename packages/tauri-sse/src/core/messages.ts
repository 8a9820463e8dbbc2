import type { ParsedEvent } from '../parser/index.js';
import type { WireError } from './errors.js';

/**
 * What a transport tells the core: the wire protocol of docs/architecture.md, so the Rust plugin's
 * IPC messages feed the core unchanged. TS transports may put an `SseError` (with `cause`) in `error`.
 */
export type SourceMessage =
  /** The connection was announced: a 200 with `text/event-stream`. `url` is the final URL, after redirects. */
  | { type: 'open'; status: number; url: string; headers: Record<string, string> }
  /**
   * One read batch of parsed events, in stream order. `origin`: where they came from, for a
   * transport that learns the final origin only with the events (native, after a redirect).
   */
  | { type: 'events'; events: ParsedEvent[]; origin?: string | undefined }
  /**
   * The last event ID string changed without an event: a block with `id:` and no data (spec
   * "dispatch the event" step 1). Events carry their own id; this tells the rest.
   */
  | { type: 'id'; lastEventId: string }
  /** The server sent `retry:`; informational, the transport's loop already uses it. */
  | { type: 'retry'; delay: number }
  /** With `reconnectIn` the transport reconnects after that many ms; without it the source failed and `closed` follows. */
  | { type: 'error'; error: WireError; reconnectIn?: number | undefined }
  /** A kept-alive buffer lost events (tauri transport only). */
  | { type: 'overflow'; dropped: number }
  | { type: 'closed' };

/**
 * Receives a transport's messages. A returned promise asks the transport to pause reading until it
 * settles (backpressure): the fetch transport stops reading, the tauri transport holds its acks back
 * (the plugin then stops reading after a window of messages), the native transport cannot pause.
 */
export type MessageSink = (message: SourceMessage) => void | Promise<void>;
