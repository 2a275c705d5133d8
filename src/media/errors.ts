/** Stable error codes: branch on `code`, never on the message. */
export type CallMediaErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_FRAME_SIZE'
  | 'BIND_FAILED'
  | 'SOCKET_CLOSED'
  | 'NOT_SENDING'
  | 'NO_SUCH_SOURCE'
  | 'LIMIT_EXCEEDED'
  | 'CONVERSION_FAILED'
  | 'UNSUPPORTED_PIXEL_FORMAT'
  | 'NATIVE_ADDON_MISSING'
  | 'INTERNAL';

export class CallMediaError extends Error {
  readonly code: CallMediaErrorCode;

  constructor(code: CallMediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CallMediaError';
    this.code = code;
  }

  /** Wraps an error thrown by the addon (which carries a `code`) into a CallMediaError. */
  static fromNative(err: unknown): CallMediaError {
    if (err instanceof CallMediaError) return err;
    const e = err as { code?: string; message?: string };
    const code = (typeof e?.code === 'string' ? e.code : 'INTERNAL') as CallMediaErrorCode;
    return new CallMediaError(code, e?.message ?? String(err), { cause: err });
  }
}
