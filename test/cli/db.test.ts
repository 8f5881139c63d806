/**
 * `openmnt db status` and `openmnt db migrate` with a node's configuration file, on SQLite and on
 * PostgreSQL, and `store.migrate: manual`: a node that refuses an older schema (naming the command
 * to run), the migration from an older release's version to this one's, and a database migrated by
 * a newer OpenMnT refused with STORE_SCHEMA_NEWER, in one line, untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { migratePostgres, PG_SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { migrate as migrateSqlite, SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { startNodeProcess } from '../helpers/node-process.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { openmnt, type RunResult } from '../helpers/run.js';

const pgSkip = await needPostgres();

/** One engine as the tests see it: its configuration, and its schema version set from outside. */
interface Engine {
  expected: number;
  /** The record tables are partitioned by day (db status shows them). */
  partitioned: boolean;
  storeYaml(): string;
  /** The schema as an older release left it (version 1). */
  makeOlder(): Promise<void>;
  setVersion(v: number): Promise<void>;
  version(): Promise<number>;
}

/** The whole refusal is one line on standard error: no stack. */
function oneLine(r: RunResult): void {
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

/** `key: value` lines of db status / db migrate. */
function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

function schemaSuite(name: string, skip: string | false, make: (dir: string) => Promise<Engine & { cleanup(): Promise<void> }>): void {
  describe(`openmnt db on ${name}`, { skip }, () => {
    let dir: string;
    let engine: Engine & { cleanup(): Promise<void> };
    let config: string;
    const db = (sub: string) => openmnt(['db', sub, '--config', config], {});

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'openmnt-db-cli-'));
      engine = await make(dir);
      config = join(dir, 'openmnt.yaml');
      writeFileSync(
        config,
        [
          engine.storeYaml(),
          '  migrate: manual',
          'api:',
          `  adminsFile: ${join(dir, 'admins.json')}`,
          `  tls: { dir: ${join(dir, 'tls')} }`,
          'pxgrid:',
          `  accountsFile: ${join(dir, 'pxgrid.json')}`,
          '',
        ].join('\n'),
      );
    });
    after(async () => {
      await engine?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a new database: status says no schema yet and what is pending; a node under store.migrate: manual refuses it, untouched', async () => {
      const status = await db('status');
      assert.equal(status.status, 0, status.stderr);
      const f = fields(status.stdout);
      assert.equal(f['schema version'], '0 (no schema yet)');
      assert.equal(f['this OpenMnT expects'], String(engine.expected));
      assert.match(f.state!, /^behind: \d+ migrations? pending \(store.migrate is manual: run openmnt db migrate\)/);

      const serve = await openmnt(['serve', '--config', config], { OPENMNT_RADIUS__AUTH__PORT: '0', OPENMNT_RADIUS__ACCOUNTING__PORT: '0', OPENMNT_API__PORT: '0', OPENMNT_API__HOST: '127.0.0.1', OPENMNT_API__PASSWORD_HASH_COST: '14' });
      assert.equal(serve.status, 1);
      assert.match(serve.stderr, new RegExp(`schema version 0 is older than this OpenMnT expects \\(${engine.expected}\\) and store.migrate is manual: run \`openmnt db migrate\`.*\\(STORE_SCHEMA_OLDER\\)`));
      oneLine(serve);
      assert.equal(await engine.version(), 0, 'the node changed nothing');
    });

    test("an older release's schema: db migrate applies what is pending and prints from and to; again, nothing to apply; then the node starts", async () => {
      await engine.makeOlder();
      const status = fields((await db('status')).stdout);
      assert.equal(status['schema version'], '1');
      assert.equal(status.state, engine.expected === 1 ? 'current' : `behind: ${engine.expected - 1} migration${engine.expected - 1 === 1 ? '' : 's'} pending (store.migrate is manual: run openmnt db migrate)`);

      const first = await db('migrate');
      assert.equal(first.status, 0, first.stderr);
      assert.deepEqual([fields(first.stdout)['from version'], fields(first.stdout)['to version']], ['1', String(engine.expected)]);
      assert.equal(await engine.version(), engine.expected);
      const again = await db('migrate');
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(fields(again.stdout), { ...fields(again.stdout), 'from version': String(engine.expected), 'to version': String(engine.expected), state: 'already current: nothing to apply' });
      assert.equal(fields((await db('status')).stdout).state, 'current');

      // It starts (startNodeProcess resolves once the node serves; an early exit rejects).
      const startDay = new Date().toISOString().slice(0, 10);
      const node = await startNodeProcess({}, ['--config', config]);
      await node.stop();
      // PostgreSQL: the node made the record tables' coming days at start, and status shows them.
      const after = fields((await db('status')).stdout);
      if (engine.partitioned) {
        // Today as the node saw it at start (the day may have turned since the test began).
        const days = `(${startDay}|${new Date().toISOString().slice(0, 10)})`;
        for (const table of ['accounting_records', 'auth_records']) {
          assert.match(after[table] ?? '', new RegExp(`^8 day partitions \\(${days} to \\d{4}-\\d{2}-\\d{2}\\), 0 rows in default$`), JSON.stringify(after));
        }
      } else assert.equal(after.auth_records, undefined);
    });

    test('a database migrated by a newer OpenMnT: status and migrate exit 1 with STORE_SCHEMA_NEWER in one line, the version untouched; serve refuses it too', async () => {
      await engine.setVersion(engine.expected + 1);
      const status = await db('status');
      assert.equal(status.status, 1);
      assert.equal(fields(status.stdout).state, 'newer than this OpenMnT');
      assert.match(status.stderr, new RegExp(`schema version ${engine.expected + 1} is newer than this OpenMnT knows \\(${engine.expected}\\).*\\(STORE_SCHEMA_NEWER\\)`));
      oneLine(status);
      const migrate = await db('migrate');
      assert.equal(migrate.status, 1);
      assert.match(migrate.stderr, /\(STORE_SCHEMA_NEWER\)$/m);
      oneLine(migrate);
      const serve = await openmnt(['serve', '--config', config], { OPENMNT_RADIUS__AUTH__PORT: '0', OPENMNT_RADIUS__ACCOUNTING__PORT: '0', OPENMNT_API__PORT: '0', OPENMNT_API__HOST: '127.0.0.1' });
      assert.equal(serve.status, 1);
      assert.match(serve.stderr, /\(STORE_SCHEMA_NEWER\)$/m);
      oneLine(serve);
      assert.equal(await engine.version(), engine.expected + 1);
    });

    test('an invalid configuration is a usage error naming the setting', async () => {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'store:\n  migrate: sometimes\n');
      const r = await openmnt(['db', 'status', '--config', bad], {});
      assert.equal(r.status, 2);
      assert.match(r.stderr, /store\.migrate.*auto or manual/);
      assert.equal((await openmnt(['db'], {})).status, 2, 'db without status or migrate is a usage error');
    });
  });
}

