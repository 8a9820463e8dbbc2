/** The `/sse` query parameters of docs/architecture.md ("The bundled server"), parsed and checked. */
export interface Knobs {
  /** Last event number to send (with `ids`, the stream resumes after `Last-Event-ID`); undefined = endless. */
  count: number | undefined;
  /** ms between events. */
  interval: number;
  /** Data payload size in bytes; undefined = the natural `{"n":…,"t":…}` size. */
  size: number | undefined;
  event: string | undefined;
  ids: boolean;
  /** Text before each event number in its id (non-ASCII ids); implies `ids`. */
  idprefix: string;
  drop: number | undefined;
  /** Like `drop`, but the connection is reset (TCP RST) instead of closed. */
  reset: number | undefined;
  /** The first `fail` requests of the `tag` answer `status`; later ones stream. */
  fail: number | undefined;
  retry: number | undefined;
  status: number;
  type: string;
  retryAfter: string | undefined;
  redirect: string | undefined;
  /** With `redirect`: the `tag`'s first `redirectafter` requests stream, later ones redirect. */
  redirectafter: number | undefined;
  /** The status of the `redirect` answer (default 307); any 3xx, redirect statuses or not. */
  redirectstatus: number;
  auth: string | undefined;
  slow: number | undefined;
  llm: boolean;
  echo: boolean;
  cors: boolean;
  nl: string;
  tag: string | undefined;
  hang: boolean;
  /** Accept the request and never answer it: no status, no headers (a stalled server or proxy). */
  stall: boolean;
  /** The body of a non-200 answer (default `status N`), repeated to `size` bytes when `size` is given. */
  errorbody: string | undefined;
  nonewline: number | undefined;
  /** Bytes written verbatim after the `count` events (hostile input: invalid UTF-8, NULs…). */
  raw: Uint8Array | undefined;
  /** Comment lines written before the first event. */
  comments: number | undefined;
}

export class KnobError extends Error {}

const LINE_ENDS: Record<string, string> = { lf: '\n', crlf: '\r\n', cr: '\r' };
/** Default pause between LLM tokens, ms: slow enough to watch, fast enough for tests. */
const LLM_INTERVAL = 20;

function int(params: URLSearchParams, name: string, min = 0): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new KnobError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function flag(params: URLSearchParams, name: string): boolean {
  const raw = params.get(name);
  return raw !== null && raw !== '0' && raw !== 'false';
}

export function parseKnobs(params: URLSearchParams): Knobs {
  const nonewline = int(params, 'nonewline');
  const raw = params.get('raw');
  // raw and nonewline follow the regular events, so they need a finite count (default: none before them).
  const count = int(params, 'count') ?? (nonewline === undefined && raw === null ? undefined : 0);
  const rate = int(params, 'rate', 1);
  const llm = flag(params, 'llm');
  const fail = int(params, 'fail');
  // fail counts requests per tag: without one there is nothing to count.
  if (fail !== undefined && params.get('tag') === null) throw new KnobError('fail needs a tag to count requests');
  const redirectafter = int(params, 'redirectafter');
  if (redirectafter !== undefined && (params.get('tag') === null || params.get('redirect') === null)) {
    throw new KnobError('redirectafter needs a redirect, and a tag to count requests');
  }
  const redirectstatus = int(params, 'redirectstatus', 300) ?? 307;
  if (redirectstatus > 399) throw new KnobError(`redirectstatus must be a 3xx status, got ${redirectstatus}`);
  if (params.get('redirectstatus') !== null && params.get('redirect') === null) throw new KnobError('redirectstatus needs a redirect');
  const nl = params.get('nl') ?? 'lf';
  const lineEnd = LINE_ENDS[nl];
  if (lineEnd === undefined) throw new KnobError(`nl must be lf, crlf or cr, got "${nl}"`);
  const defaultInterval = llm ? LLM_INTERVAL : count === undefined ? 1000 : 0;
  return {
    count,
    // rate overrides interval: the latency benchmarks ask for events per second.
    interval: rate !== undefined ? 1000 / rate : (int(params, 'interval') ?? defaultInterval),
    size: int(params, 'size'),
    event: params.get('event') ?? undefined,
    ids: flag(params, 'ids') || params.get('idprefix') !== null,
    idprefix: params.get('idprefix') ?? '',
    drop: int(params, 'drop', 1),
    reset: int(params, 'reset', 1),
    fail,
    retry: int(params, 'retry'),
    status: int(params, 'status', 100) ?? (fail === undefined ? 200 : 503),
    type: params.get('type') ?? 'text/event-stream',
    retryAfter: params.get('retryAfter') ?? undefined,
    redirect: params.get('redirect') ?? undefined,
    redirectafter,
    redirectstatus,
    auth: params.get('auth') ?? undefined,
    slow: int(params, 'slow'),
    llm,
    echo: flag(params, 'echo'),
    cors: flag(params, 'cors'),
    nl: lineEnd,
    tag: params.get('tag') ?? undefined,
    hang: flag(params, 'hang'),
    stall: flag(params, 'stall'),
    errorbody: params.get('errorbody') ?? undefined,
    nonewline,
    raw: raw === null ? undefined : base64url(raw),
    comments: int(params, 'comments'),
  };
}

function base64url(raw: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(raw)) throw new KnobError(`raw must be base64url (A-Z a-z 0-9 - _, no padding), got "${raw}"`);
  return Buffer.from(raw, 'base64url');
}
