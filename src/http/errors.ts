/**
 * The one HTTP failure type: an OpenMntError that also carries the status to answer with, and the
 * headers that status needs (`Allow` with 405, `Retry-After` with 429). Anything else that reaches
 * the pipeline's error handler is mapped by its code; a plain Error is an internal fault (500).
 */
import { OpenMntError, isOpenMntError, type ErrorCode } from '../errors.js';

export class HttpError extends OpenMntError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  COA_NO_NAS: 400,
  COA_NAS_UNKNOWN: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PRECONDITION_FAILED: 412,
  UNKNOWN_CALL: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TOO_LARGE: 413,
  LOCKED_OUT: 429,
  SESSION_NOT_FOUND: 500,
  UNAVAILABLE: 503,
  DC_SQL_ERROR: 400,
  DC_UNSUPPORTED: 400,
  DC_TIMEOUT: 400,
  DC_READ_ONLY: 400,
  DC_NOT_A_VIEW: 400,
};

/** The status an error answers with: its own when it is an HttpError, else by its code. */
export function statusOf(error: OpenMntError): number {
  return error instanceof HttpError ? error.status : (STATUS[error.code] ?? 500);
}

export function headersOf(error: OpenMntError): Readonly<Record<string, string>> {
  return error instanceof HttpError ? error.headers : {};
}

export function methodNotAllowed(what: string, allowed: readonly string[], method: string): HttpError {
  return new HttpError(405, 'METHOD_NOT_ALLOWED', `${what} answers ${allowed.join(', ')}, not ${method}`, { Allow: allowed.join(', ') });
}

export { isOpenMntError };
