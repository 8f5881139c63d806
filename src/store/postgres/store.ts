/**
 * The PostgreSQL store: the same `Store` contract as SQLite, over a server that several OpenMnT
 * nodes share. The session rules are the shared ones (../session-rules.ts); a group commit answers
 * their row operations from a plan of the rows it can touch, read and written back in a few
 * round trips (write-plan.ts).
 *
 * What several writers at once change:
 * - Two nodes must not both find no session for one endpoint and both insert one: a write batch
 *   first takes a transaction-scoped advisory lock per endpoint it touches (NAS + calling-station
 *   id), all at once and in one sorted order, so no two transactions wait on each other in a circle.
 * - The active count is a row (`store_counters`) that each committing transaction changes by what
 *   it opened less what it closed, as its last statement: exact whichever node asks.
 * - Session events get their ids while that row is locked, so ids grow in commit order across
 *   nodes and a consumer's cursor never skips an event that commits later with a smaller id.
 * - A session moves to history in one statement (DELETE … RETURNING feeding the INSERT), so a
 *   concurrent change between reading and deleting it cannot be lost.
 */
import { filterConditions, tablesFor } from '../session-filters.js';
import type { Sql, TransactionSql } from 'postgres';
import { OpenMntError } from '../../errors.js';
import { sessionEventOf, type LoggedEvent } from '../sqlite/events.js';
import { ACCOUNTING_COLUMNS, AUTH_COLUMNS, COA_AUDIT_COLUMNS, SESSION_COLUMNS, SUMMARY_COLUMNS, paramsBuilder, rawRowMapper, rowMapper, selectList, summaryOfRow, type Column } from '../schema.js';
import {
  ASSIGNABLE,
  CLUSTER_DUPLICATE_WINDOW_MS,
  assigns,
  type Assignments,
  type RuleOptions,
} from '../session-rules.js';
import { EVENT_FIELDS } from '../sqlite/events.js';
import { PREPARED, connectPostgres, isRetryable, pgFailure, type PgConnectOptions } from './connect.js';
import { PgJobTables } from './jobs.js';
import { PgJobLeases } from './leases.js';
import { PgWebhookOutbox } from './outbox.js';
import { PgLoginFailures } from './logins.js';
import type { ClusterStore } from '../cluster.js';
import { migratePostgres, requireCurrentPostgres } from './migrations.js';
import { PgPolicyChanges, PgPolicyTables } from './policy.js';
import { WritePlan } from './write-plan.js';
import { LookupBatcher } from './lookup-batch.js';
import { ensureDayPartitions, pruneHistory } from './partitions.js';
import { ACTIVITY_KEEP_MS } from '../sqlite/console.js';
import type {
  AccountingRecord,
  ActivitySample,
  AuthRecord,
  DcQueryAuditRecord,
  NewAdminLoginRecord,
  NewDcQueryAuditRecord,
  RecentAuthQuery,
  CloseReason,
  CoaAuditQuery,
  CoaAuditRecord,
  CoaJobQuery,
  CoaJobRecord,
  CoaJobResultQuery,
  CoaJobResultRecord,
  CoaJobUpdate,
  ConfigAuditQuery,
  ConfigAuditRecord,
  EndpointLocation,
  EventLogBounds,
  NewCoaAuditRecord,
  NewCoaJob,
  NewCoaJobResult,
  NewConfigAuditRecord,
  PolicyRows,
  PolicyWriteOp,
  PolicyWriteResult,
  PartitionUpkeep,
  PruneResult,
  Session,
  SessionEvent,
  SessionEventType,
  SessionFilters,
  SessionQuery,
  SessionSummary,
  Store,
  StoreStats,
  TimeWindowQuery,
  WriteResult,
} from '../types.js';

export type WriteBatch = Parameters<Store['write']>[0];

export interface PostgresStoreOptions extends PgConnectOptions {
  /** Session events kept for consumers to resume from. */
  eventLogSize?: number;
  /** false: write no session events (measurements only). */
  sessionEvents?: boolean;
  /** false: the schema is not migrated by this connection (it must be current already);
   * 'manual' (store.migrate): not migrated, and refused unless it is this build's. */
  migrate?: boolean | 'manual';
  /** How far back a retransmitted Accounting-Request is recognised (0: not at all); see RuleOptions. */
  duplicateWindowMs?: number;
}

type Row = Record<string, unknown>;

const toSession = rowMapper(SESSION_COLUMNS);
/**
 * The newest active session of each MAC of $1, one index probe each, its columns in SESSION_COLUMNS'
 * order and read as arrays (`values()`): the driver then makes no object with 56 properties per
 * row by keyed stores for the mapper to read back by name. Measured alone, batches of 8: 11–13 µs
 * of this process's CPU a row against 28–31.
 */
