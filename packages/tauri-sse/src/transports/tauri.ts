import { SseError } from '../core/errors.js';
import { resolveHeaders } from '../core/headers.js';
import type { MessageSink, SourceMessage } from '../core/messages.js';
import type { SourceRequest, Transport, TransportConnection } from '../core/transport.js';
import * as commands from '../tauri/commands.js';

/**
 * The `tauri` transport: the reconnect loop and the parser run in the Rust plugin `sse`, which
 * sends the wire protocol over an IPC `Channel`; this side only forwards the messages to the core.
 * Because the loop runs in Rust, a `headers` function is called once, at connect: refreshing a
 * token on reconnect needs the `fetch` transport, or a new source when an `http-status` 401 arrives.
 */
export const tauriTransport: Transport = {
  name: 'tauri',
  connect(request: SourceRequest, sink: MessageSink): TransportConnection {
    if (request.fetch !== undefined) {
      throw new TypeError("tauri-sse: the tauri transport makes its requests in Rust and cannot use a `fetch` function; use transport 'fetch'");
    }
    if (request.withCredentials) {
      throw new TypeError("tauri-sse: the tauri transport makes its requests in Rust, without the webview's cookies (withCredentials); use transport 'fetch' or 'native'");
    }
    const body = request.body;
    if (body != null && typeof body !== 'string') {
      throw new TypeError(`tauri-sse: the tauri transport sends a string body only, got ${Object.prototype.toString.call(body)}; serialize it first`);
    }
    const connection = new IpcConnection(sink);
    connection.start(async (onMessage) => commands.connect(await connectArgs(request, body ?? undefined), onMessage));
    return connection;
  },
};

/**
 * A transport bound to the kept-alive connection `name` (`attach` command) instead of a new one.
 * The plugin first tells the connection's state (its last `open`, with the URL, or the pending
 * reconnect's `error`), then replays what it buffered while no page was attached.
 */
export function attachTransport(name: string): Transport {
  return {
    name: 'tauri',
    connect(_request: SourceRequest, sink: MessageSink): TransportConnection {
      const connection = new IpcConnection(sink);
      connection.start((onMessage) => commands.attach(name, onMessage));
      return connection;
    },
  };
}

/**
 * The connection's IPC side: its id once the command resolved, whether anything is left to close,
 * and flow control — the channel's messages are acknowledged once the core has processed them
 * (settled a backpressure promise), which is what lets the plugin send more.
 */
class IpcConnection implements TransportConnection {
  readonly #sink: MessageSink;
  #id: number | undefined;
  #closed = false;
  /** The plugin ended the connection (fatal error or `closed`): there is nothing to close. */
  #ended = false;
  /** Channel messages processed and not yet acknowledged. */
  #processed = 0;

  constructor(sink: MessageSink) {
    this.#sink = sink;
  }

  /** Runs `open`, a command resolving to the connection id, with the channel's messages going to the sink. */
  start(open: (onMessage: (message: SourceMessage) => void) => Promise<number>): void {
    const run = async () => {
      this.#id = await open((message) => this.#receive(message));
      // close() came while the command was in flight: close now, so nothing leaks.
      if (this.#closed) this.#closeRemote();
      // Messages may arrive before the id: the plugin waits for their acks.
      else this.#ack();
    };
    run().catch((error: unknown) => {
      const sseError = error instanceof SseError ? error : new SseError('unavailable', String(error), { cause: error });
      void this.#forward({ type: 'error', error: sseError });
      void this.#forward({ type: 'closed' });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeRemote();
  }

  /** A channel message: forwarded now, counted as processed once the core is done with it. */
  #receive(message: SourceMessage): void {
    const done = this.#forward(message);
    const processed = () => {
      this.#processed += 1;
      if (this.#processed >= commands.ACK_EVERY) this.#ack();
    };
    if (done === undefined) processed();
    else done.then(processed, processed);
  }

  #forward(message: SourceMessage): void | Promise<void> {
    if (this.#closed) return;
    if (message.type === 'closed' || (message.type === 'error' && message.reconnectIn === undefined)) this.#ended = true;
    return this.#sink(message);
  }

  #ack(): void {
    if (this.#id === undefined || this.#closed || this.#ended || this.#processed < commands.ACK_EVERY) return;
    const count = this.#processed;
    this.#processed = 0;
    // A connection that just ended answers `not-found`: nothing is waiting for this ack any more.
    void commands.ack(this.#id, count).catch(() => undefined);
  }

  #closeRemote(): void {
    if (this.#id === undefined || this.#ended) return;
    this.#ended = true;
    // `not-found` means the plugin already ended it; nothing else can be done about a failure here.
    void commands.close(this.#id).catch(() => undefined);
  }
}

/** The `connect` arguments: headers evaluated once (see above), options resolved by the core. */
async function connectArgs(request: SourceRequest, body: string | undefined): Promise<commands.ConnectArgs> {
  const options: commands.ConnectOptions = { maxEventSize: request.maxEventSize, retry: request.retry };
  if (request.lastEventId !== '') options.lastEventId = request.lastEventId;
  if (request.idleTimeout !== undefined) options.idleTimeout = request.idleTimeout;
  if (request.keepAlive !== undefined) options.keepAlive = request.keepAlive;
  if (request.name !== undefined) options.name = request.name;
  if (request.broadcast !== undefined) options.broadcast = request.broadcast;
  const args: commands.ConnectArgs = { url: request.url, options };
  if (request.method !== undefined) args.method = request.method;
  const headers = [...(await resolveHeaders(request.headers))];
  if (headers.length > 0) args.headers = headers;
  if (body !== undefined) args.body = body;
  return args;
}
