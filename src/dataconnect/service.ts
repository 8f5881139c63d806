/**
 * DataConnect for the node, the part every engine shares: an admin's query is checked (size, row
 * and time limits), scoped to the rows the admin's role may see, run by the store's engine
 * (sqlite-runner.ts, postgres-engine.ts: what differs between engines is there) and audited —
 * run, refused or stopped.
 */
import type { Logger } from 'pino';
import { OpenMntError } from '../errors.js';
import { roleAllows, type Admin } from '../http/admins.js';
import type { NewDcQueryAuditRecord } from '../store/types.js';
import type { DcEngine, QueryResult } from './engine.js';
import { SqliteRunner } from './sqlite-runner.js';

export interface DataConnectOptions {
  /** The engine that runs the queries; by default SQLite's, over `path`. */
  engine?: DcEngine;
  /** The SQLite file of the store (without `engine`). */
  path?: string;
  nodeName: string;
  version: string;
  failureReasons: { code: string; cause: string }[];
  /** Queries running at once. */
  concurrency?: number;
  /** Queries waiting for a free connection at most; more are answered 503. */
  maxWaiting?: number;
  /** The longest a query may run, and the default. */
  maxTimeoutMs?: number;
  /** The most rows a query may return, and the default. */
  maxRows?: number;
  logger: Logger;
  /** Where each query's audit record goes (the store). */
  audit: (record: DcQueryAuditRecord) => Promise<unknown>;
}

/** What the node records of each query (the store's dc_query_audit). */
export type DcQueryAuditRecord = NewDcQueryAuditRecord;

export interface DcQueryOptions {
  maxRows?: number;
  timeoutMs?: number;
  source?: string | null;
}

export interface DcAnswer extends QueryResult {
  durationMs: number;
}

const SQL_MAX_BYTES = 32 * 1024;
/** Defaults of the limits (the time limit is also the PostgreSQL role's statement_timeout). */
export const DC_DEFAULTS = { concurrency: 2, maxWaiting: 16, maxTimeoutMs: 30_000, maxRows: 10_000 } as const;

export class DataConnect {
  readonly #o: { maxTimeoutMs: number; maxRows: number; logger: Logger; audit: DataConnectOptions['audit'] };
  readonly #engine: DcEngine;
  #closed = false;

  constructor(options: DataConnectOptions) {
    const o = { ...DC_DEFAULTS, ...options };
    this.#o = { maxTimeoutMs: o.maxTimeoutMs, maxRows: o.maxRows, logger: o.logger, audit: o.audit };
    if (o.engine !== undefined) this.#engine = o.engine;
    else {
      if (o.path === undefined) throw new Error('DataConnect: an engine or the SQLite path');
      this.#engine = new SqliteRunner({ path: o.path, nodeName: o.nodeName, version: o.version, failureReasons: o.failureReasons, concurrency: o.concurrency, maxWaiting: o.maxWaiting, logger: o.logger });
    }
  }

  get maxRows(): number {
    return this.#o.maxRows;
  }

  get maxTimeoutMs(): number {
    return this.#o.maxTimeoutMs;
  }

  /** The engine (tests). */
  get engine(): DcEngine {
    return this.#engine;
  }

  /** Runs `sql` for `admin`; every outcome is audited before it is answered. */
  async query(admin: Admin, sql: string, options: DcQueryOptions = {}): Promise<DcAnswer> {
    const started = Date.now();
    const maxRows = options.maxRows ?? this.#o.maxRows;
    const timeoutMs = options.timeoutMs ?? this.#o.maxTimeoutMs;
    let outcome = 'ok';
    let rows = 0;
    try {
      if (!(Number.isInteger(maxRows) && maxRows >= 1 && maxRows <= this.#o.maxRows)) {
        throw new OpenMntError('INVALID_ARGUMENT', `maxRows must be a whole number from 1 to ${this.#o.maxRows}`);
      }
      if (!(Number.isFinite(timeoutMs) && timeoutMs >= 100 && timeoutMs <= this.#o.maxTimeoutMs)) {
        throw new OpenMntError('INVALID_ARGUMENT', `the time limit must be from 0.1 to ${this.#o.maxTimeoutMs / 1000} seconds`);
      }
      if (typeof sql !== 'string' || sql.trim() === '') throw new OpenMntError('INVALID_ARGUMENT', 'sql: give the query as text');
      if (Buffer.byteLength(sql) > SQL_MAX_BYTES) throw new OpenMntError('INVALID_ARGUMENT', `sql: a query may have at most ${SQL_MAX_BYTES} bytes`);
      if (this.#closed) throw new OpenMntError('UNAVAILABLE', 'DataConnect is stopping');
      // Every role that reads sees every row; a delegated admin only its groups' endpoints.
      const groups = roleAllows(admin.role, 'read') ? null : roleAllows(admin.role, 'endpoints') ? (admin.groups ?? []) : [];
      const result = await this.#engine.run({ sql, maxRows, groups }, timeoutMs);
      rows = result.rows.length;
      if (result.truncated) outcome = 'truncated';
      return { ...result, durationMs: Date.now() - started };
    } catch (error) {
      const failure = error instanceof OpenMntError ? error : new OpenMntError('DC_SQL_ERROR', (error as Error).message);
      outcome = failure.code;
      throw failure;
    } finally {
      const record: DcQueryAuditRecord = { at: started, admin: admin.name, role: admin.role, origin: 'api', source: options.source ?? null, sql, outcome, rows, durationMs: Date.now() - started };
      this.#o.logger.info({ admin: admin.name, outcome, rows, ms: record.durationMs }, 'DataConnect query');
      await this.#o.audit(record).catch((error: unknown) => this.#o.logger.error({ err: error }, 'DataConnect audit record could not be written'));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#engine.close();
  }
}
