import type { ParsedEvent, ParserCallbacks } from './types.js';

const COLON = 58;
const SPACE = 32;
const NUL = '\0';

/**
 * The spec's per-stream buffers and its field rules (WHATWG HTML "Interpreting an event stream").
 * It sees complete lines only; line splitting and the size limit live in the parser.
 */
export class EventBuilder {
  /** Data lines joined with LF, i.e. the spec's data buffer without its trailing LF (but see dataEndsWithLF). */
  private data = '';
  private dataLines = 0;
  /** `data` does end with the spec's trailing LF: the last value was appended with its terminator. */
  private dataEndsWithLF = false;
  /** Length of the spec's data buffer (each line plus its LF): what `maxEventSize` bounds. */
  dataSize = 0;
  private type = '';
  private idBuffer: string | undefined;
  /** The last event ID string; undefined until a blank line or the option sets it. */
  private lastId: string | undefined;

  constructor(
    private readonly callbacks: ParserCallbacks,
    lastEventId: string | undefined,
  ) {
    this.idBuffer = this.lastId = lastEventId;
  }

  get lastEventId(): string {
    return this.lastId ?? '';
  }

  /** Interprets one non-blank line, `s[start, end)`. `s[end]` is its line terminator (see {@link dataValueStart}). */
  line(s: string, start: number, end: number): void {
    // `data: ...` is by far the most frequent line. This method is kept small so that engines
    // inline it into the parser's line loop (a call per line is a measurable share of the time).
    const v = dataValueStart(s, start, end);
    if (v >= 0) this.appendData(s.slice(v, end), false);
    else this.otherLine(s, start, end);
  }

  /**
   * Any line but a `data:` one (non-blank). Field names are matched by char codes, unrolled: a generic compare loop was a
   * tenth of the time on `id:`/`event:` streams. Each test stops at `s[end]`, the line terminator,
   * which no name character matches, so no read goes past the string.
   *
   * One small method per field rather than one large one: V8 inlines a function into the parser's
   * line loop only below a bytecode size (460 in Node 20) and within a budget per loop; with all
   * fields in one method, `id:`/`event:` lines were a call each on the CR/LF path.
   */
  otherLine(s: string, start: number, end: number): void {
    const c = s.charCodeAt(start);
    if (c === 101 /* e */) this.eventLine(s, start, end);
    else if (c === 105 /* i */) this.idLine(s, start, end);
    else if (c === COLON) this.comment(s, start, end);
    else if (c === 100 /* d */) this.dataWithoutColon(s, start, end);
    else if (c === 114 /* r */) this.retryLine(s, start, end);
    // Any other field name (`Data` is not `data`) is ignored.
  }

  private eventLine(s: string, start: number, end: number): void {
    let v: number;
    if (
      s.charCodeAt(start + 1) === 118 /* v */ &&
      s.charCodeAt(start + 2) === 101 /* e */ &&
      s.charCodeAt(start + 3) === 110 /* n */ &&
      s.charCodeAt(start + 4) === 116 /* t */ &&
      (v = valueStart(s, start + 5, end)) >= 0
    ) {
      this.type = s.slice(v, end);
    }
  }

  private idLine(s: string, start: number, end: number): void {
    let v: number;
    if (s.charCodeAt(start + 1) === 100 /* d */ && (v = valueStart(s, start + 2, end)) >= 0) {
      const id = s.slice(v, end);
      // Spec: "If the field value does not contain U+0000 NULL, set the last event ID buffer".
      if (id.indexOf(NUL) === -1) this.idBuffer = id;
    }
  }

