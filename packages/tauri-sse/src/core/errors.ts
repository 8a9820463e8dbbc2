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
  /** The start of the refused response's body (at most 4 KiB of it, as text), with `status`. */
  body?: string | undefined;
}

export class SseError extends Error implements WireError {
  override readonly name = 'SseError';
  readonly kind: SseErrorKind;
  /** The HTTP status, for `http-status` errors and a `max-attempts` that ended on one. */
  readonly status: number | undefined;
  /**
   * With `status`: the start of the response's body as text (at most 4 KiB), so an app can show
   * the server's "token expired" rather than "401". Empty for a body-less response.
   */
  readonly body: string | undefined;

  constructor(
    kind: SseErrorKind,
    message: string,
    options: { status?: number | undefined; body?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.body = options.body;
  }

  /** Rebuilds an `SseError` from a wire error (a transport may send either). */
  static from(error: WireError): SseError {
    return error instanceof SseError ? error : new SseError(error.kind, error.message, { status: error.status, body: error.body });
  }
}
