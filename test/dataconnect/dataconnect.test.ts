/**
 * DataConnect end to end, on each store engine (SQLite, and PostgreSQL at 127.0.0.1:5432): a node
 * filled by radclient (MAB and accounting from two NAS), CoAs to two simulated NAS (one ACKs, one
 * NAKs), and the CoA cookbook's two DataConnect queries run verbatim through `openmnt dc query`
 * (the recipe's `netapi ise dc` is the one word it changes). Then what the engine refuses, the time
 * and row limits, the role rights, the views' shapes and the audit.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { after, before, describe, test } from 'node:test';
import { SqliteDataConnect } from '../../src/dataconnect/sqlite-engine.js';
import { VIEWS } from '../../src/dataconnect/views.js';
import type { Role } from '../../src/http/index.js';
import { api } from '../helpers/policy-api.js';
import { ADMINS, PASSWORD, addAdmins, basic } from '../helpers/mnt.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { radclient } from '../helpers/radclient.js';
import { run } from '../helpers/run.js';
import { ADMIN_URL, createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

type Engine = 'sqlite' | 'postgres';
const radclientMissing = needTool('radclient', 'freeradius-utils');
const skipOf: Record<Engine, string | false> = {
  sqlite: radclientMissing,
  postgres: radclientMissing || (await needPostgres()),
};
/** The store's PostgreSQL user (the admin URL's): what a query tries to become with SET ROLE. */
const PG_SUPERUSER = decodeURIComponent(new URL(ADMIN_URL).username) || 'postgres';
const RADCLIENT_SECRET = 'testing123';
const NAS_SECRET = 'nas-secret-1';
const FAST = { initialTimeoutMs: 200, maxTimeoutMs: 400, maxAttempts: 2, maxTotalMs: 2000 };

interface Endpoint {
  mac: string;
  nas: string;
  port: 'Ethernet' | 'Wireless-802.11';
  sid: string;
  user: string;
}
/** Two wired endpoints (the policy set), one of them in the delegated admin's group Lab; one wireless. */
const WIRED_ACK: Endpoint = { mac: 'C8:5B:76:C6:59:62', nas: '127.0.0.11', port: 'Ethernet', sid: 'dc000001', user: 'jsmith' };
const WIRED_NAK: Endpoint = { mac: '98:BB:1E:1F:A7:13', nas: '127.0.0.12', port: 'Ethernet', sid: 'dc000002', user: 'alice' };
const WIRELESS: Endpoint = { mac: '14:F6:D8:7B:31:80', nas: '127.0.0.11', port: 'Wireless-802.11', sid: 'dc000003', user: 'bob' };
/** Authenticated and CoA'd two hours ago (written into the file): outside the recipes' last hour. */
const OLD_MAC = '00:11:22:33:44:55';

/** The recipes' text, as the cookbook prints it. */
const POLICY_CHANGE_WORKFLOW = `POLICY_SET="Wired_802.1X_Closed"
MACS=$(netapi ise dc --format json query "
SELECT DISTINCT CALLING_STATION_ID
FROM RADIUS_AUTHENTICATIONS
WHERE POLICY_SET_NAME = '\${POLICY_SET}'
AND TIMESTAMP_TIMEZONE > SYSDATE - 1/24
" | tail -n +2)
COUNT=$(echo "$MACS" | wc -l)
echo "Found \${COUNT} endpoints"
echo "$MACS"`;

const MONITOR_COA_RESULTS = `netapi ise dc --format json query "
SELECT
TO_CHAR(TIMESTAMP_TIMEZONE, 'HH24:MI:SS') as time,
CALLING_STATION_ID as mac,
NAS_IP_ADDRESS as nas,
MESSAGE_CODE,
PASSED
FROM RADIUS_ACCOUNTING
WHERE MESSAGE_CODE IN ('COA-ACK', 'COA-NAK', 'Disconnect-ACK', 'Disconnect-NAK')
AND TIMESTAMP_TIMEZONE > SYSDATE - 1/24
ORDER BY TIMESTAMP_TIMEZONE DESC
FETCH FIRST 20 ROWS ONLY
"`;

