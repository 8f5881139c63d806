import type { Store } from './types.js';
import { openSqliteStore } from './sqlite.js';
import { WorkerStore } from './worker.js';

export type * from './types.js';
export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { SCHEMA_VERSION } from './migrations.js';
export { WorkerStore, type WorkerStoreOptions } from './worker.js';

export interface StoreOptions {
  driver: 'sqlite';
  path: string;
  synchronous?: 'full' | 'normal';
  cacheSizeMiB?: number;
  /** Run SQLite on worker threads, one writing and one reading (what `openmnt serve` does). */
  thread?: boolean;
  /** With `thread`, for tests: see WorkerStoreOptions. */
  holdReads?: Int32Array;
}

/** Opens the configured store. Another driver (PostgreSQL) is one more case here. */
export function openStore(options: StoreOptions): Store {
  switch (options.driver) {
    case 'sqlite':
      return openSqliteStore(options);
  }
}

/** Opens the configured store and waits until it is ready; with `thread`, on worker threads. */
export async function startStore(options: StoreOptions): Promise<Store> {
  if (options.thread) {
    const { thread: _thread, driver: _driver, ...sqlite } = options;
    return new WorkerStore(sqlite).ready();
  }
  return openStore(options);
}
