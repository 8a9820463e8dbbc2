/** Every way a source can go wrong; the same strings as the Rust `ErrorKind` and the wire `kind`. */
export type SseErrorKind =
  | 'invalid-url'
  | 'scope'
  | 'invalid-header'
  | 'headers'
  | 'network'
  | 'http-status'
  | 'content-type'
  | 'idle-timeout'
  | 'event-too-large'
  | 'max-attempts'
  | 'aborted'
  | 'not-found'
  | 'limit'
  | 'buffer-overflow'
  | 'invalid-options'
  /** Another `connect` with the same name, or another `attach`, took the connection: final. */
  | 'replaced'
  /** TS only: the tauri transport cannot reach the plugin (not registered, command not granted, no `@tauri-apps/api`). */
  | 'unavailable';

/** The serializable part of an error: what travels over the wire protocol. */
export interface WireError {
  kind: SseErrorKind;
  message: string;
  status?: number | undefined;
}

export class SseError extends Error implements WireError {
  override readonly name = 'SseError';
  readonly kind: SseErrorKind;
  /** The HTTP status, for `http-status` errors and a `max-attempts` that ended on one. */
  readonly status: number | undefined;

  constructor(kind: SseErrorKind, message: string, options: { status?: number | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
  }

  /** Rebuilds an `SseError` from a wire error (a transport may send either). */
  static from(error: WireError): SseError {
    return error instanceof SseError ? error : new SseError(error.kind, error.message, { status: error.status });
  }
}
