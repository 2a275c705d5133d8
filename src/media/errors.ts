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
  /** The session's description could not be read or applied (truncated, malformed, missing ICE or DTLS). */
  | 'SDP_INVALID'
  /** No section of the description has a codec the engine speaks. */
  | 'SDP_NO_COMMON_CODEC'
  /** No ICE connectivity check succeeded in time. */
  | 'ICE_TIMEOUT'
  /** The peer stopped answering consent checks (RFC 7675). */
  | 'ICE_CONSENT_EXPIRED'
  /** The DTLS handshake failed, timed out or the peer closed it. */
  | 'DTLS_FAILED'
  | 'DTLS_CLOSED'
  /** The peer's certificate does not match the fingerprint its description announced. */
  | 'DTLS_FINGERPRINT_MISMATCH'
  | 'INVALID_CERTIFICATE'
  | 'SESSION_CLOSED'
  | 'PLATFORM_CLOSED'
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
