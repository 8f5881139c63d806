/**
 * Why a store write failed, in a few words an operator acts on: the label of the write-failure
 * counter and the key under which failures are logged. Read from the SQLite result code that the
 * error carries as its cause (the store thread passes it back along with the message).
 */
import { isOpenMntError } from '../errors.js';

export const WRITE_FAILURE_REASONS = ['disk-full', 'io-error', 'read-only', 'busy', 'corrupt', 'closed', 'other'] as const;
export type WriteFailureReason = (typeof WRITE_FAILURE_REASONS)[number];

/** The SQLite result code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, …) somewhere in the cause chain. */
export function sqliteCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

export function writeFailureReason(error: unknown): WriteFailureReason {
  if (isOpenMntError(error, 'STORE_CLOSED')) return 'closed';
  const code = sqliteCodeOf(error) ?? '';
  // Extended codes refine the primary one (SQLITE_IOERR_FSYNC is an SQLITE_IOERR).
  if (code === 'SQLITE_FULL') return 'disk-full';
  if (code.startsWith('SQLITE_IOERR')) return 'io-error';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return 'other';
}
