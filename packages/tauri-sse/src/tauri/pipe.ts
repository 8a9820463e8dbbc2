// The page's pipe (plugin protocol 3): one IPC channel carrying the messages of all the page's
// plugin connections, each tagged with its connection's lane. Every channel message costs the
// app's main thread a script evaluation: sharing one channel lets the plugin send what many
// connections produce while the page is behind as one message (crate `pipe.rs`). Flow control
// for all of them is one `ack` command: the channel messages received (the pipe's own
// backpressure) and, per connection, the messages its consumer has processed.
import * as commands from './commands.js';

type Receiver = (message: commands.WireMessage) => void;

/** A connection's lane: where `connect`, `attach` or `join` tell the plugin to send. */
export interface Lane {
  readonly pipe: number;
  readonly lane: number;
  /** The connection `id` processed `count` more messages. */
  processed(id: number, count: number): void;
  /** Nothing more is read on this lane. */
  close(): void;
}

class Pipe {
  readonly #receivers = new Map<number, Receiver>();
  #nextLane = 1;
  readonly #opened: Promise<number>;
  #id: number | undefined;
  #ackEvery = Infinity;
  /** Channel messages received and not yet reported. */
  #received = 0;
  /** Messages processed per connection id and not yet acknowledged. */
  readonly #processed = new Map<number, number>();

  constructor(onFailure: () => void) {
    this.#opened = commands.openPipe((batch) => this.#deliver(batch)).then(
      ({ pipe, ackEvery }) => {
        [this.#id, this.#ackEvery] = [pipe, ackEvery];
        // Messages can outrun the command's answer.
        this.#ackIfDue();
        return pipe;
      },
      (error: unknown) => {
        onFailure();
        throw error;
      },
    );
  }

  /** A new lane delivering its messages to `receive`, once the pipe is open. */
  async lane(receive: Receiver): Promise<Lane> {
    const lane = this.#nextLane++;
    this.#receivers.set(lane, receive);
    let pipe: number;
    try {
      pipe = await this.#opened;
    } catch (error) {
      this.#receivers.delete(lane);
      throw error;
    }
    let id: number | undefined;
    return {
      pipe,
      lane,
      processed: (connection, count) => {
        id = connection;
        const pending = (this.#processed.get(connection) ?? 0) + count;
        this.#processed.set(connection, pending);
        if (pending >= this.#ackEvery) this.#ack();
      },
      close: () => {
        this.#receivers.delete(lane);
        if (id !== undefined) this.#processed.delete(id);
      },
    };
  }

  #deliver(batch: [number, commands.WireMessage][]): void {
    this.#received += 1;
    // A closed lane's last messages (its `closed`, say) have nobody to hear them.
    for (const [lane, message] of batch) this.#receivers.get(lane)?.(message);
    this.#ackIfDue();
  }

  #ackIfDue(): void {
    if (this.#received >= this.#ackEvery) this.#ack();
  }

  /** Reports everything pending in one command. */
  #ack(): void {
    if (this.#id === undefined) return;
    const processed = [...this.#processed];
    const received = this.#received;
    this.#processed.clear();
    this.#received = 0;
    // `not-found`: a connection ended meanwhile (the others were acked all the same), or the
    // page is unloading; nothing waits for this ack any more.
    void commands.ack(this.#id, received, processed).catch(() => undefined);
  }
}

/**
 * The page's pipe, opened by its first plugin connection. Keyed by Tauri's IPC `invoke`, which a
 * page has one of (and which `mockIPC` replaces with each mock); a pipe that failed to open is
 * tried again by the next connection.
 */
const pipes = new WeakMap<object, Pipe>();

export function lane(receive: Receiver): Promise<Lane> {
  const internals = (globalThis as { __TAURI_INTERNALS__?: { invoke?: object } }).__TAURI_INTERNALS__;
  const key = internals?.invoke ?? pipes;
  let pipe = pipes.get(key);
  if (pipe === undefined) {
    pipe = new Pipe(() => pipes.delete(key));
    pipes.set(key, pipe);
  }
  return pipe.lane(receive);
}
