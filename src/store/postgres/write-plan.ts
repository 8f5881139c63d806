/**
 * A group commit on PostgreSQL in a few round trips, whatever its size. Answering the session
 * rules statement by statement costs four to six round trips per record (and as many statements
 * for the server to parse, execute and answer); here a group commit is:
 *
 * 1. one pipelined round: the endpoints' advisory locks, then every active session the batch can
 *    touch (by endpoint and by audit-session-id: every lookup the rules make is by one of these),
 *    the recent records of its sessions (duplicate detection), and the ids of its new records;
 * 2. the rules run here, against those rows held in memory and changed as the rules change them,
 *    so a later record of the batch sees what an earlier one did, exactly as statement by
 *    statement would have (same rules, same order, same answers);
 * 3. when new sessions were inserted, one round for their ids (in the order they were inserted);
 * 4. one pipelined round of set-based statements: every record in one INSERT per table, the
 *    sessions closed in one DELETE … RETURNING feeding an INSERT, the updated ones in one UPDATE,
 *    the new ones in one INSERT per table, then the active count and the events — and COMMIT.
 *
 * Each session's changes in the batch are merged first (an Interim after a Start of the same
 * batch is one inserted row with the Interim's values), so the statements of step 4 are ordered
 * by kind: closes, then updates, then inserts (a session closed and started again with the same
 * identity frees its row before the new one takes it).
 *
 * This holds because the rows are stable while the plan runs: the endpoints are locked before
 * they are read, and a session is only ever found by its endpoint or audit-session-id, both read
 * in step 1. An Accounting-On/Off (every session of a NAS) is the exception: the plan writes what
 * it has so far, runs that one statement, and goes on.
 */
import type { TransactionSql } from 'postgres';
import { ACCOUNTING_COLUMNS, AUTH_COLUMNS, SESSION_COLUMNS, paramsBuilder, type Column } from '../schema.js';
import {
  ASSIGNABLE,
  AUTH_UPDATE_COLUMNS,
  applyBatch,
  emptyWriteResult,
  endpointKeys,
  type RowOp,
  type RuleOptions,
} from '../session-rules.js';
import type { AccountingWrite, AuthWrite, CloseReason, NewAccountingRecord, NewAuthRecord, Session, SessionEventType, SessionState, WriteResult } from '../types.js';
import { PREPARED } from './connect.js';

export type PlanBatch = { accounting?: AccountingWrite[]; auth?: AuthWrite[] };

/** What the store does with the plan's session changes (see store.ts TransactionNotes). */
export interface PlanNotes {
  note(type: SessionEventType, id: number): void;
}

const withoutId = <T>(cols: readonly Column<T>[]): Column<T>[] => cols.filter((c) => c.key !== 'id');
const SESSION_INSERT_COLUMNS = withoutId(SESSION_COLUMNS);
const ACCOUNTING_INSERT_COLUMNS = withoutId(ACCOUNTING_COLUMNS);
const AUTH_INSERT_COLUMNS = withoutId(AUTH_COLUMNS);
const accountingParams = paramsBuilder(ACCOUNTING_INSERT_COLUMNS, 'native') as (r: NewAccountingRecord) => unknown[];
const authParams = paramsBuilder(AUTH_INSERT_COLUMNS, 'native') as (r: NewAuthRecord) => unknown[];
const sessionParams = paramsBuilder(SESSION_INSERT_COLUMNS, 'native') as (fields: Partial<Session>, own: Partial<Session>) => unknown[];

const pgType = (kind: string) => (kind === 'text' ? 'text' : kind === 'real' ? 'float8' : kind === 'bool' ? 'boolean' : 'int8');
const kindOf = new Map(SESSION_COLUMNS.map((c) => [c.name, c.kind]));
/** Position of each session column in an inserted row (SESSION_INSERT_COLUMNS order). */
const INSERT_AT = new Map(SESSION_INSERT_COLUMNS.map((c, i) => [c.name, i]));

/**
 * `INSERT INTO table (id, cols) SELECT * FROM unnest($1::int8[], $2::type[], …)`: one statement for
 * many rows. A boolean column goes as text (the driver would type an array of booleans as one boolean).
 */
