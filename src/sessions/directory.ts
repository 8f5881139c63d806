/**
 * The live session directory's write side: it turns accounting and authentication events into
 * store writes with group commit. (Closing stale sessions and pruning history, which are not in
 * the way of any answer, are in housekeeping.ts.)
 *
 * Group commit: events that arrive while the event loop is busy are gathered and written in one
 * transaction; each caller's promise resolves only after that transaction commits, which is when
 * the RADIUS listener may answer. Under load, batches grow by themselves, so one fsync covers many
 * packets; when idle, a packet is written alone with no added wait.
 */
import type { Logger } from 'pino';
import type { AccountingWrite, AuthWrite, Store, WriteResult } from '../store/index.js';

/** What the directory needs of a store: group commits, and a probe while they fail. */
export type CommitSink = Pick<Store, 'write' | 'probe'>;
import { CommitHealth, type CommitState } from './health.js';

/** Batches handed to the store and not yet committed, at most. A store that commits on another
 * thread takes whatever queued up while it was busy into its next transaction (see
 * store/worker-thread.ts), so handing batches over early costs nothing and keeps it busy. */
const MAX_IN_FLIGHT = 16;

export interface DirectoryOptions {
  store: CommitSink;
  logger: Logger;
  maxBatch: number;
  /** How often a failing store is probed with a tiny write (default 2 s). */
  probeIntervalMs?: number;
  now?: () => number;
  /** Told how long each group commit took, from hand-over to answer, and how many packets it held. */
  onCommit?: (seconds: number, packets: number) => void;
}

interface Pending<T> {
  /** Dropped once handed to the store, so a write waiting for its commit holds no copy here. */
  write: T | null;
  resolve: (id: number) => void;
  reject: (error: unknown) => void;
}

export interface DirectoryStats {
  batches: number;
  largestBatch: number;
  accountingWritten: number;
  authWritten: number;
  sessionsOpened: number;
  sessionsClosed: number;
  writeFailures: number;
}

function handOver<T>(pending: Pending<T>): T {
  const write = pending.write!;
  pending.write = null;
  return write;
}

export class SessionDirectory {
  readonly #o: DirectoryOptions;
  readonly #now: () => number;
  #accounting: Pending<AccountingWrite>[] = [];
  #auth: Pending<AuthWrite>[] = [];
  #scheduled = false;
  /** Batches handed to the store and not yet committed; the store applies them in order. */
  #writing = new Set<Promise<void>>();
  /** Writes in the batches of #writing. */
  #writesInFlight = 0;
  /** When a write last committed or failed, or when writes started to wait after none did. */
  #lastProgressAt: number;
  readonly #health: CommitHealth;
  readonly #stats: DirectoryStats = {
    batches: 0,
    largestBatch: 0,
    accountingWritten: 0,
    authWritten: 0,
    sessionsOpened: 0,
    sessionsClosed: 0,
    writeFailures: 0,
  };

  constructor(options: DirectoryOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#lastProgressAt = this.#now();
    this.#health = new CommitHealth({ store: options.store, logger: options.logger, now: this.#now, probeIntervalMs: options.probeIntervalMs ?? 2000 });
  }

  stats(): DirectoryStats {
    return { ...this.#stats };
  }

  /** Whether writes commit, fail or wait, and how many wait (see sessions/health.ts). */
  commitState(): CommitState {
    return this.#health.state(this.#backlog(), this.#lastProgressAt);
  }

  #backlog(): number {
    return this.#accounting.length + this.#auth.length + this.#writesInFlight;
  }

  /** Resolves with the accounting record id once it is committed. */
  recordAccounting(write: AccountingWrite): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting();
      this.#accounting.push({ write, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves with the authentication record id once it is committed. */
  recordAuthentication(write: AuthWrite): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting();
      this.#auth.push({ write, resolve, reject });
      this.#schedule();
    });
  }

  /** Writes what is queued and stops probing. */
  async close(): Promise<void> {
    this.#health.close();
    while (this.#writing.size > 0 || this.#accounting.length > 0 || this.#auth.length > 0) {
      this.#flush();
      await Promise.all(this.#writing);
    }
  }

  /** A write arrives: if none was waiting, the stall clock starts now. */
  #waiting(): void {
    if (this.#backlog() === 0) this.#lastProgressAt = this.#now();
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing.size >= MAX_IN_FLIGHT) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#writing.size >= MAX_IN_FLIGHT) return;
    const max = this.#o.maxBatch;
    const accounting = this.#accounting.splice(0, max);
    const auth = this.#auth.splice(0, Math.max(0, max - accounting.length));
    if (accounting.length === 0 && auth.length === 0) return;
    const batch = { accounting: accounting.map(handOver), auth: auth.map(handOver) };
    const packets = accounting.length + auth.length;
    this.#writesInFlight += packets;
    const handedOver = performance.now();
    const writing: Promise<void> = this.#o.store
      .write(batch)
      .then(
        (result) => {
          this.#o.onCommit?.((performance.now() - handedOver) / 1000, packets);
          this.#writesInFlight -= packets;
          this.#lastProgressAt = this.#now();
          this.#health.committed();
          this.#settle(result, accounting, auth);
        },
        (error: unknown) => {
          this.#writesInFlight -= packets;
          this.#lastProgressAt = this.#now();
          this.#stats.writeFailures++;
          // Logged there at most once a minute per reason: a full disk fails every batch.
          this.#health.failed(error, packets);
          for (const p of accounting) p.reject(error);
          for (const p of auth) p.reject(error);
        },
      )
      .finally(() => {
        this.#writing.delete(writing);
        if (this.#accounting.length > 0 || this.#auth.length > 0) this.#schedule();
      });
    this.#writing.add(writing);
  }

  #settle(result: WriteResult, accounting: Pending<AccountingWrite>[], auth: Pending<AuthWrite>[]): void {
    const s = this.#stats;
    s.batches++;
    s.largestBatch = Math.max(s.largestBatch, accounting.length + auth.length);
    s.accountingWritten += accounting.length;
    s.authWritten += auth.length;
    s.sessionsOpened += result.sessionsOpened;
    s.sessionsClosed += result.sessionsClosed;
    accounting.forEach((p, i) => p.resolve(result.accountingIds[i]!));
    auth.forEach((p, i) => p.resolve(result.authIds[i]!));
  }
}