  private comment(s: string, start: number, end: number): void {
    const onComment = this.callbacks.onComment;
    // Only slice when someone listens: comments are often keep-alive padding.
    if (onComment) onComment(s.slice(s.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
  }

  /** `data` with no colon (an empty value); `data:` was taken by dataValueStart. */
  private dataWithoutColon(s: string, start: number, end: number): void {
    let v: number;
    if (
      s.charCodeAt(start + 1) === 97 /* a */ &&
      s.charCodeAt(start + 2) === 116 /* t */ &&
      s.charCodeAt(start + 3) === 97 /* a */ &&
      (v = valueStart(s, start + 4, end)) >= 0
    ) {
      this.appendData(s.slice(v, end), false);
    }
  }

  private retryLine(s: string, start: number, end: number): void {
    let v: number;
    if (
      s.charCodeAt(start + 1) === 101 /* e */ &&
      s.charCodeAt(start + 2) === 116 /* t */ &&
      s.charCodeAt(start + 3) === 114 /* r */ &&
      s.charCodeAt(start + 4) === 121 /* y */ &&
      (v = valueStart(s, start + 5, end)) >= 0 &&
      allDigits(s, v, end)
    ) {
      this.callbacks.onRetry?.(parseInt(s.slice(v, end), 10));
    }
  }

  /**
   * Appends a data line's value; `withLF`: `value` ends with the line's LF terminator. The parser
   * slices a value together with its LF when another data line looks likely to follow: that LF is
   * then the separator, one concatenation per line instead of two. If the event ends there after
   * all, dispatch() cuts it off.
   */
  appendData(value: string, withLF: boolean): void {
    // Concatenation is O(1) in engines (rope strings); the rope is flattened once by the consumer.
    this.data =
      this.dataLines++ === 0 ? value : this.dataEndsWithLF ? this.data + value : this.data + '\n' + value;
    this.dataEndsWithLF = withLF;
    this.dataSize += withLF ? value.length : value.length + 1;
  }

  /** A blank line: "dispatch the event". */
  dispatch(): void {
    if (this.dataLines === 0) {
      // Spec step 1: the last event ID string is updated even when no event follows.
      this.lastId = this.idBuffer;
      this.type = '';
      return;
    }
    // Rare (a data line then another field, then the blank line): this slice flattens the rope.
    const data = this.dataEndsWithLF ? this.data.slice(0, -1) : this.data;
    this.data = '';
    this.dataLines = 0;
    this.dataEndsWithLF = false;
    this.dataSize = 0;
    this.dispatchData(data);
  }

  /**
   * Dispatches an event of `data` with the buffered type and id. Called directly for a `data:`
   * line followed by a blank line while nothing is buffered (`dataSize === 0`): the same as
   * `appendData(data)` then `dispatch()`, without the buffering.
   */
  dispatchData(data: string): void {
    // Spec step 1, then the event. Written in one method: a call fewer per event matters until
    // the engine has optimized this (and again after each full GC, which drops optimized code).
    this.lastId = this.idBuffer;
    const event: ParsedEvent = { data, event: this.type || undefined, id: this.idBuffer };
    // Cleared before the callback so a callback that resets or feeds the parser sees a clean state.
    this.type = '';
    this.callbacks.onEvent?.(event);
  }

  /** Drops the block being read (end of stream, or an oversize event), id field included. */
  discardBlock(): void {
    this.data = '';
    this.dataLines = 0;
    this.dataEndsWithLF = false;
    this.dataSize = 0;
    this.type = '';
    this.idBuffer = this.lastId;
  }
}

/**
 * Where the value of line `s[start, end)` starts if it is a `data:` line, else -1. Unrolled: this is
 * the hot path of every stream.
 *
 * Every line comes with its terminator at `s[end]` (the parser appends one to a line it joined), and
 * the tests run left to right, so none reads past `s[end]`. Why that matters: V8 inlines
 * `charCodeAt` only until a call site once reads out of bounds; from then on that site calls the
 * builtin (short-lines ran ~9% slower for it).
 */
export function dataValueStart(s: string, start: number, end: number): number {
  if (
    s.charCodeAt(start) === 100 /* d */ &&
    s.charCodeAt(start + 1) === 97 /* a */ &&
    s.charCodeAt(start + 2) === 116 /* t */ &&
    s.charCodeAt(start + 3) === 97 /* a */ &&
    s.charCodeAt(start + 4) === COLON
  ) {
    return s.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5;
  }
  return -1;
}

/**
 * Where the field value starts when the line's field name ends at `colon` (the name already matched),
 * else -1. A line that is exactly the name is the field with an empty value (spec: "a line without a colon").
 */
function valueStart(s: string, colon: number, end: number): number {
  if (colon === end) return end;
  if (s.charCodeAt(colon) !== COLON) return -1;
  // One leading space is stripped. Reading s[colon + 1] when it is `end` is safe: it is a terminator.
  return s.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
}

/** Spec: `retry` is used only when "the field value consists of only ASCII digits" (and is not empty). */
function allDigits(s: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
