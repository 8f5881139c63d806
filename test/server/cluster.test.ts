/**
 * Several nodes on one PostgreSQL: three real `openmnt serve` processes, each with its own RADIUS
 * listeners and API, driven by radclient as NAS that fail over between them within a session
 * (Start on one node, Interim-Update on the next, Stop back on the first). Every acknowledged
 * record must be kept once, no session duplicated, ActiveCount exact, and every MnT answer the
 * same whichever node is asked. A NAS that sends an Accounting-Request again to another node
 * (Acct-Delay-Time raised) must not have it applied twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { addClusterAdmin, clusterNodeEnv } from '../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { mab, radclient } from '../helpers/radclient.js';
import { sessionEvents, SseClient } from '../helpers/sse-client.js';
import { needTool } from '../helpers/tools.js';

const skip = (await needPostgres()) || needTool('radclient', 'freeradius-utils');
const SECRET = 'testing123';
const PASSWORD = 'Cluster-Pass-1234';
const ENDPOINTS = 300;
const STOPPED = 200;

const mac = (i: number) => `0C:00:00:00:${(i >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(i & 255).toString(16).padStart(2, '0').toUpperCase()}`;

/** An MnT call answered by one node: status and body as sent. */
function mnt(node: NodeProcess, path: string): Promise<{ status: number; body: string }> {
  return call(node, 'GET', `/admin/API/mnt/${path}`, 'ops');
}

