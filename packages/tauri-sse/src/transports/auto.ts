import { SseError } from '../core/errors.js';
import type { MessageSink } from '../core/messages.js';
import { tauriOnlyOptions, type SourceRequest, type Transport, type TransportConnection } from '../core/transport.js';
import * as commands from '../tauri/commands.js';
import { fetchTransport } from './fetch.js';
import { tauriTransport } from './tauri.js';

/**
 * True inside a Tauri webview: Tauri injects `__TAURI_INTERNALS__` (with `invoke`) before any page
 * script runs.
 */
export function inTauri(): boolean {
  return tauriInvoke() !== undefined;
}

function tauriInvoke(): object | undefined {
  const invoke = (globalThis as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__?.invoke;
  return typeof invoke === 'function' ? invoke : undefined;
}

/** Asked once per IPC bridge (a page's lifetime): a plugin cannot be registered while the page runs. */
const pluginProbes = new WeakMap<object, Promise<boolean>>();

function pluginRegistered(): Promise<boolean> {
  const invoke = tauriInvoke() as object;
  let probe = pluginProbes.get(invoke);
  if (probe === undefined) pluginProbes.set(invoke, (probe = commands.registered()));
  return probe;
}

/**
 * `'auto'` inside a Tauri webview (outside one, `resolveTransport` picks `fetch` at once): the
 * `tauri` transport if the app registered the `eventsource` plugin, else `fetch`. The choice waits for one
 * `list` round trip (cached), so an option the chosen transport refuses arrives as an `error` event
 * of kind `invalid-options` instead of a throw.
 */
export const autoTransport: Transport = {
  name: 'auto',
  connect(request: SourceRequest, sink: MessageSink): TransportConnection {
    let inner: TransportConnection | undefined;
    let closed = false;
    void pluginRegistered().then((registered) => {
      if (!closed) inner = connectOrReport(registered ? tauriTransport : fetchTransport, request, sink);
    });
    return {
      close() {
        closed = true;
        inner?.close();
      },
    };
  },
};

/** Connects, turning an option the chosen transport refuses into a fatal `invalid-options`. */
function connectOrReport(transport: Transport, request: SourceRequest, sink: MessageSink): TransportConnection {
  const tauriOnly = tauriOnlyOptions(request);
  try {
    // Said in auto's terms: the app, not the caller's transport choice, is what lacks the plugin.
    if (transport === fetchTransport && tauriOnly.length > 0) {
      throw new TypeError(`${tauriOnly.join(', ')} need the eventsource plugin, which this app does not register (transport 'auto' chose fetch)`);
    }
    return transport.connect(request, sink);
  } catch (error) {
    void sink({ type: 'error', error: new SseError('invalid-options', (error as Error).message, { cause: error }) });
    void sink({ type: 'closed' });
    return { close() {} };
  }
}
