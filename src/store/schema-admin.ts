/**
 * The schema as an operator sees it (`openmnt db status`, `openmnt db migrate`): which version the
 * configured database holds, which this build expects, and bringing it forward — for either
 * engine, without opening a whole store (no threads, no event log, no pools).
 */
import { existsSync } from 'node:fs';
import { OpenMntError } from '../errors.js';
import type { StoreOptions } from './index.js';

export interface SchemaState {
  driver: 'sqlite' | 'postgres';
  /** The file, or the URL without its password. */
  where: string;
  /** 0: no schema yet (a new database). */
  version: number;
  /** The version this build migrates to. */
  expected: number;
  /** PostgreSQL from the partitioning migration on: the record tables' partitions. */
  partitions?: import('./postgres/partitions.js').PartitionSummary[];
}

export interface MigrationOutcome extends SchemaState {
  /** The version before; `version` is the one after. */
  from: number;
}

type Settings = Pick<StoreOptions, 'driver' | 'path' | 'url' | 'tls' | 'connectTimeoutSeconds'>;

/** The schema version the configured database holds, read without changing anything. */
export async function schemaState(store: Settings): Promise<SchemaState> {
  if (store.driver === 'postgres') {
    const { PG_SCHEMA_VERSION, schemaVersion } = await import('./postgres/migrations.js');
    const { partitionSummary } = await import('./postgres/partitions.js');
    return withPostgres(store, async (sql, where) => {
      const partitions = await partitionSummary(sql);
      return { driver: 'postgres', where, version: await schemaVersion(sql), expected: PG_SCHEMA_VERSION, ...(partitions === null ? {} : { partitions }) };
    });
  }
  const { SCHEMA_VERSION } = await import('./sqlite/migrations.js');
  const where = store.path;
  // A file not made yet has no schema: the first `serve` or `db migrate` creates it.
  if (where !== ':memory:' && !existsSync(where)) return { driver: 'sqlite', where, version: 0, expected: SCHEMA_VERSION };
  const Database = (await import('better-sqlite3')).default;
  let db;
  try {
    db = new Database(where, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new OpenMntError('STORE_FAILED', `cannot open SQLite database ${where}: ${(cause as Error).message}`, { cause });
  }
  try {
    return { driver: 'sqlite', where, version: db.pragma('user_version', { simple: true }) as number, expected: SCHEMA_VERSION };
  } finally {
    db.close();
  }
}

/**
 * Applies the migrations this build has and the database lacks. PostgreSQL: in one transaction
 * under the migration lock the nodes take too, so running it beside starting nodes is safe.
 * Refuses a newer schema with STORE_SCHEMA_NEWER, changing nothing.
 */
export async function migrateSchema(store: Settings): Promise<MigrationOutcome> {
  if (store.driver === 'postgres') {
    const { PG_SCHEMA_VERSION, migratePostgres, schemaVersion } = await import('./postgres/migrations.js');
    return withPostgres(store, async (sql, where) => {
      const from = await migratePostgres(sql);
      return { driver: 'postgres', where, from, version: await schemaVersion(sql), expected: PG_SCHEMA_VERSION };
    });
  }
  const { SCHEMA_VERSION, migrate } = await import('./sqlite/migrations.js');
  const { prepareDatabaseFiles } = await import('./files.js');
  const Database = (await import('better-sqlite3')).default;
  const where = store.path;
  let db;
  try {
    prepareDatabaseFiles(where);
    db = new Database(where);
  } catch (cause) {
    throw new OpenMntError('STORE_FAILED', `cannot open SQLite database ${where}: ${(cause as Error).message}`, { cause });
  }
  try {
    // As the store opens it: a node that runs beside this waits for the lock instead of failing.
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const from = db.pragma('user_version', { simple: true }) as number;
    migrate(db);
    return { driver: 'sqlite', where, from, version: db.pragma('user_version', { simple: true }) as number, expected: SCHEMA_VERSION };
  } finally {
    db.close();
  }
}

async function withPostgres<T>(store: Settings, work: (sql: import('postgres').Sql, where: string) => Promise<T>): Promise<T> {
  const { connectPostgres, pgFailure, redactedUrl } = await import('./postgres/connect.js');
  if (store.url === undefined || store.url === '') throw new OpenMntError('CONFIG_INVALID', 'store.url must be set with store.driver: postgres');
  const where = redactedUrl(store.url);
  const sql = connectPostgres({ url: store.url, poolSize: 1, tls: store.tls, connectTimeoutSeconds: store.connectTimeoutSeconds, applicationName: 'openmnt db' });
  try {
    return await work(sql, where);
  } catch (cause) {
    throw pgFailure(`reading the schema of ${where}`, cause);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}
