/**
 * The `dataconnect` schema and role on a real PostgreSQL, made by nodes starting together: under
 * the migrations' lock, once, and left alone (no view replaced) by a start that finds them current.
 * A query that takes a session-level advisory lock does not keep it on the pooled connection (it
 * would hold back the next node's migrations).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import postgres from 'postgres';
import { PostgresEngine } from '../../src/dataconnect/postgres-engine.js';
import { POSTGRES_TARGET, setupPostgresDataConnect } from '../../src/dataconnect/postgres-views.js';
import { translate } from '../../src/dataconnect/dialect.js';
import { VIEWS } from '../../src/dataconnect/views.js';
import { MIGRATION_LOCK } from '../../src/store/postgres/migrations.js';
import { startStore } from '../../src/store/index.js';
import { ADMIN_URL, createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';

const skip = await needPostgres();
const role = `dc_s_${randomBytes(4).toString('hex')}`;
const logger = pino({ level: 'silent' });
const setup = { role, statementTimeoutMs: 30_000, nodeName: 'n1', version: 'test', failureReasons: [{ code: '5400 Authentication failed', cause: 'x' }], logger };

describe('the dataconnect schema on PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  before(async () => {
    db = await createTestDatabase();
    await (await startStore({ driver: 'postgres', path: '', url: db.url })).close();
    sql = postgres(db.url, { max: 4, onnotice: () => undefined });
  });
  after(async () => {
    await sql?.end();
    await db?.drop();
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
  });

  const viewOids = async () => (await sql.unsafe("SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dataconnect' AND c.relkind = 'v' ORDER BY 1")).map((r) => `${r.relname}:${r.oid}`);

  test('three nodes starting at once make it once; a start that finds it current replaces nothing', async () => {
    const nodes = [0, 1, 2].map(() => postgres(db.url, { max: 1, onnotice: () => undefined }));
    try {
      const results = await Promise.all(nodes.map((n, k) => setupPostgresDataConnect(n, { ...setup, nodeName: `n${k}` })));
      assert.deepEqual(results, [{ roleExists: true }, { roleExists: true }, { roleExists: true }]);
    } finally {
      await Promise.all(nodes.map((n) => n.end()));
    }
    const first = await viewOids();
    assert.equal(first.length, VIEWS.length);
    assert.deepEqual(first.map((v) => v.split(':')[0]), VIEWS.map((v) => v.name.toLowerCase()).sort());
    await setupPostgresDataConnect(sql, setup);
    assert.deepEqual(await viewOids(), first, 'the same views, not made again');
    // The role may read every view, and nothing else of the schema.
    const grants = await sql.unsafe("SELECT table_name FROM information_schema.role_table_grants WHERE grantee = $1 AND privilege_type = 'SELECT' ORDER BY 1", [role]);
    assert.deepEqual(grants.map((g) => g.table_name), VIEWS.map((v) => v.name.toLowerCase()).sort());
    const [codes] = await sql.unsafe('SELECT count(*)::int AS n FROM dataconnect.failure_codes');
    assert.equal(codes!.n, 1);
  });

  test("a query's session advisory lock is let go: the next node's migrations are not held back", async () => {
    const engine = await PostgresEngine.start({ store: { url: db.url }, role, password: '', nodeName: 'n1', version: 'test', failureReasons: [], maxTimeoutMs: 30_000, concurrency: 1, maxWaiting: 1, logger });
    try {
      const locked = await engine.run({ sql: `SELECT pg_advisory_lock(${MIGRATION_LOCK}) FROM DUAL`, maxRows: 1, groups: null }, 5000);
      assert.equal(locked.rows.length, 1);
      // Would wait for ever on a lock the query kept (the test runner's timeout would end it).
      await setupPostgresDataConnect(sql, setup);
      const [held] = await sql.unsafe("SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.usename = $1", [role]);
      assert.equal(held!.n, 0);
    } finally {
      await engine.close();
    }
  });
});

describe('the dataconnect schema when the store user may not make roles', { skip }, () => {
  const owner = `dc_o_${randomBytes(4).toString('hex')}`;
  const missing = `dc_m_${randomBytes(4).toString('hex')}`;
  const name = `openmnt_t_dco_${randomBytes(4).toString('hex')}`;
  let url = '';
  before(async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`CREATE ROLE ${owner} LOGIN NOCREATEROLE NOSUPERUSER`);
      await admin.unsafe(`CREATE DATABASE ${name} OWNER ${owner}`);
    } finally {
      await admin.end();
    }
    const u = new URL(ADMIN_URL);
    u.username = owner;
    u.pathname = `/${name}`;
    url = u.toString();
  });
  after(async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.unsafe(`DROP ROLE IF EXISTS ${owner}`);
    } finally {
      await admin.end();
    }
  });

  test('the views are made, the log names the statements for a DBA, and a query answers UNAVAILABLE', async () => {
    await (await startStore({ driver: 'postgres', path: '', url })).close();
    const warnings: { statements?: string[]; msg?: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as { statements?: string[] }) });
    const engine = await PostgresEngine.start({ store: { url }, role: missing, password: '', nodeName: 'n1', version: 'test', failureReasons: [], maxTimeoutMs: 30_000, concurrency: 1, maxWaiting: 1, logger: log });
    try {
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0]!.msg ?? '', /may not create the DataConnect role: run these as a superuser/);
      assert.equal(warnings[0]!.statements?.[0], `CREATE ROLE ${missing} LOGIN PASSWORD '…'`);
      await assert.rejects(engine.run({ sql: 'SELECT 1 FROM DUAL', maxRows: 1, groups: null }, 5000), (e: Error & { code?: string }) => e.code === 'UNAVAILABLE' && /as its role/.test(e.message));
    } finally {
      await engine.close();
    }
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const [views] = await sql.unsafe("SELECT count(*)::int AS n FROM pg_views WHERE schemaname = 'dataconnect'");
      assert.equal(views!.n, VIEWS.length);
    } finally {
      await sql.end();
    }
  });
});

describe('one role for several databases of a cluster', { skip }, () => {
  const shared = `dc_r_${randomBytes(4).toString('hex')}`;
  const dbs: TestDatabase[] = [];
  after(async () => {
    for (const d of dbs) await d.drop();
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`DROP ROLE IF EXISTS ${shared}`).finally(() => admin.end());
  });

  test('nodes of two databases making the same role at once both get it, with its grants in each', async () => {
    for (let k = 0; k < 2; k++) {
      const d = await createTestDatabase();
      dbs.push(d);
      await (await startStore({ driver: 'postgres', path: '', url: d.url })).close();
    }
    const conns = dbs.map((d) => postgres(d.url, { max: 1, onnotice: () => undefined }));
    try {
      const results = await Promise.all(conns.map((c) => setupPostgresDataConnect(c, { ...setup, role: shared })));
      assert.deepEqual(results, [{ roleExists: true }, { roleExists: true }]);
      for (const c of conns) {
        const [grants] = await c.unsafe("SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = $1 AND privilege_type = 'SELECT'", [shared]);
        assert.equal(grants!.n, VIEWS.length);
      }
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
});

test('the PostgreSQL dialect target: native dates, exact division, LIMIT ALL, subqueries named', () => {
  const pg = (text: string) => translate(text, POSTGRES_TARGET).sql;
  assert.equal(pg('SELECT 1 x FROM DUAL WHERE TIMESTAMP_TIMEZONE > SYSDATE - 1/24'), "SELECT 1 X FROM DUAL WHERE TIMESTAMP_TIMEZONE > (now() + (-(1 * 1.0 / 24)) * interval '1 day')");
  assert.equal(pg("SELECT 1 x FROM DUAL WHERE LOGGED_AT > SYSDATE - INTERVAL '30' MINUTE"), "SELECT 1 X FROM DUAL WHERE LOGGED_AT > (now() + (-(dataconnect.numtodsinterval(30, 'MINUTE'))) * interval '1 day')");
  assert.equal(pg("SELECT DATE '2024-01-02' - UPDATE_TIME d FROM DUAL"), "SELECT (EXTRACT(EPOCH FROM (CAST('2024-01-02' AS timestamptz)) - (UPDATE_TIME)) / 86400) D FROM DUAL");
  assert.equal(pg('SELECT X FROM (SELECT 1 AS X FROM DUAL) OFFSET 5 ROWS'), 'SELECT X FROM (SELECT 1 AS X FROM DUAL) DC_FROM_1 LIMIT ALL OFFSET 5');
  assert.equal(pg('SELECT X FROM (SELECT 1 AS X FROM DUAL) q FETCH FIRST 2 ROWS ONLY'), 'SELECT X FROM (SELECT 1 AS X FROM DUAL) Q LIMIT 2');
});
