/**
 * Session events of the whole cluster, live, on every node. With several nodes on one database a
 * firewall subscribed to node A must also learn of the sessions that node B authenticated, so a
 * node's live feed is not its own commits but the shared log itself, followed from its tail.
 *
 * Event ids are taken under the counter row's lock, held until COMMIT (store.ts `#finish`), so
 * they become visible in id order across nodes: reading `id > last` never steps over an event
 * that commits later. The tail is read when
 *
 * - this node committed events (its own writes: the wake costs no round trip to learn of them),
 * - the database notifies the channel (a trigger on the log fires once per inserting statement,
 *   and PostgreSQL delivers a notification only when its transaction commits), or
 * - a second passed without either: the LISTEN connection may have been cut and reopened, and a
 *   notification sent meanwhile is lost.
 *
 * One read runs at a time; a wake during a read makes one more read after it.
 */
import type { Sql } from 'postgres';
import type { Logger } from 'pino';
import { sessionEventOf, type LoggedEvent } from '../sqlite/events.js';
import type { SessionEvent, SessionEventType } from '../types.js';

/** The channel the log's trigger notifies (migration 3). */
export const EVENTS_CHANNEL = 'openmnt_session_events';

/** Events per read of the tail. */
const PAGE = 2000;
/** A read at least this often, whatever was heard. */
const POLL_MS = 1000;

export interface ClusterEventFeedOptions {
  sql: Sql;
  /** The feed ends `sql` when it closes. */
  ownsSql?: boolean;
  logger?: Logger;
  pollMs?: number;
}

export class ClusterEventFeed {
  readonly #o: ClusterEventFeedOptions;
  readonly #listeners: ((events: SessionEvent[]) => void)[] = [];
  /** The id of the last event handed on; null until the tail's position is known. */
  #last: number | null = null;
  #reading = false;
  #again = false;
  #stopped = false;
  #poll: NodeJS.Timeout | null = null;
  #unlisten: (() => Promise<void>) | null = null;
  readonly ready: Promise<void>;

  constructor(options: ClusterEventFeedOptions) {
    this.#o = options;
    this.ready = this.#start();
  }

  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#listeners.push(listener);
  }

  async #start(): Promise<void> {
    const { sql } = this.#o;
    try {
      const [row] = await sql.unsafe('SELECT COALESCE(MAX(id), 0) AS last FROM session_events');
      this.#last = Number(row?.last ?? 0);
    } catch (error) {
      // The database is away at start: the first read that answers places the tail.
      this.#o.logger?.warn({ err: error }, 'the session-event log could not be read; live events follow once it can');
    }
    try {
      const listening = await sql.listen(EVENTS_CHANNEL, () => this.wake());
      this.#unlisten = () => listening.unlisten();
    } catch (error) {
      this.#o.logger?.warn({ err: error }, `LISTEN ${EVENTS_CHANNEL} failed: other nodes' session events arrive by polling, once a second`);
    }
    if (this.#stopped) return;
    this.#poll = setInterval(() => this.wake(), this.#o.pollMs ?? POLL_MS);
    this.#poll.unref();
    this.wake();
  }

  /** Reads the tail now (or right after the read in progress). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    void this.#drain().finally(() => {
      this.#reading = false;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async #drain(): Promise<void> {
    const { sql } = this.#o;
    try {
      if (this.#last === null) {
        const [row] = await sql.unsafe('SELECT COALESCE(MAX(id), 0) AS last FROM session_events');
        this.#last = Number(row?.last ?? 0);
        return;
      }
      for (;;) {
        const rows = (await sql.unsafe('SELECT id, at, type, session FROM session_events WHERE id > $1 ORDER BY id LIMIT $2', [this.#last, PAGE])) as unknown as Record<string, unknown>[];
        if (rows.length === 0 || this.#stopped) return;
        // Parsed once, on first use, for every consumer of the node (sqlite/events.ts).
        const events: SessionEvent[] = rows.map((r) => sessionEventOf({ id: Number(r.id), type: r.type as SessionEventType, at: Number(r.at), json: String(r.session) } satisfies LoggedEvent));
        this.#last = events[events.length - 1]!.id;
        for (const listener of this.#listeners) listener(events);
        if (rows.length < PAGE) return;
      }
    } catch (error) {
      // The next wake or the poll tries again from the same id: nothing is skipped.
      this.#o.logger?.warn({ err: error }, 'reading the session-event log failed; retrying');
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#poll !== null) clearInterval(this.#poll);
    await this.ready.catch(() => undefined);
    await this.#unlisten?.().catch(() => undefined);
    if (this.#o.ownsSql === true) await this.#o.sql.end({ timeout: 2 }).catch(() => undefined);
  }
}
