/** One request as `/requests?tag=` reports it. */
export interface RecordedRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
  lastEventId: string | null;
  /** Becomes true when the connection ends, whoever ended it: tests check that a client really hung up. */
  closed: boolean;
}

/** Most requests kept per tag: a long-running demo must not grow without bound. */
const MAX_PER_TAG = 1000;

/** Requests grouped by their `tag=` knob, oldest first. */
export class RequestLog {
  readonly #byTag = new Map<string, RecordedRequest[]>();

  add(tag: string, request: RecordedRequest): void {
    let list = this.#byTag.get(tag);
    if (list === undefined) this.#byTag.set(tag, (list = []));
    list.push(request);
    if (list.length > MAX_PER_TAG) list.shift();
  }

  /** Requests recorded under `tag` (at most the last `MAX_PER_TAG`). */
  count(tag: string): number {
    return this.#byTag.get(tag)?.length ?? 0;
  }

  get(tag: string): RecordedRequest[] {
    return (this.#byTag.get(tag) ?? []).map((r) => ({ ...r, headers: { ...r.headers } }));
  }
}
