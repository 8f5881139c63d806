/**
 * A `Store` whose SQLite work runs on a worker thread (see worker-thread.ts). Same contract as
 * the in-thread store: `write` resolves after COMMIT. Used by `openmnt serve` so that RADIUS
 * handling and SQLite each get a core.
 */
import { Worker } from 'node:worker_threads';
import { OpenMntError, type ErrorCode } from '../errors.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type {
  AccountingRecord,
  AccountingWrite,
  AuthRecord,
  AuthWrite,
  CloseReason,
  PruneResult,
  CoaAuditQuery,
  CoaAuditRecord,
  CoaJobQuery,
  CoaJobRecord,
  CoaJobResultQuery,
  CoaJobResultRecord,
  CoaJobUpdate,
  NewCoaAuditRecord,
  NewCoaJob,
  NewCoaJobResult,
  Session,
  SessionQuery,
  SessionSummary,
  Store,
  StoreStats,
  TimeWindowQuery,
  WriteResult,
} from './types.js';

interface Reply {
  id: number;
  result?: unknown;
  error?: { code: ErrorCode; message: string };
}

export class WorkerStore implements Store {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 1;
  #closed = false;
  #failure: Error | null = null;
  readonly #options: SqliteStoreOptions;
  #reader: SqliteStore | null = null;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
    this.#worker = new Worker(new URL('./worker-thread.js', import.meta.url), { workerData: options });
    this.#worker.on('message', (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      if (reply.error) p.reject(new OpenMntError(reply.error.code, reply.error.message));
      else p.resolve(reply.result);
    });
    const fail = (error: Error) => {
      this.#failure = new OpenMntError('STORE_FAILED', `store thread failed: ${error.message}`, { cause: error });
      for (const p of this.#pending.values()) p.reject(this.#failure);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`exited with code ${code}`));
    });
  }

  /** Resolves once the thread has opened the database (or rejects with why it could not). */
  async ready(): Promise<this> {
    await this.#call('countActive');
    return this;
  }

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new OpenMntError('STORE_CLOSED', 'the store is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args });
    });
  }

  write(batch: { accounting?: AccountingWrite[]; auth?: AuthWrite[] }): Promise<WriteResult> {
    return this.#call('write', batch);
  }
  countActive(): Promise<number> {
    return this.#call('countActive');
  }
  /**
   * Reads run on the calling thread over their own read-only connection: WAL lets them proceed
   * beside the writer, so an API query never queues behind a write batch, and rows are not copied
   * between threads. A committed write is visible to the next read.
   */
  #read(): SqliteStore | null {
    if (this.#closed) throw new OpenMntError('STORE_CLOSED', 'the store is closed');
    if (this.#options.path === ':memory:') return null;
    this.#reader ??= openSqliteStore({ ...this.#options, readonly: true });
    return this.#reader;
  }
  async findLatestSession(query: SessionQuery): Promise<Session | null> {
    return this.#read()?.findLatestSession(query) ?? this.#call('findLatestSession', query);
  }
  async authRecordsByUser(query: { userName: string; since: number; limit: number }): Promise<AuthRecord[]> {
    return this.#read()?.authRecordsByUser(query) ?? this.#call('authRecordsByUser', query);
  }
  async countSessions(query: SessionQuery): Promise<number> {
    const { limit: _limit, afterId: _afterId, scope, ...filters } = query;
    // The unfiltered active count is the writer's counter (constant time, always current).
    if ((scope ?? 'active') === 'active' && Object.values(filters).every((v) => v === undefined)) return this.countActive();
    return this.#read()?.countSessions(query) ?? this.#call('countSessions', query);
  }
  async *listSessionPages(query: SessionQuery, pageSize: number): AsyncIterable<SessionSummary[]> {
    const reader = this.#read();
    if (reader !== null) {
      yield* reader.listSessionPages(query, pageSize);
      return;
    }
    const page: SessionSummary[] = [];
    for await (const s of this.iterateSessions(query)) {
      page.push({
        id: s.id,
        userName: s.userName ?? null,
        callingStationId: s.callingStationId,
        nasIp: s.nasIp,
        acctSessionId: s.acctSessionId,
        auditSessionId: s.auditSessionId ?? null,
        server: s.server,
        framedIp: s.framedIp ?? null,
        framedIpv6: s.framedIpv6 ?? null,
      });
      if (page.length === pageSize) yield page.splice(0);
    }
    if (page.length > 0) yield page;
  }
  async *iterateSessions(query: SessionQuery): AsyncIterable<Session> {
    const reader = this.#read();
    if (reader !== null) {
      yield* reader.iterateSessions(query);
      return;
    }
    const key = this.#next++;
    await this.#call('iterOpen', key, query);
    let done = false;
    try {
      while (!done) {
        const page = await this.#call<{ rows: Session[]; done: boolean }>('iterNext', key, 1000);
        done = page.done;
        yield* page.rows;
      }
    } finally {
      if (!done && !this.#closed) await this.#call('iterClose', key);
    }
  }
  async getSession(id: number): Promise<Session | null> {
    return this.#read()?.getSession(id) ?? this.#call('getSession', id);
  }
  async authRecordsByMac(query: TimeWindowQuery): Promise<AuthRecord[]> {
    return this.#read()?.authRecordsByMac(query) ?? this.#call('authRecordsByMac', query);
  }
  async accountingRecordsByMac(query: TimeWindowQuery): Promise<AccountingRecord[]> {
    return this.#read()?.accountingRecordsByMac(query) ?? this.#call('accountingRecordsByMac', query);
  }
  closeSessions(filter: { all?: boolean; mac?: string; auditSessionId?: string; ids?: number[] }, reason: CloseReason, at: number): Promise<number> {
    return this.#call('closeSessions', filter, reason, at);
  }
  staleCandidates(before: number, limit: number): Promise<Session[]> {
    return this.#call('staleCandidates', before, limit);
  }
  recordCoa(record: NewCoaAuditRecord): Promise<number> {
    return this.#call('recordCoa', record);
  }
  async coaAudit(query: CoaAuditQuery): Promise<CoaAuditRecord[]> {
    return this.#read()?.coaAudit(query) ?? this.#call('coaAudit', query);
  }
  saveJob(job: NewCoaJob): Promise<void> {
    return this.#call('saveJob', job);
  }
  updateJob(id: string, update: CoaJobUpdate): Promise<void> {
    return this.#call('updateJob', id, update);
  }
  appendJobResults(id: string, results: NewCoaJobResult[], update: CoaJobUpdate): Promise<void> {
    return this.#call('appendJobResults', id, results, update);
  }
  async getJob(id: string): Promise<CoaJobRecord | null> {
    return this.#read()?.getJob(id) ?? this.#call('getJob', id);
  }
  async listJobs(query: CoaJobQuery): Promise<CoaJobRecord[]> {
    return this.#read()?.listJobs(query) ?? this.#call('listJobs', query);
  }
  async jobResults(query: CoaJobResultQuery): Promise<CoaJobResultRecord[]> {
    return this.#read()?.jobResults(query) ?? this.#call('jobResults', query);
  }
  interruptJobs(at: number): Promise<number> {
    return this.#call('interruptJobs', at);
  }
  prune(olderThan: number): Promise<PruneResult> {
    return this.#call('prune', olderThan);
  }
  stats(): Promise<StoreStats> {
    return this.#call('stats');
  }
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#call('close').catch(() => undefined);
    this.#closed = true;
    await this.#reader?.close();
    await this.#worker.terminate();
  }
}
