export { createParser, DEFAULT_MAX_EVENT_SIZE } from './parser.js';
export { ParseError } from './errors.js';
export type { ParseErrorType } from './errors.js';
export type {
  EventSourceMessage,
  EventSourceParser,
  ParsedEvent,
  ParserCallbacks,
  ParserOptions,
} from './types.js';
