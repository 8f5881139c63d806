/**
 * The session rules every engine shares: how one accounting or authentication write changes the
 * directory (which session it belongs to, when accounting adopts an authenticated session, what a
 * Start, Interim-Update or Stop assigns, when a session is inserted, refreshed or closed). The
 * rules say WHAT happens; each engine (sqlite/, postgres/) says HOW, by answering the row
 * operations the rules ask for.
 *
 * The rules are generators that yield one `RowOp` at a time and receive its answer: the SQLite
 * engine answers synchronously inside its transaction, the PostgreSQL engine from the rows of the
 * batch it read beforehand (postgres/write-plan.ts), and the rule is written once for both (the shape of FreeRADIUS's rlm_sql:
 * queries above, one driver per engine below).
 */
import { SESSION_COLUMNS } from './schema.js';
import type {
  AccountingWrite,
  AuthWrite,
  CloseReason,
  NewAccountingRecord,
  NewAuthRecord,
  Session,
  SessionIdentity,
  SessionState,
  WriteResult,
} from './types.js';

/**
 * What the rules read of an active session before changing it: its id and state, and the indexed
 * columns an accounting packet may assign (an engine skips rewriting an index entry whose value
 * stays the same). Keys are the column names.
 */
export interface CurrentRow {
  id: number;
  state: SessionState;
  acct_session_id: string;
  calling_station_id: string;
  user_name: string | null;
  framed_ip: string | null;
  audit_session_id: string | null;
}

/** The columns of CurrentRow, for an engine's SELECT. */
export const CURRENT_ROW_COLUMNS = 'id, state, acct_session_id, calling_station_id, user_name, framed_ip, audit_session_id';

/** The event a session insert or update produces (see the engines' event logs). */
export type RowEvent = 'authenticated' | 'started' | 'updated';

/**
 * One thing the rules ask of the engine, and (in the comment) what it answers. Every operation
 * runs inside the transaction of the write batch; only active sessions are ever looked up.
 */
export type RowOp =
  /** → the newest kept record of this session received at or after `since` ({ id, duplicateKey }), or undefined */
  | { op: 'latestRecord'; nasIp: string; acctSessionId: string; callingStationId: string | null; since: number }
  /** → the new record's id (an engine that deduplicates keeps `duplicateKey` with it) */
  | { op: 'insertAccounting'; record: NewAccountingRecord; duplicateKey: string | null }
  /** → the new record's id */
  | { op: 'insertAuth'; record: NewAuthRecord }
  /** → the active session of exactly this identity, or undefined */
  | { op: 'currentByIdentity'; identity: SessionIdentity }
  /** → the active session of this id (one the rules found a line before) */
  | { op: 'currentById'; id: number }
  /** → the id of an `authenticated` session (acct_session_id '') with this audit-session-id on this NAS */
  | { op: 'authenticatedByAudit'; auditSessionId: string; nasIp: string }
  /** → the id of the active session of exactly this identity */
  | { op: 'idByIdentity'; identity: SessionIdentity }
  /** → the id of the most recently updated active session with this audit-session-id */
  | { op: 'latestByAudit'; auditSessionId: string }
  /** → the id of the most recently updated active session of this NAS and endpoint */
  | { op: 'latestByNasAndMac'; nasIp: string; callingStationId: string }
  /** Inserts an active session (`fields` as sent, `own` over them) → its id; counts as opened. */
  | { op: 'insertSession'; fields: Partial<Session>; own: Partial<Session>; event: Exclude<RowEvent, 'updated'> }
  /** Assigns the columns of `assigned` in active session `id`. */
  | { op: 'update'; id: number; assigned: Assignments; event: Exclude<RowEvent, 'authenticated'> }
  /** Moves active session `id` to history with `assigned` applied, marked closed. */
  | { op: 'close'; id: number; assigned: Assignments; reason: CloseReason; at: number }
  /** Moves every active session of the NAS (or the one of that id) to history → how many moved. */
  | { op: 'closeWhere'; where: { nasIp: string } | { id: number }; reason: CloseReason; at: number }
  /** An Access-Accept refreshes active session `id`: updated_at, and AUTH_UPDATE_KEYS where given (in that order). */
  | { op: 'updateAuth'; id: number; at: number; values: unknown[] };

/** A rule: yields row operations, receives each one's answer. */
export type Rule = Generator<RowOp, void, unknown>;

