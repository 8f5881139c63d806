import type { Store } from './types.js';
import { openSqliteStore } from './sqlite.js';

export type * from './types.js';
export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { SCHEMA_VERSION } from './migrations.js';

export interface StoreOptions {
  driver: 'sqlite';
  path: string;
  synchronous?: 'full' | 'normal';
  cacheSizeMiB?: number;
}

/** Opens the configured store. Another driver (PostgreSQL) is one more case here. */
export function openStore(options: StoreOptions): Store {
  switch (options.driver) {
    case 'sqlite':
      return openSqliteStore(options);
  }
}