const LATEST_ACTIVE_BY_MAC =
  `SELECT s.* FROM unnest($1::text[]) AS m(mac) CROSS JOIN LATERAL ` +
  `(SELECT ${selectList(SESSION_COLUMNS)} FROM sessions_active WHERE calling_station_id = m.mac ORDER BY updated_at DESC, id DESC LIMIT 1) AS s`;
const sessionOfValues = rawRowMapper(SESSION_COLUMNS);
const toAccounting = rowMapper(ACCOUNTING_COLUMNS);
const toAuth = rowMapper(AUTH_COLUMNS);
const toCoaAudit = rowMapper(COA_AUDIT_COLUMNS);

const withoutId = <T>(cols: readonly Column<T>[]): Column<T>[] => cols.filter((c) => c.key !== 'id');
const COA_AUDIT_INSERT_COLUMNS = withoutId(COA_AUDIT_COLUMNS);
type ParamsOf<T> = (value: T, over?: Partial<T>) => unknown[];
const coaAuditParams = paramsBuilder(COA_AUDIT_INSERT_COLUMNS, 'native') as ParamsOf<NewCoaAuditRecord>;

const PAGE = 1000;
const PRUNE_CHUNK = 5000;
/** Times a transaction is run again after a deadlock, a serialization failure or a lost insert race. */
const RETRIES = 3;
/** Pruning of the event log runs once this many events were added past the bound. */
const EVENT_PRUNE_EVERY = 1024;
export const DEFAULT_EVENT_LOG_SIZE = 100_000;

/** `$1, $2, …` for each `?` of a statement written with `?` (no statement here has a literal `?`). */
export function numbered(sql: string, from = 1): string {
  let n = from - 1;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const pgType = (kind: string) => (kind === 'text' ? 'text' : kind === 'real' ? 'float8' : kind === 'bool' ? 'boolean' : 'int8');

const insertSql = <T>(table: string, cols: readonly Column<T>[]) =>
  `INSERT INTO ${table} (${cols.map((c) => c.name).join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`;

const SESSION_NAMES = SESSION_COLUMNS.map((c) => c.name).join(', ');

/**
 * One statement that moves the active sessions matching `where` (one `?`) to history, marked
 * closed, with the columns of `mask` replaced: the DELETE's RETURNING rows are what the INSERT
 * writes. Parameters: $1 closed_at, $2 reason, $3 the `where`'s, then the values of `pick`.
 */
interface Move {
  sql: string;
  /** The ASSIGNABLE indexes whose values follow $3, in parameter order (state is always 'closed'). */
  pick: number[];
}
const moves = new Map<string, Move>();
function moveSql(where: string, mask = 0): Move {
  const cacheKey = `${mask}:${where}`;
  let move = moves.get(cacheKey);
  if (move !== undefined) return move;
  const assignedAt = new Map(ASSIGNABLE.map((c, i) => [c.name, i]));
  const pick: number[] = [];
  const select = SESSION_COLUMNS.map((c) => {
    if (c.key === 'state') return `'closed'`;
    if (c.key === 'closedAt') return '$1::int8';
    if (c.key === 'closeReason') return '$2::text';
    const i = assignedAt.get(c.name);
    if (i === undefined || !assigns(mask, i)) return c.name;
    pick.push(i);
    return `$${3 + pick.length}::${pgType(ASSIGNABLE[i]!.kind)}`;
  });
  move = {
    sql:
      `WITH moved AS (DELETE FROM sessions_active WHERE ${numbered(where, 3)} RETURNING *) ` +
      `INSERT INTO sessions_closed (${SESSION_NAMES}) SELECT ${select.join(', ')} FROM moved RETURNING id`,
    pick,
  };
  moves.set(cacheKey, move);
  return move;
}

/** The parameters of a move: closed_at, reason, the `where`'s value, the picked assigned values. */
function moveParams(move: Move, at: number, reason: CloseReason, value: unknown, assigned?: Assignments): never[] {
  const params: unknown[] = [at, reason, value];
  for (const i of move.pick) params.push(assigned!.values[assigned!.indexes.indexOf(i)]);
  return params as never[];
}

const EVENT_JSON = `json_strip_nulls(json_build_object(${EVENT_FIELDS.map((key) => `'${key}', ${SESSION_COLUMNS.find((c) => c.key === key)!.name}`).join(', ')}))::text`;
/** Writes the noted events with each session as the transaction left it (active, or in history). */
const INSERT_EVENTS =
  `INSERT INTO session_events (at, type, session_id, session) ` +
  `SELECT $1::int8, n.type, n.sid, j.session FROM unnest($2::text[], $3::int8[]) WITH ORDINALITY AS n(type, sid, ord) ` +
  `CROSS JOIN LATERAL (SELECT ${EVENT_JSON} AS session FROM sessions_active WHERE id = n.sid ` +
  `UNION ALL SELECT ${EVENT_JSON} FROM sessions_closed WHERE id = n.sid LIMIT 1) AS j ORDER BY n.ord ` +
  `RETURNING id, type, session`;

interface Noted {
  type: SessionEventType;
  id: number;
}

/** The changes one transaction made, for its events and the active count. */
class TransactionNotes {
  noted: Noted[] = [];
  note(type: SessionEventType, id: number): void {
    this.noted.push({ type, id });
  }
  /** The ids noted before they were known (a write plan's new sessions) replaced by the drawn ones. */
  renumber(idOf: (id: number) => number): void {
    for (const n of this.noted) n.id = idOf(n.id);
  }
  /** Several `updated` of one session become one; a session closed in the transaction gets no `updated`. */
  events(): Noted[] {
    const closed = new Set<number>();
    for (const n of this.noted) if (n.type === 'closed') closed.add(n.id);
    const updated = new Set<number>();
    const out: Noted[] = [];
    for (const n of this.noted) {
      if (n.type === 'updated') {
        if (updated.has(n.id) || closed.has(n.id)) continue;
        updated.add(n.id);
      }
      out.push(n);
    }
    return out;
  }
}

/** A lookup of the newest active session of one MAC and nothing else: what the batcher answers. */
function isActiveMacLookup(query: SessionQuery): boolean {
  if (query.mac === undefined) return false;
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || key === 'mac') continue;
    if (key === 'scope' && value === 'active') continue;
    return false;
  }
  return true;
}

