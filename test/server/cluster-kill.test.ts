/**
 * `kill -9` of one of three nodes on one PostgreSQL while radclient NAS stream accounting to all
 * three. The NAS of the killed node gives up on it and sends what it was not answered for to a
 * surviving node (Acct-Delay-Time raised, so new Identifiers and authenticators); its sessions go
 * on there (Interim-Update, Stop). Each request counts as acknowledged only when its own
 * Accounting-Response arrived (test/helpers/nas-stream.ts). Afterwards every acknowledged record
 * is in the database, every request sent is kept exactly once (a record the killed node committed
 * but never answered for is recognised as the same request when it comes again), no session is
 * duplicated and ActiveCount is exact on every surviving node. The kill happens on a condition
 * (the node has answered part of its stream), never after a sleep.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { sendUntilAcked, streamAccounting, type AcctPacket } from '../helpers/nas-stream.js';
import { addClusterAdmin, clusterNodeEnv } from '../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { needTool } from '../helpers/tools.js';

const skip = (await needPostgres()) || needTool('radclient', 'freeradius-utils') || needTool('stdbuf', 'coreutils');
const SECRET = 'testing123';
const PASSWORD = 'Cluster-Pass-1234';
/** Sessions per NAS; NAS n starts its sessions on node n. */
const PER_NAS = 400;
const NAS = 3;
/** The first STOPPED sessions of each NAS are stopped in the last phase. */
const STOPPED = 150;

const mac = (i: number) => `0D:00:00:00:${(i >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(i & 255).toString(16).padStart(2, '0').toUpperCase()}`;

function packet(status: 'Start' | 'Interim-Update' | 'Stop', i: number): AcctPacket {
  const extra =
    status === 'Start' ? '' : status === 'Interim-Update' ? ', Acct-Session-Time = 60, Acct-Input-Octets = 1000' : ', Acct-Session-Time = 120, Acct-Input-Octets = 2000, Acct-Terminate-Cause = User-Request';
  return {
    key: `${status}:k-${i}`,
    text: `Acct-Status-Type = ${status}, Acct-Session-Id = "k-${i}", Calling-Station-Id = "${mac(i)}", NAS-IP-Address = 10.72.0.${1 + Math.floor(i / PER_NAS)}, User-Name = "user-${i}"${extra}`,
  };
}

/** The same request sent again by a NAS that failed over: Acct-Delay-Time raised. */
const delayed = (p: AcctPacket): AcctPacket => ({ key: p.key, text: `${p.text}, Acct-Delay-Time = 5` });

