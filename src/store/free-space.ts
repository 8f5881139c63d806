/**
 * Free space on the file system that holds the database, watched so that the operator hears of a
 * filling disk before writes start to fail: a warning in the log when it falls below the
 * configured minimum (repeated every ten minutes while it stays there), the figure in `/metrics`
 * and `/health`.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { isDatabaseFile } from './files.js';

const REPEAT_WARNING_MS = 10 * 60_000;

export interface FreeSpaceOptions {
  /** The database file; its directory is the one measured. */
  path: string;
  /** Below this many free bytes the space is low; 0 never warns. */
  minFreeBytes: number;
  logger: Logger;
  intervalMs: number;
  now?: () => number;
}

export interface FreeSpace {
  /** Bytes an unprivileged process may still write there; null before the first reading, or when
   * the file system cannot be asked. */
  freeBytes: number | null;
  low: boolean;
}

export class FreeSpaceWatch {
  readonly #o: FreeSpaceOptions;
  readonly #now: () => number;
  readonly #dir: string | null;
  #last: FreeSpace = { freeBytes: null, low: false };
  #warnedAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: FreeSpaceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#dir = isDatabaseFile(options.path) ? dirname(options.path) : null;
  }

  /** Measures now and then every `intervalMs`. */
  async start(): Promise<void> {
    await this.check();
    if (this.#dir === null) return;
    this.#timer = setInterval(() => void this.check(), this.#o.intervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** The last reading. */
  current(): FreeSpace {
    return { ...this.#last };
  }

  /** Reads the free space again (a statfs call), warning when it is low. */
  async check(): Promise<FreeSpace> {
    if (this.#dir === null) return this.current();
    let freeBytes: number;
    try {
      const s = await statfs(this.#dir);
      freeBytes = s.bavail * s.bsize;
    } catch (error) {
      this.#last = { freeBytes: null, low: false };
      this.#o.logger.debug({ err: error, dir: this.#dir }, 'cannot read free space of the database directory');
      return this.current();
    }
    const { minFreeBytes, logger } = this.#o;
    const low = minFreeBytes > 0 && freeBytes < minFreeBytes;
    const now = this.#now();
    if (low && (this.#warnedAt === null || now - this.#warnedAt >= REPEAT_WARNING_MS)) {
      this.#warnedAt = now;
      logger.warn(
        { dir: this.#dir, freeBytes, minFreeBytes },
        'free space for the database is below store.minFreeMiB: writes fail once the disk is full (free space, or lower retention.days)',
      );
    } else if (!low && this.#warnedAt !== null) {
      this.#warnedAt = null;
      logger.info({ dir: this.#dir, freeBytes, minFreeBytes }, 'free space for the database is above store.minFreeMiB again');
    }
    this.#last = { freeBytes, low };
    return this.current();
  }
}
