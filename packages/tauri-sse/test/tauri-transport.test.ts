import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { attach, attachSource, EventSource, join, joinSource, source, type SourceMessage, type SseErrorEvent } from '../src/index.js';
import type { WireMessage } from '../src/tauri/commands.js';
import { setSystemNetwork } from '../src/core/network.js';
import { useMachine } from './helpers/machine.js';
import { uniqueTag, useServer } from './helpers/server.js';
import { collect, until } from './helpers/wait.js';

// The IPC is mocked at the `invoke` boundary only (`mockIPC` replaces `__TAURI_INTERNALS__.invoke`):
// the package's real code loads `@tauri-apps/api/core`, builds real `Channel`s, and the fake
// plugin answers the commands and pushes wire messages through the channels' real callbacks.
// The Rust plugin behind a real webview is covered by the end-to-end tests.
(globalThis as { window?: unknown }).window = globalThis;

const server = useServer();
const URL_ = 'http://127.0.0.1:9/sse';
const DEFAULT_OPTIONS = { maxEventSize: 8 * 1024 * 1024, retry: { initialDelay: 3000, maxDelay: 30000, factor: 2, jitter: 0.2, onStatus: [] } };

type Args = Record<string, unknown>;

/** The fake plugin's flow control, announced in its handshake like the real one's. */
const WINDOW = 64;
const ACK_EVERY = 16;
type Protocol = { protocol: number; window: number; ackEvery: number };
/** What the plugin's `open_pipe` resolves to. */
const protocol = (fields: Partial<Protocol> = {}): Protocol => ({ protocol: 3, window: WINDOW, ackEvery: ACK_EVERY, ...fields });
/** What the plugin's `connect`, `attach` and `join` resolve to. */
const handshake = (id: number, fields: Partial<Protocol> = {}) => ({ id, ...protocol(fields) });
type Handler = (args: Args) => unknown;

/** A connection's lane of the page's pipe, as the plugin sends to it. */
interface LaneOf {
  pipe: Channel<[number, WireMessage][]>;
  lane: number;
}

/** The `eventsource` plugin as the webview sees it: commands in, channel messages out. */
class FakePlugin {
  readonly calls: { command: string; args: Args }[] = [];
  readonly lanes: LaneOf[] = [];
  readonly #handlers: Record<string, Handler>;
  #pipe: Channel<[number, WireMessage][]> | undefined;
  #index = 0;
  #nextId = 1;

