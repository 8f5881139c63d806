/**
 * Whether the store can commit, as the session directory sees it: every group commit reports its
 * outcome here. A failing store is what makes a node useless while it still answers HTTP (NAS
 * retransmit accounting that is never acknowledged), so this is what `/health` and `/metrics`
 * report, and what the log says — once a minute per reason, however many batches fail.
 *
 * While writes fail, a tiny probe write is committed every few seconds: with no traffic, nothing
 * else would tell that the store has recovered (e.g. once space was freed on a full disk).
 */
import type { Logger } from 'pino';
import {
  WRITE_FAILURE_REASONS,
  sqliteCodeOf,
  writeFailureReason,
  type FreeSpace,
  type FreeSpaceWatch,
  type Store,
  type WriteFailureReason,
} from '../store/index.js';

/** A failure (per reason) or a recovery is logged at most this often; the rest are counted. */
const LOG_EVERY_MS = 60_000;
/** Writes waiting this long with no commit at all mean the store is stuck, not slow. */
const STALLED_AFTER_MS = 30_000;

export interface CommitHealthOptions {
  store: Pick<Store, 'probe'>;
  logger: Logger;
  now: () => number;
  /** How often a failing store is probed with a tiny write. */
  probeIntervalMs: number;
}

export interface WriteFailure {
  reason: WriteFailureReason;
  message: string;
  at: number;
}

/** What `/health` and `/metrics` read. Times are epoch milliseconds. */
export interface CommitState {
  /** The last write (or probe) failed and none has committed since. */
  failing: boolean;
  /** Writes have waited `STALLED_AFTER_MS` with no commit: the store neither commits nor fails. */
  stalled: boolean;
  /** Since when writes fail, while they do. */
  failingSince: number | null;
  lastCommitAt: number | null;
  lastFailure: WriteFailure | null;
  /** Failed group commits (each held one or more packets) since start, by reason. */
  failures: Record<WriteFailureReason, number>;
  /** Writes handed to the directory and not yet committed (queued or in a transaction). */
  backlog: number;
}

export class CommitHealth {
  readonly #o: CommitHealthOptions;
  readonly #failures = Object.fromEntries(WRITE_FAILURE_REASONS.map((r) => [r, 0])) as Record<WriteFailureReason, number>;
  #lastCommitAt: number | null = null;
  #failingSince: number | null = null;
  #failuresWhileFailing = 0;
  #lastFailure: WriteFailure | null = null;
  readonly #lastLogged = new Map<string, { at: number; notLogged: number }>();
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;

  constructor(options: CommitHealthOptions) {
    this.#o = options;
  }

  /** A transaction committed. */
  committed(): void {
    const now = this.#o.now();
    this.#lastCommitAt = now;
    if (this.#failingSince === null) return;
    const failedSeconds = Math.round((now - this.#failingSince) / 1000);
    const failures = this.#failuresWhileFailing;
    this.#failingSince = null;
    this.#failuresWhileFailing = 0;
    this.#stopProbing();
    this.#limited('recovered', (notLogged) =>
      this.#o.logger.info({ failedSeconds, failures, ...(notLogged > 0 && { recoveriesNotLogged: notLogged }) }, 'store commits again after failing'),
    );
  }

  /** A group commit of `packets` writes failed; its callers have been told. */
  failed(error: unknown, packets: number): void {
    const failure = this.#failure(error);
    this.#failures[failure.reason]++;
    this.#failuresWhileFailing++;
    this.#limited(failure.reason, (notLogged) =>
      this.#o.logger.error(
        {
          reason: failure.reason,
          error: failure.message,
          sqliteCode: sqliteCodeOf(error),
          packets,
          failures: this.#failures[failure.reason],
          notLogged,
        },
        'session directory write failed (further failures for this reason are counted, logged again in a minute)',
      ),
    );
  }

