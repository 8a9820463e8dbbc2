/**
 * Streaming UTF-8 → UTF-16 decoding (WHATWG "UTF-8 decode" without BOM sniffing: the parser strips
 * the BOM itself, once per stream, so a BOM later in the stream stays data).
 *
 * Why not `TextDecoder.decode(bytes, { stream: true })`: engines have a much faster one-shot path
 * (Node 20: 4-5x on ASCII chunks of 1-16 KiB). One-shot decoding of a chunk equals streaming decoding
 * as long as the chunk does not end inside a code point that the next chunk completes, so such a
 * tail (at most 3 bytes) is carried over and decoded with the next chunk.
 */
const SMALL_CHUNK = 128;

export class Utf8Decoder {
  // Two decoders, both used one-shot on chunks that end at a safe boundary (see completeLength).
  // Engines differ in which is faster: Node's one-shot path is 4-5x faster than its ICU path on
  // ASCII but 1.5-2x slower on non-ASCII text. Once `decode` saw `stream: true`, Node keeps that
  // decoder on the ICU path, which is how the second one is obtained. Which one to use is guessed
  // from the previous chunk: a chunk that decoded to as many code units as it had bytes was ASCII.
  private readonly fast = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly general = new TextDecoder('utf-8', { ignoreBOM: true });
  private lastWasAscii = true;
  private carry: Uint8Array | undefined;

  constructor() {
    this.general.decode(new Uint8Array(0), { stream: true });
  }

  decode(bytes: Uint8Array): string {
    if (this.carry !== undefined) {
      // Rare (a code point split by the chunking): one copy of this chunk keeps the logic simple.
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
    // Below ~128 bytes the ICU path's per-call cost outweighs its faster non-ASCII loop (Node 20:
    // equal at 64 bytes of non-ASCII text, while ASCII is 1.7x faster on the one-shot path).
    const text = (this.lastWasAscii || bytes.length < SMALL_CHUNK ? this.fast : this.general).decode(bytes);
    this.lastWasAscii = text.length === bytes.length;
    return text;
  }

  /** End of input: an incomplete code point left over becomes U+FFFD, as the spec's decoder does at EOF. */
  end(): string {
    const carry = this.carry;
    if (carry === undefined) return '';
    this.carry = undefined;
    return this.general.decode(carry);
  }
}

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