const keysBetween = (first: string, last: string) => {
  const keys = SESSION_COLUMNS.map((c) => c.key as string);
  return keys.slice(keys.indexOf(first), keys.indexOf(last) + 1);
};
const ENDPOINT_KEYS = keysBetween('origCallingStationId', 'otherAttributes');
const AUTH_KEYS = keysBetween('authId', 'postureStatus');
const ACCT_KEYS = keysBetween('acctId', 'multiSessionId');
const columnOf = (key: string) => SESSION_COLUMNS.find((c) => c.key === key)!.name;

/** What an Access-Accept may refresh in a session (each kept when the accept does not carry it). */
export const AUTH_UPDATE_KEYS = [...ENDPOINT_KEYS, ...AUTH_KEYS];
export const AUTH_UPDATE_COLUMNS = AUTH_UPDATE_KEYS.map(columnOf);

const ACCT_UPDATE_KEYS = [...ENDPOINT_KEYS, ...ACCT_KEYS];
/** Columns of sessions_active that an index covers (both engines index the same ones). */
const INDEXED_SESSION_COLUMNS = new Set(['nas_ip', 'acct_session_id', 'calling_station_id', 'user_name', 'framed_ip', 'audit_session_id', 'updated_at', 'started_at']);
/** What an accounting packet may assign in an active session, in the order of the SET clause. */
export const ASSIGNABLE = ['updatedAt', 'acctSessionId', 'callingStationId', 'startedAt', 'state', ...ACCT_UPDATE_KEYS].map((key) => {
  const c = SESSION_COLUMNS.find((col) => col.key === key)!;
  return { key: c.key, name: c.name, kind: c.kind, indexed: INDEXED_SESSION_COLUMNS.has(c.name) };
});
// The mask is a sum of powers of two in a double: exact below 2^53.
if (ASSIGNABLE.length > 53) throw new Error('too many assignable session columns for the update mask');
const BIT = ASSIGNABLE.map((_, i) => 2 ** i);
/** Whether `mask` assigns ASSIGNABLE[i]. */
export const assigns = (mask: number, i: number): boolean => Math.floor(mask / BIT[i]!) % 2 === 1;
const [UPDATED_AT, ACCT_SESSION_ID, CALLING_STATION_ID, STARTED_AT, STATE] = [0, 1, 2, 3, 4];
const FIRST_FIELD = 5;

/** The columns one accounting packet assigns: an engine prepares one statement per mask. */
export interface Assignments {
  /** Sum of BIT[i] over the assigned ASSIGNABLE[i]. */
  mask: number;
  /** The i of each assigned ASSIGNABLE[i], ascending. */
  indexes: number[];
  values: unknown[];
}

/**
 * What an accounting packet changes in the active session `current` (its state and indexed
 * columns at least), in ASSIGNABLE order. A value the packet does not carry keeps the stored one;
 * an indexed column that would get its own value again is left out (no index entry rewritten).
 */
export function accountingAssignments(
  current: CurrentRow,
  identity: SessionIdentity,
  isStart: boolean,
  startedAt: number,
  updatedAt: number,
  fields: Partial<Session>,
  acctId: number,
): Assignments {
  const out: Assignments = { mask: 0, indexes: [], values: [] };
  const set = (i: number, value: unknown) => {
    out.mask += BIT[i]!;
    out.indexes.push(i);
    out.values.push(value);
  };
  set(UPDATED_AT, updatedAt);
  // An authenticated session adopted by accounting takes its Acct-Session-Id; a Start (or the
  // first accounting of an authenticated session) sets when it began.
  if (current.acct_session_id === '' && identity.acctSessionId !== '') set(ACCT_SESSION_ID, identity.acctSessionId);
  if (current.calling_station_id === '' && identity.callingStationId !== '') set(CALLING_STATION_ID, identity.callingStationId);
  if (isStart || current.state === 'authenticated') set(STARTED_AT, startedAt);
  if (current.state !== 'started') set(STATE, 'started');
  const row = current as unknown as Record<string, unknown>;
  for (let i = FIRST_FIELD; i < ASSIGNABLE.length; i++) {
    const c = ASSIGNABLE[i]!;
    const value = c.key === 'acctId' ? acctId : fields[c.key as keyof Session];
    if (value === undefined || value === null) continue;
    if (c.indexed && row[c.name] === value) continue;
    set(i, value);
  }
  return out;
}

/**
 * The columns a new session takes from the write itself rather than from the packet's fields.
 * Always one object shape (no spread): the parameter builder reading it stays fast (a spread
 * object here made building the insert parameters twenty times slower).
 */
