import { Utf8Decoder } from './decoder.js';
import { eventTooLarge } from './errors.js';
import { dataValueStart, EventBuilder } from './fields.js';
import { PendingLine } from './pending-line.js';
import type { EventSourceParser, ParserCallbacks, ParserOptions } from './types.js';

/**
 * 8 Mi UTF-16 code units: multi-MiB events are real (base64 images from image-generation APIs,
 * whole JSON documents), and browsers' own EventSource takes them, yet a server still cannot
 * grow memory without bound.
 */
export const DEFAULT_MAX_EVENT_SIZE = 8 * 1024 * 1024;

const LF = 10;
const CR = 13;
const COLON = 58;
const BOM = 0xfeff;
/** A pending line is joined with the next chunk when the two together are at most this long (see feedText). */
const JOIN_PENDING = 256;

/**
 * Creates a streaming Server-Sent Events parser (WHATWG HTML "Parsing an event stream").
 * Call-compatible with `eventsource-parser`'s `createParser({ onEvent, ... })`.
 */
export function createParser(callbacks: ParserCallbacks, options: ParserOptions = {}): EventSourceParser {
  if (typeof callbacks !== 'object' || callbacks === null) {
    throw new TypeError('createParser expects an object of callbacks, e.g. createParser({ onEvent })');
  }
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  if (!(maxEventSize > 0)) throw new RangeError(`maxEventSize must be positive, got ${maxEventSize}`);
  dormant ??= new Parser(new StreamParser({}, DEFAULT_MAX_EVENT_SIZE, undefined));
  return new Parser(new StreamParser(callbacks, maxEventSize, options.lastEventId));
}

/**
 * A parser that never parses, made with the first one and kept as long as this module. V8 keeps
 * the hidden classes (maps) of a class's instances (this parser's, the event builder's...) only
 * while some instance lives, and throws away the optimized code built on them when they go: a
 * full GC while no parser was alive (an app between connections, a benchmark that makes a parser
 * per pass) cost the next parser its optimized code. Kept in a variable a function uses, so that
 * it is no stack slot of the module's top-level code, which dies once that code has run.
 */
let dormant: Parser | undefined;

/**
 * What createParser returns: `feed` and `reset` as own functions, as eventsource-parser's are (code
 * written for it may pass `parser.feed` around unbound: `stream.on('data', parser.feed)`), and the
 * parser's state out of sight (of `Object.keys`, `JSON.stringify`, a spread).
 */
class Parser implements EventSourceParser {
  readonly feed: EventSourceParser['feed'];
  readonly reset: EventSourceParser['reset'];
  readonly #stream: StreamParser;

  constructor(stream: StreamParser) {
    this.#stream = stream;
    this.feed = (chunk) => stream.feed(chunk);
    this.reset = (options) => stream.reset(options);
  }

  get lastEventId(): string {
    return this.#stream.lastEventId;
  }
}

/**
 * The parser proper: its state in fields, its steps in methods on the prototype. Not closures
 * made per parser: V8 keeps a function's optimized code only while a function object that runs it
 * lives, so with closures the code died with the last parser at each full GC, and the next parser
 * ran unoptimized until it was hot again. Prototype methods live as long as the class. (With a GC
 * before each fresh parser, as eventsource-parser's own benchmark harness runs its fixtures,
 * one-character feeds took 2-3x that parser's time before this and `dormant`; now level with it.)
 */
class StreamParser {
  private readonly fields: EventBuilder;
  private readonly decoder = new Utf8Decoder();
  // Bytes were fed: the decoder may hold part of a code point. A field, not a call to the
  // decoder: text fed a piece at a time pays for every call per feed.
  private fedBytes = false;
  // The unterminated line. Its length counts even the pieces not kept (a comment nobody listens
  // to, a line of a discarded event).
  private readonly pending = new PendingLine();
  private pendingLength = 0;
  // The previous chunk ended with CR: a LF starting this one completes that CRLF, it is no blank line.
  private skipLF = false;
  private atStreamStart = true;
  // Inside an oversize event: drop lines up to the next blank line.
  private discarding = false;
  // The pending line is a comment. Comments are no event data: they never count towards the
  // limit, and one longer than the limit is dropped (not kept, not reported) in bounded memory.
  private pendingComment = false;
  // What the pending line must start with to be a field the spec does not ignore (`data:` for a
  // line starting with `d`...), checked as its first characters come in (see keepPartial).
  private pendingField = '';
  // The pending line will be ignored whatever follows: only its end matters (see feedText).
  private ignoring = false;