export class PostgresStore implements Store {
  readonly #sql: Sql;
  readonly #options: PostgresStoreOptions;
  readonly #jobs: PgJobTables;
  readonly #policy: PgPolicyTables;
  #closed = false;
  #onEvents: ((events: LoggedEvent[]) => void) | null = null;
  #sinceEventPrune = 0;
  readonly #rules: RuleOptions;
  /** What the nodes on this database share (../cluster.ts). */
  readonly cluster: ClusterStore;
  /** Session/MACAddress lookups that overlap share one statement (lookup-batch.ts). */
  readonly #byMac = new LookupBatcher<string, Session>((macs) => this.#latestActiveByMac(macs));

  private constructor(sql: Sql, options: PostgresStoreOptions) {
    this.#sql = sql;
    this.#options = options;
    this.#rules = { duplicateWindowMs: options.duplicateWindowMs ?? CLUSTER_DUPLICATE_WINDOW_MS };
    this.#jobs = new PgJobTables(sql);
    this.#policy = new PgPolicyTables(sql);
    this.cluster = { jobLeases: new PgJobLeases(sql), webhookOutbox: new PgWebhookOutbox(sql), loginFailures: new PgLoginFailures(sql), policyChanges: new PgPolicyChanges(sql) };
  }

  /** Connects, migrates the schema (unless told not to) and checks that the server answers. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const sql = connectPostgres(options);
    try {
      if (options.migrate === 'manual') await requireCurrentPostgres(sql);
      else if (options.migrate !== false) await migratePostgres(sql);
      else await sql.unsafe('SELECT 1');
    } catch (cause) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw pgFailure('opening the PostgreSQL store', cause);
    }
    return new PostgresStore(sql, options);
  }

  /** The driver's pool, for tests and tools that look at the tables. */
  get sql(): Sql {
    return this.#open();
  }

  #open(): Sql {
    if (this.#closed) throw new OpenMntError('STORE_CLOSED', 'the store is closed');
    return this.#sql;
  }