schemaSuite('SQLite', false, async (dir) => {
  const file = join(dir, 'data', 'openmnt.db');
  const withDb = <T>(work: (d: Database.Database) => T): T => {
    const d = new Database(file);
    try {
      return work(d);
    } finally {
      d.close();
    }
  };
  return {
    expected: SCHEMA_VERSION,
    partitioned: false,
    storeYaml: () => `store:\n  driver: sqlite\n  path: ${file}`,
    makeOlder: async () => withDb((d) => migrateSqlite(d, 1)),
    setVersion: async (v) => void withDb((d) => d.pragma(`user_version = ${v}`)),
    version: async () => withDb((d) => d.pragma('user_version', { simple: true }) as number),
    cleanup: async () => undefined,
  };
});

schemaSuite('PostgreSQL', pgSkip, async () => {
  const tdb: TestDatabase = await createTestDatabase();
  const sql = postgres(tdb.url, { max: 1, onnotice: () => undefined });
  return {
    expected: PG_SCHEMA_VERSION,
    partitioned: true,
    storeYaml: () => `store:\n  driver: postgres\n  url: ${tdb.url}`,
    makeOlder: async () => void (await migratePostgres(sql, 1)),
    setVersion: async (v) => void (await sql.unsafe('UPDATE openmnt_schema SET version = $1', [v])),
    version: async () => {
      const [t] = await sql.unsafe("SELECT to_regclass('openmnt_schema') IS NOT NULL AS present");
      if (!t!.present) return 0;
      return Number((await sql.unsafe('SELECT version FROM openmnt_schema'))[0]!.version);
    },
    cleanup: async () => {
      await sql.end({ timeout: 1 });
      await tdb.drop();
    },
  };
});
