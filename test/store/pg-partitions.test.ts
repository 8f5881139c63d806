/**
 * The record tables partitioned by day on a real PostgreSQL (migration 5, postgres/partitions.ts):
 * the migration of a database holding rows (every row kept, ids going on, views following the
 * tables), records landing in their day, upkeep by several nodes at once, rows outside every day
 * kept in the default partition and moved into their day once it is made, retention dropping
 * whole days and deleting nothing newer, a busy table leaving the change for the next round, and
 * a lookup by MAC reading the partitions' indexes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pino from 'pino';
import postgres from 'postgres';
import { setupPostgresDataConnect } from '../../src/dataconnect/postgres-views.js';
import { migratePostgres, PARTITIONING_MIGRATION, PG_SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { DAY_MS, DAYS_AHEAD, dayPartitionName, listPartitions, partitionSummary } from '../../src/store/postgres/partitions.js';
import { startStore, type AccountingWrite, type AuthWrite, type Store } from '../../src/store/index.js';
import { ADMIN_URL, needPostgres, testDatabases, type TestDatabase } from '../helpers/postgres.js';
import { acct, auth } from './contract.js';

const skip = await needPostgres();

const { fresh } = testDatabases();

const connect = (db: TestDatabase, max = 2) => postgres(db.url, { max, onnotice: () => undefined });
const open = (db: TestDatabase, thread = false): Promise<Store> => startStore({ driver: 'postgres', path: '', url: db.url, poolSize: 2, thread });

/** A fixed day far from the machine's clock, so the tests do not depend on when they run. */
const BASE = Date.UTC(2031, 0, 10);
const at = (day: number, hour = 12) => BASE + day * DAY_MS + hour * 3_600_000;

/** An authentication record (no session) received at `receivedAt`. */
function authAt(receivedAt: number, mac: string): AuthWrite {
  const w = auth(mac, false);
  return { ...w, record: { ...w.record, receivedAt } };
}
/** An accounting record (no session change) received at `receivedAt`. */
function acctAt(receivedAt: number, mac: string): AccountingWrite {
  const w = acct('interim', `s-${receivedAt}`, mac);
  return { record: { ...w.record, receivedAt }, change: null };
}

/** The partition each record sits in, by id. */
async function placement(sql: postgres.Sql, table: string): Promise<Map<number, string>> {
  const rows = await sql.unsafe(`SELECT id, tableoid::regclass::text AS part FROM ${table}`);
  return new Map(rows.map((r) => [Number(r.id), String(r.part)]));
}

