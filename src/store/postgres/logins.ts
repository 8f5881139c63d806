/**
 * Failed sign-ins and lock-outs shared by the nodes (see ../cluster.ts, http/guard.ts): a row per
 * failure with the node that saw it, a row per locked-out source. Rows that left the window, and
 * locks that ended, are swept now and then by the statement that records a failure.
 */
import type { Sql } from 'postgres';
import type { LoginFailures } from '../cluster.js';
import { pgAttempt, PG_NOW_MS } from './connect.js';

/** Failures recorded between two sweeps of what is old. */
const SWEEP_EVERY = 256;
/** What is kept past the window before a sweep removes it (a window may be made longer by a reload). */
const SWEEP_AFTER_MS = 24 * 3600_000;

export class PgLoginFailures implements LoginFailures {
  readonly #sql: Sql;
  #sinceSweep = 0;

  constructor(sql: Sql) {
    this.#sql = sql;
  }


  async state(source: string, node: string, windowMs: number): Promise<{ others: number; lockedForMs: number }> {
    const [row] = await pgAttempt('reading sign-in failures', () =>
      this.#sql.unsafe(
        `SELECT (SELECT COUNT(*)::int FROM login_failures WHERE source = $1 AND node <> $2 AND at > ${PG_NOW_MS} - $3) AS others,
                (SELECT GREATEST(0, MAX(locked_until) - ${PG_NOW_MS}) FROM login_locks WHERE source = $1) AS locked`,
        [source, node, windowMs] as never[],
      ),
    );
    return { others: Number(row?.others ?? 0), lockedForMs: Number(row?.locked ?? 0) };
  }

  async failed(source: string, account: string, node: string, windowMs: number): Promise<number> {
    if (++this.#sinceSweep >= SWEEP_EVERY) {
      this.#sinceSweep = 0;
      await pgAttempt('sweeping sign-in failures', () => this.#sql.unsafe(`DELETE FROM login_failures WHERE at < ${PG_NOW_MS} - $1`, [SWEEP_AFTER_MS] as never[]));
      await pgAttempt('sweeping lock-outs', () => this.#sql.unsafe(`DELETE FROM login_locks WHERE locked_until < ${PG_NOW_MS}`));
    }
    const [row] = await pgAttempt('recording a sign-in failure', () =>
      this.#sql.unsafe(
        `WITH kept AS (INSERT INTO login_failures (source, account, node, at) VALUES ($1, $2, $3, ${PG_NOW_MS}) RETURNING 1)
         SELECT COUNT(*)::int AS others FROM login_failures WHERE source = $1 AND node <> $3 AND at > ${PG_NOW_MS} - $4`,
        [source, account, node, windowMs] as never[],
      ),
    );
    return Number(row?.others ?? 0);
  }

  async lock(source: string, lockMs: number): Promise<void> {
    await pgAttempt('locking a source out', () =>
      this.#sql.begin(async (tx) => {
        await tx.unsafe(
          `INSERT INTO login_locks (source, locked_until) VALUES ($1, ${PG_NOW_MS} + $2)
           ON CONFLICT (source) DO UPDATE SET locked_until = GREATEST(login_locks.locked_until, excluded.locked_until)`,
          [source, lockMs] as never[],
        );
        await tx.unsafe('DELETE FROM login_failures WHERE source = $1', [source]);
      }),
    );
  }

  async forget(source: string, account: string): Promise<void> {
    await pgAttempt('forgetting sign-in failures', () => this.#sql.unsafe('DELETE FROM login_failures WHERE source = $1 AND account = $2', [source, account]));
  }
}
