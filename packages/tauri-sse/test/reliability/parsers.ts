/**
 * The parsers under comparison, each reduced to the same observable log: events, retry values,
 * comments and errors in the order they were reported, then the last event ID string.
 */
import { createParser as referenceParser } from 'eventsource-parser';
import { createParser } from '../../src/parser/index.js';
import { concat } from './grammar.js';

export type Item =
  | ['event', string | null, string, string | null]
  | ['retry', number]
  | ['comment', string]
  | ['error', string];

export interface Log {
  items: Item[];
  lastEventId: string;
}

/** Our parser: chunks fed in order, then the end of the stream (`reset()`). */
export function runOurs(chunks: readonly Uint8Array[], maxEventSize?: number): Log {
  const items: Item[] = [];
  const parser = createParser(
    {
      onEvent: (e) => items.push(['event', e.event ?? null, e.data, e.id ?? null]),
      onRetry: (ms) => items.push(['retry', ms]),
      onComment: (text) => items.push(['comment', text]),
      onError: (error) => items.push(['error', error.type]),
    },
    { maxEventSize },
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.reset();
  return { items, lastEventId: parser.lastEventId };
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * `eventsource-parser` 4.1.3, normalised for its known deviations from the spec
 * (docs/reliability.md, "Reference deviations"):
 *  1. it takes text: bytes are decoded here with a streaming `TextDecoder` (BOM left in place);
 *  2. its `id` is the block's own `id:` field, not the carried-over last event ID buffer, and it
 *     has no last event ID string: both are rebuilt from `onId`, which it calls at each dispatch;
 *  3. it reports unknown fields and invalid `retry:` values as errors, which the spec ignores;
 *  4. it strips a leading "ï»¿" (U+00EF U+00BB U+00BF, a BOM mis-decoded as Latin-1) like a BOM:
 *     a stream that does not start with a real BOM gets one prepended, which it then strips alone.
 */
export function runReference(chunks: readonly Uint8Array[]): Log {
  const items: Item[] = [];
  let lastId: string | undefined;
  const parser = referenceParser({
    onId: (id) => (lastId = id),
    onEvent: (e) => items.push(['event', e.event ?? null, e.data, lastId ?? null]),
    onRetry: (ms) => items.push(['retry', ms]),
    onComment: (text) => items.push(['comment', text]),
    onError: (error) => {
      if (error.type !== 'unknown-field' && error.type !== 'invalid-retry') items.push(['error', error.type]);
    },
  });
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const head = concat(chunks).subarray(0, 3);
  if (!BOM.every((b, i) => head[i] === b)) parser.feed('\uFEFF');
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  parser.reset();
  return { items, lastEventId: lastId ?? '' };
}
