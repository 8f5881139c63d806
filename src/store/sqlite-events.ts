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
import { SESSION_COLUMNS, rowMapper } from './schema.js';
import type { EventLogBounds, Session, SessionEvent, SessionEventType } from './types.js';

type Row = Record<string, unknown>;

const toSession = rowMapper(SESSION_COLUMNS);

/** The default of `store.eventLogSize`. */
export const DEFAULT_EVENT_LOG_SIZE = 100_000;

/** Pruning runs once this many events were added past the bound, as one DELETE of the oldest. */
const PRUNE_EVERY = 1024;

interface Noted {
  type: SessionEventType;
  id: number;
  /** Set for `closed`: the row as it went to history (the active row no longer exists). */
  row?: Row;
}

export class SqliteEventLog {
  readonly #logSize: number;
  readonly #insert: Statement;
  readonly #activeRow: Statement;
  readonly #prune: Statement;
  readonly #read: Statement;
  readonly #bounds: Statement;
  /** Changes of the transaction in progress, in the order they were made. */
  #noted: Noted[] = [];
  /** Events written by the transaction in progress, waiting for its COMMIT. */
  #staged: SessionEvent[] = [];
  #lastId: number;
  #sincePrune = 0;

  constructor(db: Database, logSize = DEFAULT_EVENT_LOG_SIZE) {
    this.#logSize = logSize;
    this.#insert = db.prepare('INSERT INTO session_events (at, type, session_id, session) VALUES (?, ?, ?, ?)');
    this.#activeRow = db.prepare('SELECT * FROM sessions_active WHERE id = ?');
    this.#prune = db.prepare('DELETE FROM session_events WHERE id <= ?');
    this.#read = db.prepare('SELECT id, at, type, session FROM session_events WHERE id > ? ORDER BY id LIMIT ?');
    this.#bounds = db.prepare('SELECT MIN(id) AS first, MAX(id) AS last FROM session_events');
    this.#lastId = (this.#bounds.get() as { last: number | null }).last ?? 0;
  }

  /** A session was inserted (`authenticated` or `started`) or changed (`updated`, or `started` when accounting began). */
  note(type: Exclude<SessionEventType, 'closed'>, id: number): void {
    this.#noted.push({ type, id });
  }

  /** A session went to history; `row` is it as moved (from INSERT … RETURNING). */
  noteClosed(row: Row): void {
    this.#noted.push({ type: 'closed', id: row.id as number, row });
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
    const closed = new Map<number, Row>();
    for (const n of noted) if (n.type === 'closed') closed.set(n.id, n.row!);
    const updated = new Set<number>();
    for (const n of noted) {
      let row: Row | undefined;
      if (n.type === 'closed') {
        row = n.row;
      } else {
        if (n.type === 'updated') {
          if (updated.has(n.id) || closed.has(n.id)) continue;
          updated.add(n.id);
        }
        row = (this.#activeRow.get(n.id) as Row | undefined) ?? closed.get(n.id);
      }
      if (row === undefined) continue;
      const session = toSession(row);
      const id = Number(this.#insert.run(at, n.type, n.id, JSON.stringify(session)).lastInsertRowid);
      this.#staged.push({ id, type: n.type, at, session });
      this.#lastId = id;
      this.#sincePrune++;
    }
    if (this.#sincePrune >= PRUNE_EVERY) {
      this.#prune.run(this.#lastId - this.#logSize);
      this.#sincePrune = 0;
    }
  }

  /** The transaction committed: its events, for the listener. */
  committed(): SessionEvent[] {
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
