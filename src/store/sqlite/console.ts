/**
 * The console's own reads and its one small table, kept apart from the session SQL in sqlite.ts:
 *
 * - Recent authentications across every endpoint (Live Logs without a MAC), newest first, read
 *   backwards along `auth_records_time` (received_at). A filter (result, NAS, failure reason) is
 *   tested on the rows of the time window as the index walks them, so the cost is bounded by the
 *   window and the limit, never by the size of the table outside it.
 * - Per-minute activity samples (`activity_samples`): the active-session count and the
 *   authentications passed and failed in each minute, for the dashboard's 24-hour charts. Why a
 *   table and not the stored records: "active at time t" cannot be counted back from the session
 *   tables at an acceptable cost (1,000,000 active rows per point, and closed sessions may already
 *   be pruned or back-dated by an Interim-Update that opened them), while one row a minute is
 *   1,440 rows a day and a write too small to notice. Samples survive a restart (unlike memory);
 *   minutes the node was down have none, and the chart shows the gap as it is.
 */
import type { Database } from 'better-sqlite3';
import { StatementCache } from './statements.js';
import type { ActivitySample, RecentAuthQuery } from '../types.js';

/** Samples older than this are deleted as new ones come: the charts show 24 hours. */
export const ACTIVITY_KEEP_MS = 25 * 3_600_000;

export function createActivityTable(db: Database): void {
  // One row per minute (the minute's start, epoch ms): a second sample in the same minute replaces it.
  db.exec('CREATE TABLE activity_samples (at INTEGER PRIMARY KEY, active INTEGER NOT NULL, passed INTEGER NOT NULL, failed INTEGER NOT NULL)');
}

type Row = Record<string, unknown>;

export class SqliteConsoleQueries {
  readonly #statements: StatementCache;

  constructor(db: Database) {
    this.#statements = new StatementCache(db);
  }

  /** Raw rows of auth_records (the caller maps them), newest first. */
  recentAuthRows(q: RecentAuthQuery): Row[] {
    const where = ['received_at >= ?'];
    const params: unknown[] = [q.since];
    if (q.until !== undefined) {
      where.push('received_at <= ?');
      params.push(q.until);
    }
    if (q.before !== undefined) {
      // Keyset paging: strictly older than the last row of the previous page, in the list's order.
      where.push('(received_at, id) < (?, ?)');
      params.push(q.before.at, q.before.id);
    }
    if (q.passed !== undefined) {
      where.push('passed = ?');
      params.push(q.passed ? 1 : 0);
    }
    if (q.nasIp !== undefined) {
      where.push('nas_ip = ?');
      params.push(q.nasIp);
    }
    if (q.failureReasonCode !== undefined) {
      where.push('failure_reason_code = ?');
      params.push(q.failureReasonCode);
    }
    // INDEXED BY: the planner could otherwise pick the NAS or MAC index and sort the window.
    const sql = `SELECT * FROM auth_records INDEXED BY auth_records_time WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id DESC LIMIT ?`;
    return this.#statements.get(sql).all(...params, q.limit) as Row[];
  }

  recordActivity(sample: ActivitySample): void {
    const minute = Math.floor(sample.at / 60_000) * 60_000;
    this.#statements
      .get('INSERT INTO activity_samples (at, active, passed, failed) VALUES (?, ?, ?, ?) ON CONFLICT (at) DO UPDATE SET active = excluded.active, passed = activity_samples.passed + excluded.passed, failed = activity_samples.failed + excluded.failed')
      .run(minute, sample.active, sample.passed, sample.failed);
    this.#statements.get('DELETE FROM activity_samples WHERE at < ?').run(minute - ACTIVITY_KEEP_MS);
  }

  activity(since: number): ActivitySample[] {
    return this.#statements.get('SELECT at, active, passed, failed FROM activity_samples WHERE at >= ? ORDER BY at').all(since) as ActivitySample[];
  }
}
