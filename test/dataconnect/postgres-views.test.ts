/**
 * The PostgreSQL views and role, ahead of the PostgreSQL store: run on a database of this test's
 * own whose tables are the SQLite migrations' with PostgreSQL types (bigint milliseconds, 0/1
 * integers, JSON as text) — a stand-in until the PostgreSQL store's own migrations exist, when they
 * replace `tables()` below. The cookbook's two queries, through the PostgreSQL dialect target, as
 * the read-only role, which may not write and may not read the store's tables.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { translate } from '../../src/dataconnect/dialect.js';
import { POSTGRES_TARGET, postgresDataConnectStatements, postgresRoleStatements } from '../../src/dataconnect/postgres-views.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { run } from '../helpers/run.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('psql', 'postgresql-client');
const suffix = randomBytes(4).toString('hex');
const DB = `openmnt_t_dc_${suffix}`;
const ROLE = `dataconnect_t_${suffix}`;

function psql(database: string, args: string[], as = 'postgres') {
  return run('psql', ['-h', '127.0.0.1', '-U', as, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q', ...args]);
}

/** The SQLite layout in PostgreSQL types. */
function tables(): string[] {
  const db = new Database(':memory:');
  migrate(db);
  const rows = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { sql: string }[];
  db.close();
  return rows.map((r) =>
    r.sql
      .replace(/INTEGER PRIMARY KEY( AUTOINCREMENT)?/g, 'bigserial PRIMARY KEY')
      .replace(/\bINTEGER\b/g, 'bigint')
      .replace(/\bREAL\b/g, 'double precision')
      .replace(/WITHOUT ROWID/g, ''),
  );
}

describe('DataConnect on PostgreSQL (views and role, before the PostgreSQL store)', { skip }, () => {
  let dir = '';
  before(async () => {
    const created = await psql('postgres', ['-c', `CREATE DATABASE ${DB}`]);
    assert.equal(created.status, 0, created.stderr);
    dir = mkdtempSync(join(tmpdir(), 'openmnt-dc-pg-'));
    const now = Date.now();
    const old = now - 2 * 3_600_000;
    const script = [
      ...tables(),
      `INSERT INTO auth_records (received_at, passed, nas_ip, server, calling_station_id, authz_policy) VALUES
        (${now - 60_000}, 1, '127.0.0.11', 'n1', 'C8:5B:76:C6:59:62', 'Wired_802.1X_Closed >> wired-permit'),
        (${now - 50_000}, 1, '127.0.0.11', 'n1', '14:F6:D8:7B:31:80', 'Wireless >> permit'),
        (${old}, 1, '127.0.0.11', 'n1', '00:11:22:33:44:55', 'Wired_802.1X_Closed >> wired-permit')`,
      `INSERT INTO coa_audit (at, admin, origin, mac, nas_ip, action, action_type, outcome, attempts, error_cause) VALUES
        (${now - 3000}, 'a', 'api', 'C8:5B:76:C6:59:62', '127.0.0.11', 'reauth', 'default', 'ack', 1, NULL),
        (${now - 2000}, 'a', 'api', '98:BB:1E:1F:A7:13', '127.0.0.12', 'disconnect', 'default', 'nak', 1, 503),
        (${old}, 'a', 'api', '00:11:22:33:44:55', '127.0.0.11', 'reauth', 'default', 'ack', 1, NULL)`,
      ...postgresDataConnectStatements(true, [{ code: "5400 Authentication failed (it's)", cause: 'x' }]),
      ...postgresRoleStatements(ROLE),
    ].map((s) => `${s};`);
    const file = join(dir, 'setup.sql');
    writeFileSync(file, script.join('\n'));
    const setup = await psql(DB, ['-f', file]);
    assert.equal(setup.status, 0, setup.stderr);
  });
  after(async () => {
    if (skip) return;
    await psql('postgres', ['-c', `DROP DATABASE IF EXISTS ${DB}`]);
    await psql('postgres', ['-c', `DROP ROLE IF EXISTS ${ROLE}`]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const asRole = (sql: string) => psql(DB, ['-At', '-F', '|', '-c', sql], ROLE);

  test("the cookbook's two queries, through the PostgreSQL dialect target, as the read-only role", async () => {
    const policy = await asRole(translate("SELECT DISTINCT CALLING_STATION_ID FROM RADIUS_AUTHENTICATIONS WHERE POLICY_SET_NAME = 'Wired_802.1X_Closed' AND TIMESTAMP_TIMEZONE > SYSDATE - 1/24", POSTGRES_TARGET).sql);
    assert.equal(policy.status, 0, policy.stderr);
    assert.equal(policy.stdout, 'C8:5B:76:C6:59:62\n');
    const monitor = await asRole(
      translate(
        `SELECT TO_CHAR(TIMESTAMP_TIMEZONE, 'HH24:MI:SS') as time, CALLING_STATION_ID as mac, NAS_IP_ADDRESS as nas, MESSAGE_CODE, PASSED FROM RADIUS_ACCOUNTING
         WHERE MESSAGE_CODE IN ('COA-ACK', 'COA-NAK', 'Disconnect-ACK', 'Disconnect-NAK') AND TIMESTAMP_TIMEZONE > SYSDATE - 1/24 ORDER BY TIMESTAMP_TIMEZONE DESC FETCH FIRST 20 ROWS ONLY`,
        POSTGRES_TARGET,
      ).sql,
    );
    assert.equal(monitor.status, 0, monitor.stderr);
    const lines = monitor.stdout.trimEnd().split('\n').map((l) => l.split('|').slice(1).join(' '));
    assert.deepEqual(lines, ['98:BB:1E:1F:A7:13 127.0.0.12 Disconnect-NAK Fail', 'C8:5B:76:C6:59:62 127.0.0.11 COA-ACK Pass']);
    const codes = await asRole('SELECT FAILURE_CODE FROM FAILURE_CODE_CAUSE');
    assert.equal(codes.stdout, "5400 Authentication failed (it's)\n");
  });

  test('the role may not write and may not read the store\'s tables', async () => {
    const write = await asRole('DELETE FROM public.auth_records');
    assert.notEqual(write.status, 0);
    assert.match(write.stderr, /read-only transaction|permission denied/);
    const table = await asRole('SELECT COUNT(*) FROM public.coa_audit');
    assert.notEqual(table.status, 0);
    assert.match(table.stderr, /permission denied/);
  });
});
