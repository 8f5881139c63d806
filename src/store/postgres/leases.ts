/**
 * Leases of bulk CoA jobs in PostgreSQL (see ../cluster.ts). A running job row carries its owner
 * (a node's run: name and a random part, so a restarted node is a new owner) and `lease_until`,
 * in milliseconds of the database's clock. Every write of the owner takes the job row's lock and
 * checks the owner in the same transaction, so once another node has taken the job over, nothing
 * the old owner still sends is recorded: each target gets one result.
 *
 * The targets a job selected are kept (`coa_job_targets`) until it ends, so that another node can
 * resume it: those with a result are not sent again.
 */
import type { Sql } from 'postgres';
import { OpenMntError } from '../../errors.js';
import type { ClaimedJob, JobLeases, LeasedJobTarget } from '../cluster.js';
import { JOB_COLUMNS, jobOf } from '../rows.js';
import type { CoaJobUpdate, NewCoaJob, NewCoaJobResult } from '../types.js';
import { pgAttempt, PG_NOW_MS } from './connect.js';
import { PgJobTables } from './jobs.js';


/** Targets per INSERT when a job is saved (a job may select 100,000). */
const TARGET_CHUNK = 10_000;

export class PgJobLeases implements JobLeases {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }


  async create(job: NewCoaJob, targets: readonly LeasedJobTarget[], verifyTimeoutMs: number | null, owner: string, leaseMs: number): Promise<void> {
    await pgAttempt('saving a CoA job', () =>
      this.#sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        let seq: number;
        try {
          const [row] = await t.unsafe(
            'INSERT INTO coa_jobs (id, state, admin, action, selector, pacing, total, completed, counts, created_at, finished_at, duration_ms, owner, lease_until, verify_timeout_ms) ' +
              `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ${PG_NOW_MS} + $14, $15) RETURNING seq`,
            [job.id, job.state, job.admin, job.action, job.selector, job.pacing, job.total, job.completed, job.counts, job.createdAt, job.finishedAt, job.durationMs, owner, leaseMs, verifyTimeoutMs] as never[],
          );
          seq = row!.seq as number;
        } catch (cause) {
          if ((cause as { code?: string }).code === '23505') throw new OpenMntError('ALREADY_EXISTS', `a CoA job ${job.id} is already kept`, { cause });
          throw cause;
        }
        for (let from = 0; from < targets.length; from += TARGET_CHUNK) {
          const chunk = targets.slice(from, from + TARGET_CHUNK);
          await t.unsafe(
            'INSERT INTO coa_job_targets (job_seq, pos, mac, nas_ip) SELECT $1, $2 + ord - 1, m, n FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(m, n, ord)',
            [seq, from, chunk.map((c) => c.mac), chunk.map((c) => c.nasIp)] as never[],
          );
        }
      }),
    );
  }

  async renew(owner: string, ids: readonly string[], leaseMs: number): Promise<{ held: string[]; cancelRequested: string[] }> {
    if (ids.length === 0) return { held: [], cancelRequested: [] };
    const rows = await pgAttempt('renewing CoA job leases', () =>
      this.#sql.unsafe(
        `UPDATE coa_jobs SET lease_until = ${PG_NOW_MS} + $1 WHERE owner = $2 AND state = 'running' AND id = ANY($3::text[]) RETURNING id, cancel_requested`,
        [leaseMs, owner, ids] as never[],
      ),
    );
    return { held: rows.map((r) => r.id as string), cancelRequested: rows.filter((r) => r.cancel_requested === true).map((r) => r.id as string) };
  }

  async append(owner: string, id: string, results: readonly NewCoaJobResult[], update: CoaJobUpdate, release = false): Promise<boolean> {
    return pgAttempt('saving CoA job results', () =>
      this.#sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        const [row] = await t.unsafe("SELECT seq, owner, state FROM coa_jobs WHERE id = $1 FOR UPDATE", [id]);
        if (row === undefined) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
        // Taken over (or ended) meanwhile: what this node did since is not recorded.
        if (row.owner !== owner || row.state !== 'running') return false;
        const seq = row.seq as number;
        await PgJobTables.insertResults(t, seq, results);
        await PgJobTables.applyUpdate(t, seq, update);
        if (update.state !== undefined && update.state !== 'running') {
          await t.unsafe('UPDATE coa_jobs SET lease_until = NULL WHERE seq = $1', [seq]);
          await t.unsafe('DELETE FROM coa_job_targets WHERE job_seq = $1', [seq]);
        } else if (release) {
          // Expired as of now: the next node to look takes it over.
          await t.unsafe(`UPDATE coa_jobs SET lease_until = ${PG_NOW_MS} WHERE seq = $1`, [seq]);
        }
        return true;
      }) as Promise<boolean>,
    );
  }

  async claimExpired(owner: string, leaseMs: number, resumeWithinMs: number): Promise<{ claimed: ClaimedJob | null; interrupted: number }> {
    return pgAttempt('taking over a CoA job', async () => {
      // Too long without an owner: not resumed (see coa/jobs.ts). Its targets are not needed any more.
      const [stale] = await this.#sql.unsafe(
        `WITH gone AS (UPDATE coa_jobs SET state = 'interrupted', finished_at = ${PG_NOW_MS}, lease_until = NULL
           WHERE seq IN (SELECT seq FROM coa_jobs WHERE state = 'running' AND lease_until < ${PG_NOW_MS} - $1 FOR UPDATE SKIP LOCKED) RETURNING seq),
         dropped AS (DELETE FROM coa_job_targets WHERE job_seq IN (SELECT seq FROM gone))
         SELECT COUNT(*)::int AS n FROM gone`,
        [resumeWithinMs],
      );
      const interrupted = Number(stale?.n ?? 0);
      // One job at a time, the longest expired first: the other nodes take the next ones. SKIP
      // LOCKED: two nodes looking at once never wait for, nor take, the same row.
      const [row] = await this.#sql.unsafe(
        `WITH expired AS (SELECT seq, owner FROM coa_jobs WHERE state = 'running' AND lease_until < ${PG_NOW_MS} ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE coa_jobs j SET owner = $1, lease_until = ${PG_NOW_MS} + $2 FROM expired WHERE j.seq = expired.seq
         RETURNING ${JOB_COLUMNS.replace(/(^|, )([a-z_]+)/g, '$1j.$2')}, j.verify_timeout_ms AS "verifyTimeoutMs", j.cancel_requested AS "cancelRequested", expired.owner AS "previousOwner"`,
        [owner, leaseMs] as never[],
      );
      if (row === undefined) return { claimed: null, interrupted };
      return {
        claimed: {
          record: jobOf(row, (value) => value),
          verifyTimeoutMs: row.verifyTimeoutMs === null ? null : Number(row.verifyTimeoutMs),
          cancelRequested: row.cancelRequested === true,
          previousOwner: (row.previousOwner as string | null) ?? null,
        },
        interrupted,
      };
    });
  }

  async pending(id: string): Promise<LeasedJobTarget[]> {
    const rows = await pgAttempt('reading a CoA job\'s targets', () =>
      this.#sql.unsafe(
        'SELECT t.mac, t.nas_ip FROM coa_jobs j JOIN coa_job_targets t ON t.job_seq = j.seq WHERE j.id = $1 ' +
          'AND NOT EXISTS (SELECT 1 FROM coa_job_results r WHERE r.job_seq = t.job_seq AND r.mac = t.mac) ORDER BY t.pos',
        [id],
      ),
    );
    return rows.map((r) => ({ mac: r.mac as string, nasIp: r.nas_ip as string }));
  }

  async requestCancel(id: string): Promise<boolean> {
    const rows = await pgAttempt('cancelling a CoA job', () =>
      this.#sql.unsafe("UPDATE coa_jobs SET cancel_requested = true WHERE id = $1 AND state = 'running' RETURNING 1 AS x", [id]),
    );
    return rows.length > 0;
  }

  async interruptUnowned(at: number): Promise<number> {
    const rows = await pgAttempt('marking CoA jobs interrupted', () =>
      this.#sql.unsafe("UPDATE coa_jobs SET state = 'interrupted', finished_at = $1 WHERE state = 'running' AND owner IS NULL RETURNING seq", [at]),
    );
    return rows.length;
  }
}
