// One connection as the demo sees it: counters for the column, a bounded record for the test hook,
// and waiters that resolve when a condition holds.
import { connect, type Connection, type ConnectionHandlers, type ConnectSpec, type TransportName, type WireError } from './connect.js';

/** At most this many events are kept per run (the tests need dozens; benchmarks record none). */
const MAX_RECORDED = 10_000;
const MAX_ERRORS = 100;
/** Events kept for the column's log. */
const LOG_SIZE = 40;
/** Characters of LLM text kept for display. */
const TEXT_SIZE = 2_000;

const STATES = ['CONNECTING', 'OPEN', 'CLOSED'] as const;
export type StateName = (typeof STATES)[number];

export interface RecordedEvent {
  type: string;
  data: string;
  lastEventId: string;
  /** ms since the run started. */
  at: number;
}

export interface RecordedError extends WireError {
  /** readyState after the error. */
  state: StateName;
  at: number;
}

/** What the test hook returns: plain JSON. */
export interface RunResult {
  id: string;
  transport: TransportName;
  url: string;
  state: StateName;
  count: number;
  opens: number;
  reconnects: number;
  lastEventId: string;
  events: RecordedEvent[];
  errors: RecordedError[];
  /** ms from start to the first open, to the last event, to close (null while not reached). */
  openedAt: number | null;
  lastEventAt: number | null;
  closedAt: number | null;
  timedOut: boolean;
}

export interface Until {
  events?: number;
  data?: string;
  lastEventId?: string;
  errorKind?: string;
  closed?: boolean;
}

export interface RunOptions {
  /** Keep events for the result (off for benchmarks). */
  record?: boolean;
  /** Called for every event, after the counters are updated (benchmarks measure here). */
  onEvent?: (data: string) => void;
}

let nextId = 1;

export class Run {
  readonly id = `run-${nextId++}`;
  readonly startedAt = performance.now();
  readonly events: RecordedEvent[] = [];
  readonly errors: RecordedError[] = [];
  /** Ring of the last events, for the column log. */
  readonly recent: RecordedEvent[] = [];
  count = 0;
  opens = 0;
  reconnects = 0;
  lastEventId = '';
  lastData = '';
  text = '';
  openedAt: number | null = null;
  lastEventAt: number | null = null;
  closedAt: number | null = null;
  #connection: Connection | undefined;
  #waiters = new Set<() => boolean>();

  constructor(
    readonly spec: ConnectSpec,
    readonly label: string,
    private readonly options: RunOptions = {},
  ) {}

  /** What the connection reports to; public so a connection opened elsewhere (`reattach`) can use it. */
  readonly handlers: ConnectionHandlers = {
    open: () => this.#open(),
    event: (type, data, lastEventId) => this.#event(type, data, lastEventId),
    error: (error, readyState) => this.#error(error, readyState),
  };

  /** Opens the connection; a refusal up front (e.g. a bad option) is recorded as a fatal error. */
  start(): this {
    try {
      this.adopt(connect(this.spec, this.handlers));
    } catch (error) {
      this.fail(error);
    }
    return this;
  }

  /** Takes over a connection that reports to `handlers`. */
  adopt(connection: Connection): void {
    this.#connection = connection;
    if (this.closedAt !== null) connection.close();
  }

  /** Records why the connection could not be opened at all. */
  fail(error: unknown): void {
    this.#error(asWireError(error), 2);
    this.close();
  }

  get state(): StateName {
    if (this.closedAt !== null) return 'CLOSED';
    return STATES[this.#connection?.readyState ?? 0] ?? 'CLOSED';
  }

  close(): void {
    if (this.closedAt === null) this.closedAt = this.#now();
    this.#connection?.close();
    this.#check();
  }

  /** Resolves when `until` holds (or the run is closed or failed), or after `timeoutMs`. */
  wait(until: Until, timeoutMs: number): Promise<RunResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(true), timeoutMs);
      const finish = (timedOut: boolean): boolean => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(this.result(timedOut));
        return true;
      };
      const check = (): boolean => (this.#holds(until) ? finish(false) : false);
      if (!check()) this.#waiters.add(check);
    });
  }

  result(timedOut = false): RunResult {
    return {
      id: this.id,
      transport: this.spec.transport,
      url: this.spec.url,
      state: this.state,
      count: this.count,
      opens: this.opens,
      reconnects: this.reconnects,
      lastEventId: this.lastEventId,
      events: [...this.events],
      errors: [...this.errors],
      openedAt: this.openedAt,
      lastEventAt: this.lastEventAt,
      closedAt: this.closedAt,
      timedOut,
    };
  }

  #holds(until: Until): boolean {
    // A source that is CLOSED will not deliver more: stop waiting whatever was asked.
    if (this.state === 'CLOSED') return true;
    if (until.events !== undefined && this.count >= until.events) return true;
    if (until.data !== undefined && this.lastData === until.data) return true;
    if (until.lastEventId !== undefined && this.lastEventId === until.lastEventId) return true;
    return until.errorKind !== undefined && this.errors.some((e) => e.kind === until.errorKind);
  }

  #check(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #now(): number {
    return performance.now() - this.startedAt;
  }

  #open(): void {
    this.opens++;
    this.openedAt ??= this.#now();
    this.#check();
  }

  #event(type: string, data: string, lastEventId: string): void {
    if (this.closedAt !== null) return;
    const event = { type, data, lastEventId, at: this.#now() };
    this.count++;
    this.lastEventId = lastEventId;
    this.lastData = data;
    this.lastEventAt = event.at;
    if (this.options.record !== false && this.events.length < MAX_RECORDED) this.events.push(event);
    this.recent.push(event);
    if (this.recent.length > LOG_SIZE) this.recent.shift();
    this.options.onEvent?.(data);
    if (this.options.record !== false) this.#appendText(data);
    this.#check();
  }

  #appendText(data: string): void {
    const token = llmToken(data);
    if (token === undefined) return;
    this.text = (this.text + token).slice(-TEXT_SIZE);
  }

  #error(error: WireError, readyState: number): void {
    const state = STATES[readyState] ?? 'CLOSED';
    if (state === 'CONNECTING') this.reconnects++;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ ...error, state, at: this.#now() });
    this.#check();
  }
}

/** The text an LLM-style event adds: its `token`, or a marker at `[DONE]`. */
function llmToken(data: string): string | undefined {
  if (data === '[DONE]') return ' ▌[DONE]';
  if (!data.startsWith('{"token"')) return undefined;
  try {
    const token: unknown = (JSON.parse(data) as { token?: unknown }).token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

function asWireError(error: unknown): WireError {
  if (typeof error === 'object' && error !== null && 'kind' in error && 'message' in error) {
    const { kind, message, status } = error as WireError;
    return { kind: String(kind), message: String(message), ...(status === undefined ? {} : { status }) };
  }
  return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
}
