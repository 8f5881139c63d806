/**
 * Bulk CoA jobs on several nodes sharing one PostgreSQL: real `openmnt serve` processes and
 * simulated NAS over real UDP that answer slowly, so a job is still running when its node is
 * killed (`kill -9`) or stopped. Another node must take the job over and finish it: every target
 * one result, none sent again once its result was recorded, the job `done` whichever node is
 * asked. A node that starts must leave the running jobs of the others alone.
 *
 * What "recorded before the kill" means is read from the database while the other nodes are held
 * (SIGSTOP), so no takeover can race the reading; they are let go (SIGCONT) right after.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Job } from '../../src/coa/index.js';
import { openPostgresStore, type AccountingWrite, type PostgresStore } from '../../src/store/index.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { callNode, waitFor } from '../helpers/node-api.js';
import { addClusterAdmin, clusterNodeEnv } from '../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';

const skip = await needPostgres();
const NAS_SECRET = 'cluster-jobs-secret';
const ADMIN = { name: 'ops', password: 'Cluster-Jobs-1234' };
/** Sessions per NAS; two NAS. */
const PER_NAS = 150;
const NAS_ADDRESSES = ['127.0.0.61', '127.0.0.62'];

const macOf = (nas: number, i: number) => `0E:00:00:0${nas}:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();

function sessions(nas: number, prefix: string): AccountingWrite[] {
  const at = Date.now();
  const nasIp = NAS_ADDRESSES[nas]!;
  return Array.from({ length: PER_NAS }, (_, i) => {
    const identity = { nasIp, acctSessionId: `${prefix}-${nas}-${i}`, callingStationId: macOf(nas, i) };
    return {
      record: {
        receivedAt: at, nasIp, nasName: null, statusType: 'Start', acctSessionId: identity.acctSessionId, callingStationId: identity.callingStationId, userName: `u${i}`,
        auditSessionId: null, framedIp: null, sessionTime: null, inputOctets: null, outputOctets: null, inputPackets: null,
        outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null, server: 'cluster-jobs-test', attributes: '',
      },
      change: { kind: 'start', identity, at, startedAt: at, fields: { acctAt: at, userName: `u${i}` } },
    } satisfies AccountingWrite;
  });
}

/** The Calling-Station-Id of a CoA the NAS received. */
const macIn = (r: NasSimulator['received'][number]) => String(r.packet.attributes.find((a) => a.name === 'Calling-Station-Id')?.value);

describe('bulk CoA jobs on several nodes (leases)', { skip }, () => {
  let db: TestDatabase;
  let dir: string;
  let store: PostgresStore;
  const nas: NasSimulator[] = [];
  let nodes: NodeProcess[] = [];
  let config: string;
  let env: (name: string) => Record<string, string>;

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cluster-jobs-'));
    // Slow NAS: a job of 300 endpoints takes a few seconds, time enough to kill its node mid-way.
    for (const address of NAS_ADDRESSES) nas.push(await new NasSimulator(NAS_SECRET, { kind: 'delay', ms: 80 }).start(0, address));
    config = join(dir, 'openmnt.yaml');
    writeFileSync(
      config,
      [
        'coa:',
        // No retransmission while the NAS takes its time: every datagram it receives is a send.
        '  initialTimeoutMs: 10000',
        '  maxTimeoutMs: 10000',
        '  maxAttempts: 1',
        '  maxTotalMs: 20000',
        '  perNasInFlight: 4',
        '  jobLeaseSeconds: 2',
        'radius:',
        '  clients:',
        ...nas.map((s, n) => `    - { name: sw-${n}, address: ${NAS_ADDRESSES[n]}, secret: ${NAS_SECRET}, vendor: cisco, coaPort: ${s.port}, requireMessageAuthenticator: false }`),
        '',
      ].join('\n'),
    );
    env = (name: string) => clusterNodeEnv(dir, db.url, name);
    addClusterAdmin(dir, ADMIN.name, 'mnt-admin', ADMIN.password);
    nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((name) => startNodeProcess(env(name), ['--config', config], { api: true })));
    store = await openPostgresStore({ url: db.url, poolSize: 2, migrate: false });
  });

  after(async () => {
    for (const node of nodes) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGCONT');
      await node.stop();
    }
    nodes = [];
    await store?.close();
    for (const s of nas) await s.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const startJob = async (node: NodeProcess, macs: string[]): Promise<string> => {
    const started = await callNode(node, 'POST', '/api/v1/coa/jobs', ADMIN, { selector: { macs }, action: 'reauth' });
    assert.equal(started.status, 202, started.body);
    return (JSON.parse(started.body) as Job).id;
  };
  const recorded = async (id: string): Promise<string[]> =>
    (await store.sql.unsafe('SELECT r.mac FROM coa_job_results r JOIN coa_jobs j ON j.seq = r.job_seq WHERE j.id = $1', [id])).map((r) => r.mac as string);
  const jobOn = async (node: NodeProcess, id: string): Promise<Job> => {
    const answer = await callNode(node, 'GET', `/api/v1/coa/jobs/${id}`, ADMIN);
    assert.equal(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as Job;
  };
  /** Distinct CoA requests each MAC received (a retransmission is the same datagram from the same socket). */
  const sendsByMac = (since: number[]): Map<string, number> => {
    const seen = new Map<string, Set<string>>();
    nas.forEach((s, n) => {
      for (const r of s.received.slice(since[n])) {
        const mac = macIn(r);
        const key = `${r.from.port}/${r.raw.toString('hex')}`;
        if (!seen.has(mac)) seen.set(mac, new Set());
        seen.get(mac)!.add(key);
      }
    });
    return new Map([...seen].map(([mac, keys]) => [mac, keys.size]));
  };
  /** Every target exactly one result, each outcome ack. */
  const assertOneResultEach = async (id: string, macs: string[]) => {
    const macsRecorded = await recorded(id);
    assert.equal(macsRecorded.length, macs.length, 'as many results as targets');
    assert.deepEqual([...new Set(macsRecorded)].sort(), [...macs].sort(), 'every target exactly one result');
    const [row] = await store.sql.unsafe("SELECT COUNT(*)::int AS n FROM coa_job_results r JOIN coa_jobs j ON j.seq = r.job_seq WHERE j.id = $1 AND r.outcome = 'ack'", [id]);
    assert.equal(row!.n, macs.length, 'every target acknowledged by its NAS');
  };

  test('kill -9 of the node running a job: another node takes it over and finishes it; nothing recorded is sent again', async () => {
    await store.write({ accounting: [...sessions(0, 'k'), ...sessions(1, 'k')] });
    const macs = [0, 1].flatMap((n) => Array.from({ length: PER_NAS }, (_, i) => macOf(n, i)));
    const since = nas.map((s) => s.received.length);
    const [owner, ...others] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const id = await startJob(owner, macs);
    await waitFor('a quarter of the job recorded', async () => (await recorded(id)).length >= macs.length / 4, 60_000, 20);

    // The others held, so that what was recorded when the owner died can be read before any takeover.
    for (const node of others) node.child.kill('SIGSTOP');
    owner.child.kill('SIGKILL');
    await owner.exitCode();
    const before = new Set(await recorded(id));
    const [leased] = await store.sql.unsafe('SELECT state, owner FROM coa_jobs WHERE id = $1', [id]);
    assert.equal(leased!.state, 'running', 'the job is still running in the database: its owner died');
    for (const node of others) node.child.kill('SIGCONT');
    assert.ok(before.size > 0 && before.size < macs.length, `killed mid-job (${before.size} of ${macs.length} recorded)`);

    await waitFor('the job finished by another node', async () => (await jobOn(others[0], id)).state !== 'running');
    for (const node of others) {
      const job = await jobOn(node, id);
      assert.equal(job.state, 'done', 'the job ends done, whichever node is asked');
      assert.equal(job.completed, macs.length);
      assert.equal(job.total, macs.length);
      assert.equal(job.counts.ack, macs.length);
    }
    const [taken] = await store.sql.unsafe('SELECT owner, lease_until FROM coa_jobs WHERE id = $1', [id]);
    assert.match(String(taken!.owner), /^node-[bc]\//, 'owned by a surviving node');
    assert.equal(taken!.lease_until, null, 'an ended job holds no lease');
    await assertOneResultEach(id, macs);

    const sends = sendsByMac(since);
    for (const mac of before) assert.equal(sends.get(mac), 1, `${mac} had a result before the kill: sent once, never again`);
    let resent = 0;
    for (const mac of macs) {
      const n = sends.get(mac) ?? 0;
      assert.ok(n === 1 || n === 2, `${mac}: sent ${n} times`);
      if (n === 2) resent++;
    }
    // In flight or not yet written when the owner died (at most FLUSH_SIZE + in flight): sent again by the new owner.
    console.log(`kill -9 mid-job: ${before.size} of ${macs.length} recorded before the kill; ${resent} targets sent again after the takeover`);
    const left = (await store.sql.unsafe('SELECT COUNT(*)::int AS n FROM coa_job_targets'))[0]!.n;
    assert.equal(left, 0, 'an ended job keeps no targets');
    nodes = others;
  });

  test('a node that starts leaves the others\' running job alone; a node stopped gracefully hands its job to another', async () => {
    // Slower still: the job outlives the start of a node.
    for (const s of nas) s.behaviour = { kind: 'delay', ms: 250 };
    await store.write({ accounting: [...sessions(0, 'g'), ...sessions(1, 'g')] });
    const macs = [0, 1].flatMap((n) => Array.from({ length: PER_NAS }, (_, i) => macOf(n, i)));
    const since = nas.map((s) => s.received.length);
    const [owner, other] = nodes as [NodeProcess, NodeProcess];
    const id = await startJob(owner, macs);
    await waitFor('results recorded', async () => (await recorded(id)).length > 0, 60_000, 20);
    const [first] = await store.sql.unsafe('SELECT owner FROM coa_jobs WHERE id = $1', [id]);

    const late = await startNodeProcess(env('node-d'), ['--config', config], { api: true });
    nodes = [...nodes, late];
    const [seen] = await store.sql.unsafe('SELECT state, owner FROM coa_jobs WHERE id = $1', [id]);
    assert.equal(seen!.state, 'running', 'a node that starts marks no other node\'s job interrupted');
    assert.equal(seen!.owner, first!.owner, 'and takes nothing a live node holds');

    const stopped = (await recorded(id)).length;
    assert.ok(stopped < macs.length, 'still running when its node is stopped');
    await owner.stop('SIGTERM');
    nodes = nodes.filter((n) => n !== owner);
    await waitFor('the job finished by another node', async () => (await jobOn(late, id)).state !== 'running');
    const job = await jobOn(other, id);
    assert.equal(job.state, 'done');
    assert.equal(job.counts.ack, macs.length);
    const [taken] = await store.sql.unsafe('SELECT owner FROM coa_jobs WHERE id = $1', [id]);
    assert.match(String(taken!.owner), /^node-[cd]\//);
    await assertOneResultEach(id, macs);
    const sends = sendsByMac(since);
    for (const mac of macs) assert.ok([1, 2].includes(sends.get(mac) ?? 0), `${mac}: sent ${sends.get(mac)} times`);
  });

  test('a job running on one node is cancelled through another', async () => {
    for (const s of nas) s.behaviour = { kind: 'delay', ms: 250 };
    await store.write({ accounting: [...sessions(0, 'c'), ...sessions(1, 'c')] });
    const macs = [0, 1].flatMap((n) => Array.from({ length: PER_NAS }, (_, i) => macOf(n, i)));
    const [owner, other] = nodes as [NodeProcess, NodeProcess];
    const id = await startJob(owner, macs);
    await waitFor('results recorded', async () => (await recorded(id)).length > 0, 60_000, 20);
    const asked = await callNode(other, 'DELETE', `/api/v1/coa/jobs/${id}`, ADMIN);
    assert.equal(asked.status, 200, asked.body);
    await waitFor('the job cancelled by its owner', async () => (await jobOn(other, id)).state !== 'running');
    const job = await jobOn(owner, id);
    assert.equal(job.state, 'cancelled');
    assert.ok(job.counts.cancelled > 0, 'endpoints not yet started were skipped');
    assert.equal(job.completed, macs.length);
  });
});