function insertManySql(table: string, cols: readonly { name: string; kind: string }[]): string {
  const all = [{ name: 'id', kind: 'int' }, ...cols];
  const array = (kind: string, i: number) => (kind === 'bool' ? `$${i + 1}::text[]::boolean[]` : `$${i + 1}::${pgType(kind)}[]`);
  return `INSERT INTO ${table} (${all.map((c) => c.name).join(', ')}) SELECT * FROM unnest(${all.map((c, i) => array(c.kind, i)).join(', ')})`;
}
const DUPLICATE_KEY_COLUMN = { name: 'duplicate_key', kind: 'text' };
const ACCOUNTING_INSERT_MANY = insertManySql('accounting_records', [...ACCOUNTING_INSERT_COLUMNS, DUPLICATE_KEY_COLUMN]);
const AUTH_INSERT_MANY = insertManySql('auth_records', AUTH_INSERT_COLUMNS);
const ACTIVE_INSERT_MANY = insertManySql('sessions_active', SESSION_INSERT_COLUMNS);
const CLOSED_INSERT_MANY = insertManySql('sessions_closed', SESSION_INSERT_COLUMNS);

/** Every column an accounting packet or an Access-Accept may assign in an existing session. */
const ASSIGNED_COLUMNS = [...new Set([...ASSIGNABLE.map((c) => c.name), ...AUTH_UPDATE_COLUMNS])];
const ASSIGNED_AT = new Map(ASSIGNED_COLUMNS.map((name, i) => [name, i]));
const assignedArrays = (from: number) => ASSIGNED_COLUMNS.map((name, i) => `$${from + i}::${pgType(kindOf.get(name)!)}[]`).join(', ');

/** Assigned values are never NULL (the rules leave out what a packet does not carry): NULL keeps the stored one. */
const SESSION_UPDATE_MANY =
  `UPDATE sessions_active s SET ${ASSIGNED_COLUMNS.map((c) => `${c} = COALESCE(v.${c}, s.${c})`).join(', ')} ` +
  `FROM unnest($1::int8[], ${assignedArrays(2)}) AS v(id, ${ASSIGNED_COLUMNS.join(', ')}) WHERE s.id = v.id`;

/** Moves sessions to history with their assigned values, in one statement (see store.ts moveSql). */
const SESSION_MOVE_MANY =
  `WITH v AS (SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], ${assignedArrays(4)}) AS v(id, x_closed_at, x_close_reason, ${ASSIGNED_COLUMNS.join(', ')})), ` +
  `moved AS (DELETE FROM sessions_active s USING v WHERE s.id = v.id RETURNING s.*) ` +
  `INSERT INTO sessions_closed (${SESSION_COLUMNS.map((c) => c.name).join(', ')}) SELECT ${SESSION_COLUMNS.map((c) =>
    c.key === 'state' ? `'closed'` : c.key === 'closedAt' ? 'v.x_closed_at' : c.key === 'closeReason' ? 'v.x_close_reason' : ASSIGNED_AT.has(c.name) ? `COALESCE(v.${c.name}, m.${c.name})` : `m.${c.name}`,
  ).join(', ')} FROM moved m JOIN v ON v.id = m.id RETURNING id`;

/** Moves every active session of a NAS to history (Accounting-On/Off). */
const NAS_MOVE =
  `WITH moved AS (DELETE FROM sessions_active WHERE nas_ip = $3 RETURNING *) ` +
  `INSERT INTO sessions_closed (${SESSION_COLUMNS.map((c) => c.name).join(', ')}) SELECT ${SESSION_COLUMNS.map((c) =>
    c.key === 'state' ? `'closed'` : c.key === 'closedAt' ? '$1::int8' : c.key === 'closeReason' ? '$2::text' : c.name,
  ).join(', ')} FROM moved RETURNING id`;

const LOCK_ENDPOINTS =
  'SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS s';
