/**
 * Why a store write failed, in a few words an operator acts on: the label of the write-failure
 * counter and the key under which failures are logged. Read from the SQLite result code that the
 * error carries as its cause (the store thread passes it back along with the message).
 */
import { isOpenMntError } from '../errors.js';

export const WRITE_FAILURE_REASONS = ['disk-full', 'io-error', 'read-only', 'busy', 'corrupt', 'closed', 'unreachable', 'other'] as const;
export type WriteFailureReason = (typeof WRITE_FAILURE_REASONS)[number];

/** The SQLite result code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, …) somewhere in the cause chain. */
export function sqliteCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/**
 * The engine's code behind an error: SQLite's result code, or `PG_` and PostgreSQL's SQLSTATE (or
 * the socket's errno when the server could not be reached), as the PostgreSQL store names its causes.
 */
export function engineCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_') || code.startsWith('PG_'))) return code;
  }
  return undefined;
}

export function writeFailureReason(error: unknown): WriteFailureReason {
  if (isOpenMntError(error, 'STORE_CLOSED')) return 'closed';
  const code = engineCodeOf(error) ?? '';
  if (code.startsWith('PG_')) return pgFailureReason(code.slice(3));
  // Extended codes refine the primary one (SQLITE_IOERR_FSYNC is an SQLITE_IOERR).
  if (code === 'SQLITE_FULL') return 'disk-full';
  if (code.startsWith('SQLITE_IOERR')) return 'io-error';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return 'other';
}

/** PostgreSQL's SQLSTATE classes (appendix A of its manual), or a socket errno, as a reason. */
function pgFailureReason(state: string): WriteFailureReason {
  if (state === '53100') return 'disk-full'; // disk_full
  if (state === '58030') return 'io-error'; // io_error
  if (state === '25006') return 'read-only'; // read_only_sql_transaction: a standby, or a primary that was demoted
  if (state === '40001' || state === '40P01' || state === '55P03' || state.startsWith('53')) return 'busy';
  if (state === 'XX001' || state === 'XX002') return 'corrupt';
  // connection_exception, admin_shutdown / cannot_connect_now, or the socket's own errno.
  if (state.startsWith('08') || state.startsWith('57P') || state.startsWith('E') || state === 'CONNECTION_CLOSED' || state === 'CONNECT_TIMEOUT') return 'unreachable';
  return 'other';
}
