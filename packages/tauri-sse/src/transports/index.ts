import type { Transport } from '../core/transport.js';
import { fetchTransport } from './fetch.js';
import { nativeTransport } from './native.js';

/** The built-in transports by name; the `transport` option takes one of these or a `Transport` object. */
const builtin = {
  fetch: fetchTransport,
  native: nativeTransport,
} satisfies Record<string, Transport>;

export type TransportName = keyof typeof builtin;

/** The transport used when the `transport` option is absent. */
const DEFAULT_TRANSPORT: TransportName = 'fetch';

/** Resolves the `transport` option: the one place that maps names to transports. */
export function resolveTransport(option: TransportName | Transport | undefined): Transport {
  if (typeof option === 'object') return option;
  const transport = builtin[option ?? DEFAULT_TRANSPORT] as Transport | undefined;
  if (transport === undefined) {
    throw new TypeError(`tauri-sse: unknown transport "${String(option)}"; use ${Object.keys(builtin).join(', ')} or a Transport object`);
  }
  return transport;
}

export { fetchTransport, nativeTransport };
