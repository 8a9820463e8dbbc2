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
  drop: number | undefined;
  retry: number | undefined;
  status: number;
  type: string;
  retryAfter: string | undefined;
  redirect: string | undefined;
  auth: string | undefined;
  slow: number | undefined;
  llm: boolean;
  echo: boolean;
  cors: boolean;
  nl: string;
  tag: string | undefined;
  hang: boolean;
  nonewline: number | undefined;
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
  // nonewline follows the regular events, so it needs a finite count (default: none before it).
  const count = int(params, 'count') ?? (nonewline === undefined ? undefined : 0);
  const rate = int(params, 'rate', 1);
  const llm = flag(params, 'llm');
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
    ids: flag(params, 'ids'),
    drop: int(params, 'drop', 1),
    retry: int(params, 'retry'),
    status: int(params, 'status', 100) ?? 200,
    type: params.get('type') ?? 'text/event-stream',
    retryAfter: params.get('retryAfter') ?? undefined,
    redirect: params.get('redirect') ?? undefined,
    auth: params.get('auth') ?? undefined,
    slow: int(params, 'slow'),
    llm,
    echo: flag(params, 'echo'),
    cors: flag(params, 'cors'),
    nl: lineEnd,
    tag: params.get('tag') ?? undefined,
    hang: flag(params, 'hang'),
    nonewline,
  };
}