const ROW_COLUMNS = 'id, state, nas_ip, acct_session_id, calling_station_id, user_name, framed_ip, audit_session_id, updated_at';
const SESSIONS_BY_ENDPOINT = `SELECT ${ROW_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')} FROM unnest($1::text[], $2::text[]) AS k(nas, mac) JOIN sessions_active s ON s.calling_station_id = k.mac AND s.nas_ip = k.nas`;
const SESSIONS_BY_AUDIT = `SELECT ${ROW_COLUMNS} FROM sessions_active WHERE audit_session_id = ANY($1::text[])`;
const RECENT_RECORDS =
  'SELECT r.id, r.nas_ip, r.acct_session_id, r.calling_station_id, r.duplicate_key, r.received_at FROM unnest($1::text[], $2::text[]) AS k(nas, sid) ' +
  'JOIN accounting_records r ON r.nas_ip = k.nas AND r.acct_session_id = k.sid AND r.received_at >= $3';
const ids = (table: string) => `SELECT nextval(pg_get_serial_sequence('${table}', 'id')) AS id FROM generate_series(1, $1::int)`;
const ACCOUNTING_IDS = ids('accounting_records');
const AUTH_IDS = ids('auth_records');
const SESSION_IDS = ids('sessions_active');

/** An active session as the plan knows it: what the rules look up and compare, and what it will write. */
interface PlanRow {
  /** Its id; negative until a new session's id is drawn (step 3). */
  id: number;
  state: SessionState;
  nas_ip: string;
  acct_session_id: string;
  calling_station_id: string;
  user_name: string | null;
  framed_ip: string | null;
  audit_session_id: string | null;
  updated_at: number;
  /** A session new in this plan: its whole row (SESSION_INSERT_COLUMNS order). */
  inserted: unknown[] | null;
  /** A stored session: the columns assigned so far (column → value). */
  assigned: Map<string, unknown> | null;
  closed: { at: number; reason: CloseReason } | null;
}

interface RecentRecord {
  id: number;
  mac: string | null;
  duplicateKey: string | null;
  receivedAt: number;
}

const TRACKED = new Set(['state', 'acct_session_id', 'calling_station_id', 'user_name', 'framed_ip', 'audit_session_id', 'updated_at']);
const identityKey = (nas: string, sid: string, mac: string) => `${nas}\u0000${sid}\u0000${mac}`;
const endpointKey = (nas: string, mac: string) => `${nas}\u0000${mac}`;

/** Rows to columns, for unnest() (booleans as text: see insertManySql). */
function columnsOf(rows: readonly unknown[][], width: number): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => new Array(rows.length));
  rows.forEach((row, r) => {
    for (let c = 0; c < width; c++) {
      const value = row[c] ?? null;
      cols[c]![r] = typeof value === 'boolean' ? String(value) : value;
    }
  });
  return cols;
}

/** Where a row's id sorts: a new session's (a placeholder until drawn) after every stored one, in the order inserted. */
const rank = (row: PlanRow) => (row.id < 0 ? 2 ** 52 - row.id : row.id);
/** Whether `a` was updated after `b` (the rules' ORDER BY updated_at DESC, id DESC). */
const newer = (a: PlanRow, b: PlanRow | undefined) => b === undefined || a.updated_at > b.updated_at || (a.updated_at === b.updated_at && rank(a) > rank(b));

export class WritePlan {
  readonly #tx: TransactionSql;
  readonly #notes: PlanNotes;
  readonly #rules: RuleOptions;
  readonly #onLocked: (() => void) | undefined;
  readonly #rows = new Map<number, PlanRow>();
  readonly #byIdentity = new Map<string, PlanRow>();
  readonly #byEndpoint = new Map<string, Set<PlanRow>>();
  readonly #byAudit = new Map<string, Set<PlanRow>>();
  readonly #recent = new Map<string, RecentRecord[]>();
  #accountingIds: number[] = [];
  #authIds: number[] = [];
  #accountingRows: unknown[][] = [];
  #authRows: unknown[][] = [];
  /** Rows changed since the last write-out, in the order first changed. */
  #touched = new Set<PlanRow>();
  #nextPlaceholder = -1;
  /** Placeholder → drawn id, for the notes. */
  readonly #drawn = new Map<number, number>();

  /** @param onLocked told once this transaction holds its endpoints' locks (writer-thread.ts starts the next then). */
  constructor(tx: TransactionSql, notes: PlanNotes, rules: RuleOptions, onLocked?: () => void) {
    this.#tx = tx;
    this.#notes = notes;
    this.#rules = rules;
    this.#onLocked = onLocked;
  }

