/**
 * The one error type of OpenMnT. Every failure that a caller may want to tell apart carries a
 * stable `code`; messages are for people and may change. The MnT API maps codes to ISE-style
 * `mnt-rest-result` bodies and HTTP status codes; RADIUS listeners map them to drop counters.
 */
export type ErrorCode =
  // RADIUS codec: the datagram cannot be a RADIUS packet (RFC 2865 §3)
  | 'RADIUS_PACKET_TOO_SHORT'
  | 'RADIUS_PACKET_TOO_LONG'
  | 'RADIUS_BAD_AUTHENTICATOR' // an answer that does not verify with the secret it should
  | 'RADIUS_LENGTH_MISMATCH'
  | 'RADIUS_UNKNOWN_CODE'
  | 'RADIUS_BAD_ATTRIBUTE'
  | 'RADIUS_BAD_VALUE'
  | 'RADIUS_UNKNOWN_ATTRIBUTE'
  // configuration
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  // starting the node: a port taken, an address missing, a file that cannot be opened
  | 'START_FAILED'
  | 'RADIUS_THREAD_FAILED'
  | 'PROXY_NO_HOME_SERVER' // no home server of the pool answered (or none is alive) // the thread of the RADIUS listeners failed or ended; the node cannot answer NAS
  // store
  | 'STORE_FAILED'
  | 'STORE_CLOSED'
  | 'STORE_SCHEMA_NEWER' // the database was migrated by a newer OpenMnT than this one
  | 'STORE_SCHEMA_OLDER' // store.migrate: manual and the schema is behind: `openmnt db migrate` first
  // domain arguments (MAC, IP, numbers) and lookups
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  // a write that started from a version of an object that is no longer the stored one (412)
  | 'PRECONDITION_FAILED'
  // MnT API: each maps to one HTTP status and an ISE-style mnt-rest-result body
  | 'SESSION_NOT_FOUND' // ISE answers 500 "Session data is not available for <key>."
  | 'COA_NO_NAS' // 400: the session has no NAS on record, a CoA cannot be delivered
  | 'UNKNOWN_CALL' // 404: no MnT call has this path
  | 'METHOD_NOT_ALLOWED' // 405
  | 'UNAUTHENTICATED' // 401: missing or wrong credentials
  | 'FORBIDDEN' // 403: the admin's role lacks the right
  | 'LOCKED_OUT' // 429: too many failed logins from one source
  | 'REQUEST_TOO_LARGE' // 413 / 414 / 431
  | 'NOT_ACCEPTABLE' // 406
  | 'UNAVAILABLE' // 503: a part this call needs is not running
  // CoA engine
  | 'COA_NAS_UNKNOWN' // the NAS is not in the client table, so there is no secret to sign with
  | 'COA_CANCELLED'
  // DataConnect (SQL over the views)
  | 'DC_SQL_ERROR' // 400: the engine cannot run the statement (syntax, unknown column…)
  | 'DC_UNSUPPORTED' // 400: an Oracle form the dialect does not translate; the message names it
  | 'DC_READ_ONLY' // 400: the statement would write, or is not a query
  | 'DC_NOT_A_VIEW' // 400: the statement reads a table that is not a DataConnect view
  | 'DC_TIMEOUT'; // 400: the query ran past its time limit and was stopped

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

/** Why a socket could not be bound, in words an operator acts on. */
export function bindProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'the port is already in use (another RADIUS server or another OpenMnT?)';
    case 'EACCES':
      return 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)';
    case 'EADDRNOTAVAIL':
      return 'no interface of this machine has that address';
    default:
      return error.message;
  }
}
