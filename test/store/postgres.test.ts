/**
 * The PostgreSQL store against a real server: the Store contract (contract.ts), each test in a
 * database of its own, and what only a shared server adds (schema versions, several writers).
 */
import { after } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

const skip = await needPostgres();

let made: TestDatabase[] = [];
let current: TestDatabase | null = null;
const openIn = async (db: TestDatabase) => openPostgresStore({ url: db.url, poolSize: 4 });
const fresh = async () => {
  const db = await createTestDatabase();
  made.push(db);
  return db;
};

if (skip === false) {
  storeContract('PostgreSQL', {
    fresh: async () => openIn((current = await fresh())),
    reopen: () => openIn(current!),
    other: async () => openIn(await fresh()),
    async cleanup() {
      for (const db of made) await db.drop();
      made = [];
    },
  });
}
after(async () => {
  for (const db of made) await db.drop().catch(() => undefined);
});