  /**
   * Runs `work` in a transaction, again (a few times) when PostgreSQL says that may succeed. Its
   * last statements (the active count and the events, see #finish) are issued after `work`,
   * unless `work` issues them itself (`finishes`: it returns them with its value).
   */
  async #transaction<T>(what: string, work: (tx: TransactionSql, notes: TransactionNotes) => Promise<T>): Promise<{ value: T; events: LoggedEvent[] }>;
  async #transaction<T>(
    what: string,
    work: (tx: TransactionSql, notes: TransactionNotes) => Promise<{ value: T; events: LoggedEvent[] }>,
    finishes: true,
  ): Promise<{ value: T; events: LoggedEvent[] }>;
  async #transaction<T>(what: string, work: (tx: TransactionSql, notes: TransactionNotes) => Promise<unknown>, finishes = false): Promise<{ value: T; events: LoggedEvent[] }> {
    const sql = this.#open();
    for (let attempt = 1; ; attempt++) {
      const notes = new TransactionNotes();
      let events: LoggedEvent[] = [];
      try {
        const value = (await sql.begin(async (tx) => {
          const done = await work(tx, notes);
          if (finishes) {
            events = (done as { events: LoggedEvent[] }).events;
            return (done as { value: T }).value;
          }
          events = await this.#finish(tx, notes, done);
          return done;
        })) as T;
        return { value, events };
      } catch (cause) {
        if (attempt < RETRIES && isRetryable(cause)) continue;
        throw pgFailure(what, cause);
      }
    }
  }

  /**
   * The last statements of a transaction that changed sessions: the active count, then the events
   * (their ids taken under the counter row's lock, which is held until COMMIT). Both are issued at
   * once (pipelined), so a caller may issue them along with its own last statements.
   */
  #finish(tx: TransactionSql, notes: TransactionNotes, value: unknown): Promise<LoggedEvent[]> {
    const delta = activeDelta(value);
    const events = this.#options.sessionEvents === false ? [] : notes.events();
    // Nothing to count and no event to order (a batch of records only): the counter row's lock,
    // which every node's writes queue for, is not taken.
    if ((delta ?? 0) === 0 && events.length === 0) return Promise.resolve([]);
    // execute(): sent now, after what the caller issued before (the driver is lazy otherwise).
    const counted = tx.unsafe('UPDATE store_counters SET active_sessions = active_sessions + $1 WHERE id = 1', [delta ?? 0], PREPARED).execute();
    if (events.length === 0) return counted.then(() => []);
    const at = Date.now();
    const inserted = tx.unsafe(INSERT_EVENTS, [at, events.map((e) => e.type), events.map((e) => e.id)], PREPARED).execute();
    return Promise.all([counted, inserted]).then(async ([, rows]) => {
      const logged = rows.map((r) => ({ id: r.id as number, type: r.type as SessionEventType, at, json: r.session as string })).sort((a, b) => a.id - b.id);
      this.#sinceEventPrune += logged.length;
      if (this.#sinceEventPrune >= EVENT_PRUNE_EVERY && logged.length > 0) {
        this.#sinceEventPrune = 0;
        await tx.unsafe('DELETE FROM session_events WHERE id <= $1', [logged[logged.length - 1]!.id - (this.#options.eventLogSize ?? DEFAULT_EVENT_LOG_SIZE)]);
      }
      return logged;
    });
  }

  #publish(events: LoggedEvent[]): void {
    if (events.length > 0) this.#onEvents?.(events);
  }

  /**
   * Writes are applied in the order of the calls, as SQLite's synchronous writes are: a call made
   * while a transaction is in flight waits, and the calls that waited go together into the next
   * transaction (group commit, as on the writing thread).
   */
  write(batch: WriteBatch): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  #waiting: { batch: WriteBatch; resolve: (result: WriteResult) => void; reject: (error: Error) => void }[] = [];
  #writing = false;

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const taken = this.#waiting.splice(0, this.#waiting.length);
      const outcomes = await this.writeBatches(taken.map((t) => t.batch));
      taken.forEach((t, i) => {
        const outcome = outcomes[i]!;
        if (outcome instanceof Error) t.reject(outcome);
        else t.resolve(outcome);
      });
    }
    this.#writing = false;
  }

  /**
   * Several batches in one transaction, one outcome each (the writing thread's group commit). If
   * that transaction fails, each batch is tried again in its own, so a bad write fails only its
   * own batch. `onLocked` is told when the transaction holds its endpoints' locks (see write-plan.ts).
   */
  async writeBatches(batches: readonly WriteBatch[], onLocked?: () => void): Promise<(WriteResult | OpenMntError)[]> {
    try {
      const { value, events } = await this.#transaction(
        'write',
        async (tx, notes) => {
          // The rules answered from a plan of the whole group, in a few round trips (write-plan.ts).
          const plan = new WritePlan(tx, notes, this.#rules, onLocked);
          let finished: Promise<LoggedEvent[]> = Promise.resolve([]);
          const results = await plan.run(batches, (results) => {
            notes.renumber((id) => plan.idOf(id));
            finished = this.#finish(tx, notes, results);
            return [finished];
          });
          return { value: results, events: await finished };
        },
        true,
      );
      this.#publish(events);
      return value;
    } catch (error) {
      if (batches.length > 1) {
        const outcomes: (WriteResult | OpenMntError)[] = [];
        for (const batch of batches) outcomes.push((await this.writeBatches([batch]))[0]!);
        return outcomes;
      }
      return [error instanceof OpenMntError ? error : pgFailure('write', error)];
    }
  }

  async probe(at: number): Promise<void> {
    try {
      await this.#open().unsafe('INSERT INTO store_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at', [at]);
    } catch (cause) {
      throw pgFailure('probe write', cause);
    }
  }

  async countActive(): Promise<number> {
    const [row] = await this.#read('counting active sessions', 'SELECT active_sessions AS n FROM store_counters WHERE id = 1', []);
    return row!.n as number;
  }

  /**
   * A statement outside a transaction, prepared (connect.ts, PREPARED) unless `prepare` is false.
   * The profile of Session/MACAddress found the unprepared path cost the server ~10× and this
   * process ~2.5× the CPU of the prepared one. Texts that are not of a small fixed set (one per
   * combination of an admin's optional filters) pass false, so no connection keeps a statement
   * per combination.
   */
  async #read(what: string, sql: string, params: unknown[], prepare = true): Promise<Row[]> {
    try {
      return (await this.#open().unsafe(sql, params as never[], { prepare })) as unknown as Row[];
    } catch (cause) {
      throw pgFailure(what, cause);
    }
  }

  async findLatestSession(query: SessionQuery): Promise<Session | null> {
    if (isActiveMacLookup(query)) return this.#byMac.get(query.mac!);
    for (const table of tablesFor(query.scope ?? 'active')) {
      const { where, params } = conditions([['calling_station_id = ?', query.mac], ...filterConditions(query, PG_FILTERS)]);
      const [row] = await this.#read('reading a session', `SELECT * FROM ${table}${where} ORDER BY updated_at DESC, id DESC LIMIT 1`, params);
      if (row) return toSession(row);
    }
    return null;
  }

  /** The newest active session of each MAC, one index probe each (as findLatestSession's own statement), in one statement. */
  async #latestActiveByMac(macs: string[]): Promise<Map<string, Session>> {
    let rows: unknown[][];
    try {
      rows = (await this.#open().unsafe(LATEST_ACTIVE_BY_MAC, [macs] as never[], PREPARED).values()) as unknown as unknown[][];
    } catch (cause) {
      throw pgFailure('reading sessions by MAC', cause);
    }
    const found = new Map<string, Session>();
    for (const row of rows) {
      const session = sessionOfValues(row);
      found.set(session.callingStationId, session);
    }
    return found;
  }

  async latestSessionsByMacs(macs: readonly string[], filters: SessionFilters): Promise<EndpointLocation[]> {
    const distinct = [...new Set(macs)];
    const latest = new Map<string, EndpointLocation>();
    let wanted = distinct;
    for (const table of tablesFor(filters.scope ?? 'active')) {
      if (wanted.length === 0) break;
      const { where, params } = conditions([...filterConditions(filters, PG_FILTERS), ['calling_station_id = ANY(?::text[])', wanted]]);
      const rows = await this.#read(
        'reading sessions by MAC',
        `SELECT DISTINCT ON (calling_station_id) calling_station_id AS mac, nas_ip AS "nasIp", id AS "sessionId" FROM ${table}${where} ORDER BY calling_station_id, updated_at DESC, id DESC`,
        params,
      );
      for (const r of rows) latest.set(r.mac as string, { mac: r.mac as string, nasIp: r.nasIp as string, sessionId: r.sessionId as number });
      wanted = wanted.filter((mac) => !latest.has(mac));
    }
    return distinct.flatMap((mac) => latest.get(mac) ?? []);
  }

  async countSessions(query: SessionQuery): Promise<number> {
    const scope = query.scope ?? 'active';
    const { limit: _limit, afterId: _afterId, ...filters } = query;
    const filtered = Object.values(filters).some((v) => v !== undefined && v !== scope);
    if (scope === 'active' && !filtered) return this.countActive();
    let total = 0;
    for (const table of tablesFor(scope)) {
      const { where, params } = conditions([['calling_station_id = ?', query.mac], ...filterConditions(filters, PG_FILTERS)]);
      total += (await this.#read('counting sessions', `SELECT COUNT(*) AS n FROM ${table}${where}`, params))[0]!.n as number;
    }
    return total;
  }

  async *#pages(query: SessionQuery, pageSize: number, columns: string): AsyncGenerator<Row[]> {
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    for (const table of tablesFor(query.scope ?? 'active')) {
      let afterId = query.afterId ?? 0;
      while (remaining > 0) {
        const { where, params } = conditions([['calling_station_id = ?', query.mac], ...filterConditions(query, PG_FILTERS), ['id > ?', afterId]]);
        const size = Math.min(pageSize, remaining);
        const rows = await this.#read('listing sessions', `SELECT ${columns} FROM ${table}${where} ORDER BY id LIMIT $${params.length + 1}`, [...params, size]);
        if (rows.length === 0) break;
        remaining -= rows.length;
        yield rows;
        if (rows.length < size) break;
        afterId = rows[rows.length - 1]!.id as number;
      }
    }
  }

  /**
   * One query per table read through a server-side cursor, `pageSize` rows a fetch: the next rows
   * are fetched only when the consumer (a response with backpressure) asks for them, so memory
   * stays flat however long the list, and the list is one snapshot rather than pages read at
   * different moments. The cursor holds one of the pool's connections while the list streams.
   */
  async *listSessionPages(query: SessionQuery, pageSize: number): AsyncIterable<SessionSummary[]> {
    const size = Math.max(1, Math.floor(pageSize));
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    for (const table of tablesFor(query.scope ?? 'active')) {
      if (remaining <= 0) break;
      const { where, params } = conditions([['calling_station_id = ?', query.mac], ...filterConditions(query, PG_FILTERS), ['id > ?', query.afterId]]);
      const limit = Number.isFinite(remaining) ? ` LIMIT ${remaining}` : '';
      try {
        // Rows as arrays (`values()`): the driver's own row objects take their names one keyed
        // store at a time, which cost about 0.5 µs a session more (3.2 against 2.65 µs a row).
        const cursor = this.#open().unsafe(`SELECT ${selectList(SUMMARY_COLUMNS)} FROM ${table}${where} ORDER BY id${limit}`, params as never[]).values().cursor(size);
        for await (const rows of cursor as AsyncIterable<unknown[][]>) {
          remaining -= rows.length;
          yield rows.map(summaryOfRow);
        }
      } catch (cause) {
        throw pgFailure('listing sessions', cause);
      }
    }
  }

  async *iterateSessions(query: SessionQuery): AsyncIterable<Session> {
    for await (const rows of this.#pages(query, PAGE, '*')) for (const row of rows) yield toSession(row);
  }

  async getSession(id: number): Promise<Session | null> {
    for (const table of tablesFor('all')) {
      const [row] = await this.#read('reading a session', `SELECT * FROM ${table} WHERE id = $1`, [id]);
      if (row) return toSession(row);
    }
    return null;
  }

  async authRecordsByMac(query: TimeWindowQuery): Promise<AuthRecord[]> {
    const rows = await this.#read(
      'reading authentication records',
      'SELECT * FROM auth_records WHERE calling_station_id = $1 AND received_at >= $2 ORDER BY received_at DESC, id DESC LIMIT $3',
      [query.mac, query.since, query.limit],
    );
    return rows.map(toAuth);
  }

  async authRecordsByUser(query: { userName: string; since: number; limit: number }): Promise<AuthRecord[]> {
    const rows = await this.#read(
      'reading authentication records',
      'SELECT * FROM auth_records WHERE user_name = $1 AND received_at >= $2 ORDER BY received_at DESC, id DESC LIMIT $3',
      [query.userName, query.since, query.limit],
    );
    return rows.map(toAuth);
  }

  /** Live Logs across every endpoint: newest first along auth_records_time, keyset-paged (see sqlite/console.ts). */
  async recentAuthRecords(q: RecentAuthQuery): Promise<AuthRecord[]> {
    const { where, params } = conditions([
      ['received_at >= ?', q.since],
      ['received_at <= ?', q.until],
      ['(received_at, id) < (?, ?)', q.before === undefined ? undefined : [q.before.at, q.before.id]],
      ['passed = ?', q.passed],
      ['nas_ip = ?', q.nasIp],
      ['failure_reason_code = ?', q.failureReasonCode],
    ]);
    // The keyset cursor is two parameters: spread where conditions() kept it as one value.
    const flat = params.flatMap((p) => (Array.isArray(p) ? p : [p]));
    const rows = await this.#read('reading recent authentications', `SELECT * FROM auth_records${where} ORDER BY received_at DESC, id DESC LIMIT $${flat.length + 1}`, [...flat, q.limit], false);
    return rows.map(toAuth);
  }

  async recordActivity(sample: ActivitySample): Promise<void> {
    // One row per minute; each node adds its own authentications, the active count is the cluster's.
    const minute = Math.floor(sample.at / 60_000) * 60_000;
    await this.#read(
      'recording activity',
      'INSERT INTO activity_samples (at, active, passed, failed) VALUES ($1, $2, $3, $4) ON CONFLICT (at) DO UPDATE SET active = excluded.active, passed = activity_samples.passed + excluded.passed, failed = activity_samples.failed + excluded.failed',
      [minute, sample.active, sample.passed, sample.failed],
    );
    await this.#read('pruning activity', 'DELETE FROM activity_samples WHERE at < $1', [minute - ACTIVITY_KEEP_MS]);
  }

  async activity(since: number): Promise<ActivitySample[]> {
    const rows = await this.#read('reading activity', 'SELECT at, active, passed, failed FROM activity_samples WHERE at >= $1 ORDER BY at', [since]);
    return rows.map((r) => ({ at: Number(r.at), active: Number(r.active), passed: Number(r.passed), failed: Number(r.failed) }));
  }

  async recordDcQuery(r: NewDcQueryAuditRecord): Promise<number> {
    const [row] = await this.#read(
      'recording a DataConnect query',
      'INSERT INTO dc_query_audit (at, admin, role, origin, source, sql, outcome, rows, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
      [r.at, r.admin, r.role, r.origin, r.source, r.sql, r.outcome, r.rows, r.durationMs],
    );
    return Number(row!.id);
  }

  async dcQueryAudit(query: { since?: number; limit: number }): Promise<DcQueryAuditRecord[]> {
    const rows = await this.#read('reading the DataConnect audit', 'SELECT * FROM dc_query_audit WHERE at >= $1 ORDER BY id DESC LIMIT $2', [query.since ?? 0, query.limit]);
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      admin: r.admin as string,
      role: r.role as string,
      origin: r.origin as string,
      source: (r.source as string | null) ?? null,
      sql: r.sql as string,
      outcome: r.outcome as string,
      rows: Number(r.rows),
      durationMs: Number(r.duration_ms),
    }));
  }

  async recordAdminLogin(r: NewAdminLoginRecord): Promise<number> {
    const [row] = await this.#read(
      'recording an admin sign-in',
      'INSERT INTO admin_logins (at, admin, source, interface, event, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [r.at, r.admin, r.source, r.interface, r.event, r.detail],
    );
    return Number(row!.id);
  }

  async accountingRecordsByMac(query: TimeWindowQuery): Promise<AccountingRecord[]> {
    const rows = await this.#read(
      'reading accounting records',
      'SELECT * FROM accounting_records WHERE calling_station_id = $1 AND received_at >= $2 ORDER BY received_at DESC, id DESC LIMIT $3',
      [query.mac, query.since, query.limit],
    );
    return rows.map(toAccounting);
  }

  async closeSessions(filter: { all?: boolean; mac?: string; auditSessionId?: string; ids?: number[] }, reason: CloseReason, at: number): Promise<number> {
    const { value, events } = await this.#transaction('closing sessions', async (tx, notes) => {
      let closed = 0;
      const move = async (where: string, param: unknown) => {
        const move = moveSql(where);
        const moved = await tx.unsafe(move.sql, moveParams(move, at, reason, param));
        for (const r of moved) notes.note('closed', r.id as number);
        closed += moved.length;
      };
      if (filter.all) await move('?::text IS NULL', null);
      if (filter.mac !== undefined) await move('calling_station_id = ?', filter.mac);
      if (filter.auditSessionId !== undefined) await move('audit_session_id = ?', filter.auditSessionId);
      if (filter.ids !== undefined && filter.ids.length > 0) await move('id = ANY(?::int8[])', filter.ids);
      return { closed, sessionsOpened: 0, sessionsClosed: closed };
    });
    this.#publish(events);
    return value.closed;
  }

  async staleCandidates(before: number, limit: number): Promise<Session[]> {
    const rows = await this.#read('reading stale sessions', 'SELECT * FROM sessions_active WHERE updated_at < $1 ORDER BY updated_at, id LIMIT $2', [before, limit]);
    return rows.map(toSession);
  }

  async recordCoa(record: NewCoaAuditRecord): Promise<number> {
    const [row] = await this.#read('recording a CoA', COA_AUDIT_INSERT, coaAuditParams(record));
    return row!.id as number;
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
    const rows = await this.#read('reading the CoA audit', `SELECT * FROM coa_audit${where} ORDER BY id DESC LIMIT ${Math.max(0, Math.floor(query.limit))}`, params, false);
    return rows.map(toCoaAudit);
  }

  async saveJob(job: NewCoaJob): Promise<void> {
    this.#open();
    await this.#jobs.save(job);
  }

  async updateJob(id: string, update: CoaJobUpdate): Promise<void> {
    this.#open();
    await this.#jobs.update(id, update);
  }

  async appendJobResults(id: string, results: NewCoaJobResult[], update: CoaJobUpdate): Promise<void> {
    this.#open();
    await this.#jobs.append(id, results, update);
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
    const chunked = async (table: string, column: string) => {
      let total = 0;
      // Small transactions: no lock is held long, so ingest is not stalled.
      for (;;) {
        const rows = await this.#read('pruning', `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${column} < $1 LIMIT ${PRUNE_CHUNK}) RETURNING 1 AS x`, [olderThan]);
        total += rows.length;
        if (rows.length < PRUNE_CHUNK) return total;
      }
    };
    // The record tables are partitioned by day: whole days go at once (partitions.ts).
    const accounting = await pruneHistory(this.#open(), 'accounting_records', olderThan, (partition) => chunked(partition, 'received_at'));
    const auth = await pruneHistory(this.#open(), 'auth_records', olderThan, (partition) => chunked(partition, 'received_at'));
    const deferred = [...accounting.deferred, ...auth.deferred];
    const closedSessions = await chunked('sessions_closed', 'closed_at');
    const coaAudit = await chunked('coa_audit', 'at');
    const jobs = await this.#jobs.prune(olderThan);
    const configAudit = await this.#policy.prune(olderThan);
    const dcQueryAudit = await chunked('dc_query_audit', 'at');
    const adminLogins = await chunked('admin_logins', 'at');
    return {
      accountingRecords: accounting.removed,
      authRecords: auth.removed,
      closedSessions,
      coaAudit,
      coaJobs: jobs.jobs,
      coaJobResults: jobs.results,
      configAudit,
      dcQueryAudit,
      adminLogins,
      ...(deferred.length > 0 ? { deferredPartitions: deferred } : {}),
    };
  }

  /** Makes the coming days' partitions of the record tables (partitions.ts). */
  async maintainPartitions(now: number): Promise<PartitionUpkeep> {
    return ensureDayPartitions(this.#open(), now);
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
    return this.#policy.write(ops, audit);
  }

  async configAudit(query: ConfigAuditQuery): Promise<ConfigAuditRecord[]> {
    this.#open();
    return this.#policy.audit(query);
  }

  async readEvents(afterId: number, limit: number): Promise<SessionEvent[]> {
    const rows = await this.#read('reading session events', 'SELECT id, at, type, session FROM session_events WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
    return rows.map((r) => ({ id: r.id as number, type: r.type as SessionEventType, at: r.at as number, session: JSON.parse(r.session as string) as Session }));
  }

  async eventBounds(): Promise<EventLogBounds> {
    const [row] = await this.#read('reading the event log bounds', 'SELECT MIN(id) AS first, MAX(id) AS last FROM session_events', []);
    return { first: (row?.first as number | null) ?? 0, last: (row?.last as number | null) ?? 0 };
  }

  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#onEvents = (logged) => listener(logged.map(sessionEventOf));
  }

  /** The writing thread's listener: the events as written, posted on without parsing. */
  onLoggedEvents(listener: (events: LoggedEvent[]) => void): void {
    this.#onEvents = listener;
  }

  async stats(): Promise<StoreStats> {
    const [row] = await this.#read(
      'counting',
      'SELECT (SELECT active_sessions FROM store_counters WHERE id = 1) AS active, (SELECT COUNT(*) FROM sessions_closed) AS closed, ' +
        '(SELECT COUNT(*) FROM accounting_records) AS acct, (SELECT COUNT(*) FROM auth_records) AS auth',
      [],
    );
    return { activeSessions: row!.active as number, closedSessions: row!.closed as number, accountingRecords: row!.acct as number, authRecords: row!.auth as number };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }
}

