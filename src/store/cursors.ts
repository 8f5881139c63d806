/**
 * Streamed reads served by a store thread page by page. The main thread opens a cursor and asks
 * for each next page when its consumer wants it, so a list of millions never sits in memory and
 * never holds the thread for more than one page: other reads are answered between pages.
 * Between pages no SQLite statement stays open (the store reads each page with its own query
 * after the last id seen), so an idle cursor holds back neither writes nor checkpoints.
 */
import { OpenMntError } from '../errors.js';
import type { SqliteStore } from './sqlite/store.js';
import type { JsonMember, Session, SessionQuery } from './types.js';

/**
 * `summaries`: what session lists show (a page is one JSON text); `summaryText`: the same as the
 * bytes of JSON objects (Store.listSessionJsonPages); `sessions`: whole rows.
 */
export type CursorKind = 'summaries' | 'summaryText' | 'sessions';

export interface Page<T> {
  rows: T[];
  /** No rows follow: the cursor is gone on the thread. */
  done: boolean;
}

export class Cursors {
  readonly #open = new Map<number, () => Promise<Page<unknown>>>();
  readonly #store: SqliteStore;

  constructor(store: SqliteStore) {
    this.#store = store;
  }

  /** Answers a cursor message (`cursorOpen`, `cursorNext`, `cursorClose`); undefined for any other. */
  answer(method: string, args: unknown[]): Promise<unknown> | null | undefined {
    switch (method) {
      case 'cursorOpen': {
        const [key, kind, query, pageSize, members] = args as [number, CursorKind, SessionQuery, number, JsonMember[] | undefined];
        return this.open(key, kind, query, pageSize, members);
      }
      case 'cursorNext':
        return this.next(args[0] as number);
      case 'cursorClose':
        return this.close(args[0] as number);
      default:
        return undefined;
    }
  }

  /** Opens cursor `key` and answers its first page. */
  open(key: number, kind: CursorKind, query: SessionQuery, pageSize: number, members: readonly JsonMember[] = []): Promise<Page<unknown>> {
    if (this.#open.has(key)) throw new OpenMntError('STORE_FAILED', `cursor ${key} is already open`);
    const size = Math.max(1, Math.floor(pageSize));
    const read =
      kind === 'summaries'
        ? textPages(this.#store.summaryPagesAsJson(query, size))
        : kind === 'summaryText'
          ? textPages(this.#store.summaryPagesAsText(query, size, members))
          : sessionPages(this.#store, query, size);
    this.#open.set(key, read);
    return this.next(key);
  }

  async next(key: number): Promise<Page<unknown>> {
    const read = this.#open.get(key);
    if (read === undefined) return { rows: [], done: true };
    const page = await read();
    if (page.done) this.#open.delete(key);
    return page;
  }

  close(key: number): null {
    this.#open.delete(key);
    return null;
  }
}

/** Summaries travel as one text per page (JSON, or bytes); the calling side parses or writes it. */
function textPages<T>(pages: Generator<T>): () => Promise<Page<T>> {
  return async () => {
    const next = pages.next();
    return next.done ? { rows: [], done: true } : { rows: [next.value], done: false };
  };
}

function sessionPages(store: SqliteStore, query: SessionQuery, size: number): () => Promise<Page<Session>> {
  const sessions = store.iterateSessions(query)[Symbol.asyncIterator]();
  return async () => {
    const rows: Session[] = [];
    while (rows.length < size) {
      const next = await sessions.next();
      if (next.done) return { rows, done: true };
      rows.push(next.value);
    }
    return { rows, done: false };
  };
}
