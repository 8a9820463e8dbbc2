/**
 * Random event streams built from SSE grammar pieces (WHATWG HTML §9.2.5 "Parsing an event stream"),
 * with the odd corners on purpose: unknown and mis-cased fields, lines without a colon, every line
 * terminator, BOMs, multi-byte and invalid UTF-8, NULs, long lines, unterminated tails.
 */
import type { Prng } from './prng.js';

/** Part of a stream; `cut` puts a chunk boundary after it. Whole stream = all bytes concatenated. */
export interface Segment {
  bytes: Uint8Array;
  cut: boolean;
}

/** One generated input: the stream split into chunks, and the parser's size limit. */
export interface Case {
  segments: Segment[];
  maxEventSize?: number | undefined;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);

const FIELDS = ['data', 'data', 'data', 'event', 'id', 'id', 'retry', 'Data', 'dat', 'datax', 'ID', 'foo', 'ïd', ' data'];
const SEPARATORS = [':', ': ', ': ', ':  ', '', ':\t'];
const TERMINATORS = ['\n', '\n', '\r\n', '\r'];
/** Values that hit a branch somewhere: digits for retry, NULs for id, look-alike BOMs, colons… */
const VALUES: (string | Uint8Array)[] = [
  '', 'x', 'hello world', ' leading', 'a:b', ':', '123', '0', '007', '12a', '-1', '1.5', '١٢', '99999999999999999999999',
  '\0', 'a\0b', 'é', '€uro', '😀', '\uFEFF', 'ï»¿', 'message', 'ping', 'data: nested',
  bytes(0xff), bytes(0xc3), bytes(0xed, 0xa0, 0x80), bytes(0xf0, 0x9f), bytes(0xc0, 0xaf), bytes(0xe2, 0x82),
];

function value(rng: Prng): Uint8Array {
  if (rng.chance(0.03)) return utf8(rng.pick(['x', '€', '😀']).repeat(rng.int(100, 3000)));
  const parts: Uint8Array[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) {
    const v = rng.pick(VALUES);
    parts.push(typeof v === 'string' ? utf8(v) : v);
  }
  return concat(parts);
}

function piece(rng: Prng): Uint8Array {
  const term = rng.pick(TERMINATORS);
  const roll = rng.next();
  if (roll < 0.2) return utf8(term); // blank line: dispatch
  if (roll < 0.3) return concat([utf8(rng.pick([':', ': '])), value(rng), utf8(term)]); // comment
  if (roll < 0.33) return bytes(0xef, 0xbb, 0xbf); // a BOM that is not at the start: data
  if (roll < 0.35) return concat([value(rng), utf8(term)]); // a line of anything
  return concat([utf8(rng.pick(FIELDS) + rng.pick(SEPARATORS)), value(rng), utf8(term)]);
}

/** A random stream of 0..`maxPieces` pieces, maybe BOM-led, maybe with an unterminated tail. */
export function generateStream(rng: Prng, maxPieces = 40): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  if (rng.chance(0.15)) pieces.push(bytes(0xef, 0xbb, 0xbf));
  // A BOM mis-decoded as Latin-1 is no BOM: "ï»¿data" is an unknown field.
  else if (rng.chance(0.05)) pieces.push(utf8('ï»¿'));
  for (let n = rng.int(0, maxPieces); n > 0; n--) pieces.push(piece(rng));
  if (rng.chance(0.2)) pieces.push(concat([utf8('data: '), value(rng)]));
  return pieces;
}

/**
 * Splits pieces into chunks at random byte offsets: sometimes byte by byte, often inside a code
 * point, a CRLF or a BOM; empty chunks too.
 */
export function cutRandomly(rng: Prng, pieces: readonly Uint8Array[]): Segment[] {
  const p = rng.pick([0, 0.02, 0.1, 0.3, 1]);
  const segments: Segment[] = [];
  // Segments follow piece boundaries too (uncut), so shrinking can drop whole grammar pieces.
  for (const piece of pieces) {
    let start = 0;
    for (let i = 1; i <= piece.length; i++) {
      const cut = rng.chance(p);
      if (i < piece.length && !cut) continue;
      segments.push({ bytes: piece.subarray(start, i), cut });
      if (cut && rng.chance(0.02)) segments.push({ bytes: new Uint8Array(0), cut: true });
      start = i;
    }
  }
  return segments;
}

/** The same segments as one chunk. */
export function wholeOf(segments: readonly Segment[]): Segment[] {
  return [{ bytes: concat(segments.map((s) => s.bytes)), cut: true }];
}

/** The chunks a parser is fed: segments joined between cuts. */
export function chunksOf(segments: readonly Segment[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  for (const s of segments) {
    pending.push(s.bytes);
    if (s.cut) {
      chunks.push(concat(pending));
      pending = [];
    }
  }
  if (pending.length > 0) chunks.push(concat(pending));
  return chunks;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