export function ownColumns(
  identity: SessionIdentity,
  state: SessionState,
  startedAt: number,
  updatedAt: number,
  server: string,
  acctId: number | undefined,
  authId: number | undefined,
): Partial<Session> {
  const { nasIp, acctSessionId, callingStationId } = identity;
  return { nasIp, acctSessionId, callingStationId, state, startedAt, updatedAt, server, acctId, authId };
}

/** What an engine asks of the rules. */
export interface RuleOptions {
  /**
   * How far back an Accounting-Request is looked for among the kept records as a duplicate of
   * this one (see accountingDuplicateKey); 0: never. A store that several nodes share sets it: a
   * node's own duplicate cache (RFC 5080) cannot see what a NAS sent to another node.
   */
  duplicateWindowMs: number;
}
const NO_OPTIONS: RuleOptions = { duplicateWindowMs: 0 };

/**
 * The default window of cluster-wide duplicate detection: a NAS gives up on a server after a few
 * retransmissions (commonly 3 × 5 s) and then sends to the next one, so a failed-over copy
 * arrives well within two minutes; a genuine new packet of the same key cannot (its session
 * time or counters would differ).
 */
export const CLUSTER_DUPLICATE_WINDOW_MS = 120_000;

/**
 * What makes two Accounting-Requests the same one (RFC 5080 §2.2.2 asks a server to detect a
 * duplicate that a client sends again, and a client that fails over sends it to another server):
 * the NAS, the session and endpoint, the status, and what the packet reports (session time,
 * counters, Event-Timestamp, terminate cause). Not the RADIUS Identifier nor the Request
 * Authenticator nor Acct-Delay-Time: a retransmission may change Acct-Delay-Time (RFC 2866 §5.2),
 * and with it the Identifier and the authenticator (RFC 5080 §2.2.1). Accounting-On/Off (no
 * session) have none: closing a NAS's sessions twice changes nothing.
 */
export function accountingDuplicateKey(r: NewAccountingRecord): string | null {
  if (r.acctSessionId === null) return null;
  return JSON.stringify([
    r.nasIp, r.acctSessionId, r.callingStationId, r.statusType, r.sessionTime, r.inputOctets, r.outputOctets,
    r.inputPackets, r.outputPackets, r.eventTimestamp, r.terminateCause,
  ]);
}

/**
 * One Accounting-Request: its record, then its change to the directory (see SessionChange):
 * - the session is the active one of the same identity; failing that, accounting adopts an
 *   `authenticated` session of the same NAS, by audit-session-id, else by the endpoint with no
 *   Acct-Session-Id yet, so the Access-Accept's fields and the accounting meet in one row;
 * - none: the session is inserted as `started` (a Stop inserts it and closes it at once, so
 *   history is complete);
 * - found: a Stop closes it with its final values, a Start or Interim-Update assigns what it carries.
 */
export function* applyAccounting(w: AccountingWrite, result: WriteResult, options: RuleOptions = NO_OPTIONS): Rule {
  const duplicateKey = options.duplicateWindowMs > 0 ? accountingDuplicateKey(w.record) : null;
  if (duplicateKey !== null) {
    // The same Accounting-Request, retransmitted (to this node or, after a failover, to another):
    // acknowledged with the record already kept, not applied twice. Only the session's newest
    // record can be the original: a Start after that session's Stop is a new Start, not a copy.
    const r = w.record;
    const latest = (yield { op: 'latestRecord', nasIp: r.nasIp, acctSessionId: r.acctSessionId!, callingStationId: r.callingStationId, since: r.receivedAt - options.duplicateWindowMs }) as
      | { id: number; duplicateKey: string | null }
      | undefined;
    if (latest !== undefined && latest.duplicateKey === duplicateKey) {
      result.accountingIds.push(latest.id);
      result.duplicates = (result.duplicates ?? 0) + 1;
      return;
    }
  }
  const acctId = (yield { op: 'insertAccounting', record: w.record, duplicateKey }) as number;
  result.accountingIds.push(acctId);
  const change = w.change;
  if (change === null) return;
  if (change.kind === 'nas-reset') {
    result.sessionsClosed += (yield { op: 'closeWhere', where: { nasIp: change.nasIp }, reason: 'nas-reset', at: change.at }) as number;
    return;
  }
  const { identity, fields } = change;
  const updatedAt = fields.acctAt ?? change.at;
  const stop = change.kind === 'stop';
  let current = (yield { op: 'currentByIdentity', identity }) as CurrentRow | undefined;
  if (current === undefined && identity.acctSessionId !== '') {
    let adopted: number | undefined;
    if ((fields.auditSessionId ?? null) !== null) {
      adopted = (yield { op: 'authenticatedByAudit', auditSessionId: fields.auditSessionId!, nasIp: identity.nasIp }) as number | undefined;
    }
    adopted ??= (yield { op: 'idByIdentity', identity: { nasIp: identity.nasIp, acctSessionId: '', callingStationId: identity.callingStationId } }) as
      | number
      | undefined;
    if (adopted !== undefined) current = (yield { op: 'currentById', id: adopted }) as CurrentRow;
  }
  if (current === undefined) {
    result.sessionsOpened++;
    const own = ownColumns(identity, 'started', change.startedAt, updatedAt, w.record.server, acctId, undefined);
    const id = (yield { op: 'insertSession', fields, own, event: 'started' }) as number;
    if (stop) result.sessionsClosed += (yield { op: 'closeWhere', where: { id }, reason: 'stop', at: change.at }) as number;
    return;
  }
  const assigned = accountingAssignments(current, identity, change.kind === 'start', change.startedAt, updatedAt, fields, acctId);
  if (stop) {
    yield { op: 'close', id: current.id, assigned, reason: 'stop', at: change.at };
    result.sessionsClosed++;
  } else {
    yield { op: 'update', id: current.id, assigned, event: current.state === 'started' ? 'updated' : 'started' };
  }
}

