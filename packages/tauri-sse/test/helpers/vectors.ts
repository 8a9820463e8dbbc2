/**
 * Loader and runner for the shared parser vectors (testdata/parser-vectors.json, format in
 * testdata/README.md). Every vector is fed whole, in fixed-size byte chunks and as one string;
 * all feeds must produce the same DOM-observable outcome.
 */
import { readFileSync } from 'node:fs';
import { createParser, type ParserOptions } from '../../src/parser/index.js';

export interface Vector {
  name: string;
  description?: string;
  input?: string;
  inputBase64?: string;
  options?: { maxEventSize?: number; lastEventId?: string };
  events: { type?: string; data: string; lastEventId?: string }[];
  retries?: number[];
  comments?: string[];
  errors?: string[];
  lastEventId?: string;
}

/** What a page could observe: MessageEvent fields, retry values, comments, error kinds. */
export interface Outcome {
  events: { type: string; data: string; lastEventId: string }[];
  retries: number[];
  comments: string[];
  errors: string[];
  lastEventId: string;
}

/** Byte chunk sizes every vector is fed at; `Infinity` is the whole input at once. */
export const CHUNK_SIZES = [Infinity, 1, 2, 3, 7, 64];

const VECTORS_URL = new URL('../../../../testdata/parser-vectors.json', import.meta.url);

export function loadVectors(): Vector[] {
  return (JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as { vectors: Vector[] }).vectors;
}

export function inputBytes(vector: Vector): Uint8Array {
  if (vector.inputBase64 !== undefined) return new Uint8Array(Buffer.from(vector.inputBase64, 'base64'));
  return new TextEncoder().encode(vector.input ?? '');
}

/** The input as text, decoded without touching a BOM so the parser sees the same stream. */
export function inputText(vector: Vector): string {
  return vector.input ?? new TextDecoder('utf-8', { ignoreBOM: true }).decode(inputBytes(vector));
}

export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  if (size === Infinity) return [bytes];
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

export function expected(vector: Vector): Outcome {
  return {
    events: vector.events.map((e) => ({ type: e.type ?? 'message', data: e.data, lastEventId: e.lastEventId ?? '' })),
    retries: vector.retries ?? [],
    comments: vector.comments ?? [],
    errors: vector.errors ?? [],
    lastEventId: vector.lastEventId ?? '',
  };
}

/** Feeds the chunks, ends the stream with reset(), and records the outcome. */
export function run(chunks: (Uint8Array | string)[], options?: ParserOptions): Outcome {
  const outcome: Outcome = { events: [], retries: [], comments: [], errors: [], lastEventId: '' };
  const parser = createParser(
    {
      onEvent: (e) => outcome.events.push({ type: e.event ?? 'message', data: e.data, lastEventId: e.id ?? '' }),
      onRetry: (ms) => outcome.retries.push(ms),
      onComment: (text) => outcome.comments.push(text),
      onError: (err) => outcome.errors.push(err.type),
    },
    options,
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.reset();
  outcome.lastEventId = parser.lastEventId;
  return outcome;
}