function mnt(node: NodeProcess, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${new URL(node.api!.url).origin}/admin/API/mnt/${path}`,
      { rejectUnauthorized: false, headers: { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('kill -9 of one node of three during accounting ingest, its NAS failing over', { skip, timeout: 600_000 }, () => {
  let db: TestDatabase;
  let dir: string;
  let nodes: NodeProcess[] = [];
  let store: PostgresStore;

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cluster-kill-'));
    addClusterAdmin(dir, 'ops', 'mnt-admin', PASSWORD);
    nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((name) => startNodeProcess(clusterNodeEnv(dir, db.url, name), [], { api: true })));
    store = await openPostgresStore({ url: db.url, poolSize: 2, migrate: false });
  });

  after(async () => {
    await store?.close();
    for (const node of nodes) await node.stop();
    nodes = [];
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every acknowledged record kept, every request kept once, no duplicate session, ActiveCount exact on the survivors', async (t) => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const sessions = (nas: number) => Array.from({ length: PER_NAS }, (_, k) => nas * PER_NAS + k);
    const acknowledged = new Set<string>();
    const sent = new Set<string>();
    const note = (packets: readonly AcctPacket[]) => packets.forEach((p) => sent.add(p.key));
    const keep = (keys: Iterable<string>) => {
      for (const k of keys) acknowledged.add(k);
    };

    // Phase 1: every NAS starts its sessions on its own node, at once. Once node B has answered a
    // part of its NAS's stream, it is killed with SIGKILL: no drain, no goodbye to PostgreSQL.
    const starts = [0, 1, 2].map((n) => sessions(n).map((i) => packet('Start', i)));
    starts.forEach(note);
    // NAS 1 keeps few requests in flight, so most of its stream is still to come at the kill.
    const streams = [streamAccounting(a.ports.accounting, SECRET, starts[0]!), streamAccounting(b.ports.accounting, SECRET, starts[1]!, { parallel: 2 }), streamAccounting(c.ports.accounting, SECRET, starts[2]!)];
    await streams[1]!.ackedAtLeast(40);
    b.child.kill('SIGKILL');
    assert.equal(await b.exitCode(), null, 'ended by the signal');
    // NAS 1 gives up on node B: what it was answered for is done; the rest goes to node A.
    const fromB = await streams[1]!.stop();
    keep(fromB);
    keep(await streams[0]!.done);
    keep(await streams[2]!.done);
    const unanswered = starts[1]!.filter((p) => !fromB.has(p.key));
    t.diagnostic(`node B answered ${fromB.size} of its ${PER_NAS} Starts before the kill; ${unanswered.length} go to node A`);
    keep(await sendUntilAcked(a.ports.accounting, SECRET, unanswered.map(delayed)));
    // NAS 0 and 2 never lost their node: anything still unanswered is sent to it again.
    keep(await sendUntilAcked(a.ports.accounting, SECRET, starts[0]!.filter((p) => !acknowledged.has(p.key))));
    keep(await sendUntilAcked(c.ports.accounting, SECRET, starts[2]!.filter((p) => !acknowledged.has(p.key))));

    // Phase 2 and 3: the sessions go on, NAS 1's on node C (Interim) and node A (Stop).
    const interims = [0, 1, 2].map((n) => sessions(n).map((i) => packet('Interim-Update', i)));
    const stops = [0, 1, 2].map((n) => sessions(n).slice(0, STOPPED).map((i) => packet('Stop', i)));
    interims.forEach(note);
    stops.forEach(note);
    const target = [a, c, c];
    keep((await Promise.all(interims.map((p, n) => sendUntilAcked(target[n]!.ports.accounting, SECRET, p)))).flatMap((s) => [...s]));
    const stopTarget = [a, a, c];
    keep((await Promise.all(stops.map((p, n) => sendUntilAcked(stopTarget[n]!.ports.accounting, SECRET, p)))).flatMap((s) => [...s]));
    assert.equal(acknowledged.size, sent.size, 'every request was acknowledged in the end (by some node)');

    // Every acknowledged record is there, and each request once.
    const rows = await store.sql.unsafe<{ status_type: string; acct_session_id: string; n: number }[]>(
      "SELECT status_type, acct_session_id, count(*)::int AS n FROM accounting_records WHERE acct_session_id LIKE 'k-%' GROUP BY 1, 2",
    );
    const stored = new Map(rows.map((r) => [`${r.status_type}:${r.acct_session_id}`, r.n]));
    const missing = [...acknowledged].filter((k) => !stored.has(k));
    assert.deepEqual(missing, [], 'every acknowledged record is stored');
    const twice = [...stored].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(twice, [], 'no request stored twice');
    assert.equal(stored.size, sent.size, 'nothing stored that was not sent');

    const total = NAS * PER_NAS;
    assert.equal(await store.countSessions({ scope: 'all' }), total, 'one session per endpoint, none duplicated');
    assert.equal(await store.countSessions({ scope: 'closed' }), NAS * STOPPED);
    const [counted] = await store.sql.unsafe<{ rows: number; counter: number }[]>('SELECT (SELECT count(*) FROM sessions_active)::int AS rows, (SELECT active_sessions FROM store_counters)::int AS counter');
    assert.deepEqual([counted!.rows, counted!.counter], [total - NAS * STOPPED, total - NAS * STOPPED], 'the shared active count matches the rows');
    const interim = await store.findLatestSession({ mac: mac(PER_NAS + PER_NAS - 1) });
    assert.deepEqual([interim?.state, interim?.acctSessionTime, interim?.inputOctets], ['started', 60, 1000], "a session of the killed node's NAS, updated on another node");
    for (const node of [a, c]) {
      const count = await mnt(node, 'Session/ActiveCount');
      assert.equal(count.status, 200);
      assert.match(count.body, new RegExp(`<count>${total - NAS * STOPPED}</count>`));
    }
  });
});
