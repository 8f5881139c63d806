/**
 * A real PostgreSQL for tests. Each test file (or test) makes a database of its own with a unique
 * name, `openmnt_t_<random>`, and drops it afterwards: tests never touch another's database.
 * The server is the one at OPENMNT_TEST_PG_URL (default: postgres on 127.0.0.1:5432, trust
 * authentication, as `.ci/run` starts it). Without one, tests that need it skip loudly; under CI
 * (CI=true) they fail.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import postgres from 'postgres';

export const ADMIN_URL = process.env.OPENMNT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<string | false> | undefined;

/** The skip reason when no PostgreSQL answers (false when one does); throws under CI. */
export function needPostgres(): Promise<string | false> {
  reachable ??= (async () => {
    const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
    try {
      await sql.unsafe('SELECT 1');
      return false as const;
    } catch (error) {
      const message = `PostgreSQL does not answer at ${ADMIN_URL} (${(error as Error).message}); tests that need it are SKIPPED`;
      if (process.env.CI === 'true') throw new Error(`CI: ${message.replace('SKIPPED', 'required under CI')}`);
      console.warn(`\n!!! ${message} !!!\n`);
      return message;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => undefined);
    }
  })();
  return reachable;
}

export interface TestDatabase {
  name: string;
  /** A URL to this database (the admin URL with its database name replaced). */
  url: string;
  /** Drops the database, ending whatever connections still hold it. */
  drop(): Promise<void>;
}

/** The admin URL pointed at another database. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates a database of its own for a test. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `openmnt_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}

/**
 * The databases of one test file: `fresh` makes one, `dropAll` drops those made so far, and
 * whatever is left when the file ends is dropped then (a failed test leaves none behind).
 */
export function testDatabases(): { fresh(): Promise<TestDatabase>; dropAll(): Promise<void> } {
  let made: TestDatabase[] = [];
  after(async () => {
    for (const db of made) await db.drop().catch(() => undefined);
  });
  return {
    async fresh() {
      const db = await createTestDatabase();
      made.push(db);
      return db;
    },
    async dropAll() {
      for (const db of made) await db.drop();
      made = [];
    },
  };
}
