import type { ParseError } from './errors.js';

/**
 * One dispatched event, shaped like `eventsource-parser`'s `EventSourceMessage` so code written
 * for it keeps working. The DOM view of it is `type = event ?? "message"`, `lastEventId = id ?? ""`.
 */
export interface ParsedEvent {
  /** The `event:` field; undefined when none was given or it was empty (the DOM type is then "message"). */
  event?: string | undefined;
  data: string;
  /** The last event ID buffer at dispatch: carried over from earlier events; undefined if never set. */
  id?: string | undefined;
}

export interface ParserCallbacks {
  onEvent?: ((event: ParsedEvent) => void) | undefined;
  /** The server's `retry:` field: a new reconnection time in milliseconds. */
  onRetry?: ((ms: number) => void) | undefined;
  /** A comment line's text after `:`, one leading space stripped. A comment longer than `maxEventSize` is dropped unseen. */
  onComment?: ((comment: string) => void) | undefined;
  /** Called once per event dropped for exceeding `maxEventSize`; parsing resumes after it. */
  onError?: ((error: ParseError) => void) | undefined;
}

export interface ParserOptions {
  /**
   * Largest event the parser buffers, in UTF-16 code units of the data buffer plus the line being
   * read. A larger event is reported through `onError` and skipped. Comments do not count (one
   * longer than this is dropped without error). Default 8 MiB (8388608).
   */
  maxEventSize?: number | undefined;
  /** The last event ID string to start from, e.g. the one kept across a reconnection. */
  lastEventId?: string | undefined;
}

export interface EventSourceParser {
  /** Parses the next piece of the stream: bytes (decoded as UTF-8 here) or already decoded text. */
  feed(chunk: Uint8Array | string): void;
  /**
   * Ends the stream: the unterminated block is discarded and the next `feed` starts a new stream.
   * With `consume: true` a pending unterminated line is first interpreted as if it had ended.
   */
  reset(options?: { consume?: boolean | undefined }): void;
  /** The spec's "last event ID string": updated at every blank line, even when nothing is dispatched. */
  readonly lastEventId: string;
}

/** `eventsource-parser` names, so a migration only changes the import path. */
export type EventSourceMessage = ParsedEvent;
