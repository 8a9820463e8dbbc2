import type { Transport } from '../core/transport.js';
import { autoTransport, inTauri } from './auto.js';
import { fetchTransport } from './fetch.js';
import { nativeTransport } from './native.js';
import { attachTransport, joinTransport, tauriTransport } from './tauri.js';

/** The built-in transports by name; the `transport` option takes one of these or a `Transport` object. */
const builtin = {
  fetch: fetchTransport,
  native: nativeTransport,
  tauri: tauriTransport,
} satisfies Record<string, Transport>;

/** `'auto'` picks `'tauri'` inside a Tauri webview whose app registered the plugin, else `'fetch'`. */
export type TransportName = keyof typeof builtin | 'auto';

/** The transport used when the `transport` option is absent. */
const DEFAULT_TRANSPORT: keyof typeof builtin = 'fetch';

/** Resolves the `transport` option (`'auto'` when the source is created): the one place that maps names to transports. */
export function resolveTransport(option: TransportName | Transport | undefined): Transport {
  if (typeof option === 'object') return option;
  if (option === 'auto') return inTauri() ? autoTransport : fetchTransport;
  const name = option ?? DEFAULT_TRANSPORT;
  const transport = builtin[name] as Transport | undefined;
  if (transport === undefined) {
    throw new TypeError(`tauri-sse: unknown transport "${String(option)}"; use ${Object.keys(builtin).join(', ')}, auto or a Transport object`);
  }
  return transport;
}

export { attachTransport, fetchTransport, joinTransport, nativeTransport, tauriTransport };
