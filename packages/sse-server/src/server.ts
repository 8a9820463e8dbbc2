import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KnobError, parseKnobs, type Knobs } from './knobs.js';
import { RequestLog, type RecordedRequest } from './recorder.js';
import { firstEventNumber, writeStream, type StreamRequest } from './stream.js';

export type { Knobs } from './knobs.js';
export type { RecordedRequest } from './recorder.js';

export interface ServerOptions {
  /** 0 (default) picks a free port. */
  port?: number | undefined;
  /** Default 127.0.0.1: the server is for loopback tests and demos. */
  host?: string | undefined;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  /** Stops listening and drops every open connection (hanging streams included). */
  close(): Promise<void>;
  /** The requests recorded under `tag=` so far. */
  requests(tag: string): RecordedRequest[];
}

/** Largest request body read (the `echo` knob); more is refused with 413. */
const MAX_BODY = 1024 * 1024;

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const log = new RequestLog();
  const server = createServer((req, res) => {
    route(req, res, log).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${String(error)}\n`);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests: (tag) => log.get(tag),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') return plain(res, 200, 'ok');
  if (url.pathname === '/clock') {
    // The clock `t` is stamped with, for a page to measure its offset from its own.
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
    res.end(String(performance.timeOrigin + performance.now()));
    return;
  }
  if (url.pathname === '/requests' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(log.get(url.searchParams.get('tag') ?? '')));
    return;
  }
  if (url.pathname !== '/sse') return plain(res, 404, 'not found');

  let knobs: Knobs;
  try {
    knobs = parseKnobs(url.searchParams);
  } catch (error) {
    if (error instanceof KnobError) return plain(res, 400, error.message);
    throw error;
  }
  const cors = knobs.cors ? corsHeaders(req) : {};
  if (req.method === 'OPTIONS') {
    // CORS preflight (a native EventSource with credentials, or fetch with custom headers).
    res.writeHead(204, {
      ...cors,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
      'access-control-max-age': '600',
    });
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'POST') return plain(res, 405, 'use GET or POST', cors);

  const body = await readBody(req);
  if (body === undefined) return plain(res, 413, 'request body too large', cors);
  const request: StreamRequest = {
    method: req.method,
    headers: flattenHeaders(req),
    body,
    lastEventId: header(req, 'last-event-id'),
  };
  if (knobs.tag !== undefined) {
    const recorded: RecordedRequest = { ...request, closed: false };
    log.add(knobs.tag, recorded);
    res.once('close', () => (recorded.closed = true));
  }

  // stall: the request is read, then nothing: no status line, no headers, the socket left open.
  if (knobs.stall) return;
  if (knobs.auth !== undefined && header(req, 'authorization') !== `Bearer ${knobs.auth}`) {
    return plain(res, 401, knobs.errorbody ?? 'missing or wrong bearer token', { ...cors, 'www-authenticate': 'Bearer' });
  }
  // With `redirectafter`, the tag's first requests stream (a redirect that comes with a reconnect).
  if (knobs.redirect !== undefined && (knobs.redirectafter === undefined || log.count(knobs.tag ?? '') > knobs.redirectafter)) {
    res.writeHead(knobs.redirectstatus, { ...cors, location: knobs.redirect });
    res.end();
    return;
  }
  // With `fail`, only the tag's first `fail` requests get the status (a storm, then recovery).
  if (knobs.status !== 200 && (knobs.fail === undefined || log.count(knobs.tag ?? '') <= knobs.fail)) {
    const extra: Record<string, string> = knobs.retryAfter === undefined ? {} : { 'retry-after': knobs.retryAfter };
    return plain(res, knobs.status, errorBody(knobs), { ...cors, ...extra });
  }
  // A resume past the last event of a finite stream: 204 tells the client to stop reconnecting
  // (spec: "HTTP 204 No Content ... prevent the user agent from reconnecting").
  if (knobs.count !== undefined && knobs.ids && firstEventNumber(knobs, request.lastEventId) > knobs.count) {
    res.writeHead(204, cors);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...cors,
    'content-type': knobs.type,
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  await writeStream(res, knobs, request);
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = header(req, 'origin');
  // Credentials forbid `*`: echo the caller's origin.
  return origin === null
    ? { 'access-control-allow-origin': '*' }
    : { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' };
}

/** The `errorbody` text (default `status N`), or its UTF-8 repeated to exactly `size` bytes. */
function errorBody(knobs: Knobs): string | Buffer {
  const text = knobs.errorbody ?? `status ${knobs.status}`;
  if (knobs.size === undefined) return text;
  const repeats = Math.ceil(knobs.size / Math.max(1, Buffer.byteLength(text)));
  return Buffer.from(text.repeat(repeats)).subarray(0, knobs.size);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request header as text. Node hands header bytes over one character per byte (latin1); clients
 * send non-ASCII values (a `Last-Event-ID` of `日本`) as UTF-8, so valid UTF-8 is decoded as such.
 */
function header(req: IncomingMessage, name: string): string | null {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  if (value === undefined) return null;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(req.headers)) out[name] = header(req, name) ?? '';
  return out;
}

/** A text answer: a string gets a final newline, bytes are sent as they are. */
function plain(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(typeof body === 'string' ? `${body}\n` : body);
}

/** The request body as UTF-8, or undefined past `MAX_BODY`. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
