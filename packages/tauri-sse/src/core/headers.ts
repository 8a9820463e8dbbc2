import { SseError } from './errors.js';
import type { HeadersSource } from './transport.js';

/**
 * The user's headers for one connect, as every transport needs them: a headers function is called
 * (afresh each time) and its failure reported as `headers`; a value `Headers` refuses (CR/LF, bad
 * name) is reported as `invalid-header`, which no retry can fix.
 */
export async function resolveHeaders(source: HeadersSource | undefined): Promise<Headers> {
  let init: HeadersInit | undefined;
  try {
    init = typeof source === 'function' ? await source() : source;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SseError('headers', `the headers function threw: ${message}`, { cause: error });
  }
  try {
    return new Headers(init);
  } catch (error) {
    throw new SseError('invalid-header', `invalid headers: ${(error as Error).message}`, { cause: error });
  }
}

/** Characters no header value may carry (RFC 9110 §5.5: controls other than HT), which is where hyper draws the line too. */
const UNSENDABLE = /[\0-\x08\n-\x1f\x7f]/;

/**
 * The `Last-Event-ID` value for fetch. Spec ("reestablish the connection"): the header is the last
 * event ID string "encoded as UTF-8". fetch takes header values as byte strings, one character per
 * byte, so a non-ASCII id goes in as its UTF-8 bytes, as browsers send it — passing `日本` as is
 * would throw. An id with control characters cannot be sent at all: `invalid-header`, not a
 * reconnect that would fail the same way forever.
 */
export function lastEventIdHeader(id: string): string {
  if (UNSENDABLE.test(id)) {
    throw new SseError('invalid-header', `the last event ID ${JSON.stringify(id)} cannot be sent as Last-Event-ID: it contains a control character`);
  }
  if (/^[\t\x20-\x7e]*$/.test(id)) return id;
  let bytes = '';
  for (const byte of new TextEncoder().encode(id)) bytes += String.fromCharCode(byte);
  return bytes;
}