describe('PostgreSQL: records partitioned by day', { skip }, () => {
  test('the migration from the previous version keeps every row with its id, ids go on from the old sequence, views (DataConnect) read the new tables with their grants', async () => {
    const db = await fresh();
    const sql = connect(db);
    const role = `dc_pp_${randomBytes(4).toString('hex')}`;
    try {
      await migratePostgres(sql, PARTITIONING_MIGRATION - 1);
      await setupPostgresDataConnect(sql, { role, statementTimeoutMs: 30_000, nodeName: 'n1', version: 'test', failureReasons: [], logger: pino({ level: 'silent' }) });
      const now = Date.now();
      // Rows of long ago, of today, and one a node stamped a month ahead.
      for (const [k, t] of [now - 40 * DAY_MS, now - DAY_MS, now, now + 30 * DAY_MS].entries()) {
        await sql.unsafe(
          `INSERT INTO auth_records (received_at, passed, nas_ip, calling_station_id, server) VALUES ($1, false, '10.0.0.1', $2, 'n1'), ($1, true, '10.0.0.1', $2, 'n1')`,
          [t, `AA:00:00:00:00:0${k}`],
        );
        await sql.unsafe(
          `INSERT INTO accounting_records (received_at, nas_ip, status_type, calling_station_id, server, attributes, duplicate_key) VALUES ($1, '10.0.0.1', 'Interim-Update', $2, 'n1', '', 'k')`,
          [t, `AA:00:00:00:00:0${k}`],
        );
      }
      // Ids drawn and never used (a rolled-back write) are not handed out again.
      await sql.unsafe("SELECT nextval(pg_get_serial_sequence('auth_records', 'id')) FROM generate_series(1, 5)");
      const [seq] = await sql.unsafe("SELECT last_value FROM auth_records_id_seq");
      const rowsOf = async (table: string) => (await sql.unsafe(`SELECT id, received_at, calling_station_id FROM ${table} ORDER BY id`)).map((r) => `${r.id}:${r.received_at}:${r.calling_station_id}`);
      const before = { auth: await rowsOf('auth_records'), acct: await rowsOf('accounting_records') };
      // An operator's report view, with options of its own.
      await sql.unsafe('CREATE VIEW failed_auth WITH (security_barrier) AS SELECT a.id, a.calling_station_id FROM auth_records a WHERE NOT a.passed');
      const viewCount = async () => Number((await sql.unsafe('SELECT count(*) AS n FROM dataconnect.radius_authentications'))[0]!.n);
      const failedCount = async () => Number((await sql.unsafe('SELECT count(*) AS n FROM failed_auth'))[0]!.n);
      assert.equal(await viewCount(), 8);
      assert.equal(await failedCount(), 4);

      assert.equal(await migratePostgres(sql), PARTITIONING_MIGRATION - 1);
      assert.equal(PG_SCHEMA_VERSION, PARTITIONING_MIGRATION);
      const [kind] = await sql.unsafe("SELECT relkind FROM pg_class WHERE oid = 'auth_records'::regclass");
      assert.equal(kind!.relkind, 'p', 'auth_records is a partitioned table');
      assert.deepEqual(await rowsOf('auth_records'), before.auth, 'every authentication record kept, same id');
      assert.deepEqual(await rowsOf('accounting_records'), before.acct, 'every accounting record kept, same id');
      const tomorrow = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
      const parts = await listPartitions(sql, 'auth_records');
      assert.deepEqual(
        parts.map((p) => [p.name, p.from, p.to, p.isDefault]),
        [
          ['auth_records_default', null, null, true],
          ['auth_records_legacy', null, tomorrow, false],
        ],
      );
      const where = await placement(sql, 'auth_records');
      const ahead = (await sql.unsafe('SELECT id FROM auth_records WHERE received_at >= $1', [tomorrow])).map((r) => Number(r.id));
      assert.equal(ahead.length, 2);
      for (const [id, part] of where) assert.equal(part, ahead.includes(id) ? 'auth_records_default' : 'auth_records_legacy');

      // A store writes on: ids after the sequence's last, in a day partition once upkeep made it.
      const store = await open(db);
      try {
        const upkeep = await store.maintainPartitions!(now);
        assert.equal(upkeep.created.length, 2 * DAYS_AHEAD, 'today is the legacy partition\'s: the days after it are made');
        const written = await store.write({ auth: [authAt(now + DAY_MS, 'AA:00:00:00:00:10')], accounting: [acctAt(now + DAY_MS, 'AA:00:00:00:00:10')] });
        assert.ok(written.authIds![0]! > Number(seq!.last_value), `${written.authIds![0]} after ${seq!.last_value}`);
        assert.ok(written.accountingIds![0]! > Math.max(...before.acct.map((r) => Number(r.split(':')[0]))));
        assert.equal((await placement(sql, 'auth_records')).get(written.authIds![0]!), dayPartitionName('auth_records', tomorrow));
      } finally {
        await store.close();
      }
      assert.equal(await viewCount(), 9, 'the DataConnect view reads the partitioned table, new rows included');
      assert.equal(await failedCount(), 5, "the operator's view too");
      const [options] = await sql.unsafe("SELECT reloptions FROM pg_class WHERE oid = 'failed_auth'::regclass");
      assert.deepEqual(options!.reloptions, ['security_barrier=true']);
      const grants = await sql.unsafe("SELECT 1 FROM information_schema.role_table_grants WHERE grantee = $1 AND table_name = 'radius_authentications' AND privilege_type = 'SELECT'", [role]);
      assert.equal(grants.length, 1, 'the role keeps its grant on the view');
    } finally {
      await sql.end();
      const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
      // The database first: the role's grants are in it.
      await db.drop();
      await admin.unsafe(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
    }
  });

  test('a materialized view over the records stops the migration with its name, nothing changed', async () => {
    const db = await fresh();
    const sql = connect(db);
    try {
      await migratePostgres(sql, PARTITIONING_MIGRATION - 1);
      await sql.unsafe('CREATE MATERIALIZED VIEW auth_per_mac AS SELECT calling_station_id, count(*) FROM auth_records GROUP BY 1');
      await assert.rejects(migratePostgres(sql), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_FAILED');
        assert.match(error.message, /auth_per_mac \(materialized\) read them: drop it first and make it again after the migration/);
        return true;
      });
      const [row] = await sql.unsafe("SELECT (SELECT version FROM openmnt_schema) AS version, (SELECT relkind FROM pg_class WHERE oid = 'auth_records'::regclass) AS kind");
      assert.deepEqual([Number(row!.version), row!.kind], [PARTITIONING_MIGRATION - 1, 'r']);
    } finally {
      await sql.end();
    }
  });

  test('records land in their day; a record of no day made (far ahead or behind) lands in default, is read back, and moves into its day once upkeep makes it', async () => {
    const db = await fresh();
    const sql = connect(db);
    const store = await open(db, true);
    try {
      const early = [authAt(at(3), 'BB:00:00:00:00:01')];
      // Written before any day exists (a new database, upkeep not run yet): kept in default.
      const first = await store.write({ auth: early, accounting: [acctAt(at(3), 'BB:00:00:00:00:01')] });
      assert.equal((await placement(sql, 'auth_records')).get(first.authIds![0]!), 'auth_records_default');

      const upkeep = await store.maintainPartitions!(at(0));
      assert.equal(upkeep.created.length, 2 * (DAYS_AHEAD + 1));
      assert.equal(upkeep.moved, 2, 'the two records of day 3 moved out of default');
      assert.deepEqual(upkeep.deferred, []);
      assert.equal((await placement(sql, 'auth_records')).get(first.authIds![0]!), dayPartitionName('auth_records', BASE + 3 * DAY_MS));

      const mac = 'BB:00:00:00:00:02';
      const times = [at(0, 0), at(0, 23), at(1), at(DAYS_AHEAD, 23), at(400), Date.UTC(2001, 0, 1)];
      const written = await store.write({ auth: times.map((t) => authAt(t, mac)), accounting: times.map((t) => acctAt(t, mac)) });
      const expected = times.map((t) => (t >= at(0, 0) && t < at(DAYS_AHEAD + 1, 0) ? dayPartitionName('auth_records', Math.floor(t / DAY_MS) * DAY_MS) : 'auth_records_default'));
      const where = await placement(sql, 'auth_records');
      assert.deepEqual(written.authIds!.map((id) => where.get(id)), expected);
      const acctWhere = await placement(sql, 'accounting_records');
      assert.deepEqual(written.accountingIds!.map((id) => acctWhere.get(id)), expected.map((p) => p.replace('auth_records', 'accounting_records')));
      // Nothing lost: the lookups by MAC find every one, newest first.
      assert.deepEqual((await store.authRecordsByMac({ mac, since: 0, limit: 10 })).map((r) => r.receivedAt), [...times].sort((a, b) => b - a));
      assert.equal((await store.accountingRecordsByMac({ mac, since: 0, limit: 10 })).length, times.length);

      // The far-ahead day moves out of default when upkeep reaches it, with nothing lost.
      const later = await store.maintainPartitions!(at(400));
      assert.equal(later.moved, 2);
      assert.equal((await placement(sql, 'auth_records')).get(written.authIds![4]!), dayPartitionName('auth_records', BASE + 400 * DAY_MS));
      assert.equal((await store.stats()).authRecords, 7);

      const summary = await partitionSummary(sql);
      assert.deepEqual(summary!.find((s) => s.table === 'auth_records'), {
        table: 'auth_records',
        days: 2 * (DAYS_AHEAD + 1),
        oldestDay: '2031-01-10',
        newestDay: new Date(BASE + (400 + DAYS_AHEAD) * DAY_MS).toISOString().slice(0, 10),
        legacyBefore: null,
        defaultRows: 1,
      });
    } finally {
      await store.close();
      await sql.end();
    }
  });

  test('two nodes making the partitions at once, while writing, both succeed and make each day once', async () => {
    const db = await fresh();
    const [a, b] = await Promise.all([open(db, true), open(db, true)]);
    const sql = connect(db);
    try {
      const writes = [a, b].map((s, k) => s.write({ auth: Array.from({ length: 50 }, (_, i) => authAt(at(i % 4), `CC:00:00:00:0${k}:${(i % 100).toString().padStart(2, '0')}`)) }));
      const [ua, ub] = await Promise.all([a!.maintainPartitions!(at(0)), b!.maintainPartitions!(at(0)), ...writes]);
      // A day one node had to leave (a write held the default partition past the lock wait) is
      // made by the next round; no day is made twice, and no call failed.
      const again = await b!.maintainPartitions!(at(0));
      assert.deepEqual(again.deferred, []);
      const created = [ua, ub, again].flatMap((u) => (u as { created: string[] }).created).sort();
      assert.equal(created.length, 2 * (DAYS_AHEAD + 1), 'each day made once');
      assert.equal(new Set(created).size, created.length);
      assert.equal((await listPartitions(sql, 'auth_records')).length, DAYS_AHEAD + 2, 'the days and default');
      assert.equal((await a!.stats()).authRecords, 100);
      assert.deepEqual(await a!.maintainPartitions!(at(0)), { created: [], moved: 0, deferred: [] });
    } finally {
      await a!.close();
      await b!.close();
      await sql.end();
    }
  });

  test('retention drops the days wholly past the cut-off, deletes the older rows of default, and keeps every newer row; a busy table defers the change to the next round', async () => {
    const db = await fresh();
    const store = await open(db);
    const sql = connect(db, 3);
    try {
      // Days 0 to 7 made, then 8 to 15.
      await store.maintainPartitions!(at(0));
      await store.maintainPartitions!(at(8));
      const mac = 'DD:00:00:00:00:01';
      const times = [Date.UTC(2001, 0, 1), ...Array.from({ length: 12 }, (_, d) => at(d, 6)), ...Array.from({ length: 12 }, (_, d) => at(d, 18)), at(900)];
      await store.write({ auth: times.map((t) => authAt(t, mac)), accounting: times.map((t) => acctAt(t, mac)) });
      // The cut-off in the middle of day 5: days 0-4 go whole, day 5 stays whole (retention to the day).
      const cut = at(5, 12);
      const keptBefore = await sql.unsafe('SELECT id FROM auth_records WHERE received_at >= $1 ORDER BY id', [cut]);
      const pruned = await store.prune(cut);
      assert.equal(pruned.authRecords, 11, 'days 0-4 (two each) and the row of 2001 in default');
      assert.equal(pruned.accountingRecords, 11);
      assert.equal(pruned.deferredPartitions, undefined);
      const days = (await listPartitions(sql, 'auth_records')).filter((p) => !p.isDefault).map((p) => p.name);
      for (let d = 0; d < 5; d++) assert.ok(!days.includes(dayPartitionName('auth_records', BASE + d * DAY_MS)), `day ${d} dropped`);
      for (let d = 5; d < 16; d++) assert.ok(days.includes(dayPartitionName('auth_records', BASE + d * DAY_MS)), `day ${d} kept`);
      const left = await sql.unsafe('SELECT id, received_at FROM auth_records ORDER BY id');
      assert.deepEqual(
        left.filter((r) => Number(r.received_at) >= cut).map((r) => r.id),
        keptBefore.map((r) => r.id),
        'nothing newer than the cut-off deleted',
      );
      assert.equal(left.length, 15, 'day 5 whole (two rows), days 6-11 and the far-ahead row in default');

      // A report reading the table holds it: the drop waits briefly, then is left for the next prune.
      const reader = await sql.reserve();
      try {
        await reader.unsafe('BEGIN');
        await reader.unsafe('SELECT count(*) FROM auth_records');
        const busy = await store.prune(at(7));
        assert.deepEqual(busy.deferredPartitions, [dayPartitionName('auth_records', BASE + 5 * DAY_MS), dayPartitionName('auth_records', BASE + 6 * DAY_MS)]);
        assert.equal(busy.authRecords, 0, 'nothing of the busy table removed');
        assert.equal(busy.accountingRecords, 4, 'the other table pruned all the same');
        // Upkeep is deferred the same way (attaching a day locks the default partition the report reads).
        const upkeep = await store.maintainPartitions!(at(16));
        assert.ok(upkeep.deferred.includes(dayPartitionName('auth_records', BASE + 23 * DAY_MS)), JSON.stringify(upkeep));
        assert.ok(!upkeep.created.some((n) => n.startsWith('auth_records')));
      } finally {
        await reader.unsafe('COMMIT');
        reader.release();
      }
      const next = await store.prune(at(7));
      assert.equal(next.authRecords, 4);
      assert.equal(next.deferredPartitions, undefined);
      assert.equal((await store.maintainPartitions!(at(16))).deferred.length, 0);
    } finally {
      await store.close();
      await sql.end();
    }
  });

  test('a lookup by MAC since a time reads only the partitions from that time on, through their MAC index', async () => {
    const db = await fresh();
    const store = await open(db);
    const sql = connect(db);
    try {
      await store.maintainPartitions!(at(0));
      // Enough rows per day for the planner to prefer an index to reading a day whole.
      for (let d = 0; d < 4; d++) {
        await store.write({ auth: Array.from({ length: 2000 }, (_, i) => authAt(at(d, 0) + i * 1000, `EE:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`)) });
      }
      await sql.unsafe('ANALYZE auth_records');
      const [row] = await sql.unsafe(
        'EXPLAIN (FORMAT JSON) SELECT * FROM auth_records WHERE calling_station_id = $1 AND received_at >= $2 ORDER BY received_at DESC, id DESC LIMIT 10',
        ['EE:00:00:00:00:07', at(2, 0)],
      );
      const nodes: { type: string; relation?: string; index?: string }[] = [];
      const walk = (n: Record<string, unknown>) => {
        nodes.push({ type: String(n['Node Type']), relation: n['Relation Name'] as string | undefined, index: n['Index Name'] as string | undefined });
        for (const child of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      walk((row!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
      const scans = nodes.filter((n) => n.relation !== undefined);
      const plan = JSON.stringify(nodes);
      assert.ok(scans.length > 0, plan);
      for (const s of scans) assert.ok(!/_p2031011[01]$/.test(s.relation!), `days before the time are not read: ${plan}`);
      for (const day of [2, 3]) {
        const scan = scans.find((s) => s.relation === dayPartitionName('auth_records', BASE + day * DAY_MS));
        assert.ok(scan, `day ${day} is read: ${plan}`);
        assert.match(scan.type, /Index/, `a day is read through an index: ${plan}`);
        assert.match(scan.index!, /calling_station_id/, `the MAC index: ${plan}`);
      }
    } finally {
      await store.close();
      await sql.end();
    }
  });
});
