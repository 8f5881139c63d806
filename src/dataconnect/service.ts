/**
 * DataConnect for the node: runs an admin's query in a child process (sqlite-child.ts), within a
 * time limit and a row limit, with the rows the admin's role may see, and audits every query —
 * run, refused or stopped.
 *
 * Children are started when first needed and kept for the next query; at most `concurrency` run
 * at once, and a few more queries may wait for one. A query past its time limit is stopped by
 * ending its child (SIGKILL): the statement cannot run on, and the node, whose threads never wait
 * on it, keeps ingesting. The next query starts a fresh child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { OpenMntError, type ErrorCode } from '../errors.js';
import { roleAllows, type Admin } from '../http/admins.js';
import type { NewDcQueryAuditRecord } from '../store/types.js';
import type { EngineInfo, QueryResult } from './sqlite-engine.js';

export interface DataConnectOptions {
  /** The SQLite file of the store. */
  path: string;
  nodeName: string;
  version: string;
  failureReasons: { code: string; cause: string }[];
  /** Queries running at once. */
  concurrency?: number;
  /** Queries waiting for a free child at most; more are answered 503. */
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

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  nextId: number;
  pending: Map<number, { resolve: (r: QueryResult) => void; reject: (e: OpenMntError) => void }>;
}

const CHILD = fileURLToPath(new URL('./sqlite-child.js', import.meta.url));
const SQL_MAX_BYTES = 32 * 1024;

export class DataConnect {
  readonly #o: Required<Omit<DataConnectOptions, 'logger' | 'audit'>> & Pick<DataConnectOptions, 'logger' | 'audit'>;
  readonly #children = new Set<Child>();
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(options: DataConnectOptions) {
    this.#o = { concurrency: 2, maxWaiting: 16, maxTimeoutMs: 30_000, maxRows: 10_000, ...options };
  }

  get maxRows(): number {
    return this.#o.maxRows;
  }

  get maxTimeoutMs(): number {
    return this.#o.maxTimeoutMs;
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
      // Every role that reads sees every row; a delegated admin only its groups' endpoints.
      const groups = roleAllows(admin.role, 'read') ? null : roleAllows(admin.role, 'endpoints') ? (admin.groups ?? []) : [];
      const result = await this.#run({ sql, maxRows, groups }, timeoutMs);
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

  async #run(request: { sql: string; maxRows: number; groups: string[] | null }, timeoutMs: number): Promise<QueryResult> {
    if (this.#closed) throw new OpenMntError('UNAVAILABLE', 'DataConnect is stopping');
    const child = await this.#acquire();
    try {
      try {
        await child.ready;
      } catch (error) {
        this.#discard(child);
        throw error;
      }
      return await new Promise<QueryResult>((resolve, reject) => {
        const id = child.nextId++;
        const timer = setTimeout(() => {
          child.pending.delete(id);
          // The statement cannot be interrupted in place: its process goes, and with it the query.
          this.#discard(child);
          reject(new OpenMntError('DC_TIMEOUT', `the query ran longer than ${timeoutMs / 1000} s and was stopped; narrow it (a time bound, FETCH FIRST n ROWS ONLY)`));
        }, timeoutMs);
        child.pending.set(id, {
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.process.send({ id, request });
      });
    } finally {
      this.#release(child);
    }
  }

  async #acquire(): Promise<Child> {
    for (;;) {
      for (const child of this.#children) {
        if (!child.busy) {
          child.busy = true;
          return child;
        }
      }
      if (this.#children.size < this.#o.concurrency) {
        const child = this.#spawn();
        child.busy = true;
        return child;
      }
      if (this.#waiting.length >= this.#o.maxWaiting) throw new OpenMntError('UNAVAILABLE', 'too many DataConnect queries at once; try again shortly');
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(child: Child): void {
    child.busy = false;
    this.#waiting.shift()?.();
  }

  #spawn(): Child {
    const process = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [] });
    const pending: Child['pending'] = new Map();
    let stderr = '';
    process.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const ready = new Promise<void>((resolve, reject) => {
      process.on('message', (m: { ready?: boolean; id?: number; result?: QueryResult; error?: { code: ErrorCode; message: string } }) => {
        if (m.ready === true) return resolve();
        if (m.ready === false) return reject(new OpenMntError(m.error!.code, m.error!.message));
        const waiter = pending.get(m.id!);
        if (waiter === undefined) return;
        pending.delete(m.id!);
        if (m.error !== undefined) waiter.reject(new OpenMntError(m.error.code, m.error.message));
        else waiter.resolve(m.result!);
      });
    });
    ready.catch(() => undefined);
    const child: Child = { process, ready, busy: false, nextId: 1, pending };
    process.on('exit', (code, signal) => {
      this.#children.delete(child);
      const failure = new OpenMntError('UNAVAILABLE', `the DataConnect process ended (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`);
      for (const w of pending.values()) w.reject(failure);
      pending.clear();
    });
    process.on('error', (error) => this.#o.logger.error({ err: error }, 'DataConnect process failed'));
    const info: EngineInfo = {
      path: this.#o.path,
      nodeName: this.#o.nodeName,
      version: this.#o.version,
      failureReasons: this.#o.failureReasons,
      heapLimitBytes: 256 * 1024 * 1024,
    };
    process.send({ init: info });
    this.#children.add(child);
    return child;
  }

  #discard(child: Child): void {
    this.#children.delete(child);
    child.process.kill('SIGKILL');
  }

  /** The number of query processes alive (tests). */
  get processes(): number {
    return this.#children.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const exits = [...this.#children].map((c) => new Promise<void>((resolve) => (c.process.exitCode !== null || c.process.signalCode !== null ? resolve() : c.process.once('exit', () => resolve()))));
    for (const c of this.#children) c.process.kill('SIGKILL');
    await Promise.all(exits);
    for (const w of this.#waiting.splice(0)) w();
  }
}
