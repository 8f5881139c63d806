/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode. Writes are synchronous inside
 * one transaction per batch (group commit); the promise a caller gets resolves after COMMIT.
 *
 * Active and closed sessions live in two tables with the same columns: the active table stays
 * as small as the live directory, which keeps its indexes (and every upsert) cheap.
 */
import { filterConditions, tablesFor } from '../session-filters.js';
import Database, { type Statement } from 'better-sqlite3';
import { OpenMntError } from '../../errors.js';
import { prepareDatabaseFiles } from '../files.js';
import {
  ASSIGNABLE,
  AUTH_UPDATE_COLUMNS,
  CURRENT_ROW_COLUMNS,
  applyBatch,
  assigns,
  emptyWriteResult,
  type Assignments,
  type Rule,
  type RowOp,
} from '../session-rules.js';
import { BACKGROUND_CHECKPOINT_BOUND, walFrames } from './checkpoint-pace.js';
import { migrate, requireCurrent } from './migrations.js';
import { SUMMARY_ARRAYS, SUMMARY_SELECT, membersKey, summariesOfJson, summaryObjectsSql } from './summaries.js';
import { SqliteEventLog, sessionEventOf, type LoggedEvent } from './events.js';
import { SqliteJobTables } from './jobs.js';
import { SqliteConsoleQueries } from './console.js';
import { SqlitePolicyTables } from './policy.js';
import {
  ACCOUNTING_COLUMNS,
  AUTH_COLUMNS,
  COA_AUDIT_COLUMNS,
  SESSION_COLUMNS,
  paramsBuilder,
  rawRowMapper,
  rowMapper,
  selectList,
  type Column,
} from '../schema.js';
import type {
  JsonMember,
  ConfigAuditQuery,
  ConfigAuditRecord,
  NewConfigAuditRecord,
  PolicyRows,
  PolicyWriteOp,
  PolicyWriteResult,
  AccountingRecord,
  AuthRecord,
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
  NewAccountingRecord,
  NewAuthRecord,
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
  WriteResult,
  ActivitySample,
  RecentAuthQuery,
} from '../types.js';

export type WriteBatch = Parameters<Store['write']>[0];

export interface SqliteStoreOptions {
  path: string;
  synchronous?: 'full' | 'normal';
  cacheSizeMiB?: number;
  /** How large the write-ahead log may grow before it is copied into the database, and the size
   * its file is cut back to afterwards (see the constructor). */
  walMaxMiB?: number;
  /** Session events kept for consumers to resume from (events.ts). */
  eventLogSize?: number;
  /** false: write no session events (only for measuring what producing them costs; bench/events.ts). */
  sessionEvents?: boolean;
  readonly?: boolean;
  /** store.migrate: `auto` (the default) brings the schema to this build's at open; `manual`
   * refuses a schema behind it (`openmnt db migrate` then). */
  migrate?: 'auto' | 'manual';
  /**
   * true: another connection copies the WAL into the database in the background (a checkpointing
   * thread, see checkpointer-thread.ts), and this one checkpoints by itself only at four times
   * walMaxMiB, as a bound. false (the default): SQLite's automatic checkpoint at walMaxMiB.
   */
  backgroundCheckpoints?: boolean;
  /**
   * Element 0 is kept equal to the count of active sessions after every commit that changes it,
   * before the commit is answered: the writing thread shares it (a SharedArrayBuffer) with the
   * thread that answers ActiveCount, which then reads it without a message (see WorkerStore).
   */
  activeCounter?: Int32Array;
  /**
   * Shared with the thread that receives the events (see WorkerStore): `demand[0]` is how many
   * listen; `lastId[0]` is kept equal to the newest committed event's id. With nobody listening,
   * committed events are not handed to onLoggedEvents (they are in the log).
   */
  eventGate?: { demand: Int32Array; lastId: BigInt64Array };
}

/** The default of `walMaxMiB` (store.walMaxMiB in the configuration). */
export const DEFAULT_WAL_MAX_MIB = 16;

type Row = Record<string, unknown>;

/** Session reads take rows as arrays (see rawRowMapper): the columns of SESSION_COLUMNS, in order. */
const sessionOfRaw = rawRowMapper(SESSION_COLUMNS);
const SESSION_SELECT = `SELECT ${selectList(SESSION_COLUMNS)}`;
/**
 * The same columns as one JSON array text built by SQLite, for single-row lookups: better-sqlite3
 * hands an array row to JS one value at a time through the V8 API (56 property stores), which cost
 * more than `JSON.parse` of the row's text (a MAC lookup: about 37 → 28 µs of CPU here). Sessions
 * have no REAL or BLOB columns; integers come back as the same doubles either way.
 */
const SESSION_JSON_SELECT = `SELECT json_array(${selectList(SESSION_COLUMNS)})`;
const toAccounting = rowMapper(ACCOUNTING_COLUMNS);
const toAuth = rowMapper(AUTH_COLUMNS);
const toCoaAudit = rowMapper(COA_AUDIT_COLUMNS);

