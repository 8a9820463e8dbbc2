import { SseError } from '../core/errors.js';
import type { MessageSink } from '../core/messages.js';
import { refuseTauriOnly, type SourceRequest, type Transport, type TransportConnection } from '../core/transport.js';

/** Options the webview's `EventSource` has no way to honour. */
const UNSUPPORTED = ['headers', 'method', 'body', 'fetch'] as const;

/**
 * The `native` transport: the webview's own `EventSource` (`globalThis.EventSource`). The browser
 * runs the reconnect loop and the parser; this only translates its events into core messages.
 * It cannot send headers or a body, apply `retry`/`idleTimeout`/`maxEventSize`, or report the
 * reconnection delay (`reconnectIn` is 0: "the browser decides").
 */
export const nativeTransport: Transport = {
  name: 'native',
  connect(request: SourceRequest, sink: MessageSink): TransportConnection {
    refuseTauriOnly(request, 'native');
    const given = UNSUPPORTED.filter((option) => request[option] !== undefined && request[option] !== null);
    if (given.length > 0) {
      throw new TypeError(
        `tauri-sse: the native transport (the webview's EventSource) cannot send ${given.join(', ')}; use transport 'fetch' or 'tauri'`,
      );
    }
    const Native = globalThis.EventSource as typeof EventSource | undefined;
    if (Native === undefined) throw new TypeError('tauri-sse: this environment has no EventSource; use transport \'fetch\'');
    const native = new Native(request.url, { withCredentials: request.withCredentials });
    const listened = new Set<string>();

    const onEvent = (event: Event) => {
      // Listening for "open" or "error" also hears the webview's own lifecycle events (plain Events,
      // already reported by onopen/onerror); only MessageEvents are the server's.
      if (!(event instanceof MessageEvent)) return;
      const { data, lastEventId } = event as MessageEvent<string>;
      // The DOM's lastEventId is the last event ID string: '' after an empty `id:` resets it too.
      // The browser follows redirects without telling where to: the final origin shows on events.
      sink({ type: 'events', events: [{ event: event.type, data, id: lastEventId }], origin: event.origin || undefined });
    };
    const listen = (type: string) => {
      if (listened.has(type)) return;
      listened.add(type);
      native.addEventListener(type, onEvent);
    };
    listen('message');
    native.onopen = () => sink({ type: 'open', status: 200, url: request.url, headers: {} });
    native.onerror = () => {
      // The DOM error event says nothing more; readyState tells reestablish (CONNECTING) from fail (CLOSED).
      const closed = native.readyState === Native.CLOSED;
      const error = new SseError('network', closed ? 'the webview EventSource failed' : 'the webview EventSource is reconnecting');
      if (closed) {
        sink({ type: 'error', error });
        sink({ type: 'closed' });
      } else {
        sink({ type: 'error', error, reconnectIn: 0 });
      }
    };
    return { close: () => native.close(), listen };
  },
};
