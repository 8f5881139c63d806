/**
 * The directory's upkeep, off the path of any answer: sessions that went quiet are closed as
 * stale, history older than the retention is pruned, and (PostgreSQL) the record tables' coming
 * day partitions are made. All run on timers over the store.
 */
import type { Logger } from 'pino';
import type { PartitionUpkeep, PruneResult, Store } from '../store/index.js';

export interface HousekeepingOptions {
  store: Store;
  logger: Logger;
  defaultInterimSeconds: number;
  staleAfterIntervals: number;
  authOnlyTimeoutSeconds: number;
  sweepIntervalSeconds: number;
  retentionDays: number;
  pruneIntervalMinutes: number;
  now?: () => number;
}

/** How often the coming day partitions are checked (they are made a week ahead: hourly is plenty). */
const PARTITION_UPKEEP_MS = 3_600_000;

/** Candidates read per round of a sweep. */
const SWEEP_PAGE = 1000;

export class SessionHousekeeping {
  readonly #o: HousekeepingOptions;
  readonly #now: () => number;
  #timers: NodeJS.Timeout[] = [];
  #staleClosed = 0;

  constructor(options: HousekeepingOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Sessions closed as stale since start. */
  get staleClosed(): number {
    return this.#staleClosed;
  }

  /** Starts the stale-session sweep, the retention prune and, where the store has them, the day
   * partitions' upkeep (hourly; the node runs it once itself before it reports ready). */
  start(): void {
    const sweep = setInterval(() => void this.sweepStale().catch((err) => this.#o.logger.error({ err }, 'stale sweep failed')), this.#o.sweepIntervalSeconds * 1000);
    const prune = setInterval(() => void this.prune().catch((err) => this.#o.logger.error({ err }, 'retention prune failed')), this.#o.pruneIntervalMinutes * 60_000);
    sweep.unref();
    prune.unref();
    this.#timers.push(sweep, prune);
    if (this.#o.store.maintainPartitions !== undefined) {
      const upkeep = () => void this.maintainPartitions().catch((err) => this.#o.logger.error({ err }, 'partition upkeep failed'));
      const timer = setInterval(upkeep, PARTITION_UPKEEP_MS);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /** Makes the record tables' partitions of today and the coming days (null: the store has none). */
  async maintainPartitions(): Promise<PartitionUpkeep | null> {
    if (this.#o.store.maintainPartitions === undefined) return null;
    const upkeep = await this.#o.store.maintainPartitions(this.#now());
    if (upkeep.created.length > 0 || upkeep.moved > 0) this.#o.logger.info(upkeep, 'day partitions made');
    if (upkeep.deferred.length > 0) {
      this.#o.logger.warn({ deferred: upkeep.deferred }, 'day partitions not made: their table was busy past the lock wait; tried again within the hour');
    }
    return upkeep;
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  /**
   * Closes sessions that have gone quiet: those with accounting after `staleAfterIntervals` of
   * their own interim interval (or the default), those only authenticated after
   * `authOnlyTimeoutSeconds`. They move to history with reason `stale`; nothing is deleted.
   */
  async sweepStale(): Promise<number> {
    const now = this.#now();
    const { defaultInterimSeconds, staleAfterIntervals, authOnlyTimeoutSeconds } = this.#o;
    const shortest = Math.min(authOnlyTimeoutSeconds, defaultInterimSeconds * staleAfterIntervals, 60 * staleAfterIntervals);
    let closed = 0;
    for (;;) {
      const candidates = await this.#o.store.staleCandidates(now - shortest * 1000, SWEEP_PAGE);
      const ids = candidates
        .filter((s) => {
          const limit =
            s.state === 'authenticated'
              ? authOnlyTimeoutSeconds
              : (s.acctInterimInterval ?? defaultInterimSeconds) * staleAfterIntervals;
          return s.updatedAt < now - limit * 1000;
        })
        .map((s) => s.id);
      if (ids.length > 0) closed += await this.#o.store.closeSessions({ ids }, 'stale', now);
      if (candidates.length < SWEEP_PAGE || ids.length === 0) break;
    }
    if (closed > 0) {
      this.#staleClosed += closed;
      this.#o.logger.info({ closed }, 'stale sessions closed');
    }
    return closed;
  }

  /** Deletes history older than the retention: records, closed sessions, the CoA audit log, and
   * finished bulk CoA jobs with their per-endpoint results. Returns what it removed. */
  async prune(): Promise<PruneResult> {
    const cutoff = this.#now() - this.#o.retentionDays * 86_400_000;
    const result = await this.#o.store.prune(cutoff);
    this.#o.logger.info({ ...result, olderThan: new Date(cutoff).toISOString() }, 'retention prune done');
    if (result.deferredPartitions !== undefined) {
      this.#o.logger.warn({ deferred: result.deferredPartitions }, 'partitions past the retention not dropped: their table was busy past the lock wait; dropped by the next prune');
    }
    return result;
  }
}
