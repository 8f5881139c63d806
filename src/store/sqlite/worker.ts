/**
 * A `Store` whose SQLite work runs on two threads: writes on one (worker-thread.ts), reads on
 * another over a read-only connection (reader-thread.ts). The main thread, which answers RADIUS,
 * runs only lookups by MAC or audit-session-id (a few index entries; see findLatestSession): an
 * API read of any other kind costs it only the messages carrying the rows, a page at a time. Same contract as the in-thread store: `write` resolves after COMMIT, and a
 * committed write is visible to the next read (the reader's next query starts after the commit).
 * Used by `openmnt serve`.
 */
import type { MessagePort } from 'node:worker_threads';
import { OpenMntError } from '../../errors.js';
import type { CursorKind, Page } from '../cursors.js';
import type { CheckpointResult, CheckpointerData } from './checkpointer-thread.js';
import { DEFAULT_WAL_MAX_MIB, MACS_PER_QUERY, distinctChunks, openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './store.js';
import { summariesOfJson } from './summaries.js';
import { StoreThread } from '../thread-channel.js';
import type {
  JsonMember,
  ConfigAuditQuery,
  ConfigAuditRecord,
  NewConfigAuditRecord,
  PolicyRows,
  PolicyWriteOp,
  PolicyWriteResult,
  AccountingRecord,
  AccountingWrite,
  AuthRecord,
  AuthWrite,
  CloseReason,
  PruneResult,
  CoaAuditQuery,
  CoaAuditRecord,
  EndpointLocation,
  EventLogBounds,
  CoaJobQuery,
  CoaJobRecord,
  CoaJobResultQuery,
  CoaJobResultRecord,
  CoaJobUpdate,
  NewCoaAuditRecord,
  NewDcQueryAuditRecord,
  DcQueryAuditRecord,
  NewAdminLoginRecord,
  NewCoaJob,
  NewCoaJobResult,
  Session,
  SessionEvent,
  SessionFilters,
  SessionQuery,
  SessionSummary,
  Store,
  StoreStats,
  TimeWindowQuery,
  ActivitySample,
  RecentAuthQuery,
  WriteResult,
} from '../types.js';

export interface WorkerStoreOptions extends SqliteStoreOptions {
  /**
   * For tests: while element 0 is 1, the reading thread waits before serving each read (element 1
   * counts the reads that found it so; element 2, if present, lets that many reads pass first). A
   * test holds a read in progress this way, without timing.
   */
  holdReads?: Int32Array;
}

/** Rows per message of a streamed `iterateSessions`. */
const SESSION_PAGE = 1000;

export class WorkerStore implements Store {
  readonly #writer: StoreThread;
  /** Resolves once the writer has opened (and migrated) the database, which the reader needs. */
  readonly #opened: Promise<unknown>;
  readonly #options: WorkerStoreOptions;
  #reader: Promise<StoreThread> | null = null;
  /** A read-only connection on the calling thread, for lookups that touch a handful of rows. */
  #inline: SqliteStore | null = null;
  /** Shared with the writing thread: whether anyone listens to events, the newest event id (SqliteStoreOptions.eventGate). */
  // Demand 1 until told otherwise: a listener that never calls setEventDemand gets every batch.
  readonly #eventGate = { demand: new Int32Array(new SharedArrayBuffer(4)).fill(1), lastId: new BigInt64Array(new SharedArrayBuffer(8)) };
  /** The writing thread's count of active sessions (SqliteStoreOptions.activeCounter). */
  readonly #activeCounter = new Int32Array(new SharedArrayBuffer(4));
  /** The checkpointing thread (checkpointer-thread.ts), or null for an in-memory database. */
  readonly #checkpointer: Promise<StoreThread | null>;
  #closed = false;
  #nextCursor = 1;

  constructor(options: WorkerStoreOptions) {
    this.#options = options;
    const { holdReads: _hold, ...writer } = options;
    // On unless turned off (bench/commit-tail.ts compares both).
    const background = options.path !== ':memory:' && options.readonly !== true && options.backgroundCheckpoints !== false;
    this.#writer = new StoreThread(
      new URL('./worker-thread.js', import.meta.url),
      { ...writer, activeCounter: this.#activeCounter, backgroundCheckpoints: background, eventGate: this.#eventGate },
      'writer',
    );
    this.#opened = this.#writer.call('countActive');
    // A failed open is reported by ready() or the first call; this copy must not go unhandled.
    this.#opened.catch(() => undefined);
    // Started once the writer has made the database a WAL file; an in-memory one has no WAL.
    this.#checkpointer = background
      ? this.#opened.then(() => {
          const data: CheckpointerData = { path: options.path, synchronous: options.synchronous, walMaxMiB: options.walMaxMiB ?? DEFAULT_WAL_MAX_MIB };
          return new StoreThread(new URL('./checkpointer-thread.js', import.meta.url), data, 'checkpointer');
        })
      : Promise.resolve(null);
    this.#checkpointer.catch(() => undefined);
  }

  /** Resolves once both threads have opened the database (or rejects with why one could not). */
  async ready(): Promise<this> {
    await this.#opened;
    const reads = await this.#reads();
    if (reads !== this.#writer) await reads.call('ping');
    return this;
  }

  /**
   * The thread that serves reads. An in-memory database has no second connection to read it, so
   * then the writer reads too (tests only: a node keeps its directory in a file).
   */
  #reads(): Promise<StoreThread> {
    if (this.#closed) return Promise.reject(new OpenMntError('STORE_CLOSED', 'the store is closed'));
    this.#reader ??= this.#opened.then(() =>
      this.#options.path === ':memory:'
        ? this.#writer
        : new StoreThread(new URL('./reader-thread.js', import.meta.url), { ...this.#options, readonly: true }, 'reader'),
    );
    return this.#reader;
  }

  async #read<T>(method: string, ...args: unknown[]): Promise<T> {
    return (await this.#reads()).call<T>(method, ...args);
  }

  /** Runs one background checkpoint now and says what it copied (tests); null without a checkpointer. */
  async checkpointNow(): Promise<CheckpointResult | null> {
    const checkpointer = await this.#checkpointer;
    return checkpointer === null ? null : checkpointer.call<CheckpointResult>('checkpoint');
  }

  /**
   * A port on which another thread (the RADIUS thread) calls the writing thread directly: its
   * writes and probes then never pass through this thread's event loop. See portChannel.
   */
  writerPort(): MessagePort {
    return this.#writer.port();
  }
  write(batch: { accounting?: AccountingWrite[]; auth?: AuthWrite[] }): Promise<WriteResult> {
    return this.#writer.call('write', batch);
  }
  probe(at: number): Promise<void> {
    return this.#writer.call('probe', at);
  }
  /**
   * Read from the count the writing thread keeps in shared memory: ActiveCount is an MnT call
   * monitoring scripts poll, and a message to the writer and back cost it more than all the rest
   * of its request. The writer stores the count after each commit and before answering it, so a
   * count read after a write has resolved includes that write.
   */
  async countActive(): Promise<number> {
    if (this.#closed) throw new OpenMntError('STORE_CLOSED', 'the store is closed');
    await this.#opened;
    // A writer that died answers no more: the count it left is not the directory's (/health).
    const refused = this.#writer.refusal();
    if (refused !== null) throw refused;
    return Atomics.load(this.#activeCounter, 0);
  }
  /**
   * A lookup by MAC or by audit-session-id reads a few index entries and rows: a few microseconds,
   * less than the round trip to the reading thread would cost. It runs here, on the calling thread,
   * over a read-only connection of its own (the MnT API's most frequent calls). Every other lookup
   * may scan (all sessions of a NAS, of a user) and goes to the reading thread.
   */
  async findLatestSession(query: SessionQuery): Promise<Session | null> {
    if (isPointLookup(query)) {
      if (this.#closed) throw new OpenMntError('STORE_CLOSED', 'the store is closed');
      await this.#opened;
      if (this.#options.path !== ':memory:') {
        const { holdReads: _hold, ...options } = this.#options;
        this.#inline ??= openSqliteStore({ ...options, readonly: true });
        return this.#inline.findLatestSession(query);
      }
    }
    return this.#read('findLatestSession', query);
  }
  /**
   * One message per MACS_PER_QUERY MACs, the next sent when the last is answered: other reads
   * (and other jobs' selections) queue behind one chunk at most, never behind a whole list, and
   * this thread's share (the duplicate check, the rows) comes in slices between RADIUS packets.
   */
  async latestSessionsByMacs(macs: readonly string[], filters: SessionFilters): Promise<EndpointLocation[]> {
    const found: EndpointLocation[] = [];
    for (const chunk of distinctChunks(macs, MACS_PER_QUERY)) {
      const rows = await this.#read<EndpointLocation[]>('latestSessionsOfChunk', chunk, filters);
      for (const row of rows) found.push(row);
    }
    return found;
  }
  authRecordsByUser(query: { userName: string; since: number; limit: number }): Promise<AuthRecord[]> {
    return this.#read('authRecordsByUser', query);
  }
  countSessions(query: SessionQuery): Promise<number> {
    const { limit: _limit, afterId: _afterId, scope, ...filters } = query;
    // The unfiltered active count is the writer's counter (constant time, always current).
    if ((scope ?? 'active') === 'active' && Object.values(filters).every((v) => v === undefined)) return this.countActive();
    return this.#read('countSessions', query);
  }
  async *listSessionPages(query: SessionQuery, pageSize: number): AsyncIterable<SessionSummary[]> {
    for await (const pages of this.#pages<string>('summaries', query, pageSize)) for (const page of pages) yield summariesOfJson(page);
  }
  async *listSessionJsonPages(query: SessionQuery, pageSize: number, members: readonly JsonMember[]): AsyncIterable<Uint8Array> {
    for await (const pages of this.#pages<Uint8Array>('summaryText', query, pageSize, members)) yield* pages;
  }
  async *iterateSessions(query: SessionQuery): AsyncIterable<Session> {
    for await (const rows of this.#pages<Session>('sessions', query, SESSION_PAGE)) yield* rows;
  }
  /**
   * A streamed read, page by page over messages. The next page is asked for as soon as one
   * arrives, so the thread reads it while the consumer handles this one; never more than that
   * one page ahead, so a slow consumer (a client reading a long list slowly) holds two pages.
   */
  async *#pages<T>(kind: CursorKind, query: SessionQuery, pageSize: number, members?: readonly JsonMember[]): AsyncGenerator<T[]> {
    const thread = await this.#reads();
    const key = this.#nextCursor++;
    let next = thread.call<Page<T>>('cursorOpen', key, kind, query, pageSize, members);
    let done = false;
    try {
      while (!done) {
        const page = await next;
        done = page.done;
        if (!done) next = thread.call<Page<T>>('cursorNext', key);
        if (page.rows.length > 0) yield page.rows;
      }
    } finally {
      if (!done) {
        // The consumer stopped early: the page asked for ahead is not wanted, nor is the cursor.
        next.catch(() => undefined);
        await thread.call('cursorClose', key).catch(() => undefined);
      }
    }
  }
  getSession(id: number): Promise<Session | null> {
    return this.#read('getSession', id);
  }
  recentAuthRecords(query: RecentAuthQuery): Promise<AuthRecord[]> {
    return this.#read('recentAuthRecords', query);
  }
  recordActivity(sample: ActivitySample): Promise<void> {
    return this.#writer.call('recordActivity', sample);
  }
  activity(since: number): Promise<ActivitySample[]> {
    return this.#read('activity', since);
  }
  authRecordsByMac(query: TimeWindowQuery): Promise<AuthRecord[]> {
    return this.#read('authRecordsByMac', query);
  }
  accountingRecordsByMac(query: TimeWindowQuery): Promise<AccountingRecord[]> {
    return this.#read('accountingRecordsByMac', query);
  }
  closeSessions(filter: { all?: boolean; mac?: string; auditSessionId?: string; ids?: number[] }, reason: CloseReason, at: number): Promise<number> {
    return this.#writer.call('closeSessions', filter, reason, at);
  }
  staleCandidates(before: number, limit: number): Promise<Session[]> {
    return this.#read('staleCandidates', before, limit);
  }
  recordCoa(record: NewCoaAuditRecord): Promise<number> {
    return this.#writer.call('recordCoa', record);
  }
  coaAudit(query: CoaAuditQuery): Promise<CoaAuditRecord[]> {
    return this.#read('coaAudit', query);
  }
  recordDcQuery(record: NewDcQueryAuditRecord): Promise<number> {
    return this.#writer.call('recordDcQuery', record);
  }
  dcQueryAudit(query: { since?: number; limit: number }): Promise<DcQueryAuditRecord[]> {
    return this.#read('dcQueryAudit', query);
  }
  recordAdminLogin(record: NewAdminLoginRecord): Promise<number> {
    return this.#writer.call('recordAdminLogin', record);
  }
  saveJob(job: NewCoaJob): Promise<void> {
    return this.#writer.call('saveJob', job);
  }
  updateJob(id: string, update: CoaJobUpdate): Promise<void> {
    return this.#writer.call('updateJob', id, update);
  }
  appendJobResults(id: string, results: NewCoaJobResult[], update: CoaJobUpdate): Promise<void> {
    return this.#writer.call('appendJobResults', id, results, update);
  }
  getJob(id: string): Promise<CoaJobRecord | null> {
    return this.#read('getJob', id);
  }
  listJobs(query: CoaJobQuery): Promise<CoaJobRecord[]> {
    return this.#read('listJobs', query);
  }
  jobResults(query: CoaJobResultQuery): Promise<CoaJobResultRecord[]> {
    return this.#read('jobResults', query);
  }
  interruptJobs(at: number): Promise<number> {
    return this.#writer.call('interruptJobs', at);
  }
  prune(olderThan: number): Promise<PruneResult> {
    return this.#writer.call('prune', olderThan);
  }
  loadPolicy(): Promise<PolicyRows> {
    return this.#read('loadPolicy');
  }
  /**
   * One row by its key, asked once a second by every node's policy poll: read over the calling
   * thread's own read-only connection, like the point lookups, so the poll never queues behind
   * (or counts among) the reading thread's API work.
   */
  async policyRevision(): Promise<number> {
    if (this.#closed) throw new OpenMntError('STORE_CLOSED', 'the store is closed');
    await this.#opened;
    if (this.#options.path === ':memory:') return this.#writer.call('policyRevision');
    const { holdReads: _hold, ...options } = this.#options;
    this.#inline ??= openSqliteStore({ ...options, readonly: true });
    return this.#inline.policyRevision();
  }
  writePolicy(ops: PolicyWriteOp[], audit: NewConfigAuditRecord[]): Promise<PolicyWriteResult> {
    return this.#writer.call('writePolicy', ops, audit);
  }
  configAudit(query: ConfigAuditQuery): Promise<ConfigAuditRecord[]> {
    return this.#read('configAudit', query);
  }
  readEvents(afterId: number, limit: number): Promise<SessionEvent[]> {
    return this.#read('readEvents', afterId, limit);
  }
  eventBounds(): Promise<EventLogBounds> {
    return this.#read('eventBounds');
  }
  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#writer.onEvents(listener);
  }
  /**
   * With nobody listening the writing thread keeps its events to the log: posting each commit's
   * batch to a thread that drops it cost the writer a seventh of its time under ingest.
   */
  setEventDemand(listeners: number): void {
    Atomics.store(this.#eventGate.demand, 0, listeners);
  }
  lastCommittedEventId(): number {
    return Number(Atomics.load(this.#eventGate.lastId, 0));
  }
  /** Table counts from the reader (they scan); the active count is the writer's counter. */
  async stats(): Promise<StoreStats> {
    const [activeSessions, counted] = await Promise.all([this.countActive(), this.#read<StoreStats>('stats')]);
    return { ...counted, activeSessions };
  }
  async close(): Promise<void> {
    if (this.#closed) return;
    const reader = this.#reader;
    this.#closed = true;
    const reads = reader === null ? null : await reader.catch(() => null);
    if (reads !== null && reads !== this.#writer) await reads.close();
    await this.#inline?.close();
    // Before the writer, whose close checkpoints the whole WAL and empties it.
    await (await this.#checkpointer.catch(() => null))?.close();
    await this.#writer.close();
  }
}

/** Only a MAC or only an audit-session-id (with any scope): answered from an index in a few rows. */
function isPointLookup(query: SessionQuery): boolean {
  // Asked on every MnT lookup: a loop over the keys instead of three arrays built to count them.
  let given: string | null = null;
  for (const key of Object.keys(query)) {
    if (key === 'scope' || query[key as keyof SessionQuery] === undefined) continue;
    if (given !== null) return false;
    given = key;
  }
  return given === 'mac' || given === 'auditSessionId';
}
