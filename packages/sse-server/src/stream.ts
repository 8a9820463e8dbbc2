import type { ServerResponse } from 'node:http';
import type { Knobs } from './knobs.js';
import { formatEvent, StreamWriter } from './writer.js';

/** What the stream needs to know about the request. */
export interface StreamRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
  lastEventId: string | null;
}

const LLM_TEXT =
  'Server-sent events deliver a model answer token by token, so the reader sees it grow while it is written.';

/** First event number: with `ids`, one after the client's `Last-Event-ID` (resumption). */
export function firstEventNumber(knobs: Knobs, lastEventId: string | null): number {
  if (!knobs.ids || lastEventId === null || !lastEventId.startsWith(knobs.idprefix)) return 1;
  const last = Number(lastEventId.slice(knobs.idprefix.length));
  return Number.isInteger(last) && last >= 0 ? last + 1 : 1;
}

/** The default payload: a number and a send timestamp (ms, sub-ms precision) for latency measurements, padded to `size`. */
function payload(n: number, size: number | undefined): string {
  const data = `{"n":${n},"t":${performance.timeOrigin + performance.now()}}`;
  if (size === undefined) return data;
  const overhead = data.length + ',"pad":""'.length;
  if (size <= overhead) return data;
  return `${data.slice(0, -1)},"pad":"${'x'.repeat(size - overhead)}"}`;
}

/** Writes the 200 `/sse` stream the knobs describe; the response headers are already sent. */
export async function writeStream(res: ServerResponse, knobs: Knobs, request: StreamRequest): Promise<void> {
  const out = new StreamWriter(res, knobs.slow);
  // hang: headers only, then silence on an open socket (a half-open connection, for idle timeouts).
  if (knobs.hang) return;
  if (knobs.retry !== undefined) await out.write(`retry: ${knobs.retry}${knobs.nl}${knobs.nl}`);
  if (knobs.comments !== undefined) await writeComments(out, knobs.comments, knobs.nl);
  if (knobs.echo) await out.write(formatEvent({ event: knobs.event, data: JSON.stringify(request) }, knobs.nl));
  const first = firstEventNumber(knobs, request.lastEventId);
  const completed = knobs.llm ? await writeTokens(out, knobs) : await writeEvents(out, knobs, first);
  if (completed && knobs.raw !== undefined) await out.write(knobs.raw);
  if (completed && knobs.nonewline !== undefined) await writeWithoutNewline(out, knobs.nonewline);
  if (!out.closed) res.end();
}

/** Writes the numbered events; false when the stream stopped early (client gone or `drop`). */
async function writeEvents(out: StreamWriter, knobs: Knobs, first: number): Promise<boolean> {
  const start = performance.now();
  for (let n = first, sent = 0; knobs.count === undefined || n <= knobs.count; n++) {
    // Scheduled from the start time, so `rate` does not drift with write times.
    if (sent > 0) await out.wait(start + sent * knobs.interval - performance.now());
    if (out.closed) return false;
    const id = knobs.ids ? `${knobs.idprefix}${n}` : undefined;
    await out.write(formatEvent({ id, event: knobs.event, data: payload(n, knobs.size) }, knobs.nl));
    sent++;
    if (knobs.drop !== undefined && sent >= knobs.drop) {
      // Simulates a network failure mid-stream: no clean end of the response.
      out.drop();
      return false;
    }
    if (knobs.reset !== undefined && sent >= knobs.reset) {
      await out.reset();
      return false;
    }
  }
  return !out.closed;
}

async function writeTokens(out: StreamWriter, knobs: Knobs): Promise<boolean> {
  const words = LLM_TEXT.split(/(?<= )/);
  const count = knobs.count ?? words.length;
  for (let i = 0; i < count; i++) {
    if (i > 0) await out.wait(knobs.interval);
    if (out.closed) return false;
    const token = words[i % words.length] ?? '';
    await out.write(formatEvent({ event: knobs.event, data: JSON.stringify({ token }) }, knobs.nl));
  }
  await out.write(formatEvent({ data: '[DONE]' }, knobs.nl));
  return !out.closed;
}

/** `: 1` … `: count`, in writes of many lines (keep-alive padding at its most hostile). */
async function writeComments(out: StreamWriter, count: number, nl: string): Promise<void> {
  const batch = 1000;
  for (let i = 1; i <= count && !out.closed; i += batch) {
    let text = '';
    for (let j = i; j < i + batch && j <= count; j++) text += `: ${j}${nl}`;
    await out.write(text);
  }
}

async function writeWithoutNewline(out: StreamWriter, bytes: number): Promise<void> {
  await out.write('data: ');
  const chunk = 64 * 1024;
  for (let left = bytes; left > 0 && !out.closed; left -= chunk) await out.write('x'.repeat(Math.min(chunk, left)));
}