/** An HTTPS call of one node's API as an admin of the shared accounts file. */
function call(node: NodeProcess, method: string, path: string, admin: string, json?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const req = request(
      `${new URL(node.api!.url).origin}${path}`,
      {
        method,
        rejectUnauthorized: false,
        headers: { authorization: `Basic ${Buffer.from(`${admin}:${PASSWORD}`).toString('base64')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends accounting packets to one node; resolves with how many it acknowledged. */
async function account(node: NodeProcess, packets: string[]): Promise<number> {
  if (packets.length === 0) return 0;
  const run = await radclient({ port: node.ports.accounting, secret: SECRET, kind: 'acct', packets, retries: 3, timeoutSeconds: 5, extra: ['-p', '20'] });
  return (run.stdout.match(/Received Accounting-Response/g) ?? []).length;
}

const packet = (status: string, i: number, extra = '') =>
  `Acct-Status-Type = ${status}, Acct-Session-Id = "cl-${i}", Calling-Station-Id = "${mac(i)}", NAS-IP-Address = 10.70.0.1, User-Name = "user-${i}"${extra}`;

describe('three nodes on one PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let dir: string;
  let nodes: NodeProcess[] = [];
  let store: PostgresStore;

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cluster-'));
    const env = (name: string) => clusterNodeEnv(dir, db.url, name);
    addClusterAdmin(dir, 'ops', 'mnt-admin', PASSWORD);
    addClusterAdmin(dir, 'root', 'super-admin', PASSWORD);
    // All at once, as a service manager starts them: one migrates the schema and seeds the policy
    // (the others wait for the migration lock, then find both).
    nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((name) => startNodeProcess(env(name), [], { api: true })));
    store = await openPostgresStore({ url: db.url, poolSize: 2, migrate: false });
  });

  after(async () => {
    await store?.close();
    for (const node of nodes) await node.stop();
    nodes = [];
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('NAS failing over between nodes within sessions: every acknowledged record kept once, no duplicate session, ActiveCount exact, MnT answers identical from every node', async () => {
    const byNode = (pick: (i: number) => number, make: (i: number) => string, count = ENDPOINTS) =>
      nodes.map((_, n) => Array.from({ length: count }, (_, i) => i).filter((i) => pick(i) === n).map(make));
    // Start on node i % 3, Interim-Update on the next node, Stop back on the first.
    const phases = [
      byNode((i) => i % 3, (i) => packet('Start', i)),
      byNode((i) => (i + 1) % 3, (i) => packet('Interim-Update', i, ', Acct-Session-Time = 60, Acct-Input-Octets = 1000')),
      byNode((i) => i % 3, (i) => packet('Stop', i, ', Acct-Session-Time = 120, Acct-Input-Octets = 2000, Acct-Terminate-Cause = User-Request'), STOPPED),
    ];
    // A live consumer on every node: each must see every node's events, in one order.
    const auth = { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` };
    const streams = await Promise.all(nodes.map((node) => SseClient.open(Number(new URL(node.api!.url).port), '/api/v1/events', auth, true)));
    for (const s of streams) assert.equal(s.status, 200, s.body);
    let acknowledged = 0;
    for (const phase of phases) {
      // The three nodes take their share of a phase at the same time.
      const acks = await Promise.all(nodes.map((node, n) => account(node, phase[n]!)));
      acknowledged += acks.reduce((a, b) => a + b, 0);
    }
    const sent = ENDPOINTS * 2 + STOPPED;
    assert.equal(acknowledged, sent, 'every packet acknowledged');

    const stats = await store.stats();
    assert.equal(stats.accountingRecords, sent, 'every acknowledged record kept, once');
    assert.equal(await store.countSessions({ scope: 'all' }), ENDPOINTS, 'one session per endpoint, none duplicated');
    assert.equal(await store.countSessions({ scope: 'closed' }), STOPPED);
    const counted = Number((await store.sql.unsafe('SELECT COUNT(*) AS n FROM sessions_active'))[0]!.n);
    assert.equal(counted, ENDPOINTS - STOPPED);
    const stopped = await store.findLatestSession({ mac: mac(5), scope: 'closed' });
    assert.deepEqual([stopped?.acctSessionTime, stopped?.inputOctets, stopped?.terminateCause], [120, 2000, 'User-Request']);
    const open = await store.findLatestSession({ mac: mac(ENDPOINTS - 1) });
    assert.deepEqual([open?.state, open?.acctSessionTime, open?.inputOctets], ['started', 60, 1000]);

    const last = Number((await store.sql.unsafe('SELECT MAX(id) AS n FROM session_events'))[0]!.n);
    // A generous bound, so that a node that never gets the others' events fails here, not at the file's timeout.
    let bound: NodeJS.Timeout | undefined;
    const seen = await Promise.race([
      Promise.all(streams.map(async (s, n) => sessionEvents(await s.until((m) => (sessionEvents(m).at(-1)?.id ?? 0) >= last, `node ${n + 1}'s stream reaching event ${last}`)))),
      new Promise<never>((_, reject) => {
        bound = setTimeout(() => reject(new Error(`not every node streamed up to event ${last}: last ids ${streams.map((s) => sessionEvents(s.messages).at(-1)?.id).join(', ')}`)), 60_000);
      }),
    ]).finally(() => clearTimeout(bound));
    for (const s of streams) s.close();
    const started = new Set(seen[0]!.filter((e) => e.type === 'started').map((e) => e.session.callingStationId));
    const closed = new Set(seen[0]!.filter((e) => e.type === 'closed').map((e) => e.session.callingStationId));
    assert.equal(started.size, ENDPOINTS, 'a started event for every endpoint, whichever node took its Start');
    assert.equal(closed.size, STOPPED, 'a closed event for every Stop');
    const ids = seen.map((events) => events.map((e) => `${e.id}:${e.type}`).join(' '));
    for (const other of ids.slice(1)) assert.equal(other, ids[0], 'every node streamed the same events in the same order');
    assert.ok(seen[0]!.every((e, i) => i === 0 || e.id > seen[0]![i - 1]!.id), 'ids increase');

    for (const path of ['Session/ActiveCount', 'Session/ActiveList', `Session/MACAddress/${mac(ENDPOINTS - 1)}`, `AcctStatus/MACAddress/${mac(5)}/0`, `Session/UserName/user-${ENDPOINTS - 2}`]) {
      const answers = await Promise.all(nodes.map((node) => mnt(node, path)));
      assert.equal(answers[0]!.status, 200, `${path}: ${answers[0]!.body}`);
      for (const other of answers.slice(1)) assert.equal(other.body, answers[0]!.body, `${path} answers the same from every node`);
    }
    assert.match((await mnt(nodes[1]!, 'Session/ActiveCount')).body, new RegExp(`<count>${ENDPOINTS - STOPPED}</count>`));
    assert.match((await mnt(nodes[2]!, 'Session/ActiveList')).body, new RegExp(`noOfActiveSession="${ENDPOINTS - STOPPED}"`));
  });

  test('an Accounting-Request sent again to another node (Acct-Delay-Time raised) is acknowledged there and kept once', async () => {
    const i = ENDPOINTS - 1; // still active after the first test
    const before = (await store.stats()).accountingRecords;
    const stop = packet('Stop', i, ', Acct-Session-Time = 180, Acct-Input-Octets = 3000, Acct-Terminate-Cause = Lost-Carrier');
    assert.equal(await account(nodes[0]!, [stop]), 1);
    // The NAS did not get node A's answer and fails over to node B with the same Stop.
    assert.equal(await account(nodes[1]!, [`${stop}, Acct-Delay-Time = 7`]), 1, 'the copy is acknowledged, so the NAS stops sending it');
    assert.equal((await store.stats()).accountingRecords, before + 1, 'kept once');
    assert.equal(await store.countSessions({ scope: 'all', mac: mac(i) }), 1, 'the copy made no second session in history');
    const answers = await Promise.all(nodes.map((node) => mnt(node, 'Session/ActiveCount')));
    for (const a of answers) assert.match(a.body, new RegExp(`<count>${ENDPOINTS - STOPPED - 1}</count>`));
  });

  test('a policy change made through one node is in force on the others (their revision poll), with no restart', async () => {
    const endpoint = '0C:00:00:00:AA:01';
    const accepted = async (node: NodeProcess) => /Received Access-Accept/.test((await mab(node.ports.auth, SECRET, endpoint)).stdout);
    assert.equal(await accepted(nodes[2]!), false, 'an unknown endpoint is rejected (auth.unknownEndpoint: reject)');
    const created = await call(nodes[0]!, 'POST', '/api/v1/endpoints', 'root', { mac: endpoint });
    assert.equal(created.status, 201, created.body);
    assert.equal(await accepted(nodes[0]!), true, 'in force at once on the node that made it');
    // The other nodes read the revision once a second; asked until they answer Accept (or 30 tries).
    for (const node of nodes.slice(1)) {
      let tries = 0;
      while (!(await accepted(node)) && ++tries < 30) await new Promise((resolve) => setTimeout(resolve, 250));
      assert.ok(tries < 30, 'the node took the change');
    }
  });
});
