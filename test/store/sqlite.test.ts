/** The SQLite store against a real database file: the Store contract (contract.ts), and upgrades of older SQLite files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startStore, SCHEMA_VERSION, type Store } from '../../src/store/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { acct, clock, job, result, storeContract } from './contract.js';

const THREADED = process.env.OPENMNT_TEST_STORE_THREAD === '1';
const open = (file: string, synchronous: 'normal' | 'full' = 'normal') => startStore({ driver: 'sqlite', path: file, synchronous, thread: THREADED });

let dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'openmnt-store-'));
  dirs.push(d);
  return d;
};
let current = '';
storeContract(THREADED ? 'SQLite (threads)' : 'SQLite', {
  fresh: () => open((current = join(newDir(), 'store.db'))),
  reopen: () => open(current, 'full'),
  other: () => open(join(newDir(), 'x.db')),
  async cleanup() {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  },
});

let dir: string;
let store: Store;

describe('SQLite files', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-store-'));
    store = await open(join(dir, 'store.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a database of a newer schema version than this OpenMnT knows is refused with STORE_SCHEMA_NEWER, untouched', async () => {
    await store.close();
    const file = join(dir, 'newer.db');
    const db = new Database(file);
    migrate(db);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(open(file), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'STORE_SCHEMA_NEWER');
      assert.match(error.message, new RegExp(`version ${SCHEMA_VERSION + 1} is newer than this OpenMnT knows \\(${SCHEMA_VERSION}\\)`));
      return true;
    });
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
    check.close();
    store = await open(join(dir, 'store.db'));
  });

  test('a database of the previous schema version is upgraded in place: its data kept, jobs then kept too', async () => {
    await store.close();
    const file = join(dir, 'previous.db');
    const db = new Database(file);
    // Version 4: the schema before the job tables (5); later migrations must not change what this tests.
    migrate(db, 4);
    db.prepare(
      "INSERT INTO coa_audit (at, admin, origin, job_id, mac, action, action_type, outcome, attempts) VALUES (1, 'ops', 'job', 'old-job', 'AA:00:00:00:00:01', 'reauth', 'default', 'ack', 1)",
    ).run();
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'coa_jobs'").get() as { n: number }).n, 0);
    db.close();
    store = await open(file);
    await store.write({ accounting: [acct('start', 'm1', 'AA:00:00:00:00:01')] });
    assert.equal((await store.coaAudit({ jobId: 'old-job', limit: 10 })).length, 1, 'the audit log of the previous version is kept');
    await store.saveJob(job('after-upgrade', { total: 1 }));
    await store.appendJobResults('after-upgrade', [result(1)], { completed: 1, state: 'done', finishedAt: clock });
    assert.equal((await store.getJob('after-upgrade'))?.state, 'done');
    assert.deepEqual(await store.loadPolicy(), { revision: 0, objects: [] }, 'the policy tables exist, empty, after the upgrade');
    await store.close();
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
    store = await open(file);
  });
});