  state(backlog: number, lastProgressAt: number): CommitState {
    const now = this.#o.now();
    return {
      failing: this.#failingSince !== null,
      stalled: backlog > 0 && now - lastProgressAt >= STALLED_AFTER_MS,
      failingSince: this.#failingSince,
      lastCommitAt: this.#lastCommitAt,
      lastFailure: this.#lastFailure,
      failures: { ...this.#failures },
      backlog,
    };
  }

  close(): void {
    this.#stopProbing();
  }

  /** Records the failure as the latest and starts probing if the store just began failing. */
  #failure(error: unknown): WriteFailure {
    const now = this.#o.now();
    const failure = { reason: writeFailureReason(error), message: error instanceof Error ? error.message : String(error), at: now };
    this.#lastFailure = failure;
    if (this.#failingSince === null) {
      this.#failingSince = now;
      this.#probeTimer = setInterval(() => this.#probe(), this.#o.probeIntervalMs);
      this.#probeTimer.unref();
    }
    return failure;
  }

  #probe(): void {
    if (this.#probing) return;
    this.#probing = true;
    this.#o.store
      .probe(this.#o.now())
      .then(
        () => this.committed(),
        // A failed probe lost no packet: it keeps the store failing but is not a write failure.
        (error: unknown) => void this.#failure(error),
      )
      .finally(() => (this.#probing = false));
  }

  #stopProbing(): void {
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  /** Calls `log` unless `key` was logged within the last minute; counts what it left out. */
  #limited(key: string, log: (notLogged: number) => void): void {
    const now = this.#o.now();
    const last = this.#lastLogged.get(key);
    if (last !== undefined && now - last.at < LOG_EVERY_MS) {
      last.notLogged++;
      return;
    }
    log(last?.notLogged ?? 0);
    this.#lastLogged.set(key, { at: now, notLogged: 0 });
  }
}

/** What `/health` adds about the store: `ok` false means it cannot commit (answer 503). */
export interface StoreHealthReport {
  ok: boolean;
  httpStatus: 200 | 503;
  fields: {
    /** `failing`: the last write failed; `stalled`: writes wait and nothing commits or fails. */
    writes: 'ok' | 'failing' | 'stalled';
    /** Failed group commits since start (each held one or more RADIUS packets). */
    writeFailures: number;
    lastWriteFailure: { reason: WriteFailureReason; message: string; at: string } | null;
    /** How long writes have been failing, while they are. */
    failingSeconds: number | null;
    /** Writes received and not yet committed. */
    commitBacklog: number;
    /** Since the last successful commit; null when none since start. An idle node commits nothing,
     * so this grows without anything being wrong. */
    lastCommitAgeSeconds: number | null;
    /** Free bytes on the database's file system (null when unknown or in memory). */
    freeBytes: number | null;
    /** `low`: below store.minFreeMiB. */
    diskSpace: 'ok' | 'low' | 'unknown';
  };
}

export function storeHealthReport(commits: CommitState, space: FreeSpace | null, now: number): StoreHealthReport {
  const writes = commits.failing ? 'failing' : commits.stalled ? 'stalled' : 'ok';
  const ok = writes === 'ok';
  const seconds = (since: number | null) => (since === null ? null : Math.max(0, Math.round((now - since) / 1000)));
  const failure = commits.lastFailure;
  return {
    ok,
    httpStatus: ok ? 200 : 503,
    fields: {
      writes,
      writeFailures: Object.values(commits.failures).reduce((a, b) => a + b, 0),
      lastWriteFailure: failure === null ? null : { reason: failure.reason, message: failure.message, at: new Date(failure.at).toISOString() },
      failingSeconds: seconds(commits.failingSince),
      commitBacklog: commits.backlog,
      lastCommitAgeSeconds: seconds(commits.lastCommitAt),
      freeBytes: space?.freeBytes ?? null,
      diskSpace: space === null || space.freeBytes === null ? 'unknown' : space.low ? 'low' : 'ok',
    },
  };
}

/** The store's health as `/health` asks for it: free space read afresh, commit state as it is. */
export function storeHealth(
  commitState: () => CommitState | Promise<CommitState>,
  freeSpace: FreeSpaceWatch | null,
  now: () => number = Date.now,
): () => Promise<StoreHealthReport> {
  return async () => {
    const [commits, space] = await Promise.all([commitState(), freeSpace === null ? null : freeSpace.check()]);
    return storeHealthReport(commits, space, now());
  };
}