  /** `bareIds`: answer connect/attach ids as they are, like a protocol 1 plugin. */
  constructor(handlers: Record<string, Handler> = {}, { bareIds = false } = {}) {
    this.#handlers = {
      open_pipe: () => protocol(),
      connect: () => this.#nextId++,
      attach: () => this.#nextId++,
      close: () => null,
      list: () => [],
      ...handlers,
    };
    mockIPC((cmd, payload) => {
      const command = cmd.replace(/^plugin:eventsource\|/, '');
      const args = (payload ?? {}) as Args;
      this.calls.push({ command, args });
      if (args.onMessage instanceof Channel) this.#pipe = args.onMessage as Channel<[number, WireMessage][]>;
      if (typeof args.lane === 'number') {
        assert.equal(args.pipe, this.#pipe?.id, 'a lane of the open pipe');
        this.lanes.push({ pipe: this.#pipe as Channel<[number, WireMessage][]>, lane: args.lane });
      }
      const handler = this.#handlers[command];
      if (handler === undefined) throw new Error(`unexpected command ${cmd}`);
      const answer = handler(args);
      // A handler of connect/attach/join answering an id stands for the current protocol's handshake.
      if (bareIds || !['connect', 'attach', 'join'].includes(command)) return answer;
      return Promise.resolve(answer).then((id) => (typeof id === 'number' ? handshake(id) : id));
    });
  }

  args(command: string): Args[] {
    return this.calls.filter((call) => call.command === command).map((call) => call.args);
  }

  /** The lane of the n-th connect/attach/join, once the package has sent it. */
  async channel(n = 0): Promise<LaneOf> {
    await until(() => this.lanes.length > n, 2000, 'the connect/attach command');
    return this.lanes[n] as LaneOf;
  }

  /**
   * Sends wire messages to a lane the way the plugin and Tauri do: `{ index, message }` to the
   * pipe channel's callback, each message a channel message of its own.
   */
  send(to: LaneOf, ...messages: WireMessage[]): void {
    for (const message of messages) this.batch([[to, message]]);
  }

  /** Sends one channel message carrying `messages` of any lanes. */
  batch(messages: [LaneOf, WireMessage][]): void {
    const internals = (globalThis as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } }).__TAURI_INTERNALS__;
    const [first] = messages;
    if (first === undefined) return;
    const batch = messages.map(([to, message]) => [to.lane, message]);
    internals.runCallback(first[0].pipe.id, { index: this.#index++, message: batch });
  }
}

/** What a view saw, as comparable strings: type, readyState, and the fields users read. */
function trace(target: EventSource): string[] {
  const seen: string[] = [];
  const record = (event: Event) => {
    if (event.type === 'error') {
      const { error, reconnectIn } = event as SseErrorEvent;
      seen.push(`error ${error.kind} status=${error.status} reconnect=${reconnectIn !== undefined} state=${target.readyState}`);
    } else if (event instanceof MessageEvent) {
      seen.push(`${event.type} ${event.data} id=${event.lastEventId} origin=${event.origin} state=${target.readyState}`);
    } else {
      seen.push(`${event.type} state=${target.readyState}`);
    }
  };
  for (const type of ['open', 'message', 'error', 'tick']) target.addEventListener(type, record);
  return seen;
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

describe('tauri transport', () => {
  afterEach(() => clearMocks());

  it('sends connect with headers as [name, value] pairs, options in camelCase and the string body', async () => {
    const plugin = new FakePlugin();
    const es = new EventSource(URL_, {
      transport: 'tauri',
      method: 'POST',
      headers: { Authorization: 'Bearer t', 'X-Trace': '1' },
      body: '{"q":1}',
      retry: { initialDelay: 500, maxAttempts: 3, onStatus: [503] },
      idleTimeout: 20000,
      lastEventId: 'abc',
      maxEventSize: 4096,
      keepAlive: true,
      name: 'feed',
      broadcast: true,
    });
    const channel = await plugin.channel();
    const { pipe, lane, ...args } = plugin.args('connect')[0] ?? {};
    assert.deepEqual([pipe, lane], [channel.pipe.id, channel.lane]);
    assert.deepEqual(plugin.args('open_pipe'), [{ onMessage: channel.pipe }]);
    assert.deepEqual(args, {
      url: URL_,
      method: 'POST',
      headers: [['authorization', 'Bearer t'], ['x-trace', '1']],
      body: '{"q":1}',
      options: {
        maxEventSize: 4096,
        lastEventId: 'abc',
        retry: { initialDelay: 500, maxDelay: 30000, factor: 2, jitter: 0.2, maxAttempts: 3, onStatus: [503] },
        idleTimeout: 20000,
        keepAlive: true,
        name: 'feed',
        broadcast: true,
      },
    });
    es.close();
  });

  it('sends only the url and the resolved defaults for a plain GET', async () => {
    const plugin = new FakePlugin();
    const es = new EventSource(URL_, { transport: 'tauri' });
    await plugin.channel();
    const { pipe: _pipe, lane: _lane, ...args } = plugin.args('connect')[0] ?? {};
    assert.deepEqual(args, { url: URL_, options: DEFAULT_OPTIONS });
    es.close();
  });

  it('runs a headers function again when the plugin asks before a reconnect, answering set_headers', async () => {
    const plugin = new FakePlugin({ connect: () => 4, set_headers: () => null });
    let calls = 0;
    const es = new EventSource(URL_, { transport: 'tauri', headers: async () => ({ authorization: `Bearer ${++calls}` }) });
    const seen = trace(es);
    const channel = await plugin.channel();
    assert.deepEqual(plugin.args('connect')[0]?.headers, [['authorization', 'Bearer 1']]);
    assert.equal((plugin.args('connect')[0]?.options as { refreshHeaders?: boolean }).refreshHeaders, true);
    plugin.send(
      channel,
      { type: 'open', status: 200, url: URL_, headers: {} },
      { type: 'error', error: { kind: 'network', message: 'reset' }, reconnectIn: 10 },
      { type: 'headers' },
    );
    await until(() => plugin.args('set_headers').length === 1, 2000, 'set_headers');
    assert.deepEqual(plugin.args('set_headers'), [{ id: 4, headers: [['authorization', 'Bearer 2']] }]);
    plugin.send(channel, { type: 'headers' });
    await until(() => plugin.args('set_headers').length === 2, 2000, 'the second set_headers');
    assert.deepEqual(plugin.args('set_headers')[1], { id: 4, headers: [['authorization', 'Bearer 3']] });
    // the question is the transport's business: the page's listeners never see it
    assert.deepEqual(seen, ['open state=1', 'error network status=undefined reconnect=true state=0']);
    es.close();
  });

  it('answers set_headers {error} when the headers function throws on a reconnect; plain headers ask for nothing', async () => {
    const plugin = new FakePlugin({ connect: () => 2, set_headers: () => null });
    let calls = 0;
    const es = new EventSource(URL_, {
      transport: 'tauri',
      headers: () => {
        if (++calls > 1) throw new Error('token expired');
        return { authorization: 'Bearer 1' };
      },
    });
    plugin.send(await plugin.channel(), { type: 'headers' });
    await until(() => plugin.args('set_headers').length === 1, 2000, 'set_headers');
    assert.deepEqual(plugin.args('set_headers'), [{ id: 2, error: 'the headers function threw: token expired' }]);
    es.close();

    const fixed = new EventSource(URL_, { transport: 'tauri', headers: { authorization: 'Bearer 1' } });
    await plugin.channel(1);
    assert.equal((plugin.args('connect')[1]?.options as { refreshHeaders?: boolean }).refreshHeaders, undefined);
    fixed.close();
  });

  it('fails the source with invalid-header when the refreshed headers are invalid, closing the connection', async () => {
    const plugin = new FakePlugin({ connect: () => 3, set_headers: () => null });
    let calls = 0;
    const es = new EventSource(URL_, { transport: 'tauri', headers: () => ({ 'x-token': ++calls > 1 ? 'a\r\nb' : 'ok' }) });
    plugin.send(await plugin.channel(), { type: 'headers' });
    const event = (await collect<SseErrorEvent>(es, 'error', 1))[0];
    assert.equal(event?.error.kind, 'invalid-header');
    assert.equal(event?.reconnectIn, undefined);
    assert.equal(es.readyState, EventSource.CLOSED);
    await until(() => plugin.args('close').length > 0, 2000, 'close {id: 3}');
    assert.deepEqual(plugin.args('close'), [{ id: 3 }]);
    assert.deepEqual(plugin.args('set_headers'), []);
  });

  it('answers an attached connection\'s question with set_headers {id} (no function: keep the headers)', async () => {
    const plugin = new FakePlugin({ attach: () => 6, set_headers: () => null });
    const es = attach('feed');
    plugin.send(await plugin.channel(), { type: 'headers' });
    await until(() => plugin.args('set_headers').length === 1, 2000, 'set_headers');
    assert.deepEqual(plugin.args('set_headers'), [{ id: 6 }]);
    es.close();
  });

  it('drives EventSource exactly like the fetch transport given the same stream', async () => {
    // The fetch transport against the bundled server: two events, end of stream, reconnect with
    // Last-Event-ID 2, then 204 (the spec's "stop"): the source fails.
    const url = `${server().url}/sse?count=2&ids=1&tag=${uniqueTag()}`;
    const retry = { initialDelay: 10, jitter: 0 };
    const viaFetch = new EventSource(url, { retry });
    const fetchTrace = trace(viaFetch);
    await until(() => viaFetch.readyState === EventSource.CLOSED, 5000, 'the fetch source to fail');

    // The same stream as the Rust plugin reports it.
    const plugin = new FakePlugin();
    const viaTauri = new EventSource(url, { transport: 'tauri', retry });
    const tauriTrace = trace(viaTauri);
    const data = fetchTrace.filter((line) => line.startsWith('message ')).map((line) => line.split(' ')[1] ?? '');
    plugin.send(
      await plugin.channel(),
      { type: 'open', status: 200, url, headers: { 'content-type': 'text/event-stream' } },
      { type: 'events', events: data.map((d, i) => ({ data: d, id: String(i + 1) })) },
      { type: 'error', error: { kind: 'network', message: 'the server ended the stream' }, reconnectIn: 10 },
      { type: 'error', error: { kind: 'http-status', message: 'HTTP 204', status: 204 } },
      { type: 'closed' },
    );
    assert.equal(data.length, 2);
    assert.deepEqual(tauriTrace, fetchTrace);
    assert.equal(viaTauri.lastEventId, '2');
    // The plugin ended the connection itself: nothing to close.
    viaTauri.close();
    await flush();
    assert.deepEqual(plugin.args('close'), []);
  });

  it('dispatches every event of one batch, in order, with the last event ID carried over', async () => {
    const plugin = new FakePlugin();
    const es = new EventSource(URL_, { transport: 'tauri' });
    const seen = trace(es);
    plugin.send(
      await plugin.channel(),
      { type: 'open', status: 200, url: 'http://127.0.0.1:9/redirected', headers: {} },
      {
        type: 'events',
        events: [{ data: 'a' }, { data: 'b', id: '7' }, { event: 'tick', data: 'c', id: '7' }, { data: 'd', id: '' }],
      },
    );
    assert.deepEqual(seen, [
      'open state=1',
      'message a id= origin=http://127.0.0.1:9 state=1',
      'message b id=7 origin=http://127.0.0.1:9 state=1',
      'tick c id=7 origin=http://127.0.0.1:9 state=1',
      'message d id= origin=http://127.0.0.1:9 state=1',
    ]);
    es.close();
  });

  it('close() invokes close {id} once and delivers nothing afterwards', async () => {
    const plugin = new FakePlugin({ connect: () => 42 });
    const es = new EventSource(URL_, { transport: 'tauri' });
    const seen = trace(es);
    const channel = await plugin.channel();
    await flush();
    es.close();
    es.close();
    plugin.send(channel, { type: 'open', status: 200, url: URL_, headers: {} }, { type: 'events', events: [{ data: 'late' }] });
    await flush();
    assert.deepEqual(plugin.args('close'), [{ id: 42 }]);
    assert.deepEqual(seen, []);
  });

  it('close() before connect resolved closes the connection as soon as its id arrives', async () => {
    let resolve!: (id: number) => void;
    const plugin = new FakePlugin({ connect: () => new Promise<number>((r) => (resolve = r)) });
    const es = new EventSource(URL_, { transport: 'tauri' });
    await plugin.channel();
    es.close();
    await flush();
    assert.deepEqual(plugin.args('close'), []);
    resolve(9);
    await until(() => plugin.args('close').length > 0, 2000, 'close {id: 9}');
    assert.deepEqual(plugin.args('close'), [{ id: 9 }]);
  });

  it('close() right after construction sends no request at all', async () => {
    const plugin = new FakePlugin({ connect: () => 5 });
    new EventSource(URL_, { transport: 'tauri' }).close();
    await flush();
    // The page's pipe may open; no connection is asked for.
    assert.deepEqual(plugin.calls.map((call) => call.command).filter((command) => command !== 'open_pipe'), []);
  });

  it('close() while a headers function is pending sends no request', async () => {
    const plugin = new FakePlugin({ connect: () => 5 });
    let release!: (headers: HeadersInit) => void;
    const es = new EventSource(URL_, { transport: 'tauri', headers: () => new Promise((r) => (release = r)) });
    await until(() => release !== undefined, 2000, 'the headers function to be called');
    es.close();
    release({ authorization: 'Bearer t' });
    await flush();
    assert.deepEqual(plugin.calls.map((call) => call.command).filter((command) => command !== 'open_pipe'), []);
  });

  it('close() while connect is in flight closes the connection once its id is known', async () => {
    let resolveConnect!: (id: number) => void;
    const plugin = new FakePlugin({ connect: () => new Promise<number>((r) => (resolveConnect = r)) });
    const es = new EventSource(URL_, { transport: 'tauri' });
    await plugin.channel();
    es.close();
    resolveConnect(5);
    await until(() => plugin.args('close').length > 0, 2000, 'close {id: 5}');
    assert.deepEqual(plugin.args('close'), [{ id: 5 }]);
  });

  it('a rejected connect fails the source with the plugin\'s kind and message', async () => {
    const message = 'http://example.com/ is not allowed by the eventsource scope: add {"identifier":"eventsource:default", …}';
    const plugin = new FakePlugin({ connect: () => Promise.reject({ kind: 'scope', message }) });
    const es = new EventSource('http://example.com/', { transport: 'tauri' });
    const event = (await collect<SseErrorEvent>(es, 'error', 1))[0];
    assert.equal(event?.error.kind, 'scope');
    assert.equal(event?.message, message);
    assert.equal(event?.reconnectIn, undefined);
    assert.equal(es.readyState, EventSource.CLOSED);
    await flush();
    assert.deepEqual(plugin.args('close'), []);
  });

  it('reports Tauri\'s plain-string refusal (command not granted) as kind unavailable, with its text', async () => {
    const acl = 'eventsource.connect not allowed. Permissions associated with this command: eventsource:allow-connect, eventsource:default';
    new FakePlugin({ connect: () => Promise.reject(acl) });
    const stream = source(URL_, { transport: 'tauri' });
    await assert.rejects(stream.next(), (error: Error & { kind?: string }) => error.kind === 'unavailable' && error.message.includes(acl));
  });

  it('a headers function that throws at connect is a failed first attempt the plugin retries, not a failure', async () => {
    const plugin = new FakePlugin();
    const es = new EventSource(URL_, { transport: 'tauri', headers: () => { throw new Error('no token'); } });
    await plugin.channel();
    const [args] = plugin.args('connect');
    const options = args?.options as Record<string, unknown>;
    assert.equal(options.refreshHeaders, true);
    assert.match(String(options.headersError), /no token/);
    assert.equal(args?.headers, undefined);
    // The plugin's loop reports the failed attempt and reconnects (tests/refresh_headers.rs).
    assert.equal(es.readyState, EventSource.CONNECTING);
    es.close();
  });
});

describe('flow control (ack)', () => {
  afterEach(() => clearMocks());
  const event = (n: number): SourceMessage => ({ type: 'events', events: [{ data: String(n) }] });
  const open: SourceMessage = { type: 'open', status: 200, url: URL_, headers: {} };

  it('acks every ACK_EVERY channel messages received and processed messages, the early ones once the id is known', async () => {
    assert.ok(ACK_EVERY >= 1 && ACK_EVERY <= WINDOW);
    let resolveConnect!: (id: number) => void;
    const plugin = new FakePlugin({ connect: () => new Promise<number>((r) => (resolveConnect = r)), ack: () => null });
    const es = new EventSource(URL_, { transport: 'tauri' });
    const channel = await plugin.channel();
    const pipe = channel.pipe.id;
    // Messages can outrun the command's answer: receipt is reported at once, processing once
    // there is an id.
    plugin.send(channel, open, ...Array.from({ length: ACK_EVERY + 2 }, (_, n) => event(n)));
    await flush();
    assert.deepEqual(plugin.args('ack'), [{ pipe, received: ACK_EVERY, processed: [] }]);
    resolveConnect(7);
    await until(() => plugin.args('ack').length === 2, 2000, 'the ack of the processed messages');
    assert.deepEqual(plugin.args('ack')[1], { pipe, received: 3, processed: [[7, ACK_EVERY + 3]] });

    plugin.send(channel, ...Array.from({ length: 2 * ACK_EVERY - 1 }, (_, n) => event(n)));
    await flush();
    const every = { pipe, received: ACK_EVERY, processed: [[7, ACK_EVERY]] };
    assert.deepEqual(plugin.args('ack').slice(2), [every], 'one per ACK_EVERY, the rest kept');
    plugin.send(channel, event(0));
    await flush();
    assert.deepEqual(plugin.args('ack').slice(2), [every, every]);
    es.close();
  });

  it("delivers one channel message's messages to each lane's source and acks them all in one command", async () => {
    const plugin = new FakePlugin({ ack: () => null });
    const [a, b] = [new EventSource(URL_, { transport: 'tauri' }), new EventSource(URL_, { transport: 'tauri' })];
    const [seenA, seenB] = [trace(a), trace(b)];
    const [laneA, laneB] = [await plugin.channel(0), await plugin.channel(1)];
    assert.equal(laneA.pipe, laneB.pipe, 'one pipe per page');
    await until(() => plugin.args('connect').length === 2, 2000, 'both connects');
    await flush();
    const messages: [LaneOf, WireMessage][] = [[laneA, open], [laneB, open]];
    for (let n = 0; n < ACK_EVERY - 1; n++) messages.push([laneA, event(n)], [laneB, event(100 + n)]);
    plugin.batch(messages);
    await flush();
    assert.equal(seenA.length, ACK_EVERY);
    assert.equal(seenB.length, ACK_EVERY);
    assert.deepEqual([seenA[1], seenB[1]], [`message 0 id= origin=http://127.0.0.1:9 state=1`, `message 100 id= origin=http://127.0.0.1:9 state=1`]);
    // a's 16th message makes the ack due; it carries what b processed so far, b's last waits.
    assert.deepEqual(plugin.args('ack'), [{ pipe: laneA.pipe.id, received: 1, processed: [[1, ACK_EVERY], [2, ACK_EVERY - 1]] }]);
    a.close();
    b.close();
  });

  it("acks a message only once a slow for-await consumer has taken it (the sink's promise settled)", async () => {
    const highWaterMark = 4;
    const plugin = new FakePlugin({ connect: () => 1, ack: () => null });
    const stream = source(URL_, { transport: 'tauri', highWaterMark });
    const channel = await plugin.channel();
    await flush();
    const acked = () => plugin.args('ack').flatMap((ack) => ack.processed as [number, number][]).reduce((sum, [, count]) => sum + count, 0);
    // open + 20 events: the queue passes its high-water mark at the 4th event. Receipt of the
    // first 16 is reported; of the processed, at most what the queue took before its mark.
    plugin.send(channel, open, ...Array.from({ length: 20 }, (_, n) => event(n)));
    await flush();
    assert.equal(plugin.args('ack')[0]?.received, ACK_EVERY);
    assert.ok(acked() <= 1 + highWaterMark, `${acked()} acked while the consumer is behind`);
    const got: string[] = [];
    for (let n = 0; n < 20 - highWaterMark; n++) {
      got.push((await stream.next()).value.data);
      await flush();
      assert.ok(acked() <= 1 + highWaterMark + got.length, `${acked()} acked, ${got.length} taken`);
    }
    for (let n = 0; n < highWaterMark; n++) got.push((await stream.next()).value.data);
    await until(() => acked() >= ACK_EVERY, 2000, 'the ack after the queue drained');
    assert.ok(acked() <= 21);
    assert.deepEqual(got, Array.from({ length: 20 }, (_, n) => String(n)));
    stream.close();
  });

  it('ignores a failed ack (the connection ended meanwhile)', async () => {
    const plugin = new FakePlugin({ ack: () => Promise.reject({ kind: 'not-found', message: 'no such connection: 1' }) });
    const es = new EventSource(URL_, { transport: 'tauri' });
    const seen = trace(es);
    const channel = await plugin.channel();
    await flush();
    plugin.send(channel, open, ...Array.from({ length: ACK_EVERY }, (_, n) => event(n)));
    await until(() => plugin.args('ack').length === 1, 2000, 'the ack');
    await flush();
    assert.equal(seen.length, ACK_EVERY + 1);
    assert.ok(!seen.some((line) => line.startsWith('error')), seen.join('\n'));
    es.close();
  });
});

describe('protocol handshake', () => {
  afterEach(() => clearMocks());
  const event = (n: number): SourceMessage => ({ type: 'events', events: [{ data: String(n) }] });

  it("acks at the plugin's announced interval, not a built-in one", async () => {
    const announced = { window: 8, ackEvery: 2 };
    const plugin = new FakePlugin({ open_pipe: () => protocol(announced), connect: () => handshake(4, announced), ack: () => null });
    const es = new EventSource(URL_, { transport: 'tauri' });
    const channel = await plugin.channel();
    await flush();
    plugin.send(channel, { type: 'open', status: 200, url: URL_, headers: {} }, event(1), event(2), event(3));
    await until(() => plugin.args('ack').length === 2, 2000, 'two acks');
    const pipe = channel.pipe.id;
    assert.deepEqual(plugin.args('ack'), [{ pipe, received: 2, processed: [[4, 2]] }, { pipe, received: 2, processed: [[4, 2]] }]);
    es.close();
  });

  /** What a source of `plugin` reports, once closed. */
  async function refusal(plugin: FakePlugin): Promise<string> {
    const es = new EventSource(URL_, { transport: 'tauri' });
    const seen = trace(es);
    const errors: string[] = [];
    es.addEventListener('error', (event) => errors.push((event as SseErrorEvent).error.message));
    await until(() => es.readyState === EventSource.CLOSED, 2000, 'the source to close');
    assert.deepEqual(seen, [`error unavailable status=undefined reconnect=false state=2`]);
    return errors[0] ?? '';
  }

  // A protocol 2 plugin has no `open_pipe`: Tauri's ACL refuses it as an unknown command.
  const older = () => Promise.reject('eventsource.open_pipe not allowed. Command not found');
  for (const [openPipe, version] of [[() => protocol({ protocol: 4 }), 4], [older, 2]] as const) {
    it(`refuses a plugin speaking protocol ${version} as unavailable, naming both versions, before any connection`, async () => {
      const plugin = new FakePlugin({ open_pipe: openPipe });
      assert.match(await refusal(plugin), new RegExp(`plugin speaks protocol ${version}, this tauri-sse package protocol 3`));
      assert.deepEqual(plugin.args('connect'), []);
    });
  }

  for (const [answer, version] of [[handshake(5, { protocol: 4 }), 4], [5, 1]] as const) {
    it(`refuses a connection whose handshake says protocol ${version}, and closes it`, async () => {
      const plugin = new FakePlugin({ connect: () => answer }, { bareIds: true });
      assert.match(await refusal(plugin), new RegExp(`plugin speaks protocol ${version}, this tauri-sse package protocol 3`));
      await until(() => plugin.args('close').length === 1, 2000, 'close');
      assert.deepEqual(plugin.args('close'), [{ id: 5 }]);
    });
  }

  it('a source whose connection another connect or attach took ends with kind replaced', async () => {
    const plugin = new FakePlugin();
    const es = attach('feed');
    const seen = trace(es);
    const channel = await plugin.channel();
    await flush();
    const message = 'connection `feed` was taken over by another connect or attach';
    plugin.send(channel, { type: 'error', error: { kind: 'replaced', message } }, { type: 'closed' });
    await until(() => es.readyState === EventSource.CLOSED, 2000, 'the source to close');
    assert.deepEqual(seen, ['error replaced status=undefined reconnect=false state=2']);
  });
});

describe('network forwarding', () => {
  afterEach(() => {
    clearMocks();
    setSystemNetwork(undefined);
  });

  it("forwards the page's online, offline and wake to its own connection, and nothing once closed", async () => {
    const machine = useMachine();
    const plugin = new FakePlugin({ connect: () => 7, network: () => null });
    const es = new EventSource(URL_, { transport: 'tauri' });
    await plugin.channel();
    await flush();
    machine.say('offline');
    machine.say('online');
    machine.say('wake');
    await until(() => plugin.args('network').length === 3, 2000, 'three network commands');
    assert.deepEqual(plugin.args('network'), [
      { id: 7, signal: 'offline' },
      { id: 7, signal: 'online' },
      { id: 7, signal: 'wake' },
    ]);
    es.close();
    machine.say('wake');
    await flush();
    assert.equal(plugin.args('network').length, 3);
  });

  it('tells the plugin at once when the page is offline as the connection opens', async () => {
    const machine = useMachine();
    machine.set(false);
    const plugin = new FakePlugin({ connect: () => 8, network: () => null });
    const es = new EventSource(URL_, { transport: 'tauri' });
    await until(() => plugin.args('network').length === 1, 2000, 'the network command');
    assert.deepEqual(plugin.args('network'), [{ id: 8, signal: 'offline' }]);
    es.close();
  });

  it('networkAware: false reaches the plugin and forwards nothing', async () => {
    const machine = useMachine();
    const plugin = new FakePlugin({ connect: () => 9, network: () => null });
    const es = new EventSource(URL_, { transport: 'tauri', networkAware: false });
    await plugin.channel();
    await flush();
    machine.say('wake');
    await flush();
    assert.equal((plugin.args('connect')[0]?.options as { networkAware?: boolean }).networkAware, false);
    assert.deepEqual(plugin.args('network'), []);
    es.close();
  });
});

describe('join (shared connections)', () => {
  afterEach(() => {
    clearMocks();
    setSystemNetwork(undefined);
  });

  it('sends shared with the name on connect', async () => {
    const plugin = new FakePlugin();
    const es = new EventSource(URL_, { transport: 'tauri', name: 'feed', shared: true });
    await plugin.channel();
    assert.deepEqual(plugin.args('connect')[0]?.options, { ...DEFAULT_OPTIONS, name: 'feed', shared: true });
    es.close();
  });

  it("joins by name, starts from the plugin's state, reports an overflow without closing, leaves with close {id}", async () => {
    const machine = useMachine();
    const plugin = new FakePlugin({ join: () => 5, network: () => null });
    const es = join('feed');
    const seen = trace(es);
    const channel = await plugin.channel();
    assert.equal(plugin.args('join')[0]?.name, 'feed');
    await flush();
    plugin.send(
      channel,
      { type: 'open', status: 200, url: 'http://127.0.0.1:9/feed', headers: {} },
      { type: 'events', events: [{ data: 'a', id: '1' }] },
      { type: 'overflow', dropped: 2 },
      { type: 'events', events: [{ data: 'd', id: '4' }] },
    );
    // the shared connection's loop hears its opener's page, not a joiner's
    machine.say('wake');
    await flush();
    assert.deepEqual(seen, [
      'open state=1',
      'message a id=1 origin=http://127.0.0.1:9 state=1',
      'error buffer-overflow status=undefined reconnect=false state=1',
      'message d id=4 origin=http://127.0.0.1:9 state=1',
    ]);
    assert.deepEqual(plugin.args('network'), []);
    es.close();
    await until(() => plugin.args('close').length > 0, 2000, 'close {id: 5}');
    assert.deepEqual(plugin.args('close'), [{ id: 5 }]);
  });

  it("fails with the plugin's kind when the window's scope does not allow the connection", async () => {
    new FakePlugin({ join: () => Promise.reject({ kind: 'scope', message: 'url not allowed by the scope' }) });
    const stream = joinSource('feed');
    await assert.rejects(stream.next(), (error: unknown) => (error as { kind?: string }).kind === 'scope');
  });
});

describe('attach', () => {
  afterEach(() => clearMocks());

  it("starts from the plugin's state (open, with the URL), replays the buffer, reports the overflow without closing, then goes live", async () => {
    const streamUrl = 'http://127.0.0.1:9/feed';
    let resolveAttach!: (id: number) => void;
    const plugin = new FakePlugin({ attach: () => new Promise<number>((r) => (resolveAttach = r)) });
    const es = attach('feed');
    const seen = trace(es);
    const channel = await plugin.channel();
    assert.deepEqual(plugin.args('attach')[0]?.name, 'feed');
    // The plugin sends the state and the replay before the command resolves.
    plugin.send(
      channel,
      { type: 'open', status: 200, url: streamUrl, headers: { 'content-type': 'text/event-stream' } },
      { type: 'events', events: [{ data: 'buffered-1', id: '11' }, { data: 'buffered-2', id: '12' }] },
      { type: 'overflow', dropped: 4 },
    );
    resolveAttach(3);
    await flush();
    plugin.send(channel, { type: 'events', events: [{ data: 'live', id: '13' }] });
    assert.deepEqual(seen, [
      'open state=1',
      'message buffered-1 id=11 origin=http://127.0.0.1:9 state=1',
      'message buffered-2 id=12 origin=http://127.0.0.1:9 state=1',
      'error buffer-overflow status=undefined reconnect=false state=1',
      'message live id=13 origin=http://127.0.0.1:9 state=1',
    ]);
    assert.equal(es.url, 'sse:feed');
    assert.deepEqual(plugin.args('list'), [], 'attach needs no list lookup');
    es.close();
    await until(() => plugin.args('close').length > 0, 2000, 'close {id: 3}');
    assert.deepEqual(plugin.args('close'), [{ id: 3 }]);
  });

  it('stays CONNECTING when the plugin reports a pending reconnect, and opens when the connection does', async () => {
    const plugin = new FakePlugin({ attach: () => 5 });
    const es = attach('feed');
    const seen = trace(es);
    const channel = await plugin.channel();
    plugin.send(channel, { type: 'error', error: { kind: 'network', message: 'the server ended the stream' }, reconnectIn: 1500 });
    await flush();
    assert.deepEqual(seen, ['error network status=undefined reconnect=true state=0']);
    assert.equal(es.readyState, EventSource.CONNECTING, 'an attached source must not claim OPEN while Rust reconnects');
    plugin.send(
      channel,
      { type: 'open', status: 200, url: 'http://127.0.0.1:9/feed', headers: {} },
      { type: 'events', events: [{ data: 'after', id: '7' }] },
    );
    assert.deepEqual(seen.slice(1), ['open state=1', 'message after id=7 origin=http://127.0.0.1:9 state=1']);
    es.close();
  });

  it('fails with kind not-found when there is no such connection', async () => {
    const plugin = new FakePlugin({ attach: () => Promise.reject({ kind: 'not-found', message: 'no such connection: nope' }) });
    const es = attach('nope');
    const event = (await collect<SseErrorEvent>(es, 'error', 1))[0];
    assert.equal(event?.error.kind, 'not-found');
    assert.equal(es.readyState, EventSource.CLOSED);
    assert.deepEqual(plugin.args('close'), []);
  });

  it('attachSource() iterates the replay and the live events', async () => {
    const plugin = new FakePlugin({ attach: () => 1 });
    const stream = attachSource('feed', { terminator: '[DONE]' });
    const channel = await plugin.channel();
    await flush();
    plugin.send(channel, { type: 'events', events: [{ data: 'x' }, { data: 'y' }, { data: '[DONE]' }] });
    const got: string[] = [];
    for await (const event of stream) got.push(event.data);
    assert.deepEqual(got, ['x', 'y']);
    await until(() => plugin.args('close').length > 0, 2000, 'close {id: 1}');
  });
});

describe("transport 'auto'", () => {
  afterEach(() => clearMocks());

  it('uses the plugin inside a Tauri webview', async () => {
    const plugin = new FakePlugin();
    const es = new EventSource(URL_, { transport: 'auto', keepAlive: true, name: 'a' });
    await plugin.channel();
    assert.equal(plugin.args('connect')[0]?.url, URL_);
    es.close();
  });

  it('falls back to fetch inside a Tauri webview whose app does not register the plugin', async () => {
    // What Tauri answers for a command of an unregistered plugin (tauri 2 ipc/authority.rs).
    const plugin = new FakePlugin({
      list: () => {
        throw 'eventsource.list not allowed. Plugin not found';
      },
    });
    const es = new EventSource(`${server().url}/sse?count=1`, { transport: 'auto' });
    const [event] = await collect(es, 'message', 1);
    assert.match(String(event?.data), /"n":1/);
    assert.deepEqual(plugin.args('connect'), [], 'no connect through the missing plugin');
    es.close();
  });

  it('keeps the plugin when only the capability refuses it, so its error surfaces', async () => {
    const plugin = new FakePlugin({
      list: () => {
        throw 'eventsource.list not allowed on window "main", webview "main", URL: local';
      },
      connect: () => {
        throw 'eventsource.connect not allowed on window "main", webview "main", URL: local';
      },
    });
    const es = new EventSource(URL_, { transport: 'auto' });
    const [error] = await collect<SseErrorEvent>(es, 'error', 1);
    assert.equal(error?.error.kind, 'unavailable');
    assert.match(String(error?.message), /eventsource\.connect not allowed/);
    assert.equal(plugin.args('connect').length, 1);
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  it('reports tauri-only options as invalid-options when it had to fall back to fetch', async () => {
    new FakePlugin({
      list: () => {
        throw 'plugin eventsource not found';
      },
    });
    const es = new EventSource(URL_, { transport: 'auto', keepAlive: true, name: 'feed' });
    const [error] = await collect<SseErrorEvent>(es, 'error', 1);
    assert.equal(error?.error.kind, 'invalid-options');
    assert.match(String(error?.message), /keepAlive, name need the eventsource plugin/);
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  it('uses fetch elsewhere', async () => {
    clearMocks();
    const es = new EventSource(`${server().url}/sse?count=1`, { transport: 'auto' });
    const [event] = await collect(es, 'message', 1);
    assert.match(String(event?.data), /"n":1/);
    es.close();
  });
});

describe('options per transport', () => {
  for (const [option, value] of [['fetch', fetch], ['withCredentials', true], ['body', new Blob(['x'])]] as const) {
    it(`tauri refuses ${option} with a TypeError`, () => {
      assert.throws(
        () => new EventSource(URL_, { transport: 'tauri', [option]: value }),
        (error: unknown) => error instanceof TypeError && /tauri transport/.test(error.message),
      );
    });
  }

  for (const transport of ['fetch', 'native'] as const) {
    for (const [option, value] of [['keepAlive', true], ['name', 'feed'], ['broadcast', true], ['shared', true]] as const) {
      it(`${transport} refuses the tauri-only ${option} with a TypeError naming it`, () => {
        assert.throws(
          () => source(URL_, { transport, [option]: value }),
          (error: unknown) => error instanceof TypeError && error.message.includes(option) && error.message.includes("'tauri'"),
        );
      });
    }
  }
});
