import type { Store } from './types.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
import { WorkerStore } from './sqlite/worker.js';

export type * from './types.js';
export { DEFAULT_WAL_MAX_MIB, SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export { WRITE_FAILURE_REASONS, engineCodeOf, sqliteCodeOf, writeFailureReason, type WriteFailureReason } from './failure.js';
export { FreeSpaceWatch, type FreeSpace } from './free-space.js';
export { looseDirectoryMode } from './files.js';
export { SCHEMA_VERSION } from './sqlite/migrations.js';
export { SESSION_EVENT_TYPES } from './types.js';
export { DEFAULT_EVENT_LOG_SIZE } from './sqlite/events.js';
export { WorkerStore, type WorkerStoreOptions } from './sqlite/worker.js';

export interface StoreOptions {
  driver: 'sqlite';
  path: string;
  synchronous?: 'full' | 'normal';
  cacheSizeMiB?: number;
  walMaxMiB?: number;
  /** Session events the log keeps for consumers to resume from. */
  eventLogSize?: number;
  /** Run SQLite on worker threads, one writing and one reading (what `openmnt serve` does). */
  thread?: boolean;
  /** With `thread`, for tests: see WorkerStoreOptions. */
  holdReads?: Int32Array;
}

/** Opens the configured store. Another driver (PostgreSQL) is one more case here. */
export function openStore(options: StoreOptions): Store {
  switch (options.driver) {
    case 'sqlite':
      return openSqliteStore(sqliteOptions(options));
  }
}

/** Opens the configured store and waits until it is ready; with `thread`, on worker threads. */
export async function startStore(options: StoreOptions): Promise<Store> {
  if (options.thread) return startThreadedStore(options);
  return openStore(options);
}

/** The store `openmnt serve` runs: SQLite on its writing and reading threads. */
export function startThreadedStore(options: StoreOptions): Promise<WorkerStore> {
  return new WorkerStore({ ...sqliteOptions(options), holdReads: options.holdReads }).ready();
}

/** Only what SQLite takes: the configuration's store section holds more (e.g. store.minFreeMiB),
 * and whatever is passed here is copied to the store thread. */
function sqliteOptions(options: StoreOptions): SqliteStoreOptions {
  const { path, synchronous, cacheSizeMiB, walMaxMiB, eventLogSize } = options;
  return { path, synchronous, cacheSizeMiB, walMaxMiB, eventLogSize };
}