for (const engine of ['sqlite', 'postgres'] as const) {
describe(`DataConnect over a node filled by radclient (${engine})`, { skip: skipOf[engine] }, () => {
  let server: TestServer;
  let acking: NasSimulator;
  let naking: NasSimulator;
  /** PostgreSQL: the test's own database, and its own DataConnect role (roles are the cluster's). */
  let db: TestDatabase | undefined;
  const role = `dc_t_${randomBytes(4).toString('hex')}`;
  const pg = engine === 'postgres';

  /** A recipe in bash, with `netapi ise` standing for the built `openmnt`. */
  function recipe(script: string, as: Role = 'helpdesk-admin') {
    const prelude = `netapi() { shift; "${process.execPath}" bin/openmnt.js "$@"; }\n`;
    return run('bash', ['-c', prelude + script], {
      env: { PATH: process.env.PATH ?? '', ISE_MNT_IP: `http://127.0.0.1:${server.api.port}`, ISE_API_USER: ADMINS[as], ISE_API_PASS: PASSWORD },
    });
  }

  async function dc(sql: string, as: Role | null = 'helpdesk-admin', extra: Record<string, unknown> = {}) {
    const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/dc/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(as === null ? {} : { authorization: basic(ADMINS[as]) }) },
      body: JSON.stringify({ sql, ...extra }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  }

  async function rows(sql: string, as: Role = 'helpdesk-admin'): Promise<unknown[][]> {
    const r = await dc(sql, as);
    assert.equal(r.status, 200, `${sql}: ${JSON.stringify(r.json)}`);
    return r.json.rows as unknown[][];
  }

  async function authenticate(e: Endpoint): Promise<void> {
    const dashed = e.mac.replace(/:/g, '-');
    const auth = await radclient({
      port: server.ports.auth,
      secret: RADCLIENT_SECRET,
      kind: 'auth',
      packets: [`User-Name = "${dashed}", User-Password = "${dashed}", Service-Type = Call-Check, Calling-Station-Id = "${dashed}", NAS-IP-Address = ${e.nas}, NAS-Port-Type = ${e.port}, NAS-Port-Id = "Gi1/0/${e.sid.slice(-1)}"`],
    });
    assert.match(auth.stdout, /Access-Accept/, auth.stdout + auth.stderr);
    const acct = await radclient({
      port: server.ports.accounting,
      secret: RADCLIENT_SECRET,
      kind: 'acct',
      packets: [`Acct-Status-Type = Start, Acct-Session-Id = "${e.sid}", User-Name = "${e.user}", Calling-Station-Id = "${dashed}", NAS-IP-Address = ${e.nas}, Framed-IP-Address = 10.50.10.${e.sid.slice(-1)}`],
    });
    assert.equal(acct.status, 0, acct.stderr);
  }

  async function coa(mac: string, action: string, expected: string): Promise<void> {
    const r = await api(server, 'POST', '/coa', { mac, action });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.outcome, expected);
  }

  before(async () => {
    acking = await new NasSimulator(NAS_SECRET, { kind: 'ack' }).start(0, '127.0.0.11');
    naking = await new NasSimulator(NAS_SECRET, { kind: 'nak', errorCause: 503 }).start(0, '127.0.0.12');
    if (pg) db = await createTestDatabase();
    server = await startTestServer((c) => {
      if (db !== undefined) {
        c.store.driver = 'postgres';
        c.store.url = db.url;
        c.store.dataconnect = { role, password: '' };
      }
      c.auth.unknownEndpoint = 'PermitAccess';
      c.coa = { ...c.coa, ...FAST };
      c.api.lockout = { slowAfter: 20, maxFailures: 50, windowSeconds: 300, lockSeconds: 900 };
      c.radius.clients = [
        { name: 'radclient', address: '127.0.0.1', secret: RADCLIENT_SECRET, vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: false, deviceGroups: [] },
        { name: 'access-sw-1', address: '127.0.0.11', secret: NAS_SECRET, vendor: 'cisco', coaPort: acking.port, requireMessageAuthenticator: false, deviceGroups: ['Location#All Locations#Building-1', 'Device Type#All Device Types#Switch'] },
        { name: 'access-sw-2', address: '127.0.0.12', secret: NAS_SECRET, vendor: 'cisco', coaPort: naking.port, requireMessageAuthenticator: false, deviceGroups: [] },
      ];
    });
    await addAdmins(server);
    // The policy set of the recipe: wired MAB. The Lab group holds one wired endpoint.
    for (const [path, body] of [
      ['/policy-sets', { name: 'Wired_802.1X_Closed', order: 1, description: 'wired', conditions: { nasPortType: ['Ethernet'] } }],
      ['/rules', { name: 'wired-permit', policySet: 'Wired_802.1X_Closed', order: 10, description: '', conditions: {}, profile: 'PermitAccess' }],
      ['/groups', { name: 'Lab', description: 'the lab' }],
      ['/endpoints', { mac: WIRED_ACK.mac, group: 'Lab', description: 'lab printer' }],
    ] as const) {
      const r = await api(server, 'POST', path, body);
      assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.json)}`);
    }
    for (const e of [WIRED_ACK, WIRED_NAK, WIRELESS]) await authenticate(e);
    await coa(WIRED_ACK.mac, 'reauth', 'ack');
    await coa(WIRED_NAK.mac, 'reauth', 'nak');
    await coa(WIRED_ACK.mac, 'disconnect', 'ack');
    await coa(WIRED_NAK.mac, 'disconnect', 'nak');
    // Two hours ago, in the same store (a second writer, as a restore or an older node would leave).
    const old = Date.now() - 2 * 3_600_000;
    if (db !== undefined) {
      const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
      await sql.unsafe("INSERT INTO auth_records (received_at, passed, nas_ip, server, calling_station_id, authz_policy) VALUES ($1, true, '127.0.0.11', 'openmnt-test', $2, 'Wired_802.1X_Closed >> wired-permit')", [old, OLD_MAC]);
      await sql.unsafe("INSERT INTO coa_audit (at, admin, origin, mac, nas_ip, action, action_type, outcome, attempts) VALUES ($1, 'root-admin', 'api', $2, '127.0.0.11', 'reauth', 'default', 'ack', 1)", [old, OLD_MAC]);
      await sql.end();
    } else {
      const file = new Database(server.config.store.path);
      file.pragma('busy_timeout = 5000');
      file.prepare("INSERT INTO auth_records (received_at, passed, nas_ip, server, calling_station_id, authz_policy) VALUES (?, 1, '127.0.0.11', 'openmnt-test', ?, 'Wired_802.1X_Closed >> wired-permit')").run(old, OLD_MAC);
      file.prepare("INSERT INTO coa_audit (at, admin, origin, mac, nas_ip, action, action_type, outcome, attempts) VALUES (?, 'root-admin', 'api', ?, '127.0.0.11', 'reauth', 'default', 'ack', 1)").run(old, OLD_MAC);
      file.close();
    }
  });

  after(async () => {
    await server?.stop();
    await acking?.close();
    await naking?.close();
    if (db !== undefined) {
      await db.drop();
      const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
    }
  });

  /** PostgreSQL: a connection of the DataConnect role itself, as a reporting tool makes one. */
  function asRole() {
    return postgres(db!.url.replace(/\/\/[^/@]*@/, `//${role}@`), { max: 1, onnotice: () => undefined });
  }

  test('the Policy Change Workflow query, verbatim: the wired endpoints of the last hour, one MAC a line after the header', async () => {
    const r = await recipe(POLICY_CHANGE_WORKFLOW);
    assert.equal(r.status, 0, r.stderr);
    const [found, ...lines] = r.stdout.trimEnd().split('\n');
    assert.equal(found, 'Found 2 endpoints');
    assert.deepEqual(lines.map((l) => JSON.parse(l) as string[]).sort(), [[WIRED_NAK.mac], [WIRED_ACK.mac]], 'not the wireless one, not the one of two hours ago');
    // As csv the same rows are bare MACs, ready for `while read MAC`.
    const csv = await recipe(POLICY_CHANGE_WORKFLOW.replace('--format json', '--format csv'));
    assert.deepEqual(csv.stdout.trimEnd().split('\n').slice(1).sort(), [WIRED_NAK.mac, WIRED_ACK.mac]);
  });

  test('the Monitor CoA Results query, verbatim: a header, then the four CoA results of the last hour, newest first', async () => {
    const r = await recipe(MONITOR_COA_RESULTS);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...lines] = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as string[]);
    assert.deepEqual(header, ['TIME', 'MAC', 'NAS', 'MESSAGE_CODE', 'PASSED']);
    for (const l of lines) assert.match(l[0]!, /^\d{2}:\d{2}:\d{2}$/);
    assert.deepEqual(
      lines.map((l) => l.slice(1).join(' ')).sort(),
      [
        `${WIRED_ACK.mac} 127.0.0.11 COA-ACK Pass`,
        `${WIRED_ACK.mac} 127.0.0.11 Disconnect-ACK Pass`,
        `${WIRED_NAK.mac} 127.0.0.12 COA-NAK Fail`,
        `${WIRED_NAK.mac} 127.0.0.12 Disconnect-NAK Fail`,
      ].sort(),
    );
    // Newest first: the same query with the full timestamps is in descending order.
    const full = await rows(`SELECT TIMESTAMP_TIMEZONE, MESSAGE_CODE FROM RADIUS_ACCOUNTING WHERE MESSAGE_CODE IN ('COA-ACK', 'COA-NAK', 'Disconnect-ACK', 'Disconnect-NAK') ORDER BY TIMESTAMP_TIMEZONE DESC FETCH FIRST 20 ROWS ONLY`);
    assert.equal(full.length, 5, 'the old one too, without the time bound');
    const times = full.map((x) => x[0] as string);
    assert.deepEqual([...times].sort().reverse(), times);
    // The same results in COA_EVENTS, with the Error-Cause of the NAKs.
    const events = await rows(`SELECT CALLING_STATION_ID, COA_STATUS, MESSAGE_CODE, ERROR_CAUSE FROM COA_EVENTS WHERE LOGGED_AT > SYSDATE - NUMTODSINTERVAL(1, 'HOUR') ORDER BY MESSAGE_CODE`);
    assert.deepEqual(events, [
      [WIRED_ACK.mac, 'Success', 'COA-ACK', null],
      [WIRED_NAK.mac, 'Failure', 'COA-NAK', 503],
      [WIRED_ACK.mac, 'Success', 'Disconnect-ACK', null],
      [WIRED_NAK.mac, 'Failure', 'Disconnect-NAK', 503],
    ]);
  });

  test("every view has ISE's columns in ISE's order; columns without data are NULL; the records fill the rest", async () => {
    for (const view of VIEWS) {
      const r = await dc(`SELECT * FROM ${view.name} FETCH FIRST 1 ROWS ONLY`, 'super-admin');
      assert.equal(r.status, 200, `${view.name}: ${JSON.stringify(r.json)}`);
      assert.deepEqual(r.json.columns.map((c: { name: string }) => c.name), view.columns.map((c) => c.name), view.name);
      assert.deepEqual(r.json.columns.map((c: { type: string }) => c.type), view.columns.map((c) => c.type), view.name);
    }
    const [auth] = await rows(`SELECT CALLING_STATION_ID, NAS_IP_ADDRESS, PASSED, FAILED, POLICY_SET_NAME, AUTHORIZATION_RULE, AUTHORIZATION_PROFILES, NAS_PORT_TYPE, ISE_NODE, USER_TYPE, POSTURE_STATUS FROM RADIUS_AUTHENTICATIONS WHERE CALLING_STATION_ID = '${WIRED_NAK.mac}'`);
    assert.deepEqual(auth, [WIRED_NAK.mac, '127.0.0.12', 'Pass', 0, 'Wired_802.1X_Closed', 'wired-permit', 'PermitAccess', 'Ethernet', 'openmnt-test', null, null]);
    const [wireless] = await rows(`SELECT POLICY_SET_NAME FROM RADIUS_AUTHENTICATIONS WHERE CALLING_STATION_ID = '${WIRELESS.mac}'`);
    assert.notEqual(wireless![0], 'Wired_802.1X_Closed');
    const acct = await rows(`SELECT ACCT_STATUS_TYPE, ACCT_SESSION_ID, FRAMED_IP_ADDRESS, STARTED, STOPPED, USERNAME FROM RADIUS_ACCOUNTING WHERE ACCT_STATUS_TYPE IS NOT NULL AND CALLING_STATION_ID = '${WIRED_ACK.mac}'`);
    assert.deepEqual(acct, [['Start', WIRED_ACK.sid, '10.50.10.1', 1, 0, WIRED_ACK.user]]);
    assert.deepEqual(await rows(`SELECT NAME, IP_MASK, PROFILE_NAME, LOCATION, TYPE FROM NETWORK_DEVICES WHERE NAME = 'access-sw-1'`, 'super-admin'), [['access-sw-1', '127.0.0.11/32', 'cisco', 'All Locations#Building-1', 'All Device Types#Switch']]);
    assert.deepEqual(await rows(`SELECT MAC_ADDRESS, IDENTITY_GROUP_ID, STATIC_GROUP_ASSIGNMENT FROM ENDPOINTS_DATA`, 'super-admin'), [[WIRED_ACK.mac, 'Lab', 'true']]);
    const audit = await rows(`SELECT OBJECT_TYPE, OBJECT_NAME, EVENT, ADMIN_NAME FROM CHANGE_CONFIGURATION_AUDIT WHERE OBJECT_TYPE = 'policySets' AND OBJECT_NAME = 'Wired_802.1X_Closed'`, 'super-admin');
    assert.deepEqual(audit, [['policySets', 'Wired_802.1X_Closed', 'Added configuration', ADMINS['super-admin']]]);
    assert.deepEqual(await rows(`SELECT HOSTNAME, NODE_ROLE FROM NODE_LIST`, 'super-admin'), [['openmnt-test', 'STANDALONE']]);
    const codes = await rows(`SELECT FAILURE_CODE FROM FAILURE_CODE_CAUSE WHERE FAILURE_CODE LIKE '5400%'`, 'super-admin');
    assert.equal(codes.length, 1);
    const summary = await rows(`SELECT SUM(PASSED_COUNT), SUM(FAILED_COUNT) FROM RADIUS_AUTHENTICATION_SUMMARY WHERE TIMESTAMP > TRUNC(SYSDATE, 'HH') - 1/24`);
    assert.deepEqual(summary, [[3, 0]]);
  });

  test('each kind of write is refused by the engine, and nothing changes', async () => {
    const before = await rows('SELECT COUNT(*) FROM RADIUS_AUTHENTICATIONS', 'super-admin');
    const marker = `/tmp/dc-copy-${role}`;
    const writes: [string, string][] = pg
      ? [
          // Through the views: the database refuses (no grant but SELECT, a read-only transaction, views no one may write through).
          ["INSERT INTO RADIUS_AUTHENTICATIONS (ID) VALUES (1)", 'DC_READ_ONLY'],
          ["UPDATE RADIUS_ACCOUNTING SET USERNAME = 'x'", 'DC_READ_ONLY'],
          ['DELETE FROM RADIUS_AUTHENTICATIONS', 'DC_READ_ONLY'],
          ['DELETE FROM DUAL', 'DC_READ_ONLY'],
          ['WITH x AS (DELETE FROM RADIUS_ACCOUNTING RETURNING 1) SELECT * FROM x', 'DC_READ_ONLY'],
          ['WITH x AS (SELECT 1 FROM DUAL) INSERT INTO DUAL SELECT 1 FROM x', 'DC_READ_ONLY'],
          // Statements that return no rows are not run (the role could not do them either: see the next test).
          ['DROP TABLE public.auth_records', 'DC_READ_ONLY'],
          ['DROP VIEW RADIUS_AUTHENTICATIONS', 'DC_READ_ONLY'],
          [`SET ROLE ${PG_SUPERUSER}`, 'DC_READ_ONLY'],
          ['RESET ROLE', 'DC_READ_ONLY'],
          ['SET default_transaction_read_only = off', 'DC_READ_ONLY'],
          ['COMMIT', 'DC_READ_ONLY'],
          [`COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`, 'DC_READ_ONLY'],
          // Volatile functions and escapes inside a query: the database refuses them.
          ["SELECT setval('public.auth_records_id_seq', 1) FROM DUAL", 'DC_READ_ONLY'],
          ["SELECT nextval('public.coa_audit_id_seq') FROM DUAL", 'DC_READ_ONLY'],
          [`SELECT set_config('role', '${PG_SUPERUSER}', false) FROM DUAL`, 'DC_READ_ONLY'],
          ["SELECT set_config('transaction_read_only', 'off', true) FROM DUAL", 'DC_READ_ONLY'],
          ["SELECT query_to_xml('select count(*) from public.auth_records', true, true, '') FROM DUAL", 'DC_READ_ONLY'],
          ["SELECT query_to_xml('delete from public.coa_audit', true, true, '') FROM DUAL", 'DC_READ_ONLY'],
          ["SELECT pg_read_file('/etc/hostname') FROM DUAL", 'DC_READ_ONLY'],
          ['SELECT * FROM auth_records', 'DC_NOT_A_VIEW'],
          ['SELECT * FROM pg_authid', 'DC_NOT_A_VIEW'],
          ['SELECT * FROM DUAL WHERE 1 IN (SELECT COUNT(*) FROM coa_audit)', 'DC_NOT_A_VIEW'],
        ]
      : [
          ['INSERT INTO auth_records (received_at, passed, nas_ip, server) VALUES (1, 1, \'x\', \'y\')', 'DC_READ_ONLY'],
          ["UPDATE auth_records SET user_name = 'x'", 'DC_READ_ONLY'],
          ['DELETE FROM auth_records', 'DC_READ_ONLY'],
          ['DROP TABLE auth_records', 'DC_READ_ONLY'],
          ['DROP VIEW RADIUS_AUTHENTICATIONS', 'DC_READ_ONLY'],
          ['PRAGMA query_only = OFF', 'DC_READ_ONLY'],
          ['PRAGMA user_version = 99', 'DC_READ_ONLY'],
          ["ATTACH DATABASE '/tmp/dc-attack.db' AS x", 'DC_READ_ONLY'],
          ['WITH x AS (SELECT 1) DELETE FROM auth_records', 'DC_READ_ONLY'],
          ['WITH x AS (SELECT 1 FROM DUAL) INSERT INTO coa_audit (at) SELECT 1 FROM x', 'DC_READ_ONLY'],
          ['CREATE TEMP TABLE t AS SELECT * FROM RADIUS_AUTHENTICATIONS', 'DC_READ_ONLY'],
          ["SELECT load_extension('/tmp/nothing.so') FROM DUAL", 'DC_SQL_ERROR'],
          ['SELECT * FROM auth_records', 'DC_NOT_A_VIEW'],
          ['SELECT * FROM sqlite_master', 'DC_NOT_A_VIEW'],
          ['SELECT * FROM (auth_records)', 'DC_NOT_A_VIEW'],
          ['SELECT * FROM DUAL WHERE 1 IN (SELECT COUNT(*) FROM coa_audit)', 'DC_NOT_A_VIEW'],
          ['PRAGMA table_info(auth_records)', 'DC_UNSUPPORTED'],
        ];
    for (const [sql, code] of writes) {
      const r = await dc(sql, 'super-admin');
      assert.equal(r.status, 400, sql);
      assert.equal(r.json.error, code, `${sql}: ${r.json.message}`);
    }
    assert.deepEqual(await rows('SELECT COUNT(*) FROM RADIUS_AUTHENTICATIONS', 'super-admin'), before);
    if (pg) {
      assert.equal(existsSync(marker), false, 'COPY … TO PROGRAM ran nothing');
      // Every query left its connection as it found it: still the role, and the scope rows gone.
      assert.deepEqual(await rows('SELECT COUNT(*) FROM RADIUS_AUTHENTICATIONS', 'super-admin'), before);
      const sql = postgres(db!.url, { max: 1, onnotice: () => undefined });
      try {
        assert.deepEqual([...(await sql.unsafe('SELECT pid FROM dataconnect.query_scope'))], []);
        const sessions = await sql.unsafe('SELECT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', ['openmnt-dataconnect-query']);
        for (const s of sessions) assert.equal(s.usename, role, 'the queries log in as the role');
      } finally {
        await sql.end();
      }
    } else {
      const file = new Database(server.config.store.path, { readonly: true });
      assert.notEqual(file.pragma('user_version', { simple: true }), 99);
      file.close();
    }
  });

  test('the engine itself refuses writes: the connection is read-only and query_only holds even for TEMP objects', { skip: pg }, () => {
    const engine = new SqliteDataConnect({ path: server.config.store.path, nodeName: 'n', version: 'v', failureReasons: [], heapLimitBytes: 64 * 1024 * 1024 });
    try {
      const write = (sql: string) => assert.throws(() => engine.rawStatement(sql).run(), /readonly|query_only|attempt to write/i, sql);
      write("INSERT INTO auth_records (received_at, passed, nas_ip, server) VALUES (1, 1, 'x', 'y')");
      write('DELETE FROM coa_audit');
      write('CREATE TEMP TABLE t (x)');
      write('DELETE FROM temp.dc_failure_codes');
    } finally {
      engine.close();
    }
  });

  test('the engine itself refuses writes: the dataconnect role, connected directly as a reporting tool, reads the views and nothing else', { skip: !pg }, async () => {
    const sql = asRole();
    try {
      // Its settings: read-only, UTC, the schema's functions first, the node's time limit.
      const [settings] = await sql.unsafe("SELECT current_user AS who, current_setting('default_transaction_read_only') AS ro, current_setting('TimeZone') AS tz, current_setting('search_path') AS path, current_setting('statement_timeout') AS timeout");
      assert.deepEqual({ ...settings }, { who: role, ro: 'on', tz: 'UTC', path: 'dataconnect, pg_catalog', timeout: '30s' });
      // The cookbook's query, translated by hand, as a reporting tool would send it.
      const [count] = await sql.unsafe("SELECT count(*) AS n FROM radius_accounting WHERE message_code IN ('COA-ACK', 'COA-NAK', 'Disconnect-ACK', 'Disconnect-NAK') AND timestamp_timezone > now() - interval '1 hour'");
      assert.equal(Number(count!.n), 4);
      const refused = async (statement: string, words: RegExp) => {
        await assert.rejects(sql.unsafe(statement), (e: Error) => words.test(e.message), statement);
      };
      await refused("INSERT INTO public.auth_records (received_at, passed, nas_ip, server) VALUES (1, true, 'x', 'y')", /read-only transaction|permission denied/);
      await refused('DELETE FROM radius_authentications', /read-only transaction|permission denied|cannot delete from view/);
      await refused('DROP VIEW radius_authentications', /read-only transaction|must be owner/);
      await refused('SELECT count(*) FROM public.coa_audit', /permission denied/);
      await refused('SELECT count(*) FROM dataconnect.query_scope', /permission denied/);
      await refused("SELECT setval('public.auth_records_id_seq', 1)", /permission denied|read-only/);
      await refused(`SET ROLE ${PG_SUPERUSER}`, /permission denied/);
      await refused("COPY (SELECT 1) TO PROGRAM 'true'", /superuser|pg_execute_server_program/);
      await refused('CREATE TABLE public.dc_x (a int)', /read-only transaction|permission denied/);
      // RESET ROLE leaves it what it logged in as.
      await sql.unsafe('RESET ROLE');
      const [after] = await sql.unsafe('SELECT current_user AS who');
      assert.equal(after!.who, role);
    } finally {
      await sql.end();
    }
  });

  test('a runaway cross join stops at its time limit while the node keeps ingesting; the next query runs', async () => {
    const runaway = dc(
      pg ? 'SELECT COUNT(*) FROM GENERATE_SERIES(1, 1000000) a, GENERATE_SERIES(1, 1000000) b' : 'WITH RECURSIVE n(i) AS (SELECT 1 FROM DUAL UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT COUNT(*) FROM n a, n b',
      'helpdesk-admin',
      { timeoutSeconds: 2 },
    );
    const sleeper = pg ? dc('SELECT pg_sleep(600) FROM DUAL', 'helpdesk-admin', { timeoutSeconds: 1 }) : null;
    // Accounting while it runs: answered, and the record is there.
    const acct = await radclient({
      port: server.ports.accounting,
      secret: RADCLIENT_SECRET,
      kind: 'acct',
      packets: [`Acct-Status-Type = Start, Acct-Session-Id = "dc-runaway", User-Name = "eve", Calling-Station-Id = "AA-BB-CC-00-00-01", NAS-IP-Address = 127.0.0.11`],
    });
    assert.match(acct.stdout, /Accounting-Response/);
    const stopped = await runaway;
    assert.equal(stopped.status, 400);
    assert.equal(stopped.json.error, 'DC_TIMEOUT');
    if (sleeper !== null) assert.equal((await sleeper).json.error, 'DC_TIMEOUT');
    assert.deepEqual(await rows("SELECT ACCT_SESSION_ID FROM RADIUS_ACCOUNTING WHERE CALLING_STATION_ID = 'AA:BB:CC:00:00:01'"), [['dc-runaway']]);
    if (pg) {
      // Stopped by the server: nothing of it runs on.
      const sql = postgres(db!.url, { max: 1, onnotice: () => undefined });
      try {
        const active = await sql.unsafe("SELECT query FROM pg_stat_activity WHERE usename = $1 AND state <> 'idle'", [role]);
        assert.deepEqual([...active], []);
      } finally {
        await sql.end();
      }
    }
  });

  test('the row limit cuts the answer and says so; the CLI notes it on standard error', async () => {
    const r = await dc('SELECT CALLING_STATION_ID FROM RADIUS_AUTHENTICATIONS', 'helpdesk-admin', { maxRows: 2 });
    assert.equal(r.status, 200);
    assert.equal(r.json.rowCount, 2);
    assert.equal(r.json.truncated, true);
    const cli = await recipe(`netapi ise dc query "SELECT CALLING_STATION_ID FROM RADIUS_AUTHENTICATIONS ORDER BY ID" --max-rows 1 --format csv`);
    assert.equal(cli.status, 0);
    assert.equal(cli.stdout.split('\n').length, 3, 'header, one row, end');
    assert.match(cli.stderr, /more rows than 1/);
  });

  test('role rights: the reading roles see all; a delegated admin only its groups\' endpoints; no credentials, no answer', async () => {
    for (const role of ['helpdesk-admin', 'mnt-admin', 'super-admin'] as const) {
      assert.equal((await rows('SELECT COUNT(DISTINCT CALLING_STATION_ID) FROM RADIUS_AUTHENTICATIONS', role))[0]![0], 4, role);
    }
    const delegated: Role = 'delegated-admin';
    assert.deepEqual(await rows('SELECT DISTINCT CALLING_STATION_ID FROM RADIUS_AUTHENTICATIONS', delegated), [[WIRED_ACK.mac]]);
    assert.deepEqual(await rows("SELECT DISTINCT MAC FROM (SELECT CALLING_STATION_ID AS MAC FROM RADIUS_ACCOUNTING WHERE MESSAGE_CODE LIKE 'COA%')", delegated), [[WIRED_ACK.mac]]);
    assert.deepEqual(await rows('SELECT NAME FROM ENDPOINT_IDENTITY_GROUPS', delegated), [['Lab']]);
    assert.deepEqual(await rows('SELECT * FROM NETWORK_DEVICES', delegated), []);
    assert.deepEqual(await rows('SELECT * FROM CHANGE_CONFIGURATION_AUDIT', delegated), []);
    assert.deepEqual(await rows('SELECT DUMMY FROM DUAL', delegated), [['X']]);
    assert.equal((await dc('SELECT 1 FROM DUAL', null)).status, 401);
    const cli = await recipe(`netapi ise dc query "SELECT 1 FROM DUAL"`, 'helpdesk-admin');
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout, '1\n1\n');
  });

  test('bad requests are precise 400s; the dialect names what it does not take', async () => {
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${server.api.port}/api/v1/dc/query`, { method: 'POST', headers: { authorization: basic(ADMINS['helpdesk-admin']), 'content-type': 'application/json' }, body });
    for (const [body, words] of [
      ['{"sql": ', /JSON/i],
      ['{"sql": "SELECT 1 FROM DUAL", "limit": 5}', /unknown field 'limit'/],
      ['{"sql": ""}', /sql/],
      ['{"sql": "SELECT 1 FROM DUAL", "maxRows": 0}', /maxRows/],
      ['{"sql": "SELECT 1 FROM DUAL", "timeoutSeconds": 9999}', /timeoutSeconds/],
      ['{"sql": "SELECT * FROM COA_EVENTS WHERE ROWNUM < 3"}', /ROWNUM/],
      ['{"sql": "SELECT NO_SUCH_COLUMN FROM COA_EVENTS"}', /no such column|column "no_such_column" does not exist/i],
      // PostgreSQL's own TO_CHAR knows WW (SQLite's, written here, does not).
      ...(pg ? [] : ([['{"sql": "SELECT TO_CHAR(LOGGED_AT, \'YYYY-WW\') FROM COA_EVENTS"}', /'WW'/]] as const)),
    ] as const) {
      const res = await post(body);
      const json = (await res.json()) as { error: string; message: string };
      assert.equal(res.status, 400, body);
      assert.match(json.message, words, body);
    }
    const get = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/dc/query`, { headers: { authorization: basic(ADMINS['helpdesk-admin']) } });
    assert.equal(get.status, 405);
    const cli = await recipe(`netapi ise dc query "DELETE FROM ${pg ? 'RADIUS_AUTHENTICATIONS' : 'auth_records'}"`);
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /^openmnt dc: DC_READ_ONLY: /);
  });

  test('openmnt dc: usage errors exit 2 with the usage; --help exits 0', async () => {
    for (const args of ['', 'select "SELECT 1 FROM DUAL"', 'query', 'query "SELECT 1 FROM DUAL" extra', 'query "SELECT 1 FROM DUAL" --format yaml', 'query "SELECT 1 FROM DUAL" --max-rows 0', 'query "SELECT 1 FROM DUAL" --bogus']) {
      const r = await recipe(`netapi ise dc ${args}`);
      assert.equal(r.status, 2, args);
      assert.match(r.stderr, /^openmnt dc: .*\n\nUsage: openmnt dc query "SQL"/s, args);
      assert.equal(r.stdout, '', args);
    }
    const help = await recipe('netapi ise dc --help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: openmnt dc query "SQL"/);
  });

  test('every query is audited, refused and stopped ones too; failed logins land in ADMINISTRATOR_LOGINS', async () => {
    const marker = `SELECT COUNT(*) FROM COA_EVENTS WHERE COA_EVENT_ID = 'audit-${Date.now()}'`;
    await rows(marker, 'mnt-admin');
    const audit = await server.store.dcQueryAudit({ limit: 500 });
    const mine = audit.find((a) => a.sql === marker)!;
    assert.equal(mine.admin, ADMINS['mnt-admin']);
    assert.equal(mine.role, 'mnt-admin');
    assert.equal(mine.outcome, 'ok');
    assert.equal(mine.rows, 1);
    const outcomes = new Set(audit.map((a) => a.outcome));
    for (const o of ['ok', 'truncated', 'DC_READ_ONLY', 'DC_TIMEOUT', 'DC_NOT_A_VIEW', 'DC_UNSUPPORTED']) assert.ok(outcomes.has(o), o);
    // A wrong password on the API: one failed login on record.
    const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/dc/query`, { method: 'POST', headers: { authorization: basic(ADMINS['helpdesk-admin'], 'wrong-password') }, body: '{}' });
    assert.equal(res.status, 401);
    // The record is written after the 401 is answered (pipeline.ts does not wait for it): wait until it
    // is there, bounded by the runner's timeout rather than a clock here.
    let logins: unknown[][] = [];
    while ((logins = await rows(`SELECT ADMIN_NAME, INTERFACE, EVENT, IP_ADDRESS FROM ADMINISTRATOR_LOGINS WHERE EVENT = 'failed'`, 'super-admin')).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(logins, [[ADMINS['helpdesk-admin'], 'api', 'failed', '127.0.0.1']]);
    // Both logs follow the retention like the other records.
    const pruned = await server.store.prune(Date.now() + 1);
    assert.ok(pruned.dcQueryAudit! >= audit.length, JSON.stringify(pruned));
    assert.ok(pruned.adminLogins! >= 1);
    assert.deepEqual(await server.store.dcQueryAudit({ limit: 10 }), []);
  });
});
}
