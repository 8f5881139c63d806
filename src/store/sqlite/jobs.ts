/**
 * Bulk CoA jobs in SQLite: one summary row per job (`coa_jobs`) and one row per endpoint acted on
 * (`coa_job_results`), both paged by keyset so that neither a list of jobs nor a job of 100,000
 * endpoints is ever read whole. The layout is in migrations.ts.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StatementCache } from './statements.js';
import { JOB_COLUMNS, JOB_RESULT_COLUMNS, JOB_UPDATABLE, jobOf } from '../rows.js';
import { OpenMntError } from '../../errors.js';
import type {
  CoaJobQuery,
  CoaJobRecord,
  CoaJobResultQuery,
  CoaJobResultRecord,
  CoaJobUpdate,
  NewCoaJob,
  NewCoaJobResult,
} from '../types.js';

type Row = Record<string, unknown>;

/** Rows deleted per statement when pruning: each is its own short transaction (see SqliteStore.prune). */
const PRUNE_CHUNK = 5000;

const toJob = (row: Row) => jobOf(row, (text) => JSON.parse(text as string));

export class SqliteJobTables {
  readonly #db: Database;
  readonly #statements: StatementCache;

  constructor(db: Database) {
    this.#db = db;
    this.#statements = new StatementCache(db);
  }

  #statement(sql: string): Statement {
    return this.#statements.get(sql);
  }

  save(job: NewCoaJob): void {
    try {
      this.#statement(
        'INSERT INTO coa_jobs (id, state, admin, action, selector, pacing, total, completed, counts, created_at, finished_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        job.id,
        job.state,
        job.admin,
        JSON.stringify(job.action),
        JSON.stringify(job.selector),
        JSON.stringify(job.pacing),
        job.total,
        job.completed,
        JSON.stringify(job.counts),
        job.createdAt,
        job.finishedAt,
        job.durationMs,
      );
    } catch (cause) {
      if ((cause as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new OpenMntError('ALREADY_EXISTS', `a CoA job ${job.id} is already kept`, { cause });
      throw cause;
    }
  }

  /** The job's seq, or NOT_FOUND. */
  #seq(id: string): number {
    const row = this.#statement('SELECT seq FROM coa_jobs WHERE id = ?').get(id) as { seq: number } | undefined;
    if (row === undefined) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
    return row.seq;
  }

  /** Runs inside the caller's transaction. */
  #update(seq: number, update: CoaJobUpdate): void {
    const keys = (Object.keys(JOB_UPDATABLE) as (keyof CoaJobUpdate)[]).filter((k) => update[k] !== undefined);
    if (keys.length === 0) return;
    const sql = `UPDATE coa_jobs SET ${keys.map((k) => `${JOB_UPDATABLE[k]} = ?`).join(', ')} WHERE seq = ?`;
    this.#statement(sql).run(...keys.map((k) => (k === 'counts' ? JSON.stringify(update.counts) : update[k])), seq);
  }

  update(id: string, update: CoaJobUpdate): void {
    this.#db.transaction(() => this.#update(this.#seq(id), update))();
  }

  append(id: string, results: readonly NewCoaJobResult[], update: CoaJobUpdate): void {
    const insert = this.#statement(
      'INSERT INTO coa_job_results (job_seq, mac, nas_ip, outcome, error_cause, error_cause_text, attempts, rtt_ms, detail, verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#db.transaction(() => {
      const seq = this.#seq(id);
      for (const r of results) {
        insert.run(seq, r.mac, r.nasIp, r.outcome, r.errorCause, r.errorCauseText, r.attempts, r.rttMs, r.detail, r.verified === null ? null : r.verified ? 1 : 0);
      }
      this.#update(seq, update);
    })();
  }

  get(id: string): CoaJobRecord | null {
    const row = this.#statement(`SELECT ${JOB_COLUMNS} FROM coa_jobs WHERE id = ?`).get(id) as Row | undefined;
    return row === undefined ? null : toJob(row);
  }

  list(query: CoaJobQuery): CoaJobRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state !== undefined) {
      where.push('state = ?');
      params.push(query.state);
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(query.beforeSeq);
    }
    const sql = `SELECT ${JOB_COLUMNS} FROM coa_jobs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.#statement(sql).all(...params, query.limit) as Row[]).map(toJob);
  }

  results(query: CoaJobResultQuery): CoaJobResultRecord[] {
    const row = this.#statement('SELECT seq FROM coa_jobs WHERE id = ?').get(query.jobId) as { seq: number } | undefined;
    if (row === undefined) return [];
    const outcome = query.outcome === undefined ? '' : ' AND outcome = ?';
    const sql = `SELECT ${JOB_RESULT_COLUMNS} FROM coa_job_results WHERE job_seq = ?${outcome} AND id > ? ORDER BY id LIMIT ?`;
    const params: unknown[] = [row.seq, ...(query.outcome === undefined ? [] : [query.outcome]), query.afterId ?? 0, query.limit];
    return (this.#statement(sql).all(...params) as Row[]).map((r) => ({
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
      verified: r.verified === null || r.verified === undefined ? null : r.verified === 1,
    }));
  }

  interrupt(at: number): number {
    return this.#statement("UPDATE coa_jobs SET state = 'interrupted', finished_at = ? WHERE state = 'running'").run(at).changes;
  }

  /**
   * Deletes jobs finished before `olderThan`, each one's results first and the job row last: a
   * prune stopped half-way leaves a job with fewer results, which the next prune removes, never
   * results without their job. Small statements, so the write lock is never held long.
   */
  prune(olderThan: number): { jobs: number; results: number } {
    const old = this.#statement(`SELECT seq FROM coa_jobs WHERE finished_at < ? LIMIT 100`);
    const deleteResults = this.#statement(`DELETE FROM coa_job_results WHERE id IN (SELECT id FROM coa_job_results WHERE job_seq = ? LIMIT ${PRUNE_CHUNK})`);
    const deleteJob = this.#statement('DELETE FROM coa_jobs WHERE seq = ?');
    let jobs = 0;
    let results = 0;
    for (;;) {
      const seqs = (old.all(olderThan) as { seq: number }[]).map((r) => r.seq);
      for (const seq of seqs) {
        for (;;) {
          const n = deleteResults.run(seq).changes;
          results += n;
          if (n < PRUNE_CHUNK) break;
        }
        jobs += deleteJob.run(seq).changes;
      }
      if (seqs.length < 100) return { jobs, results };
    }
  }
}