  /** The session id a note made with a placeholder ended up with. */
  idOf(id: number): number {
    return id < 0 ? this.#drawn.get(id)! : id;
  }

  /**
   * Runs the batches' rules, each with its own result; the last round's statements (those of
   * `tail`, the active count and the events, given the results) go out in the same pipeline.
   */
  async run(batches: readonly PlanBatch[], tail: (results: WriteResult[]) => Promise<unknown>[]): Promise<WriteResult[]> {
    await this.#read(batches);
    const results: WriteResult[] = [];
    for (const batch of batches) {
      const result = emptyWriteResult();
      const rule = applyBatch(batch, result, this.#rules);
      for (let step = rule.next(); !step.done; ) {
        const o = step.value;
        step = rule.next(o.op === 'closeWhere' && 'nasIp' in o.where ? await this.#closeNas(o.where.nasIp, o.reason, o.at) : this.#answer(o));
      }
      results.push(result);
    }
    await this.#write(() => tail(results));
    return results;
  }

  /** Step 1: the locks and every row the rules can ask for, in one pipelined round. */
  async #read(batches: readonly PlanBatch[]): Promise<void> {
    const endpoints = new Map<string, [string, string]>();
    const audits = new Set<string>();
    const sessions = new Map<string, [string, string]>();
    let since = Number.POSITIVE_INFINITY;
    let accounting = 0;
    let auth = 0;
    const endpoint = (nas: string, mac: string) => endpoints.set(endpointKey(nas, mac), [nas, mac]);
    for (const batch of batches) {
      for (const w of batch.accounting ?? []) {
        accounting++;
        const r = w.record;
        if (this.#rules.duplicateWindowMs > 0 && r.acctSessionId !== null) {
          sessions.set(`${r.nasIp}\u0000${r.acctSessionId}`, [r.nasIp, r.acctSessionId]);
          since = Math.min(since, r.receivedAt - this.#rules.duplicateWindowMs);
        }
        const change = w.change;
        if (change === null) continue;
        if (change.kind === 'nas-reset') continue;
        endpoint(change.identity.nasIp, change.identity.callingStationId);
        if (change.fields.auditSessionId) audits.add(change.fields.auditSessionId);
      }
      for (const w of batch.auth ?? []) {
        auth++;
        if (w.session === null) continue;
        endpoint(w.session.identity.nasIp, w.session.identity.callingStationId);
        if (w.session.fields.auditSessionId) audits.add(w.session.fields.auditSessionId);
      }
    }
    const tx = this.#tx;
    // The driver sends a query only once something asks for its result; execute() asks at once,
    // so the statements go out (and run) in the order they are written here.
    const q = (sql: string, params: unknown[]) => tx.unsafe(sql, params as never[], PREPARED).execute();
    // Issued together, without awaiting one another: the driver writes them out at once.
    const pending: Promise<unknown>[] = [];
    // One advisory lock per endpoint, taken in the order of their hashes (see store.ts).
    const lockKeys = [...new Set(batches.flatMap((b) => endpointKeys(b)))];
    if (lockKeys.length > 0) {
      pending.push(
        q(LOCK_ENDPOINTS, [lockKeys]).then((rows) => {
          this.#onLocked?.();
          return rows;
        }),
      );
    } else {
      this.#onLocked?.();
    }
    const eps = [...endpoints.values()];
    const byEndpoint = eps.length > 0 ? q(SESSIONS_BY_ENDPOINT, [eps.map((e) => e[0]), eps.map((e) => e[1])]) : Promise.resolve([]);
    const byAudit = audits.size > 0 ? q(SESSIONS_BY_AUDIT, [[...audits]]) : Promise.resolve([]);
    const sids = [...sessions.values()];
    const recent = sids.length > 0 ? q(RECENT_RECORDS, [sids.map((s) => s[0]), sids.map((s) => s[1]), since]) : Promise.resolve([]);
    const accountingIds = accounting > 0 ? q(ACCOUNTING_IDS, [accounting]) : Promise.resolve([]);
    const authIds = auth > 0 ? q(AUTH_IDS, [auth]) : Promise.resolve([]);
    const [, rowsA, rowsB, records, aIds, uIds] = await Promise.all([Promise.all(pending), byEndpoint, byAudit, recent, accountingIds, authIds]);
    for (const r of [...(rowsA as Record<string, unknown>[]), ...(rowsB as Record<string, unknown>[])]) {
      const id = r.id as number;
      if (this.#rows.has(id)) continue;
      this.#add({
        id,
        state: r.state as SessionState,
        nas_ip: r.nas_ip as string,
        acct_session_id: r.acct_session_id as string,
        calling_station_id: r.calling_station_id as string,
        user_name: (r.user_name as string | null) ?? null,
        framed_ip: (r.framed_ip as string | null) ?? null,
        audit_session_id: (r.audit_session_id as string | null) ?? null,
        updated_at: r.updated_at as number,
        inserted: null,
        assigned: null,
        closed: null,
      });
    }
    for (const r of records as Record<string, unknown>[]) {
      this.#recentOf(r.nas_ip as string, r.acct_session_id as string).push({
        id: r.id as number,
        mac: (r.calling_station_id as string | null) ?? null,
        duplicateKey: (r.duplicate_key as string | null) ?? null,
        receivedAt: r.received_at as number,
      });
    }
    // Drawn in order: ids grow with the order of the writes, as one INSERT after another would give them.
    this.#accountingIds = (aIds as Record<string, unknown>[]).map((r) => r.id as number).sort((a, b) => a - b);
    this.#authIds = (uIds as Record<string, unknown>[]).map((r) => r.id as number).sort((a, b) => a - b);
  }

  #recentOf(nas: string, sid: string): RecentRecord[] {
    const key = `${nas}\u0000${sid}`;
    let list = this.#recent.get(key);
    if (list === undefined) this.#recent.set(key, (list = []));
    return list;
  }

  #index(row: PlanRow): void {
    this.#byIdentity.set(identityKey(row.nas_ip, row.acct_session_id, row.calling_station_id), row);
    const add = (map: Map<string, Set<PlanRow>>, key: string) => {
      let set = map.get(key);
      if (set === undefined) map.set(key, (set = new Set()));
      set.add(row);
    };
    add(this.#byEndpoint, endpointKey(row.nas_ip, row.calling_station_id));
    if (row.audit_session_id !== null) add(this.#byAudit, row.audit_session_id);
  }

  #unindex(row: PlanRow): void {
    const key = identityKey(row.nas_ip, row.acct_session_id, row.calling_station_id);
    if (this.#byIdentity.get(key) === row) this.#byIdentity.delete(key);
    this.#byEndpoint.get(endpointKey(row.nas_ip, row.calling_station_id))?.delete(row);
    if (row.audit_session_id !== null) this.#byAudit.get(row.audit_session_id)?.delete(row);
  }

  #add(row: PlanRow): void {
    this.#rows.set(row.id, row);
    this.#index(row);
  }

  /** Assigns columns of an active row (in the plan; written out in step 4). NULL values keep the stored one. */
  #assign(row: PlanRow, columns: readonly string[], values: readonly unknown[]): void {
    this.#unindex(row);
    const tracked = row as unknown as Record<string, unknown>;
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i]!;
      const value = values[i];
      if (value === undefined || value === null) continue;
      if (row.inserted !== null) row.inserted[INSERT_AT.get(name)!] = value;
      else (row.assigned ??= new Map()).set(name, value);
      if (TRACKED.has(name)) tracked[name] = value;
    }
    this.#index(row);
    this.#touched.add(row);
  }

  #close(row: PlanRow, at: number, reason: CloseReason): void {
    this.#unindex(row);
    this.#rows.delete(row.id);
    row.closed = { at, reason };
    this.#touched.add(row);
    this.#notes.note('closed', row.id);
  }

  #current(row: PlanRow | undefined) {
    if (row === undefined) return undefined;
    const { id, state, acct_session_id, calling_station_id, user_name, framed_ip, audit_session_id } = row;
    return { id, state, acct_session_id, calling_station_id, user_name, framed_ip, audit_session_id };
  }

  /** Step 2: a row operation of the rules, answered from the plan (as the server would have). */
  #answer(o: RowOp): unknown {
    switch (o.op) {
      case 'latestRecord': {
        let latest: RecentRecord | undefined;
        for (const r of this.#recent.get(`${o.nasIp}\u0000${o.acctSessionId}`) ?? []) {
          if (r.mac !== o.callingStationId || r.receivedAt < o.since) continue;
          if (latest === undefined || r.id > latest.id) latest = r;
        }
        return latest === undefined ? undefined : { id: latest.id, duplicateKey: latest.duplicateKey };
      }
      case 'insertAccounting': {
        const id = this.#accountingIds.shift()!;
        this.#accountingRows.push([id, ...accountingParams(o.record), o.duplicateKey]);
        const r = o.record;
        if (r.acctSessionId !== null) this.#recentOf(r.nasIp, r.acctSessionId).push({ id, mac: r.callingStationId, duplicateKey: o.duplicateKey, receivedAt: r.receivedAt });
        return id;
      }
      case 'insertAuth': {
        const id = this.#authIds.shift()!;
        this.#authRows.push([id, ...authParams(o.record)]);
        return id;
      }
      case 'currentByIdentity':
        return this.#current(this.#byIdentity.get(identityKey(o.identity.nasIp, o.identity.acctSessionId, o.identity.callingStationId)));
      case 'currentById':
        return this.#current(this.#rows.get(o.id));
      case 'authenticatedByAudit': {
        let found: PlanRow | undefined;
        for (const row of this.#byAudit.get(o.auditSessionId) ?? []) {
          if (row.nas_ip === o.nasIp && row.acct_session_id === '' && (found === undefined || rank(row) < rank(found))) found = row;
        }
        return found?.id;
      }
      case 'idByIdentity':
        return this.#byIdentity.get(identityKey(o.identity.nasIp, o.identity.acctSessionId, o.identity.callingStationId))?.id;
      case 'latestByAudit': {
        let latest: PlanRow | undefined;
        for (const row of this.#byAudit.get(o.auditSessionId) ?? []) if (newer(row, latest)) latest = row;
        return latest?.id;
      }
      case 'latestByNasAndMac': {
        let latest: PlanRow | undefined;
        for (const row of this.#byEndpoint.get(endpointKey(o.nasIp, o.callingStationId)) ?? []) if (newer(row, latest)) latest = row;
        return latest?.id;
      }
      case 'insertSession': {
        const inserted = sessionParams(o.fields, o.own);
        const at = (name: string) => inserted[INSERT_AT.get(name)!];
        const row: PlanRow = {
          id: this.#nextPlaceholder--,
          state: at('state') as SessionState,
          nas_ip: at('nas_ip') as string,
          acct_session_id: at('acct_session_id') as string,
          calling_station_id: at('calling_station_id') as string,
          user_name: (at('user_name') as string | null) ?? null,
          framed_ip: (at('framed_ip') as string | null) ?? null,
          audit_session_id: (at('audit_session_id') as string | null) ?? null,
          updated_at: at('updated_at') as number,
          inserted,
          assigned: null,
          closed: null,
        };
        this.#add(row);
        this.#touched.add(row);
        this.#notes.note(o.event, row.id);
        return row.id;
      }
      case 'update': {
        const row = this.#rows.get(o.id)!;
        this.#assign(row, o.assigned.indexes.map((i) => ASSIGNABLE[i]!.name), o.assigned.values);
        this.#notes.note(o.event, o.id);
        return undefined;
      }
      case 'updateAuth': {
        const row = this.#rows.get(o.id)!;
        this.#assign(row, ['updated_at', ...AUTH_UPDATE_COLUMNS], [o.at, ...o.values]);
        this.#notes.note('updated', o.id);
        return undefined;
      }
      case 'close': {
        const row = this.#rows.get(o.id)!;
        this.#assign(row, o.assigned.indexes.map((i) => ASSIGNABLE[i]!.name), o.assigned.values);
        this.#close(row, o.at, o.reason);
        return undefined;
      }
      case 'closeWhere': {
        if (!('id' in o.where)) throw new Error('a NAS-wide close is run by the plan, not answered');
        const row = this.#rows.get(o.where.id);
        if (row === undefined) return 0;
        this.#close(row, o.at, o.reason);
        return 1;
      }
    }
  }

  /** Accounting-On/Off: what the plan holds is written out first, then the NAS's sessions move in one statement. */
  async #closeNas(nasIp: string, reason: CloseReason, at: number): Promise<number> {
    await this.#write(() => []);
    const moved = await this.#tx.unsafe(NAS_MOVE, [at, reason, nasIp] as never[], PREPARED);
    for (const r of moved) this.#notes.note('closed', r.id as number);
    for (const row of [...this.#rows.values()]) {
      if (row.nas_ip !== nasIp) continue;
      this.#unindex(row);
      this.#rows.delete(row.id);
    }
    return moved.length;
  }

  /** Steps 3 and 4: new sessions' ids, then every change as set-based statements in one pipelined round. */
  async #write(tail: () => Promise<unknown>[]): Promise<void> {
    const touched = [...this.#touched];
    this.#touched = new Set();
    const fresh = touched.filter((row) => row.inserted !== null);
    if (fresh.length > 0) {
      const drawn = (await this.#tx.unsafe(SESSION_IDS, [fresh.length] as never[], PREPARED)).map((r) => r.id as number).sort((a, b) => a - b);
      fresh.forEach((row, i) => {
        const id = drawn[i]!;
        this.#drawn.set(row.id, id);
        if (row.closed === null) {
          this.#rows.delete(row.id);
          row.id = id;
          this.#rows.set(id, row);
        } else row.id = id;
      });
    }
    const closedStored: PlanRow[] = [];
    const updatedStored: PlanRow[] = [];
    const insertedActive: PlanRow[] = [];
    const insertedClosed: PlanRow[] = [];
    for (const row of touched) {
      if (row.inserted !== null) (row.closed === null ? insertedActive : insertedClosed).push(row);
      else if (row.closed !== null) closedStored.push(row);
      else if (row.assigned !== null) updatedStored.push(row);
    }
    const tx = this.#tx;
    // Sent as written (see #read): the rows must be in before the events' statement reads them.
    const q = (sql: string, params: unknown[]) => tx.unsafe(sql, params as never[], PREPARED).execute();
    const assignedColumns = (rows: PlanRow[]) => ASSIGNED_COLUMNS.map((name) => rows.map((row) => row.assigned?.get(name) ?? null));
    const out: Promise<unknown>[] = [];
    if (this.#accountingRows.length > 0) out.push(q(ACCOUNTING_INSERT_MANY, columnsOf(this.#accountingRows, ACCOUNTING_INSERT_COLUMNS.length + 2)));
    if (this.#authRows.length > 0) out.push(q(AUTH_INSERT_MANY, columnsOf(this.#authRows, AUTH_INSERT_COLUMNS.length + 1)));
    this.#accountingRows = [];
    this.#authRows = [];
    // Closes first: a session closed and begun again with the same identity frees it for the new row.
    if (closedStored.length > 0) {
      out.push(
        q(SESSION_MOVE_MANY, [closedStored.map((r) => r.id), closedStored.map((r) => r.closed!.at), closedStored.map((r) => r.closed!.reason), ...assignedColumns(closedStored)]),
      );
    }
    if (updatedStored.length > 0) out.push(q(SESSION_UPDATE_MANY, [updatedStored.map((r) => r.id), ...assignedColumns(updatedStored)]));
    const insertRows = (rows: PlanRow[]) =>
      columnsOf(
        rows.map((row) => {
          if (row.closed !== null) {
            row.inserted![INSERT_AT.get('state')!] = 'closed';
            row.inserted![INSERT_AT.get('closed_at')!] = row.closed.at;
            row.inserted![INSERT_AT.get('close_reason')!] = row.closed.reason;
          }
          return [row.id, ...row.inserted!];
        }),
        SESSION_INSERT_COLUMNS.length + 1,
      );
    if (insertedActive.length > 0) out.push(q(ACTIVE_INSERT_MANY, insertRows(insertedActive)));
    if (insertedClosed.length > 0) out.push(q(CLOSED_INSERT_MANY, insertRows(insertedClosed)));
    // What is written is now what is stored: later changes in this plan are assignments.
    for (const row of touched) {
      row.inserted = null;
      row.assigned = null;
    }
    out.push(...tail());
    await Promise.all(out);
  }
}
