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
