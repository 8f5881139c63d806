import type { Store } from './types.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
import { WorkerStore } from './sqlite/worker.js';
import { OpenMntError } from '../errors.js';
import type { PgTlsOptions } from './postgres/connect.js';
import { openPostgresStore, type PostgresStoreOptions } from './postgres/store.js';
import { PgThreadedStore } from './postgres/threaded.js';

export type * from './types.js';
export type * from './cluster.js';
export { DEFAULT_WAL_MAX_MIB, SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export { WRITE_FAILURE_REASONS, engineCodeOf, sqliteCodeOf, writeFailureReason, type WriteFailureReason } from './failure.js';
export { FreeSpaceWatch, type FreeSpace } from './free-space.js';
export { looseDirectoryMode } from './files.js';
export { SCHEMA_VERSION } from './sqlite/migrations.js';
export { SESSION_EVENT_TYPES } from './types.js';
export { DEFAULT_EVENT_LOG_SIZE } from './sqlite/events.js';
export { WorkerStore, type WorkerStoreOptions } from './sqlite/worker.js';
export { PostgresStore, openPostgresStore, type PostgresStoreOptions } from './postgres/store.js';
export { PgThreadedStore } from './postgres/threaded.js';
export { PG_SCHEMA_VERSION } from './postgres/migrations.js';
export { redactedUrl, type PgTlsOptions, type PgTlsMode } from './postgres/connect.js';

export interface StoreOptions {
  /** `sqlite` (the embedded default) or `postgres` (a server several nodes share). */
  driver: 'sqlite' | 'postgres';
  /** SQLite: the database file. */
  path: string;
  /** PostgreSQL: `postgres://user:password@host1[:port][,host2[:port]…]/database[?…]`. */
  url?: string;
  /** PostgreSQL: connections of the node's reading pool. */
  poolSize?: number;
  /** PostgreSQL: how the connection is encrypted and verified. */
  tls?: PgTlsOptions;
  connectTimeoutSeconds?: number;
  synchronous?: 'full' | 'normal';
  cacheSizeMiB?: number;
  walMaxMiB?: number;
  /** Session events the log keeps for consumers to resume from. */
  eventLogSize?: number;
  /** `auto` (the default): a node brings the schema to its own version at start; `manual`: it
   * refuses to start on an older one, which `openmnt db migrate` then brings forward. */
  migrate?: 'auto' | 'manual';
  /** Run SQLite on worker threads, one writing and one reading (what `openmnt serve` does). */
  thread?: boolean;
  /** With `thread`, for tests: see WorkerStoreOptions. */
  holdReads?: Int32Array;
}

/** Opens the configured SQLite store on this thread (tools, benchmarks and tests). */
export function openStore(options: StoreOptions): Store {
  if (options.driver !== 'sqlite') throw new OpenMntError('INVALID_ARGUMENT', 'openStore opens SQLite only: a PostgreSQL store is opened with startStore');
  return openSqliteStore(sqliteOptions(options));
}

/** Opens the configured store and waits until it is ready; with `thread`, on worker threads. */
export async function startStore(options: StoreOptions): Promise<Store> {
  if (options.thread) return startThreadedStore(options);
  if (options.driver === 'postgres') return openPostgresStore(postgresOptions(options));
  return openStore(options);
}

/** A store whose writing thread another thread (the RADIUS thread) can write to over a port. */
export type ThreadedStore = Store & { writerPort(): import('node:worker_threads').MessagePort };

/**
 * The store `openmnt serve` runs: SQLite on its writing and reading threads, or PostgreSQL with a
 * writing thread of the same messages and a reading pool.
 */
export function startThreadedStore(options: StoreOptions): Promise<ThreadedStore> {
  if (options.driver === 'postgres') return PgThreadedStore.start(postgresOptions(options));
  return new WorkerStore({ ...sqliteOptions(options), holdReads: options.holdReads }).ready();
}

/** Only what PostgreSQL takes (the store section holds SQLite's settings too). */
function postgresOptions(options: StoreOptions): PostgresStoreOptions {
  const { url, poolSize, tls, connectTimeoutSeconds, eventLogSize, migrate } = options;
  if (url === undefined || url === '') throw new OpenMntError('CONFIG_INVALID', 'store.url must be set with store.driver: postgres');
  return { url, poolSize, tls, connectTimeoutSeconds, eventLogSize, ...(migrate === 'manual' ? { migrate } : {}) };
}

/** Only what SQLite takes: the configuration's store section holds more (e.g. store.minFreeMiB),
 * and whatever is passed here is copied to the store thread. */
function sqliteOptions(options: StoreOptions): SqliteStoreOptions {
  const { path, synchronous, cacheSizeMiB, walMaxMiB, eventLogSize, migrate } = options;
  return { path, synchronous, cacheSizeMiB, walMaxMiB, eventLogSize, ...(migrate === 'manual' ? { migrate } : {}) };
}
