/** The kinds of recoverable problems the parser reports through `onError`. */
export type ParseErrorType = 'event-too-large';

/**
 * A problem in the stream. Like `eventsource-parser`'s `ParseError`, it carries a `type`;
 * the parser has already skipped the offending event and goes on parsing.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly type: ParseErrorType;
  /** Code units buffered for the event when it was given up (at least `limit + 1`). */
  readonly size: number;
  /** The `maxEventSize` in force. */
  readonly limit: number;

  constructor(message: string, details: { type: ParseErrorType; size: number; limit: number }) {
    super(message);
    this.type = details.type;
    this.size = details.size;
    this.limit = details.limit;
  }
}

export function eventTooLarge(size: number, limit: number): ParseError {
  return new ParseError(
    `event too large: ${size} UTF-16 code units buffered, maxEventSize is ${limit}; skipped to the next blank line`,
    { type: 'event-too-large', size, limit },
  );
}