const PAGE = 1000;
/** MACs per query of latestSessionsByMacs: keeps each query short (and far below SQLite's limit
 * of 32,766 bound parameters). */
export const MACS_PER_QUERY = 500;
const PRUNE_CHUNK = 5000;

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  #closed = false;
  #active = 0;
  readonly #activeCounter: Int32Array | undefined;
  readonly #eventGate: { demand: Int32Array; lastId: BigInt64Array } | undefined;
  readonly #s: ReturnType<typeof prepare>;
  readonly #queries = new Map<string, Statement>();
  /** findLatestSession's statements, by the short SQL of #query (hashing the long one cost a lookup ~2 µs). */
  readonly #latest = new Map<string, Statement>();
  readonly #updates = new Map<number, Statement>();
  readonly #closes = new Map<number, Statement>();
  readonly #jobs: SqliteJobTables;
  readonly #policy: SqlitePolicyTables;
  readonly #console: SqliteConsoleQueries;
  /** Absent on a read-only connection, which never writes. */
  readonly #events: SqliteEventLog | null;
  #onEvents: ((events: LoggedEvent[]) => void) | null = null;

  constructor(options: SqliteStoreOptions) {
    try {
      if (!options.readonly) prepareDatabaseFiles(options.path);
      this.#db = new Database(options.path, { readonly: options.readonly ?? false });
    } catch (cause) {
      throw new OpenMntError('STORE_FAILED', `cannot open SQLite database ${options.path}: ${(cause as Error).message}`, { cause });
    }
    const db = this.#db;
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // This connection copies the WAL into the database (checkpoints) once it holds walMaxMiB, or
      // four times that when a checkpointing thread copies it in the background (then a commit
      // rarely pays for a copy: each one stalls the commits behind it).
      const walBytes = (options.walMaxMiB ?? DEFAULT_WAL_MAX_MIB) * 2 ** 20;
      const boundBytes = (options.backgroundCheckpoints === true ? BACKGROUND_CHECKPOINT_BOUND : 1) * walBytes;
      db.pragma(`wal_autocheckpoint = ${walFrames(boundBytes, db.pragma('page_size', { simple: true }) as number)}`);
      // When the WAL starts over from its beginning, SQLite cuts the file back to this size. Without
      // a limit the file would keep the largest size it ever reached (a long read holding old pages
      // lets it grow without bound). The limit is twice the size steady writing reaches, so the file
      // is cut only after such growth: cut back every time it started over (64 MiB to 16), it took
      // the committing thread 56 ms in ftruncate, about once a second at 1,000 Starts/s, and that was
      // the Accounting-Response p99 (bench/events.ts, its steady rate without consumers).
      db.pragma(`journal_size_limit = ${2 * boundBytes}`);
      if (options.migrate === 'manual') requireCurrent(db);
      else migrate(db);
    }
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`cache_size = -${(options.cacheSizeMiB ?? 64) * 1024}`);
    db.pragma('temp_store = MEMORY');
    db.pragma('busy_timeout = 5000');
    this.#events = options.readonly || options.sessionEvents === false ? null : new SqliteEventLog(db, options.eventLogSize);
    this.#s = prepare(db);
    this.#jobs = new SqliteJobTables(db);
    this.#policy = new SqlitePolicyTables(db);
    this.#console = new SqliteConsoleQueries(db);
    this.#activeCounter = options.activeCounter;
    this.#eventGate = options.eventGate;
    this.#countActive((db.prepare('SELECT COUNT(*) AS n FROM sessions_active').get() as { n: number }).n);
  }

  /** Sets the active-session count (and its shared copy, if any). */
  #countActive(n: number): void {
    this.#active = n;
    if (this.#activeCounter !== undefined) Atomics.store(this.#activeCounter, 0, n);
  }

  #open(): Database.Database {
    if (this.#closed) throw new OpenMntError('STORE_CLOSED', 'the store is closed');
    return this.#db;
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    const outcome = this.writeBatches([batch])[0]!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /**
   * Several batches in one transaction, one outcome each: the store thread commits together the
   * batches that queued up while it was busy, so one fsync covers them all. If that transaction
   * fails, each batch is tried again in its own, so a bad write fails only its own batch.
   */
  writeBatches(batches: readonly WriteBatch[]): (WriteResult | OpenMntError)[] {
    const db = this.#open();
    let results: WriteResult[];
    try {
      results = db.transaction(() => {
        const out = batches.map((batch) => {
          const result = emptyWriteResult();
          this.#run(applyBatch(batch, result));
          return result;
        });
        this.#events?.flush(Date.now());
        return out;
      })();
    } catch (cause) {
      this.#events?.discard();
      if (batches.length > 1) return batches.map((batch) => this.writeBatches([batch])[0]!);
      return [new OpenMntError('STORE_FAILED', `write failed: ${(cause as Error).message}`, { cause })];
    }
    let active = this.#active;
    for (const result of results) active += result.sessionsOpened - result.sessionsClosed;
    this.#countActive(active);
    this.#publishEvents();
    return results;
  }

  /** Runs a session rule (session-rules.ts), answering each row operation it asks for at once. */
  #run(rule: Rule): void {
    for (let step = rule.next(); !step.done; step = rule.next(this.#op(step.value)));
  }

  /** One row operation of the session rules, on this connection, inside the write transaction. */
  #op(o: RowOp): unknown {
    const s = this.#s;
    switch (o.op) {
      case 'latestRecord':
        return undefined; // one node: its RADIUS duplicate cache is enough (see RuleOptions)
      case 'insertAccounting':
        return Number(s.insertAccounting.run(accountingParams(o.record)).lastInsertRowid);
      case 'insertAuth':
        return Number(s.insertAuth.run(authParams(o.record)).lastInsertRowid);
      case 'currentByIdentity':
        return s.updateStateByIdentity.get(o.identity.nasIp, o.identity.acctSessionId, o.identity.callingStationId);
      case 'currentById':
        return s.updateStateById.get(o.id);
      case 'authenticatedByAudit':
        return (s.findAuthenticatedByAudit.get(o.auditSessionId, o.nasIp) as Row | undefined)?.id;
      case 'idByIdentity':
        return (s.findIdentity.get(o.identity.nasIp, o.identity.acctSessionId, o.identity.callingStationId) as Row | undefined)?.id;
      case 'latestByAudit':
        return (s.findByAudit.get(o.auditSessionId) as Row | undefined)?.id;
      case 'latestByNasAndMac':
        return (s.findByNasAndMac.get(o.nasIp, o.callingStationId) as Row | undefined)?.id;
      case 'insertSession': {
        const id = Number(s.insertSession.run(sessionParams(o.fields, o.own)).lastInsertRowid);
        this.#events?.note(o.event, id);
        return id;
      }
      case 'update':
        this.#updateStatement(o.assigned.mask).run(...o.assigned.values, o.id);
        this.#events?.note(o.event, o.id);
        return undefined;
      case 'close':
        this.#close(o.id, o.assigned, o.reason, o.at);
        return undefined;
      case 'closeWhere':
        return 'nasIp' in o.where ? this.#move('nas_ip = ?', [o.where.nasIp], o.reason, o.at) : this.#move('id = ?', [o.where.id], o.reason, o.at);
      case 'updateAuth':
        s.updateAuth.run(o.at, ...o.values, o.id);
        this.#events?.note('updated', o.id);
        return undefined;
    }
  }

  /**
   * The UPDATE that assigns exactly the columns of `mask` (bit i: ASSIGNABLE[i]), prepared once
   * per combination. Naming only what changes matters: SQLite rewrites the entry of every index
   * whose column is assigned, so an Interim-Update that repeats the user name, endpoint address
   * and audit-session-id would otherwise rewrite six indexes for nothing.
   */
  #updateStatement(mask: number): Statement {
    let statement = this.#updates.get(mask);
    if (statement === undefined) {
      const set = ASSIGNABLE.filter((_, i) => assigns(mask, i)).map((c) => `${c.name} = ?`);
      statement = this.#open().prepare(`UPDATE sessions_active SET ${set.join(', ')} WHERE id = ?`);
      this.#updates.set(mask, statement);
    }
    return statement;
  }

  /**
   * Closes an active session with its last update applied on the way: the row goes to history
   * with the assigned columns replaced (one INSERT … SELECT prepared per combination of columns),
   * then the active row is deleted. Updating the active row first and then moving it would write
   * the row, and its updated_at index entry, once more just before deleting them.
   */
  #close(id: number, assigned: Assignments, reason: CloseReason, at: number): void {
    let statement = this.#closes.get(assigned.mask);
    if (statement === undefined) {
      const assignedAt = new Map(ASSIGNABLE.map((c, i) => [c.name, i]));
      const select = SESSION_COLUMNS.map((c) => {
        if (c.key === 'state') return `'closed'`;
        if (c.key === 'closedAt') return '@at';
        if (c.key === 'closeReason') return '@reason';
        const i = assignedAt.get(c.name);
        return i !== undefined && assigns(assigned.mask, i) ? `@a${i}` : c.name;
      });
      statement = this.#open().prepare(`INSERT INTO sessions_closed SELECT ${select.join(', ')} FROM sessions_active WHERE id = @id`);
      this.#closes.set(assigned.mask, statement);
    }
    const params: Row = { id, at, reason };
    for (let k = 0; k < assigned.indexes.length; k++) params[`a${assigned.indexes[k]!}`] = assigned.values[k];
    if (statement.run(params).changes > 0) this.#events?.noteClosed(id);
    this.#s.deleteActive.run(id);
  }

  /** Moves matching active sessions to history, marked closed. Returns how many moved. */
  #move(where: string, params: unknown[], reason: CloseReason, at: number): number {
    const db = this.#db;
    let statement = this.#queries.get(`move:${where}`);
    if (statement === undefined) {
      const select = SESSION_COLUMNS.map((c) =>
        c.key === 'state' ? `'closed'` : c.key === 'closedAt' ? '@at' : c.key === 'closeReason' ? '@reason' : c.name,
      ).join(', ');
      statement = db.prepare(`INSERT INTO sessions_closed SELECT ${select} FROM sessions_active WHERE ${where.replace('?', '@p')}`);
      this.#queries.set(`move:${where}`, statement);
      this.#queries.set(`delete:${where}`, db.prepare(`DELETE FROM sessions_active WHERE ${where}`));
      this.#queries.set(`ids:${where}`, db.prepare(`SELECT id FROM sessions_active WHERE ${where}`).pluck());
    }
    // Each session that leaves the directory is a `closed` event (Accounting-On/Off closes a NAS's all).
    const ids = this.#events === null ? [] : (this.#queries.get(`ids:${where}`)!.all(...params) as number[]);
    statement.run({ at, reason, p: params[0] });
    for (const id of ids) this.#events!.noteClosed(id);
    return this.#queries.get(`delete:${where}`)!.run(...params).changes;
  }

  async countActive(): Promise<number> {
    this.#open();
    return this.#active;
  }

  #query(scope: 'sessions_active' | 'sessions_closed', query: SessionQuery, order: string, paged: boolean): { sql: string; params: unknown[] } {
    const { where, params } = conditions([
      ['calling_station_id = ?', query.mac],
      ...filterConditions(query, SQLITE_FILTERS),
      ['id > ?', paged ? (query.afterId ?? 0) : undefined],
    ]);
    return { sql: `SELECT * FROM ${scope}${where} ORDER BY ${order} LIMIT ?`, params };
  }

  #statement(sql: string): Statement {
    let statement = this.#queries.get(sql);
    if (statement === undefined) {
      statement = this.#open().prepare(sql);
      this.#queries.set(sql, statement);
    }
    return statement;
  }

  /** A statement over session rows (`SELECT *` of #query) that reads them as arrays for sessionOfRaw. */
  #sessionStatement(sql: string): Statement {
    const raw = sql.replace('SELECT *', SESSION_SELECT);
    let statement = this.#queries.get(raw);
    if (statement === undefined) {
      statement = this.#open().prepare(raw).raw(true);
      this.#queries.set(raw, statement);
    }
    return statement;
  }

  async findLatestSession(query: SessionQuery): Promise<Session | null> {
    const tables = tablesFor(query.scope ?? 'active');
    for (const table of tables) {
      const { sql, params } = this.#query(table, query, '+updated_at DESC', false);
      const row = this.#latestStatement(sql).get(...params) as string | undefined;
      if (row !== undefined) return sessionOfRaw(JSON.parse(row) as unknown[]);
    }
    return null;
  }

  /** The statement of one findLatestSession shape, reading the row as JSON text (SESSION_JSON_SELECT). */
  #latestStatement(sql: string): Statement {
    let statement = this.#latest.get(sql);
    if (statement === undefined) {
      // The unary + keeps the planner on the filter's index (a few rows, then sorted) instead of
      // walking the whole updated_at index for a match; a literal LIMIT 1 lets SQLite keep just the
      // best row while sorting (a bound limit measured 2.4 times slower).
      statement = this.#open().prepare(sql.replace('SELECT *', SESSION_JSON_SELECT).replace(/LIMIT \?$/, 'LIMIT 1')).pluck(true);
      this.#latest.set(sql, statement);
    }
    return statement;
  }

  async latestSessionsByMacs(macs: readonly string[], filters: SessionFilters): Promise<EndpointLocation[]> {
    const found: EndpointLocation[] = [];
    for (const chunk of distinctChunks(macs, MACS_PER_QUERY)) for (const row of this.latestSessionsOfChunk(chunk, filters)) found.push(row);
    return found;
  }

  /**
   * latestSessionsByMacs for at most MACS_PER_QUERY distinct MACs, in their order: one query per
   * table of the scope. The store thread answers a long list chunk by chunk, so other reads get
   * their turn between chunks instead of waiting for the whole list.
   */
  latestSessionsOfChunk(macs: readonly string[], filters: SessionFilters): EndpointLocation[] {
    if (macs.length > MACS_PER_QUERY) throw new OpenMntError('INVALID_ARGUMENT', `at most ${MACS_PER_QUERY} MACs per query, got ${macs.length}`);
    const latest = new Map<string, EndpointLocation>();
    let wanted = macs;
    for (const table of tablesFor(filters.scope ?? 'active')) {
      if (wanted.length === 0) break;
      // Always MACS_PER_QUERY placeholders (the list padded with a repeat of its first MAC, which
      // IN ignores): one prepared statement per filter combination, not one per list length.
      const padded = wanted.concat(Array<string>(MACS_PER_QUERY - wanted.length).fill(wanted[0]!));
      const { where, params } = conditions(filterConditions(filters, SQLITE_FILTERS));
      const inList = `calling_station_id IN (${padded.map(() => '?').join(', ')})`;
      // With exactly one max() aggregate, SQLite takes the bare columns from the row holding the
      // maximum: per MAC, the newest session by updated_at, as findLatestSession picks it.
      const sql =
        `SELECT calling_station_id AS mac, nas_ip AS nasIp, id AS sessionId, MAX(updated_at) AS latest FROM ${table}` +
        `${where === '' ? ' WHERE ' : `${where} AND `}${inList} GROUP BY calling_station_id`;
      const rows = this.#statement(sql).all(...params, ...padded) as (EndpointLocation & { latest: number })[];
      if (rows.length === 0) continue;
      for (const { mac, nasIp, sessionId } of rows) latest.set(mac, { mac, nasIp, sessionId });
      wanted = wanted.filter((mac) => !latest.has(mac));
    }
    const inOrder: EndpointLocation[] = [];
    for (const mac of macs) {
      const row = latest.get(mac);
      if (row !== undefined) inOrder.push(row);
    }
    return inOrder;
  }

  async countSessions(query: SessionQuery): Promise<number> {
    const scope = query.scope ?? 'active';
    const { limit: _limit, afterId: _afterId, ...filters } = query;
    const filtered = Object.values(filters).some((v) => v !== undefined && v !== scope);
    if (scope === 'active' && !filtered) return this.countActive();
    let total = 0;
    for (const table of tablesFor(scope)) {
      const { sql, params } = this.#query(table, filters, 'id', false);
      const count = sql.replace('SELECT *', 'SELECT COUNT(*) AS n').replace(/ ORDER BY id LIMIT \?$/, '');
      total += (this.#statement(count).get(...params) as { n: number }).n;
    }
    return total;
  }

  async *listSessionPages(query: SessionQuery, pageSize: number): AsyncIterable<SessionSummary[]> {
    for (const page of this.summaryPagesAsJson(query, pageSize)) yield summariesOfJson(page);
  }

  /**
   * The pages of listSessionPages, each as the JSON text of an array of SummaryRow arrays, built by
   * SQLite (json_group_array): what the reading thread posts. Building nine JS values per row and
   * cloning them across took most of that thread's time in a streamed list (callgrind: raw() rows
   * built through the V8 API, then serialised value by value); one string per page is copied
   * whole, and JSON.parse on the receiving side costs less than deserialising the rows did.
   */
  summaryPagesAsJson(query: SessionQuery, pageSize: number): Generator<string> {
    // Rows reach the aggregate in the subquery's id order (summariesOfJson checks it).
    return this.#summaryPages<string>(query, pageSize, 'json', SUMMARY_ARRAYS);
  }

  async *listSessionJsonPages(query: SessionQuery, pageSize: number, members: readonly JsonMember[]): AsyncIterable<Uint8Array> {
    yield* this.summaryPagesAsText(query, pageSize, members);
  }

  /**
   * The pages of listSessionJsonPages, written by SQLite as bytes (a BLOB): the reading thread
   * posts them and the API writes them to the socket as they are, with no JavaScript value per
   * field on either thread. Returned as text instead, each page cost 1.2 µs a session more
   * (SQLite's UTF-8 made into a JavaScript string). Rows reach the aggregate in the subquery's id
   * order, as for summaryPagesAsJson; an ORDER BY in the aggregate would promise it but sorts each
   * page again (0.37 µs a session), so test/store/sqlite.test.ts holds the pages to
   * listSessionPages's order instead.
   */
  summaryPagesAsText(query: SessionQuery, pageSize: number, members: readonly JsonMember[]): Generator<Uint8Array> {
    return this.#summaryPages<Uint8Array>(query, pageSize, `text:${membersKey(members)}`, summaryObjectsSql(members));
  }

  /** Session summaries a page at a time, each page one aggregate (`page`) over the page's rows. */
  *#summaryPages<T>(query: SessionQuery, pageSize: number, kind: string, page: string): Generator<T> {
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    for (const table of tablesFor(query.scope ?? 'active')) {
      let afterId = query.afterId ?? 0;
      while (remaining > 0) {
        const { sql, params } = this.#query(table, { ...query, afterId }, 'id', true);
        const inner = sql.replace('SELECT *', `SELECT ${SUMMARY_SELECT}`);
        const key = `${kind}:${inner}`;
        let statement = this.#queries.get(key);
        if (statement === undefined) {
          statement = this.#open().prepare(`SELECT ${page}, max(id), count(*) FROM (${inner})`).raw(true);
          this.#queries.set(key, statement);
        }
        const [rows, last, count] = statement.get(...params, Math.min(pageSize, remaining)) as [T, number | null, number];
        if (count === 0) break;
        remaining -= count;
        yield rows;
        if (count < pageSize) break;
        afterId = last!;
      }
    }
  }

  async *iterateSessions(query: SessionQuery): AsyncIterable<Session> {
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    for (const table of tablesFor(query.scope ?? 'active')) {
      let afterId = query.afterId ?? 0;
      while (remaining > 0) {
        const { sql, params } = this.#query(table, { ...query, afterId }, 'id', true);
        const rows = this.#sessionStatement(sql).all(...params, Math.min(PAGE, remaining)) as unknown[][];
        for (const row of rows) {
          remaining--;
          const session = sessionOfRaw(row);
          afterId = session.id;
          yield session;
        }
        if (rows.length < PAGE) break;
      }
    }
  }

  async getSession(id: number): Promise<Session | null> {
    for (const table of tablesFor('all')) {
      const row = this.#sessionStatement(`SELECT * FROM ${table} WHERE id = ?`).get(id) as unknown[] | undefined;
      if (row) return sessionOfRaw(row);
    }
    return null;
  }

  async authRecordsByMac(query: TimeWindowQuery): Promise<AuthRecord[]> {
    this.#open();
    return (this.#s.authByMac.all(query.mac, query.since, query.limit) as Row[]).map(toAuth);
  }

  async authRecordsByUser(query: { userName: string; since: number; limit: number }): Promise<AuthRecord[]> {
    const statement = this.#statement('SELECT * FROM auth_records WHERE user_name = ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?');
    return (statement.all(query.userName, query.since, query.limit) as Row[]).map(toAuth);
  }

  async recentAuthRecords(query: RecentAuthQuery): Promise<AuthRecord[]> {
    this.#open();
    return this.#console.recentAuthRows(query).map(toAuth);
  }

  async recordActivity(sample: ActivitySample): Promise<void> {
    this.#open();
    this.#console.recordActivity(sample);
  }

  async activity(since: number): Promise<ActivitySample[]> {
    this.#open();
    return this.#console.activity(since);
  }

  async accountingRecordsByMac(query: TimeWindowQuery): Promise<AccountingRecord[]> {
    this.#open();
    return (this.#s.accountingByMac.all(query.mac, query.since, query.limit) as Row[]).map(toAccounting);
  }

  async closeSessions(
    filter: { all?: boolean; mac?: string; auditSessionId?: string; ids?: number[] },
    reason: CloseReason,
    at: number,
  ): Promise<number> {
    const db = this.#open();
    let closed = 0;
    try {
      db.transaction(() => {
        if (filter.all) closed += this.#move('1 = ?', [1], reason, at);
        if (filter.mac !== undefined) closed += this.#move('calling_station_id = ?', [filter.mac], reason, at);
        if (filter.auditSessionId !== undefined) closed += this.#move('audit_session_id = ?', [filter.auditSessionId], reason, at);
        for (const id of filter.ids ?? []) closed += this.#move('id = ?', [id], reason, at);
        this.#events?.flush(Date.now());
      })();
    } catch (cause) {
      this.#events?.discard();
      throw cause;
    }
    this.#countActive(this.#active - closed);
    this.#publishEvents();
    return closed;
  }

  async staleCandidates(before: number, limit: number): Promise<Session[]> {
    this.#open();
    return (this.#sessionStatement('SELECT * FROM sessions_active WHERE updated_at < ? ORDER BY updated_at LIMIT ?').all(before, limit) as unknown[][]).map(sessionOfRaw);
  }

  /**
   * Commits one tiny write (the time of the probe in a one-row table): whether the store can
   * commit again, asked while its writes fail and no traffic would tell.
   */
  async probe(at: number): Promise<void> {
    this.#open();
    try {
      this.#s.probe.run(at);
    } catch (cause) {
      throw new OpenMntError('STORE_FAILED', `probe write failed: ${(cause as Error).message}`, { cause });
    }
  }

  async recordCoa(record: NewCoaAuditRecord): Promise<number> {
    this.#open();
    return Number(this.#s.insertCoaAudit.run(coaAuditParams(record)).lastInsertRowid);
  }

  async recordDcQuery(r: NewDcQueryAuditRecord): Promise<number> {
    this.#open();
    return Number(this.#s.insertDcQuery.run(r.at, r.admin, r.role, r.origin, r.source, r.sql, r.outcome, r.rows, r.durationMs).lastInsertRowid);
  }

  async dcQueryAudit(query: { since?: number; limit: number }): Promise<DcQueryAuditRecord[]> {
    const rows = this.#s.selectDcQueries.all(query.since ?? 0, query.limit) as Record<string, unknown>[];
    return rows.map((r) => ({ id: r.id as number, at: r.at as number, admin: r.admin as string, role: r.role as string, origin: r.origin as string, source: (r.source as string | null) ?? null, sql: r.sql as string, outcome: r.outcome as string, rows: r.rows as number, durationMs: r.duration_ms as number }));
  }

  async recordAdminLogin(r: NewAdminLoginRecord): Promise<number> {
    this.#open();
    return Number(this.#s.insertAdminLogin.run(r.at, r.admin, r.source, r.interface, r.event, r.detail).lastInsertRowid);
  }

  async coaAudit(query: CoaAuditQuery): Promise<CoaAuditRecord[]> {
    const { where, params } = conditions([
      ['mac = ?', query.mac],
      ['nas_ip = ?', query.nasIp],
      ['admin = ?', query.admin],
      ['outcome = ?', query.outcome],
      ['action = ?', query.action],
      ['job_id = ?', query.jobId],
      ['at >= ?', query.since],
      ['at <= ?', query.until],
      ['id < ?', query.beforeId],
    ]);
    const sql = `SELECT * FROM coa_audit${where} ORDER BY id DESC LIMIT ?`;
    return (this.#statement(sql).all(...params, query.limit) as Row[]).map(toCoaAudit);
  }

  async saveJob(job: NewCoaJob): Promise<void> {
    this.#open();
    storeFailure('saving a CoA job', () => this.#jobs.save(job));
  }

  async updateJob(id: string, update: CoaJobUpdate): Promise<void> {
    this.#open();
    storeFailure('updating a CoA job', () => this.#jobs.update(id, update));
  }

  async appendJobResults(id: string, results: NewCoaJobResult[], update: CoaJobUpdate): Promise<void> {
    this.#open();
    storeFailure('saving CoA job results', () => this.#jobs.append(id, results, update));
  }

  async getJob(id: string): Promise<CoaJobRecord | null> {
    this.#open();
    return this.#jobs.get(id);
  }

  async listJobs(query: CoaJobQuery): Promise<CoaJobRecord[]> {
    this.#open();
    return this.#jobs.list(query);
  }

  async jobResults(query: CoaJobResultQuery): Promise<CoaJobResultRecord[]> {
    this.#open();
    return this.#jobs.results(query);
  }

  async interruptJobs(at: number): Promise<number> {
    this.#open();
    return this.#jobs.interrupt(at);
  }

  async prune(olderThan: number): Promise<PruneResult> {
    this.#open();
    const chunked = (table: string, column: string) => {
      const statement = this.#statement(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} < ? LIMIT ${PRUNE_CHUNK})`);
      let total = 0;
      // Small transactions: the write lock is never held long, so ingest is not stalled.
      for (;;) {
        const n = statement.run(olderThan).changes;
        total += n;
        if (n < PRUNE_CHUNK) return total;
      }
    };
    const accountingRecords = chunked('accounting_records', 'received_at');
    const authRecords = chunked('auth_records', 'received_at');
    const closedSessions = chunked('sessions_closed', 'closed_at');
    const coaAudit = chunked('coa_audit', 'at');
    const jobs = this.#jobs.prune(olderThan);
    const configAudit = this.#policy.prune(olderThan);
    const dcQueryAudit = chunked('dc_query_audit', 'at');
    const adminLogins = chunked('admin_logins', 'at');
    return { accountingRecords, authRecords, closedSessions, coaAudit, coaJobs: jobs.jobs, coaJobResults: jobs.results, configAudit, dcQueryAudit, adminLogins };
  }

  async loadPolicy(): Promise<PolicyRows> {
    this.#open();
    return this.#policy.load();
  }

  async policyRevision(): Promise<number> {
    this.#open();
    return this.#policy.revision();
  }

  async writePolicy(ops: PolicyWriteOp[], audit: NewConfigAuditRecord[]): Promise<PolicyWriteResult> {
    this.#open();
    let result: PolicyWriteResult | undefined;
    storeFailure('saving a policy change', () => {
      result = this.#policy.write(ops, audit);
    });
    return result!;
  }

  async configAudit(query: ConfigAuditQuery): Promise<ConfigAuditRecord[]> {
    this.#open();
    return this.#policy.audit(query);
  }

  async readEvents(afterId: number, limit: number): Promise<SessionEvent[]> {
    this.#open();
    return this.#eventLog().read(afterId, limit);
  }

  async eventBounds(): Promise<EventLogBounds> {
    this.#open();
    return this.#eventLog().bounds();
  }

  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#onEvents = (logged) => listener(logged.map(sessionEventOf));
  }

  /** The writing thread's listener: the events as written, posted on without parsing. */
  onLoggedEvents(listener: (events: LoggedEvent[]) => void): void {
    this.#onEvents = listener;
  }

  /** The log; a read-only connection reads it through one of its own. */
  #eventLog(): SqliteEventLog {
    return this.#events ?? (this.#readLog ??= new SqliteEventLog(this.#db));
  }
  #readLog: SqliteEventLog | null = null;

  /** After COMMIT: the events of the transaction go to the listener (the writing thread posts them on). */
  #publishEvents(): void {
    const events = this.#events?.committed();
    if (events === undefined || events.length === 0) return;
    const gate = this.#eventGate;
    if (gate !== undefined) {
      // The id first, then the demand; the listener's side sets the demand, then reads the id
      // (EventBus.subscribe). So when this reads no demand, a subscriber that arrives later reads
      // this id or a newer one, and starts after these events, which nobody was there to see.
      Atomics.store(gate.lastId, 0, BigInt(events[events.length - 1]!.id));
      if (Atomics.load(gate.demand, 0) === 0) return;
    }
    this.#onEvents?.(events);
  }

  async stats(): Promise<StoreStats> {
    const db = this.#open();
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      activeSessions: this.#active,
      closedSessions: count('sessions_closed'),
      accountingRecords: count('accounting_records'),
      authRecords: count('auth_records'),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#db.readonly) this.#db.pragma('wal_checkpoint(TRUNCATE)');
    this.#db.close();
  }
}

/** Runs a write; an error that is not already ours becomes STORE_FAILED saying what failed. */
function storeFailure(what: string, write: () => void): void {
  try {
    write();
  } catch (cause) {
    if (cause instanceof OpenMntError) throw cause;
    throw new OpenMntError('STORE_FAILED', `${what} failed: ${(cause as Error).message}`, { cause });
  }
}


/**
 * The distinct entries of `list` in order of first appearance, `size` at a time. The duplicate
 * check grows a chunk at a time, so a caller that awaits between chunks never spends one long
 * stretch on a list of 100,000.
 */
export function* distinctChunks(list: readonly string[], size: number): Generator<string[]> {
  const seen = new Set<string>();
  let chunk: string[] = [];
  for (const item of list) {
    if (seen.has(item)) continue;
    seen.add(item);
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

const SQLITE_FILTERS = { authzPolicyPrefix: "instr(authz_policy || ' >> ', ? || ' >> ') = 1", lastChange: 'MAX(updated_at, COALESCE(closed_at, 0))' };


/** ` WHERE …` over the conditions whose value is given (or nothing), and their parameters in order. */
function conditions(candidates: readonly (readonly [sql: string, value: unknown])[]): { where: string; params: unknown[] } {
  const given = candidates.filter(([, value]) => value !== undefined);
  return { where: given.length === 0 ? '' : ` WHERE ${given.map(([sql]) => sql).join(' AND ')}`, params: given.map(([, value]) => value) };
}

/** Columns without `id`, which SQLite assigns. */
const withoutId = <T>(cols: readonly Column<T>[]): Column<T>[] => cols.filter((c) => c.key !== 'id');
const INSERT_COLUMNS = withoutId(SESSION_COLUMNS);
const ACCOUNTING_INSERT_COLUMNS = withoutId(ACCOUNTING_COLUMNS);
const AUTH_INSERT_COLUMNS = withoutId(AUTH_COLUMNS);
const COA_AUDIT_INSERT_COLUMNS = withoutId(COA_AUDIT_COLUMNS);
type ParamsOf<T> = (value: T, over?: Partial<T>) => unknown[];
const accountingParams = paramsBuilder(ACCOUNTING_INSERT_COLUMNS) as ParamsOf<NewAccountingRecord>;
const authParams = paramsBuilder(AUTH_INSERT_COLUMNS) as ParamsOf<NewAuthRecord>;
const coaAuditParams = paramsBuilder(COA_AUDIT_INSERT_COLUMNS) as ParamsOf<NewCoaAuditRecord>;
const sessionParams = paramsBuilder(INSERT_COLUMNS) as ParamsOf<Partial<Session>>;

const coalesce = (columns: string[]) => columns.map((c) => `${c} = COALESCE(?, ${c})`).join(', ');

const IDENTITY = 'nas_ip = ? AND acct_session_id = ? AND calling_station_id = ?';
const UPDATE_STATE = CURRENT_ROW_COLUMNS;

function prepare(db: Database.Database) {
  const insert = <T>(table: string, cols: readonly Column<T>[]) =>
    db.prepare(`INSERT INTO ${table} (${cols.map((c) => c.name).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  return {
    insertAccounting: insert('accounting_records', ACCOUNTING_INSERT_COLUMNS),
    insertAuth: insert('auth_records', AUTH_INSERT_COLUMNS),
    insertCoaAudit: insert('coa_audit', COA_AUDIT_INSERT_COLUMNS),
    insertDcQuery: db.prepare('INSERT INTO dc_query_audit (at, admin, role, origin, source, sql, outcome, rows, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    selectDcQueries: db.prepare('SELECT * FROM dc_query_audit WHERE at >= ? ORDER BY id DESC LIMIT ?'),
    insertAdminLogin: db.prepare('INSERT INTO admin_logins (at, admin, source, interface, event, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    insertSession: insert('sessions_active', INSERT_COLUMNS),
    findIdentity: db.prepare(`SELECT id FROM sessions_active WHERE ${IDENTITY}`),
    // What accountingAssignments reads of a session: its state and the indexed columns it may set.
    updateStateByIdentity: db.prepare(`SELECT ${UPDATE_STATE} FROM sessions_active WHERE ${IDENTITY}`),
    updateStateById: db.prepare(`SELECT ${UPDATE_STATE} FROM sessions_active WHERE id = ?`),
    deleteActive: db.prepare('DELETE FROM sessions_active WHERE id = ?'),
    findAuthenticatedByAudit: db.prepare(
      "SELECT id FROM sessions_active WHERE audit_session_id = ? AND nas_ip = ? AND acct_session_id = '' LIMIT 1",
    ),
    findByAudit: db.prepare('SELECT id FROM sessions_active WHERE audit_session_id = ? ORDER BY updated_at DESC LIMIT 1'),
    findByNasAndMac: db.prepare('SELECT id FROM sessions_active WHERE nas_ip = ? AND calling_station_id = ? ORDER BY updated_at DESC LIMIT 1'),
    updateAuth: db.prepare(`UPDATE sessions_active SET updated_at = ?, ${coalesce(AUTH_UPDATE_COLUMNS)} WHERE id = ?`),
    authByMac: db.prepare('SELECT * FROM auth_records WHERE calling_station_id = ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?'),
    accountingByMac: db.prepare(
      'SELECT * FROM accounting_records WHERE calling_station_id = ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?',
    ),
    probe: db.prepare('INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at'),
  };
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