/** What a transaction's value says it did to the active count (null: it touched no session). */
function activeDelta(value: unknown): number | null {
  const results = Array.isArray(value) ? (value as WriteResult[]) : [value as WriteResult];
  let delta = 0;
  let touched = false;
  for (const r of results) {
    if (typeof r?.sessionsOpened !== 'number') continue;
    touched = true;
    delta += r.sessionsOpened - r.sessionsClosed;
  }
  return touched ? delta : null;
}

const COA_AUDIT_INSERT = insertSql('coa_audit', COA_AUDIT_INSERT_COLUMNS);

const PG_FILTERS = { authzPolicyPrefix: "starts_with(authz_policy || ' >> ', ?::text || ' >> ')", lastChange: 'GREATEST(updated_at, COALESCE(closed_at, 0))' };


/** ` WHERE …` (numbered `$n`) over the conditions whose value is given, and their parameters in order. */
function conditions(candidates: readonly (readonly [sql: string, value: unknown])[]): { where: string; params: unknown[] } {
  const given = candidates.filter(([, value]) => value !== undefined);
  return { where: given.length === 0 ? '' : ` WHERE ${numbered(given.map(([sql]) => sql).join(' AND '))}`, params: given.map(([, value]) => value) };
}

export function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return PostgresStore.open(options);
}
