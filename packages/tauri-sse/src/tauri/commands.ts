// Typed bindings for the `eventsource` plugin's commands (docs/architecture.md "Plugin commands").
// `@tauri-apps/api` is an optional peer dependency: it is imported here only, lazily, so apps
// that never use the tauri transport neither load nor need it.
import type { Channel } from '@tauri-apps/api/core';
import { SseError, type WireError } from '../core/errors.js';
import type { SourceMessage } from '../core/messages.js';
import type { NetworkSignal } from '../core/network.js';
import type { RetryPolicy } from '../core/retry.js';

/** `options` of `connect`, camelCase as the plugin deserializes them. */
export interface ConnectOptions {
  maxEventSize: number;
  lastEventId?: string;
  retry: RetryPolicy;
  idleTimeout?: number;
  keepAlive?: boolean;
  name?: string;
  broadcast?: boolean;
  /** The headers are a function: the plugin asks for fresh ones before every reconnect. */
  refreshHeaders?: boolean;
  /** The headers function threw at connect, with this message: the first attempt failed (kind `headers`). */
  headersError?: string;
  shared?: boolean;
  /** False: the plugin's loop ignores the network (default true). */
  networkAware?: boolean;
}

export interface ConnectArgs {
  url: string;
  method?: string;
  headers?: [string, string][];
  body?: string;
  options: ConnectOptions;
}

/**
 * What the plugin's channel carries: the core's messages, plus `headers` — the plugin asks for
 * fresh headers before a reconnect, which the transport answers with `setHeaders`.
 */
export type WireMessage = SourceMessage | { type: 'headers' };

/** `set_headers`: the headers function's pairs, its failure's message, or neither (no function: keep them). */
export type HeadersAnswer = { headers: [string, string][] } | { error: string } | Record<string, never>;

type Core = typeof import('@tauri-apps/api/core');
let core: Promise<Core> | undefined;

/**
 * Loads `@tauri-apps/api/core` once. The `.catch` also tells bundlers (esbuild, Vite) that a
 * missing package is handled at run time, so non-Tauri builds without it still bundle.
 */
function load(): Promise<Core> {
  core ??= import('@tauri-apps/api/core').catch((error: unknown) => {
    core = undefined;
    throw new SseError('unavailable', 'the tauri transport needs the @tauri-apps/api package (npm install @tauri-apps/api)', { cause: error });
  });
  return core;
}

/**
 * A command's rejection as an `SseError`: the plugin rejects with `{kind, message, status?}`;
 * Tauri itself rejects with a plain string when the plugin is not registered or the capability
 * does not grant the command — an app configuration problem, reported as `unavailable`.
 */
function rejection(command: string, error: unknown): SseError {
  if (error instanceof SseError) return error;
  if (typeof error === 'object' && error !== null && typeof (error as WireError).kind === 'string') {
    return SseError.from(error as WireError);
  }
  return new SseError(
    'unavailable',
    `plugin:eventsource|${command} was refused: ${String(error)} (register tauri_plugin_eventsource and grant "eventsource:default" in the window's capability)`,
    { cause: error },
  );
}

async function call<T>(command: string, args: (core: Core) => Record<string, unknown> = () => ({})): Promise<T> {
  const api = await load();
  try {
    return await api.invoke<T>(`plugin:eventsource|${command}`, args(api));
  } catch (error) {
    throw rejection(command, error);
  }
}

/** The wire protocol version this package speaks (docs/architecture.md "Plugin commands"). */
export const PROTOCOL = 3;

/**
 * The plugin's protocol: its version and its flow-control numbers. The plugin sends a
 * connection at most `window` messages the page has not acknowledged, then waits; the page
 * acknowledges every `ackEvery` messages it has processed, and every `ackEvery` channel messages
 * its pipe has received.
 */
export interface Protocol {
  protocol: number;
  window: number;
  ackEvery: number;
}

/** What `connect`, `attach` and `join` resolve to: the connection id and the protocol. */
export interface Handshake extends Protocol {
  id: number;
}

/** Reads a command's answer; protocol 1 plugins answered with a bare id. */
function handshake(answer: Handshake | number): Handshake {
  return typeof answer === 'number' ? { id: answer, protocol: 1, window: 64, ackEvery: 16 } : answer;
}

/** Where a connection's messages go: a lane of the page's pipe (`openPipe`). */
export interface LaneArgs {
  pipe: number;
  lane: number;
}

/**
 * Opens the page's pipe: one channel delivering, in order, the `[lane, message]` batches of all
 * its connections to `onBatch`. Resolves to its id and the plugin's protocol, refused here when
 * it is not this package's (a plugin before protocol 3 has no `open_pipe`).
 */
export async function openPipe(onBatch: (batch: [number, WireMessage][]) => void): Promise<Protocol & { pipe: number }> {
  let channel: Channel<[number, WireMessage][]> | undefined;
  let answer: Protocol;
  try {
    answer = await call<Protocol>('open_pipe', (api) => ({ onMessage: (channel = new api.Channel(onBatch)) }));
  } catch (error) {
    if (/open_pipe\b.*command not found|command \S*open_pipe not found/i.test((error as Error).message)) throw protocolMismatch(2);
    throw error;
  }
  if (answer.protocol !== PROTOCOL) throw protocolMismatch(answer.protocol);
  return { ...answer, pipe: (channel as Channel<unknown>).id };
}

/** The error for a plugin speaking another protocol version than this package. */
export function protocolMismatch(protocol: number): SseError {
  return new SseError(
    'unavailable',
    `the eventsource plugin speaks protocol ${protocol}, this tauri-sse package protocol ${PROTOCOL}: use versions of tauri-plugin-eventsource and tauri-sse that match`,
  );
}

export async function connect(args: ConnectArgs, lane: LaneArgs): Promise<Handshake> {
  return handshake(await call('connect', () => ({ ...args, ...lane })));
}

export async function attach(name: string, lane: LaneArgs): Promise<Handshake> {
  return handshake(await call('attach', () => ({ name, ...lane })));
}

export async function join(name: string, lane: LaneArgs): Promise<Handshake> {
  return handshake(await call('join', () => ({ name, ...lane })));
}

/** The page received `received` more messages of pipe `pipe`, and processed `[id, count]` more of each connection. */
export function ack(pipe: number, received: number, processed: [number, number][]): Promise<null> {
  return call('ack', () => ({ pipe, received, processed }));
}

export function setHeaders(id: number, answer: HeadersAnswer): Promise<null> {
  return call('set_headers', () => ({ id, ...answer }));
}

/** The page's news of the machine's network, for connection `id` only. */
export function network(id: number, signal: NetworkSignal): Promise<null> {
  return call('network', () => ({ id, signal }));
}

export function close(id: number): Promise<null> {
  return call('close', () => ({ id }));
}

/**
 * Whether the `eventsource` plugin is registered in this app. Tauri refuses a command of an unknown plugin
 * with "plugin eventsource not found" (through the ACL: "… Plugin not found"); any other answer, an ACL
 * refusal of a registered plugin included, means it is there and its own error should surface.
 */
export async function registered(): Promise<boolean> {
  try {
    await call('list');
    return true;
  } catch (error) {
    return !/plugin (eventsource )?not found|needs the @tauri-apps\/api package/i.test((error as Error).message);
  }
}