  constructor(
    private readonly callbacks: ParserCallbacks,
    private readonly maxEventSize: number,
    lastEventId: string | undefined,
  ) {
    this.fields = new EventBuilder(callbacks, lastEventId);
  }

  get lastEventId(): string {
    return this.fields.lastEventId;
  }

  private feedText(text: string): void {
    if (this.ignoring) return this.skipIgnored(text);
    if (this.atStreamStart) {
      // An empty chunk cannot tell whether a BOM follows.
      if (text.length === 0) return;
      this.atStreamStart = false;
      // Spec: "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    if (text.length === 0) return;
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    } else if (this.pendingLength !== 0 && this.pendingLength + text.length <= JOIN_PENDING && !this.pendingComment) {
      // A line cut by the chunk boundary, kept whole (not a comment, not discarded), and a small
      // chunk: the line is put in front of the chunk and read in place like any other. Completed on
      // its own instead, it took a slice, a join and the field tests outside the inlined loop (64 B
      // chunks: `llm` and `multiline` 10-15% slower, `crlf-utf8` ~5%). Only when both are short:
      // a long line fed in small chunks is not copied over and over, and a large chunk is not
      // copied to save one line's slice (with 16 KiB chunks that copy cost `llm` ~10%).
      // A chunk with no line end only extends the pending line: no join, no rescan.
      if (this.extendsPending(text)) return;
      text = this.pending.take(text, false);
      this.pendingLength = 0;
    }
    // Most streams have no CR at all; then one LF search per line finds every line end.
    const cr = text.indexOf('\r', pos);
    if (cr === -1) this.splitAtLF(text, pos);
    else this.splitAtCRorLF(text, pos, cr);
  }

  /**
   * The pending line is ignored: `text` is only searched for its end, from where it is read as
   * usual (the line completes as an empty piece). Fed one character at a time, as idle streams'
   * `:` padding and unknown fields are, this is the whole cost of a chunk.
   */
  private skipIgnored(text: string): void {
    const lf = text.indexOf('\n');
    const cr = text.indexOf('\r');
    const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
    this.pendingLength += end === -1 ? text.length : end;
    this.limitIgnored(this.pendingLength);
    // `!ignoring`: onError reset() the parser, and the next feed starts a new stream.
    if (end === -1 || !this.ignoring) return;
    if (cr === -1) this.splitAtLF(text, end);
    else this.splitAtCRorLF(text, end, cr);
  }

  /** Keeps `text` as more of the pending line if it ends no line. Out of feedText: its inlining budget (see above). */
  private extendsPending(text: string): boolean {
    if (text.indexOf('\n') !== -1 || text.indexOf('\r') !== -1) return false;
    this.keepPartial(text);
    return true;
  }

  /** Splits `text` from `pos` when it has no CR. */
  private splitAtLF(text: string, pos: number): void {
    const len = text.length;
    while (pos < len) {
      const lf = text.indexOf('\n', pos);
      if (lf === -1) {
        this.keepPartial(pos === 0 ? text : text.slice(pos));
        return;
      }
      // The character after the line end, read once: a LF there is a blank line. Kept within the
      // string: see dataValueStart for what one out-of-bounds `charCodeAt` costs.
      const next = lf + 1 < len ? text.charCodeAt(lf + 1) : -1;
      // `data: ...` then a blank line while nothing is buffered: one event per line pair, the
      // shape of LLM token streams. Dispatched directly, without the data buffer's bookkeeping.
      let v: number;
      if (
        next === LF &&
        this.pendingLength === 0 &&
        !this.discarding &&
        this.fields.dataSize === 0 &&
        lf - pos <= this.maxEventSize &&
        (v = dataValueStart(text, pos, lf)) >= 0
      ) {
        this.fields.dispatchData(text.slice(v, lf));
        pos = lf + 2;
        continue;
      }
      // A line starting with `d` next is most likely another data line (multi-line events).
      this.lineEnded(text, pos, lf, next === 100 /* d */);
      pos = lf + 1;
      // A blank line right after a line end: the end of most events. Taking it here saves a search
      // and a loop turn per event.
      if (next === LF) {
        this.blankLine();
        pos++;
      }
    }
  }

