/**
 * Streaming UTF-8 → UTF-16 decoding (WHATWG "UTF-8 decode" without BOM sniffing: the parser strips
 * the BOM itself, once per stream, so a BOM later in the stream stays data).
 *
 * Why not always `TextDecoder.decode(bytes, { stream: true })`: engines have a much faster one-shot
 * path for ASCII (Node 20: 4-5x on chunks of 1-16 KiB). One-shot decoding of a chunk equals
 * streaming decoding as long as the chunk does not end inside a code point that the next chunk
 * completes, so while the stream is ASCII such a tail (at most 3 bytes) is carried over to the next
 * chunk. Once a chunk is not ASCII, chunks go through a real streaming decoder (Node's ICU path:
 * on non-ASCII text 1.5-2x faster than the one-shot path from 1 KiB chunks, level at 64 B; and it
 * holds a split code point itself, where carrying meant a copy of the next chunk), until ASCII
 * chunks lead back with nothing held (one or two of them: see `decode`). BENCHMARKS.md ("Parser
 * (TypeScript)") has the trade-offs.
 */
export class Utf8Decoder {
  /** Created on the first non-ASCII chunk. */
  private streaming: TextDecoder | undefined;
  /** Whether `streaming` is in use. */
  private inStream = false;
  /** `streaming` may hold the start of a code point: the last bytes it took did not end in ASCII. */
  private held = false;
  /** The start of a code point cut by the end of the last chunk, on the one-shot path. */
  private carry: Uint8Array | undefined;
  /** All-ASCII chunks since the last one that was not (tiny ones aside), counted up to `LEAVE_AFTER`. */
  private asciiRun = 0;
  /** `asciiRun` when the last non-ASCII chunk came. */
  private lastAsciiRun = 0;

  decode(bytes: Uint8Array): string {
    // Whatever the path: nothing may be pending in either decoder.
    if (bytes.length <= TINY && !this.held && this.carry === undefined) {
      const text = tinyAscii(bytes);
      if (text !== undefined) return text;
    }
    if (this.inStream) {
      const text = (this.streaming as TextDecoder).decode(bytes, STREAM);
      const n = bytes.length;
      if (n === 0) return text;
      // An ASCII last byte ends every sequence: nothing is held.
      this.held = (bytes[n - 1] as number) >= 0x80;
      if (text.length === n && !this.held) {
        // Only all-ASCII chunks lead back (a non-ASCII stream stays here), and only a run of them
        // unless the last run was long: a failed one-shot call on the next non-ASCII chunk costs
        // more than the streaming decoder on an ASCII chunk or two (ids with non-ASCII text one
        // line per chunk, an ASCII `data:` line between them).
        if (++this.asciiRun >= LEAVE_AFTER || this.lastAsciiRun >= LEAVE_AFTER) this.inStream = false;
      } else {
        this.lastAsciiRun = this.asciiRun;
        this.asciiRun = 0;
      }
      return text;
    }
    if (this.carry !== undefined) {
      // One copy of this chunk: the stream was ASCII up to the cut code point.
      const joined = new Uint8Array(this.carry.length + bytes.length);
      joined.set(this.carry);
      joined.set(bytes, this.carry.length);
      bytes = joined;
      this.carry = undefined;
    }
    const cut = completeLength(bytes);
    if (cut !== bytes.length) {
      // Copy: the caller may reuse its buffer after feed() returns.
      this.carry = bytes.slice(cut);
      if (cut === 0) return '';
      bytes = bytes.subarray(0, cut);
    }
    const text = ONE_SHOT.decode(bytes);
    if (text.length === bytes.length) {
      // Capped: a count past 2^30 would stop being a small integer in V8.
      if (this.asciiRun < LEAVE_AFTER) this.asciiRun++;
      return text;
    }
    this.lastAsciiRun = this.asciiRun;
    this.asciiRun = 0;
    this.inStream = true;
    this.streaming ??= new TextDecoder('utf-8', IGNORE_BOM);
    if (this.carry === undefined) return text;
    // The held-back bytes start the streaming decoder's next code point ('' unless already invalid).
    const head = this.streaming.decode(this.carry, STREAM);
    this.carry = undefined;
    this.held = true;
    return head === '' ? text : text + head;
  }

  /** End of input: an incomplete code point left over becomes U+FFFD, as the spec's decoder does at EOF. */
  end(): string {
    if (this.inStream) {
      this.inStream = this.held = false;
      return (this.streaming as TextDecoder).decode();
    }
    const carry = this.carry;
    if (carry === undefined) return '';
    this.carry = undefined;
    return ONE_SHOT.decode(carry);
  }
}

/**
 * Chunks this short (a blank line, `\r\n`, a `:` keep-alive, as servers that flush every line send
 * them) are decoded in JS when ASCII: a decoder call costs ~90-130 ns whatever the size (Node 20),
 * building a string of up to 4 characters from char codes ~20-40 ns; from 8 bytes up the call wins.
 */
const TINY = 4;

/** `bytes` as text if they are all ASCII, else undefined. */
function tinyAscii(bytes: Uint8Array): string | undefined {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte >= 0x80) return undefined;
    // Single characters below 256 are cached strings, and joins this short are flat copies.
    text += String.fromCharCode(byte);
  }
  return text;
}

/** ASCII chunks in a row after which the streaming decoder is left even when the last run was shorter. */
const LEAVE_AFTER = 2;

const STREAM = { stream: true };
const IGNORE_BOM = { ignoreBOM: true };
/** Shared by all parsers: a call without `stream` keeps no state, so a parser needs none of its own. */
const ONE_SHOT = new TextDecoder('utf-8', IGNORE_BOM);

/**
 * Length of the prefix of `bytes` that can be decoded now. Cutting right before a lead byte (any
 * non-continuation byte) is always safe: in the WHATWG decoder such a byte either starts a new
 * sequence or aborts the pending one with exactly one U+FFFD, the same U+FFFD an end of input
 * yields. So only the last sequence matters: hold it back when its lead byte announces more bytes
 * than the chunk has.
 */
function completeLength(bytes: Uint8Array): number {
  const n = bytes.length;
  const stop = n > 4 ? n - 4 : 0;
  let i = n - 1;
  while (i >= stop && ((bytes[i] as number) & 0xc0) === 0x80) i--;
  if (i < 0 || i < stop) return n;
  const lead = bytes[i] as number;
  const needed = lead >= 0xf5 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 1;
  return n - i < needed ? i : n;
}
