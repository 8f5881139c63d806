/**
 * The sign-in lock-out on two nodes sharing one PostgreSQL: failures from one source spread over
 * both nodes add up, and once they reach the limit the source is locked out on both, even with
 * the right password. Each step waits for the failure or the lock to be on record in the
 * database, not for a time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { callNode, waitFor } from '../helpers/node-api.js';
import { addClusterAdmin, clusterNodeEnv } from '../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';

const skip = await needPostgres();
const ADMIN = { name: 'ops', password: 'Cluster-Lockout-1234' };
const WRONG = { name: 'ops', password: 'not-the-password' };
const MAX_FAILURES = 4;

describe('login lock-out shared by two nodes on one PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let dir: string;
  let store: PostgresStore;
  let nodes: NodeProcess[] = [];

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cluster-lockout-'));
    addClusterAdmin(dir, ADMIN.name, 'mnt-admin', ADMIN.password);
    const env = (name: string) =>
      clusterNodeEnv(dir, db.url, name, {
        // No slowing down: the test counts failures, it does not wait them out.
        OPENMNT_API__LOCKOUT__SLOW_AFTER: '100',
        OPENMNT_API__LOCKOUT__MAX_FAILURES: String(MAX_FAILURES),
        OPENMNT_API__LOCKOUT__WINDOW_SECONDS: '600',
        OPENMNT_API__LOCKOUT__LOCK_SECONDS: '900',
      });
    nodes = await Promise.all(['node-a', 'node-b'].map((name) => startNodeProcess(env(name), [], { api: true })));
    store = await openPostgresStore({ url: db.url, poolSize: 2, migrate: false });
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    await store?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (sql: string) => Number((await store.sql.unsafe(sql))[0]!.n);
  const failuresOnRecord = () => count('SELECT COUNT(*)::int AS n FROM login_failures');
  const ask = (node: NodeProcess, who: { name: string; password: string }) => callNode(node, 'GET', '/admin/API/mnt/Session/ActiveCount', who);

  test('failures spread over both nodes lock the source out on both', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    assert.equal((await ask(a, ADMIN)).status, 200, 'the right password is let in before');
    const half = MAX_FAILURES / 2;
    for (let i = 0; i < half; i++) assert.equal((await ask(a, WRONG)).status, 401);
    await waitFor('node A\'s failures on record', async () => (await failuresOnRecord()) === half);
    // Fewer than the limit on either node alone: each is a plain 401.
    for (let i = 0; i < half; i++) assert.equal((await ask(b, WRONG)).status, 401, `failure ${half + i + 1} of ${MAX_FAILURES}`);
    await waitFor('the lock-out on record', async () => (await count('SELECT COUNT(*)::int AS n FROM login_locks')) === 1);
    for (const node of [b, a]) {
      const locked = await ask(node, ADMIN);
      assert.equal(locked.status, 429, `locked out on ${node === a ? 'node A' : 'node B'}, even with the right password: ${locked.body}`);
    }
  });
});
