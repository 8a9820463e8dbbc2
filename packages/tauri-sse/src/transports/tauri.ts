import { SseError } from '../core/errors.js';
import { resolveHeaders } from '../core/headers.js';
import type { MessageSink, SourceMessage } from '../core/messages.js';
import { systemNetwork, type NetworkMonitor, type NetworkSignal } from '../core/network.js';
import type { HeadersSource, SourceRequest, Transport, TransportConnection } from '../core/transport.js';
import * as commands from '../tauri/commands.js';
import { lane as openLane, type Lane } from '../tauri/pipe.js';

/**
 * The `tauri` transport: the reconnect loop and the parser run in the Rust plugin `eventsource`, which
 * sends the wire protocol over a lane of the page's pipe (one IPC `Channel` for all the page's
 * connections, `tauri/pipe.ts`); this side forwards the messages to the core.
 * A `headers` function is called at connect and, as with the `fetch` transport, again before every
 * reconnect: the plugin asks for it (`headers` message) and waits for the answer (`set_headers`).
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
    const headers = typeof request.headers === 'function' ? request.headers : undefined;
    const connection = new IpcConnection(sink, headers, networkOf(request));
    connection.start(async (lane) => {
      const args = await connectArgs(request, body ?? undefined);
      // close() came while a headers function was pending: no request goes out.
      return connection.closed ? undefined : commands.connect(args, lane);
    });
    return connection;
  },
};

/**
 * A transport bound to the kept-alive connection `name` (`attach` command) instead of a new one.
 * The plugin first tells the connection's state (its last `open`, with the URL, or the pending
 * reconnect's `error`), then replays what it buffered while no page was attached. This page has no
 * headers function: a reconnect asking for fresh headers keeps the connection's current ones.
 */
export function attachTransport(name: string): Transport {
  return bound((request) => networkOf(request), (lane) => commands.attach(name, lane));
}

/**
 * A transport subscribed to the shared connection `name` (`join` command). The plugin first tells
 * the connection's state, then what comes. The connection's loop hears its opener's page, not
 * this one's network news.
 */
export function joinTransport(name: string): Transport {
  return bound(() => undefined, (lane) => commands.join(name, lane));
}

/** A transport over a plugin connection that `open` reaches (`attach`, `join`). */
function bound(
  network: (request: SourceRequest) => NetworkMonitor | undefined,
  open: (lane: commands.LaneArgs) => Promise<commands.Handshake>,
): Transport {
  return {
    name: 'tauri',
    connect(request: SourceRequest, sink: MessageSink): TransportConnection {
      const connection = new IpcConnection(sink, undefined, network(request));
      connection.start(open);
      return connection;
    },
  };
}

/** The monitor whose news the plugin's loop should hear, unless the source opted out. */
function networkOf(request: SourceRequest): NetworkMonitor | undefined {
  return request.networkAware ? systemNetwork() : undefined;
}

/**
 * The connection's IPC side: its lane of the page's pipe, its id once the command resolved,
 * whether anything is left to close, flow control — its messages are acknowledged once the core
 * has processed them (settled a backpressure promise), which is what lets the plugin send more —
 * and the answers to the plugin's `headers` questions.
 */
class IpcConnection implements TransportConnection {
  readonly #sink: MessageSink;
  /** The user's headers function, run again whenever the plugin asks before a reconnect. */
  readonly #headers: HeadersSource | undefined;
  #id: number | undefined;
  #lane: Lane | undefined;
  #opened: Promise<commands.Handshake | undefined> | undefined;
  #closed = false;
  /** The plugin ended the connection (fatal error or `closed`): there is nothing to close. */
  #ended = false;
  /** Messages processed before the id was known. */
  #processed = 0;
  /** The page's network news, forwarded to the plugin's loop once the connection has an id. */
  readonly #network: NetworkMonitor | undefined;
  #unlisten: (() => void) | undefined;