/**
 * One authentication decision: its record; for an accept, the session it belongs to is found by
 * audit-session-id, else by identity, else by NAS and endpoint, and refreshed; none: a session is
 * inserted as `authenticated`, for accounting to adopt.
 */
export function* applyAuth(w: AuthWrite, result: WriteResult): Rule {
  const authId = (yield { op: 'insertAuth', record: w.record }) as number;
  result.authIds.push(authId);
  const session = w.session;
  if (session === null) return;
  const { identity, fields } = session;
  let id: number | undefined;
  if (fields.auditSessionId) id = (yield { op: 'latestByAudit', auditSessionId: fields.auditSessionId }) as number | undefined;
  id ??= (yield { op: 'idByIdentity', identity }) as number | undefined;
  id ??= (yield { op: 'latestByNasAndMac', nasIp: identity.nasIp, callingStationId: identity.callingStationId }) as number | undefined;
  if (id === undefined) {
    result.sessionsOpened++;
    const own = ownColumns(identity, 'authenticated', session.at, session.at, w.record.server, undefined, authId);
    yield { op: 'insertSession', fields, own, event: 'authenticated' };
  } else {
    // Read key by key rather than spread into a copy with authId (a copy of ~25 keys built through
    // map transitions, per re-authentication).
    const values = fields as Record<string, unknown>;
    yield { op: 'updateAuth', id, at: session.at, values: AUTH_UPDATE_KEYS.map((k) => (k === 'authId' ? authId : (values[k] ?? null))) };
  }
}

/** A write batch's rules in order: accounting first, then authentication (as both engines apply them). */
export function* applyBatch(batch: { accounting?: AccountingWrite[]; auth?: AuthWrite[] }, result: WriteResult, options: RuleOptions = NO_OPTIONS): Rule {
  for (const w of batch.accounting ?? []) yield* applyAccounting(w, result, options);
  for (const w of batch.auth ?? []) yield* applyAuth(w, result);
}

export const emptyWriteResult = (): WriteResult => ({ accountingIds: [], authIds: [], sessionsOpened: 0, sessionsClosed: 0 });

/**
 * The endpoints a batch touches, as `nasIp|callingStationId`: an engine that several nodes write
 * at once locks these (in sorted order, so two nodes never wait on each other in a circle) before
 * the rules look a session up, so two nodes cannot both find no session and both insert one.
 */
export function endpointKeys(batch: { accounting?: AccountingWrite[]; auth?: AuthWrite[] }): string[] {
  const keys = new Set<string>();
  for (const w of batch.accounting ?? []) {
    const change = w.change;
    if (change === null) continue;
    // An Accounting-On/Off closes the NAS's sessions by one statement; its key is the NAS alone.
    keys.add(change.kind === 'nas-reset' ? `${change.nasIp}|` : `${change.identity.nasIp}|${change.identity.callingStationId}`);
  }
  for (const w of batch.auth ?? []) if (w.session !== null) keys.add(`${w.session.identity.nasIp}|${w.session.identity.callingStationId}`);
  return [...keys].sort();
}
