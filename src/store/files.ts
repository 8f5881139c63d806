/**
 * The database's files are private to the service account: the database holds every user name,
 * endpoint address and session of the network. SQLite creates a new database with mode 0644 and
 * gives its -wal and -shm files the mode of the database file, so creating the database file
 * ourselves with 0600 (in a 0700 directory) makes all three private.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** The database file and the files SQLite keeps beside it in WAL mode. */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/** Whether `path` names a file on disk (not an in-memory or URI database). */
export function isDatabaseFile(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

/**
 * Before the writer opens `path`: creates the missing directories 0700 and a missing database file
 * 0600, and takes group and other access away from the database files an older version left
 * readable. An existing directory is the operator's and is left as it is (see
 * `looseDirectoryMode`).
 */
export function prepareDatabaseFiles(path: string): void {
  if (!isDatabaseFile(path)) return;
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const file of databaseFiles(path)) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
  }
}

/** The mode of the database's directory when others may enter or read it, else null. */
export function looseDirectoryMode(path: string): number | null {
  if (!isDatabaseFile(path)) return null;
  try {
    const mode = statSync(dirname(path)).mode & 0o777;
    return (mode & 0o077) === 0 ? null : mode;
  } catch {
    return null;
  }
}