  constructor(sink: MessageSink, headers: HeadersSource | undefined, network: NetworkMonitor | undefined) {
    this.#sink = sink;
    this.#headers = headers;
    this.#network = network;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `open`, a command resolving to the plugin's handshake (undefined: it sent none, the
   * source is closed), with the messages of the lane it is given going to the sink.
   */
  start(open: (lane: commands.LaneArgs) => Promise<commands.Handshake | undefined>): void {
    const run = async () => {
      const lane = await openLane((message) => this.#receive(message));
      this.#lane = lane;
      if (this.#closed) return lane.close();
      this.#opened = open({ pipe: lane.pipe, lane: lane.lane });
      const handshake = await this.#opened;
      if (handshake === undefined) return lane.close();
      const { id, protocol } = handshake;
      this.#id = id;
      // Another version's flow control could stall without an error: refuse it (and close).
      if (protocol !== commands.PROTOCOL) throw commands.protocolMismatch(protocol);
      // close() came while the command was in flight: close now, so nothing leaks.
      if (this.#closed) return this.#closeRemote();
      // Messages may arrive before the id: the plugin waits for their acks.
      this.#ack();
      if (this.#network !== undefined && !this.#ended) this.#listen(id, this.#network);
    };
    run().catch((error: unknown) => {
      this.#fail(error instanceof SseError ? error : new SseError('unavailable', String(error), { cause: error }));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten?.();
    this.#closeRemote();
  }

  /**
   * The plugin's loop hears what the page hears: `online`/`offline` and wakes (its own wake
   * detector may not run, e.g. while the webview is suspended). Heard by this connection only.
   */
  #listen(id: number, network: NetworkMonitor): void {
    const tell = (signal: NetworkSignal) => {
      if (this.#closed || this.#ended) return this.#unlisten?.();
      // `not-found`: the connection ended meanwhile.
      void commands.network(id, signal).catch(() => undefined);
    };
    this.#unlisten = network.subscribe(tell);
    if (!network.online()) tell('offline');
  }

  /** A channel message: forwarded now, counted as processed once the core is done with it. */
  #receive(message: commands.WireMessage): void {
    const done = message.type === 'headers' ? void this.#answerHeaders() : this.#forward(message);
    const processed = () => {
      this.#processed += 1;
      this.#ack();
    };
    if (done === undefined) processed();
    else done.then(processed, processed);
  }

  #forward(message: SourceMessage): void | Promise<void> {
    if (this.#closed) return;
    if (message.type === 'closed' || (message.type === 'error' && message.reconnectIn === undefined)) {
      this.#ended = true;
      this.#unlisten?.();
    }
    // Nothing follows `closed` on this lane.
    if (message.type === 'closed') this.#lane?.close();
    return this.#sink(message);
  }

  /**
   * The plugin is about to reconnect: run the headers function again, as the fetch transport does
   * before every attempt. A throwing function is a failed attempt the plugin reports (kind
   * `headers`, retried); an invalid header fails the source, as it does at connect.
   */
  async #answerHeaders(): Promise<void> {
    // A closed source's headers function (a token fetch, say) has nobody to serve.
    if (this.#closed || this.#ended) return;
    // The question comes from a connection whose command resolved, or is resolving.
    const id = (await this.#opened?.catch(() => undefined))?.id;
    if (id === undefined) return;
    let answer: commands.HeadersAnswer = {};
    if (this.#headers !== undefined) {
      try {
        answer = { headers: [...(await resolveHeaders(this.#headers))] };
      } catch (error) {
        const failure = error as SseError;
        if (failure.kind === 'invalid-header') return this.#fail(failure);
        answer = { error: failure.message };
      }
    }
    if (this.#closed || this.#ended) return;
    // `not-found`: the connection ended meanwhile, nothing waits for the answer.
    await commands.setHeaders(id, answer).catch(() => undefined);
  }

  /** Ends the source with `error` (fatal) and closes the plugin's connection if it has one. */
  #fail(error: SseError): void {
    this.#closeRemote();
    this.#lane?.close();
    void this.#forward({ type: 'error', error });
    void this.#forward({ type: 'closed' });
  }

  /** Hands the processed messages to the pipe, which acknowledges them (once there is an id). */
  #ack(): void {
    if (this.#id === undefined || this.#closed || this.#ended || this.#processed === 0) return;
    this.#lane?.processed(this.#id, this.#processed);
    this.#processed = 0;
  }

  #closeRemote(): void {
    if (this.#id === undefined || this.#ended) return;
    this.#ended = true;
    this.#lane?.close();
    this.#unlisten?.();
    // `not-found` means the plugin already ended it; nothing else can be done about a failure here.
    void commands.close(this.#id).catch(() => undefined);
  }
}

/**
 * The `connect` arguments: the headers as they are now, options resolved by the core. A headers
 * function that throws is a failed first attempt, as with the fetch transport: the plugin's loop
 * reports it and retries by the policy, asking for fresh headers before the next attempt. An
 * invalid header fails the source.
 */
async function connectArgs(request: SourceRequest, body: string | undefined): Promise<commands.ConnectArgs> {
  const options: commands.ConnectOptions = { maxEventSize: request.maxEventSize, retry: request.retry };
  if (request.lastEventId !== '') options.lastEventId = request.lastEventId;
  if (request.idleTimeout !== undefined) options.idleTimeout = request.idleTimeout;
  if (request.keepAlive !== undefined) options.keepAlive = request.keepAlive;
  if (request.name !== undefined) options.name = request.name;
  if (request.broadcast !== undefined) options.broadcast = request.broadcast;
  if (request.shared !== undefined) options.shared = request.shared;
  if (!request.networkAware) options.networkAware = false;
  if (typeof request.headers === 'function') options.refreshHeaders = true;
  const args: commands.ConnectArgs = { url: request.url, options };
  if (request.method !== undefined) args.method = request.method;
  try {
    const headers = [...(await resolveHeaders(request.headers))];
    if (headers.length > 0) args.headers = headers;
  } catch (error) {
    const failure = error as SseError;
    if (failure.kind !== 'headers') throw failure;
    options.headersError = failure.message;
  }
  if (body !== undefined) args.body = body;
  return args;
}
