/**
 * Bulk CoA jobs in PostgreSQL: the tables and paging of sqlite/jobs.ts, with JSONB for the
 * documents a job keeps as given and BOOLEAN for a result's verification.
 */
import type { Sql } from 'postgres';
import { OpenMntError } from '../../errors.js';
import { pgAttempt, pgFailure } from './connect.js';
import { JOB_COLUMNS, JOB_RESULT_COLUMNS, JOB_UPDATABLE, jobOf } from '../rows.js';
import type { CoaJobQuery, CoaJobRecord, CoaJobResultQuery, CoaJobResultRecord, CoaJobUpdate, NewCoaJob, NewCoaJobResult } from '../types.js';

type Row = Record<string, unknown>;

const PRUNE_CHUNK = 5000;

/** JSONB arrives parsed. */
const toJob = (row: Row) => jobOf(row, (value) => value);

export class PgJobTables {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }


  async save(job: NewCoaJob): Promise<void> {
    try {
      await this.#sql.unsafe(
        'INSERT INTO coa_jobs (id, state, admin, action, selector, pacing, total, completed, counts, created_at, finished_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
        [job.id, job.state, job.admin, job.action, job.selector, job.pacing, job.total, job.completed, job.counts, job.createdAt, job.finishedAt, job.durationMs] as never[],
      );
    } catch (cause) {
      if ((cause as { code?: string }).code === '23505') throw new OpenMntError('ALREADY_EXISTS', `a CoA job ${job.id} is already kept`, { cause });
      throw pgFailure('saving a CoA job', cause);
    }
  }

  /** Inside the caller's transaction: the job's seq, locked against a concurrent update; or NOT_FOUND. */
  static async seq(tx: Sql, id: string): Promise<number> {
    const [row] = await tx.unsafe('SELECT seq FROM coa_jobs WHERE id = $1 FOR UPDATE', [id]);
    if (row === undefined) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
    return row.seq as number;
  }

  static async applyUpdate(tx: Sql, seq: number, update: CoaJobUpdate): Promise<void> {
    const keys = (Object.keys(JOB_UPDATABLE) as (keyof CoaJobUpdate)[]).filter((k) => update[k] !== undefined);
    if (keys.length === 0) return;
    const sql = `UPDATE coa_jobs SET ${keys.map((k, i) => `${JOB_UPDATABLE[k]} = $${i + 1}`).join(', ')} WHERE seq = $${keys.length + 1}`;
    await tx.unsafe(sql, [...keys.map((k) => update[k]), seq] as never[]);
  }

  /** Inside the caller's transaction: a page of results of the job `seq`, in their order. */
  static async insertResults(t: Sql, seq: number, results: readonly NewCoaJobResult[]): Promise<void> {
    if (results.length === 0) return;
    // One statement for the whole page of results: arrays, one per column, unnested.
    await t.unsafe(
      'INSERT INTO coa_job_results (job_seq, mac, nas_ip, outcome, error_cause, error_cause_text, attempts, rtt_ms, detail, verified) ' +
        'SELECT $1, a, b, c, d, e, f, g, h, i::boolean FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::int[], $8::float8[], $9::text[], $10::text[]) WITH ORDINALITY AS r(a, b, c, d, e, f, g, h, i, ord) ORDER BY ord',
      [
        seq,
        results.map((r) => r.mac),
        results.map((r) => r.nasIp),
        results.map((r) => r.outcome),
        results.map((r) => r.errorCause),
        results.map((r) => r.errorCauseText),
        results.map((r) => r.attempts),
        results.map((r) => r.rttMs),
        results.map((r) => r.detail),
        // As text: the driver would declare a list of booleans a single boolean.
        results.map((r) => (r.verified === null ? null : r.verified ? 't' : 'f')),
      ] as never[],
    );
  }

  async update(id: string, update: CoaJobUpdate): Promise<void> {
    await pgAttempt('updating a CoA job', () =>
      this.#sql.begin(async (tx) => {
        await PgJobTables.applyUpdate(tx as unknown as Sql, await PgJobTables.seq(tx as unknown as Sql, id), update);
      }),
    );
  }

  async append(id: string, results: readonly NewCoaJobResult[], update: CoaJobUpdate): Promise<void> {
    await pgAttempt('saving CoA job results', () =>
      this.#sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        const seq = await PgJobTables.seq(t, id);
        await PgJobTables.insertResults(t, seq, results);
        await PgJobTables.applyUpdate(t, seq, update);
      }),
    );
  }

  async get(id: string): Promise<CoaJobRecord | null> {
    const [row] = await pgAttempt('reading a CoA job', () => this.#sql.unsafe(`SELECT ${JOB_COLUMNS} FROM coa_jobs WHERE id = $1`, [id]));
    return row === undefined ? null : toJob(row);
  }

  async list(query: CoaJobQuery): Promise<CoaJobRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state !== undefined) {
      params.push(query.state);
      where.push(`state = $${params.length}`);
    }
    if (query.beforeSeq !== undefined) {
      params.push(query.beforeSeq);
      where.push(`seq < $${params.length}`);
    }
    params.push(query.limit);
    const sql = `SELECT ${JOB_COLUMNS} FROM coa_jobs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`;
    const rows = await pgAttempt('listing CoA jobs', () => this.#sql.unsafe(sql, params as never[]));
    return rows.map(toJob);
  }

  async results(query: CoaJobResultQuery): Promise<CoaJobResultRecord[]> {
    const outcome = query.outcome === undefined ? '' : ' AND r.outcome = $4';
    const sql = `SELECT ${JOB_RESULT_COLUMNS.replace(/(^|, )([a-z_]+)/g, '$1r.$2')} FROM coa_job_results r JOIN coa_jobs j ON j.seq = r.job_seq WHERE j.id = $1 AND r.id > $2${outcome} ORDER BY r.id LIMIT $3`;
    const params = [query.jobId, query.afterId ?? 0, query.limit, ...(query.outcome === undefined ? [] : [query.outcome])];
    const rows = await pgAttempt('reading CoA job results', () => this.#sql.unsafe(sql, params as never[]));
    return rows.map((r) => ({
      id: r.id as number,
      jobId: query.jobId,
      mac: r.mac as string,
      nasIp: r.nasIp as string,
      outcome: r.outcome as string,
      errorCause: (r.errorCause as number | null) ?? null,
      errorCauseText: (r.errorCauseText as string | null) ?? null,
      attempts: r.attempts as number,
      rttMs: (r.rttMs as number | null) ?? null,
      detail: (r.detail as string | null) ?? null,
      verified: (r.verified as boolean | null) ?? null,
    }));
  }

  async interrupt(at: number): Promise<number> {
    const rows = await pgAttempt('marking CoA jobs interrupted', () =>
      this.#sql.unsafe("UPDATE coa_jobs SET state = 'interrupted', finished_at = $1 WHERE state = 'running' RETURNING seq", [at]),
    );
    return rows.length;
  }

  /** Jobs finished before `olderThan`, each one's results first and the job row last (as sqlite/jobs.ts). */
  async prune(olderThan: number): Promise<{ jobs: number; results: number }> {
    return pgAttempt('pruning CoA jobs', async () => {
      let jobs = 0;
      let results = 0;
      for (;;) {
        const seqs = (await this.#sql.unsafe('SELECT seq FROM coa_jobs WHERE finished_at < $1 LIMIT 100', [olderThan])).map((r) => r.seq as number);
        for (const seq of seqs) {
          for (;;) {
            const n = (await this.#sql.unsafe(`DELETE FROM coa_job_results WHERE id IN (SELECT id FROM coa_job_results WHERE job_seq = $1 LIMIT ${PRUNE_CHUNK}) RETURNING 1`, [seq])).length;
            results += n;
            if (n < PRUNE_CHUNK) break;
          }
          // The targets of a job that ended without its owner (interrupted), kept for a resume.
          await this.#sql.unsafe('DELETE FROM coa_job_targets WHERE job_seq = $1', [seq]);
          jobs += (await this.#sql.unsafe('DELETE FROM coa_jobs WHERE seq = $1 RETURNING 1', [seq])).length;
        }
        if (seqs.length < 100) return { jobs, results };
      }
    });
  }
}
