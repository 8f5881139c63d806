/**
 * The one error type of OpenMnT. Every failure that a caller may want to tell apart carries a
 * stable `code`; messages are for people and may change. The MnT API maps codes to ISE-style
 * `mnt-rest-result` bodies and HTTP status codes; RADIUS listeners map them to drop counters.
 */
export type ErrorCode =
  // RADIUS codec: the datagram cannot be a RADIUS packet (RFC 2865 §3)
  | 'RADIUS_PACKET_TOO_SHORT'
  | 'RADIUS_PACKET_TOO_LONG'
  | 'RADIUS_LENGTH_MISMATCH'
  | 'RADIUS_UNKNOWN_CODE'
  | 'RADIUS_BAD_ATTRIBUTE'
  | 'RADIUS_BAD_VALUE'
  | 'RADIUS_UNKNOWN_ATTRIBUTE'
  // configuration
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  // store
  | 'STORE_FAILED'
  | 'STORE_CLOSED'
  // domain arguments (MAC, IP, numbers) and lookups
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND';

export class OpenMntError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OpenMntError';
    this.code = code;
  }
}

export function isOpenMntError(value: unknown, code?: ErrorCode): value is OpenMntError {
  return value instanceof OpenMntError && (code === undefined || value.code === code);
}
