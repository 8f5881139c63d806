/**
 * The session-event log: what each write transaction did to sessions, written in that same
 * transaction (so an event exists exactly when its change committed) and handed on only after
 * COMMIT. The log is bounded: it keeps the newest `logSize` events, enough for a consumer that
 * reconnects or fell behind to resume from its cursor; one that comes back later is told of the gap.
 *
 * The write path notes changes as it makes them (`note*`, a push each); the rows are read and the
 * events written once per transaction in `flush`, so an Interim-Update costs one primary-key read
 * and one insert more, and several updates of one session in one transaction make one event.
 */
import type { Database, Statement } from 'better-sqlite3';
import { SESSION_COLUMNS } from '../schema.js';
import type { EventLogBounds, Session, SessionEvent, SessionEventType } from '../types.js';

type Row = Record<string, unknown>;

/**
 * An event as it leaves the writing thread: the session as JSON text, written once for the log
 * and posted as is (a string crosses threads as one copy, where an object of sixty fields is
 * cloned field by field, on the thread that answers RADIUS). It is parsed there only when a
 * consumer looks at it.
 */
export interface LoggedEvent {
  id: number;
  type: SessionEventType;
  at: number;
  json: string;
}

/** A SessionEvent over a LoggedEvent: `session` is parsed on first use, once for every consumer. */
class ParsedOnUse implements SessionEvent {
  readonly id: number;
  readonly type: SessionEventType;
  readonly at: number;
  readonly #json: string;
  #session: Session | null = null;

  constructor(e: LoggedEvent) {
    this.id = e.id;
    this.type = e.type;
    this.at = e.at;
    this.#json = e.json;
  }

  get session(): Session {
    return (this.#session ??= JSON.parse(this.#json) as Session);
  }

  get sessionJson(): string {
    return this.#json;
  }
}

export const sessionEventOf = (e: LoggedEvent): SessionEvent => new ParsedOnUse(e);

/**
 * The session fields an event carries: who and where (identity, user, addresses, NAS port), what
 * policy gave it, its counters, its state and times. Not the long texts (the reply as ISE prints
 * it, other attributes, Class) nor the ids of records: they are one lookup away, and building and
 * storing them for every event cost the writing thread more than the write itself.
 */
export const EVENT_FIELDS: readonly (keyof Session & string)[] = [
  'id', 'nasIp', 'acctSessionId', 'callingStationId', 'state', 'startedAt', 'updatedAt', 'closedAt', 'closeReason', 'server',
  'userName', 'auditSessionId', 'nasIpv6', 'nasIdentifier', 'nasPortId', 'nasPortType', 'calledStationId', 'framedIp', 'framedIpv6',
  'serviceType', 'identityGroup', 'authenticationMethod', 'selectedAuthzProfile', 'endpointPolicy', 'vlan', 'sgt', 'postureStatus',
  'acctSessionTime', 'inputOctets', 'outputOctets', 'terminateCause',
];

/**
 * The event's session as JSON, built by SQLite's json_object from the row (a JS object of the row
 * would cost more than the write itself), selected by id once per session and transaction. Not
 * from the write itself (`RETURNING`): an UPDATE … RETURNING measured ten times slower than the
 * UPDATE and a lookup by id. In chunks of 30 fields: a function takes at most 127 arguments.
 */
const EVENT_COLUMNS = (() => {
  const pairs = EVENT_FIELDS.map((key) => `'${key}', ${SESSION_COLUMNS.find((c) => c.key === key)!.name}`);
  const chunks: string[] = [];
  for (let i = 0; i < pairs.length; i += 30) chunks.push(`json_object(${pairs.slice(i, i + 30).join(', ')})`);
  return `id, ${chunks.join(', ')}`;
})();

/**
 * A row of EVENT_COLUMNS as id and one JSON object without its empty fields (most of
 * a session's sixty are null: leaving them out halves what the log and every consumer carry).
 * `,"name":null` can only be a member: inside a JSON string a quote is always escaped. The first
 * member, `id`, is never null, so every null member has a comma before it.
 */
export function eventRow(row: readonly unknown[]): [number, string] {
  let json = row[1] as string;
  for (let i = 2; i < row.length; i++) json = `${json.slice(0, -1)},${(row[i] as string).slice(1)}`;
  return [row[0] as number, json.replace(/,"[A-Za-z0-9]+":null/g, '')];
}

/** The default of `store.eventLogSize`. */
export const DEFAULT_EVENT_LOG_SIZE = 100_000;

/** Pruning runs once this many events were added past the bound, as one DELETE of the oldest. */
const PRUNE_EVERY = 1024;

interface Noted {
  type: SessionEventType;
  id: number;
}

export class SqliteEventLog {
  readonly #logSize: number;
  readonly #insert: Statement;
  readonly #activeRow: Statement;
  readonly #closedRow: Statement;
  readonly #prune: Statement;
  readonly #read: Statement;
  readonly #bounds: Statement;
  /** Changes of the transaction in progress, in the order they were made. */
  #noted: Noted[] = [];
  /** Events written by the transaction in progress, waiting for its COMMIT. */
  #staged: LoggedEvent[] = [];
  #lastId: number;
  #sincePrune = 0;