  /**
   * Splits `text` from `pos` when it has a CR, the first at `cr`: a line ends at a CR, a LF, or a
   * CRLF.
   *
   * V8 inlines a function only below 460 bytes of bytecode (Node 20), and into one compiled
   * function only 920 bytes in all. This loop used to be small enough to be inlined into feed()
   * and its caller, which left no budget for the calls made per line: the field tests and the
   * event builder stayed calls, two or three per line. With lineEnded() written out (and the CRLF
   * test instead of a helper called from two places), it is over the limit, so it is optimized on
   * its own and its budget goes to the per-line calls (`crlf-utf8` parsed 8-12% faster). Keep it
   * so: shrunk under 460 bytes, it would be inlined again.
   */
  private splitAtCRorLF(text: string, pos: number, cr: number): void {
    const len = text.length;
    // Nearest LF / CR at or after pos; each is searched again only once consumed.
    let lf = text.indexOf('\n', pos);
    while (pos < len) {
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
      const start = pos;
      let end: number;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        pos = lf + 1;
      } else if (cr !== -1) {
        end = cr;
        pos = cr + 1;
        // A CR ending the chunk may be half of a CRLF: a LF starting the next chunk completes it.
        if (pos === len) this.skipLF = true;
        else if (text.charCodeAt(pos) === LF) pos++;
      } else {
        this.keepPartial(start === 0 ? text : text.slice(start));
        return;
      }
      // lineEnded(text, start, end, false), written out: see above.
      if (this.pendingLength !== 0) this.completePending(text.slice(start, end));
      else if (this.discarding || start === end || this.fields.dataSize + (end - start) > this.maxEventSize) this.interpret(text, start, end);
      else {
        const v = dataValueStart(text, start, end);
        if (v >= 0) this.fields.appendData(text.slice(v, end), false);
        else this.fields.otherLine(text, start, end);
      }
      // A line end right after a line end is a blank line: the end of most events. Taking it here
      // saves two searches and a loop turn per event.
      const c = pos < len ? text.charCodeAt(pos) : -1;
      if (c === LF) {
        this.blankLine();
        pos++;
      } else if (c === CR) {
        this.blankLine();
        pos++;
        if (pos === len) this.skipLF = true;
        else if (text.charCodeAt(pos) === LF) pos++;
      }
    }
  }

  /**
   * The line `text[start, end)` ended; it completes the pending partial line if there is one.
   * `sliceLF`: its terminator is a LF at `end`, to be taken along with a data value (see appendData).
   */
  private lineEnded(text: string, start: number, end: number, sliceLF: boolean): void {
    if (this.pendingLength !== 0) return this.completePending(text.slice(start, end));
    if (this.discarding || start === end || this.fields.dataSize + (end - start) > this.maxEventSize) {
      return this.interpret(text, start, end);
    }
    // An ordinary field line is taken here rather than through interpret() and the builder's
    // line(): that call chain, which also tested for `data:` twice, cost a tenth of the time on
    // multi-line events and on `id:`/`event:` lines.
    const v = dataValueStart(text, start, end);
    if (v >= 0) this.fields.appendData(text.slice(v, sliceLF ? end + 1 : end), sliceLF);
    else this.fields.otherLine(text, start, end);
  }

  private keepPartial(piece: string): void {
    const offset = this.pendingLength;
    if (offset === 0) {
      this.pendingComment = piece.charCodeAt(0) === COLON;
      this.pendingField = this.pendingComment ? '' : fieldFor(piece.charCodeAt(0));
    }
    this.pendingLength += piece.length;
    if (this.discarding) return this.ignoreLine();
    if (this.pendingComment) {
      // Keep-alive padding is the usual comment: nothing to keep when nobody listens.
      if (this.callbacks.onComment === undefined || this.pendingLength > this.maxEventSize) return this.ignoreLine();
    } else {
      // Checked as the line grows, so an endless line is caught without buffering it.
      if (this.fields.dataSize + this.pendingLength > this.maxEventSize) {
        // Ignored first: onError may reset() the parser, which must then stay reset.
        this.ignoreLine();
        return this.tooLarge(this.fields.dataSize + this.pendingLength);
      }
      // Spec: a field other than data, event, id and retry is ignored, and so is its line. Only
      // its first character is tested on the first piece: most lines end in the next chunk.
      if (offset === 0 ? this.pendingField === '' : offset < this.pendingField.length && !startsAs(this.pendingField, piece, offset)) {
        return this.ignoreLine();
      }
    }
    this.pending.push(piece);
  }

  private ignoreLine(): void {
    this.pending.clear();
    this.ignoring = true;
  }

  /**
   * An ignored line of an unknown field is still the line being read: `length` of it counts
   * towards the limit, as it did when the line was kept (and as it does in the Rust parser).
   */
  private limitIgnored(length: number): void {
    if (!this.pendingComment && !this.discarding && this.fields.dataSize + length > this.maxEventSize) this.tooLarge(this.fields.dataSize + length);
  }

  private completePending(last: string): void {
    const length = this.pendingLength + last.length;
    this.pendingLength = 0;
    if (this.ignoring) {
      this.ignoring = false; // its length was counted as it came (see skipIgnored)
      return;
    }
    if (this.pendingComment && length > this.maxEventSize) {
      this.pending.clear();
      return;
    }
    // With its terminator, as a line cut from a chunk has: the field tests read `line[end]`.
    const line = this.pending.take(last, true);
    this.interpret(line, 0, line.length - 1);
  }

  /** A blank line: it ends the event, or the discarded one. */
  private blankLine(): void {
    if (this.discarding) {
      this.discarding = false;
      this.fields.discardBlock();
    } else {
      this.fields.dispatch();
    }
  }

  /** One complete line, `s[start, end)`. */
  private interpret(s: string, start: number, end: number): void {
    if (start === end) {
      this.blankLine();
    } else if (!this.discarding) {
      if (this.fields.dataSize + (end - start) <= this.maxEventSize) this.fields.line(s, start, end);
      // Off the hot path: a comment does not count towards the limit, and one longer than the
      // limit is dropped without error, as it would be had it arrived in pieces.
      else if (s.charCodeAt(start) !== COLON) this.tooLarge(this.fields.dataSize + (end - start));
      else if (end - start <= this.maxEventSize) this.fields.line(s, start, end);
    }
  }

  private tooLarge(size: number): void {
    this.discarding = true;
    this.callbacks.onError?.(eventTooLarge(size, this.maxEventSize));
  }

  feed(chunk: Uint8Array | string): void {
    if (typeof chunk !== 'string') {
      this.fedBytes = true;
      this.feedText(this.decoder.decode(chunk));
    }
    // Text after bytes: a code point the bytes left unfinished ends first, as U+FFFD.
    else this.feedText(this.fedBytes ? this.decoder.end() + chunk : chunk);
  }

  reset(opts?: { consume?: boolean | undefined }): void {
    const tail = this.decoder.end();
    if (opts?.consume) {
      this.feedText(tail);
      if (this.pendingLength !== 0) this.completePending('');
    }
    this.pending.clear();
    this.pendingLength = 0;
    this.pendingComment = false;
    this.ignoring = false;
    this.skipLF = false;
    this.atStreamStart = true;
    this.discarding = false;
    this.fields.discardBlock();
  }
}

/** What a line starting with character `c` must start with to be a field that is not ignored ('' for none). */
function fieldFor(c: number): string {
  return c === 100 ? 'data:' : c === 101 ? 'event:' : c === 105 ? 'id:' : c === 114 ? 'retry:' : '';
}

/** Whether `piece`, found at `offset` in a line, agrees with `field` there (a name with its colon, or its start). */
function startsAs(field: string, piece: string, offset: number): boolean {
  const n = Math.min(piece.length, field.length - offset);
  for (let i = 0; i < n; i++) if (piece.charCodeAt(i) !== field.charCodeAt(offset + i)) return false;
  return true;
}