  constructor(db: Database, logSize = DEFAULT_EVENT_LOG_SIZE) {
    this.#logSize = logSize;
    this.#insert = db.prepare('INSERT INTO session_events (at, type, session_id, session) VALUES (?, ?, ?, ?)');
    this.#activeRow = db.prepare(`SELECT ${EVENT_COLUMNS} FROM sessions_active WHERE id = ?`).raw(true);
    this.#closedRow = db.prepare(`SELECT ${EVENT_COLUMNS} FROM sessions_closed WHERE id = ?`).raw(true);
    this.#prune = db.prepare('DELETE FROM session_events WHERE id <= ?');
    this.#read = db.prepare('SELECT id, at, type, session FROM session_events WHERE id > ? ORDER BY id LIMIT ?');
    this.#bounds = db.prepare('SELECT MIN(id) AS first, MAX(id) AS last FROM session_events');
    this.#lastId = (this.#bounds.get() as { last: number | null }).last ?? 0;
  }

  /** A session was inserted (`authenticated` or `started`) or changed (`updated`, or `started` when accounting began), as written. */
  note(type: Exclude<SessionEventType, 'closed'>, id: number): void {
    this.#noted.push({ type, id });
  }

  /** A session went to history. */
  noteClosed(id: number): void {
    this.#noted.push({ type: 'closed', id });
  }

  /**
   * Writes the events of the transaction in progress; called inside it, as its last step. Several
   * `updated` of one session become one, and a session closed in the same transaction gets no
   * `updated` (its `closed` carries the final state).
   */
  flush(at: number): void {
    if (this.#noted.length === 0) return;
    const noted = this.#noted;
    this.#noted = [];
    // Each session as the transaction left it, read once: still active, or moved to history.
    const latest = new Map<number, string | null>();
    const sessionJson = (id: number): string | null => {
      let json = latest.get(id);
      if (json === undefined) {
        const row = (this.#activeRow.get(id) ?? this.#closedRow.get(id)) as unknown[] | undefined;
        json = row === undefined ? null : eventRow(row)[1];
        latest.set(id, json);
      }
      return json;
    };
    const closed = new Set<number>();
    for (const n of noted) if (n.type === 'closed') closed.add(n.id);
    const updated = new Set<number>();
    for (const n of noted) {
      if (n.type === 'updated') {
        if (updated.has(n.id) || closed.has(n.id)) continue;
        updated.add(n.id);
      }
      const json = sessionJson(n.id);
      if (json === null) continue;
      const id = Number(this.#insert.run(at, n.type, n.id, json).lastInsertRowid);
      this.#staged.push({ id, type: n.type, at, json });
      this.#lastId = id;
      this.#sincePrune++;
    }
    if (this.#sincePrune >= PRUNE_EVERY) {
      this.#prune.run(this.#lastId - this.#logSize);
      this.#sincePrune = 0;
    }
  }

  /** The transaction committed: its events, for the listener. */
  committed(): LoggedEvent[] {
    const events = this.#staged;
    this.#staged = [];
    return events;
  }

  /** The transaction rolled back: nothing it noted or wrote happened. */
  discard(): void {
    this.#noted = [];
    this.#staged = [];
    // The ids the rolled-back inserts took are free again; the next insert asks SQLite anyway.
    this.#lastId = (this.#bounds.get() as { last: number | null }).last ?? 0;
  }

  read(afterId: number, limit: number): SessionEvent[] {
    // Plain objects: these cross from the reading thread by structured clone.
    return (this.#read.all(afterId, limit) as Row[]).map((r) => ({
      id: r.id as number,
      type: r.type as SessionEventType,
      at: r.at as number,
      session: JSON.parse(r.session as string) as Session,
    }));
  }

  bounds(): EventLogBounds {
    const b = this.#bounds.get() as { first: number | null; last: number | null };
    return { first: b.first ?? 0, last: b.last ?? 0 };
  }
}
