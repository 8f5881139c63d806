/**
 * Bulk CoA jobs kept in the store rather than in memory, on a real node with a real SQLite file
 * and simulated NAS over real UDP: many jobs leave nothing behind in memory, a job running when
 * its node stops is reported interrupted after the restart, retention prunes ended jobs with their
 * results.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import type { Job, JobResultPage } from '../../src/coa/index.js';
import type { Config } from '../../src/config.js';
import { startStore, type AccountingWrite } from '../../src/store/index.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ADMINS, addAdmins, basic, get } from '../helpers/mnt.js';

const NAS_SECRET = 'job-store-secret';

// A full collection on demand, to see whether the runner still references an object.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const macOf = (nas: number, i: number) => `00:BB:00:${nas.toString(16).padStart(2, '0')}:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();

/** `count` started sessions on `nasIp`, written straight into the store (radclient would take minutes). */
function sessions(nasIp: string, nas: number, count: number): AccountingWrite[] {
  const at = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    record: {
      receivedAt: at, nasIp, nasName: null, statusType: 'Start', acctSessionId: `s${nas}-${i}`, callingStationId: macOf(nas, i), userName: `u${i}`,
      auditSessionId: null, framedIp: null, sessionTime: null, inputOctets: null, outputOctets: null, inputPackets: null,
      outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null, server: 'openmnt-test', attributes: '',
    },
    change: { kind: 'start', identity: { nasIp, acctSessionId: `s${nas}-${i}`, callingStationId: macOf(nas, i) }, at, startedAt: at, fields: { acctAt: at, userName: `u${i}` } },
  }));
}

function withNas(nas: NasSimulator[], first: number): (c: Config) => void {
  return (c) => {
    c.radius.clients.push(
      ...nas.map((s, n) => ({ name: `sw-${first + n}`, address: `127.0.0.${first + n}`, secret: NAS_SECRET, vendor: 'cisco', coaPort: s.port, requireMessageAuthenticator: false, deviceGroups: [] })),
    );
  };
}

describe('bulk CoA jobs in the store', () => {
  const nas: NasSimulator[] = [];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-job-store-'));
    for (let n = 0; n < 2; n++) nas.push(await new NasSimulator(NAS_SECRET).start(0, `127.0.0.${31 + n}`));
  });
  after(async () => {
    for (const s of nas) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('after 20 jobs of 500 endpoints the runner holds no job, no result and no MAC list in memory; each job reads back whole', async () => {
    const server = await startTestServer(withNas(nas, 31));
    try {
      const ENDPOINTS = 500;
      await server.store.write({ accounting: sessions('127.0.0.31', 31, ENDPOINTS) });
      nas[0]!.behaviour = { kind: 'ack' };
      const lists: WeakRef<string[]>[] = [];
      const ids: string[] = [];
      // Its own function, so that the list lives in no frame of this test once the job is started.
      const runJob = async () => {
        const macs = Array.from({ length: ENDPOINTS }, (_, i) => macOf(31, i));
        lists.push(new WeakRef(macs));
        const started = await server.jobs.start({ selector: { macs }, action: { action: 'reauth', type: 'default' } }, 'ops');
        assert.deepEqual(started.selector, { macCount: ENDPOINTS });
        return started.id;
      };
      for (let j = 0; j < 20; j++) {
        const id = await runJob();
        const ended = await server.jobs.wait(id);
        assert.equal(ended.state, 'done');
        assert.equal(ended.counts.ack, ENDPOINTS);
        ids.push(id);
      }
      assert.deepEqual(server.jobs.held(), { jobs: 0, bufferedResults: 0, unsavedResults: 0 }, 'no ended job is kept in memory');
      for (const id of ids) {
        const job = await server.jobs.get(id);
        assert.equal(job.completed, ENDPOINTS);
        assert.equal('results' in job, false);
        const page = await server.jobs.results(id, { limit: ENDPOINTS + 1 });
        assert.equal(page.results.length, ENDPOINTS, 'every result is in the store');
        assert.equal(page.next, null);
      }
      const list = await server.jobs.list({ limit: 100 });
      assert.deepEqual(list.jobs.map((j) => j.id), [...ids].reverse());
      // The MAC lists the jobs were given are no longer referenced by anything of the runner.
      await new Promise((r) => setImmediate(r));
      gc();
      assert.deepEqual(lists.map((ref) => ref.deref() === undefined), lists.map(() => true), 'every MAC list was collected');
    } finally {
      await server.stop();
    }
  });

  test('a running job is followed through its results; stopping the node saves it as interrupted, and so does a restart after a crash', async () => {
    const file = join(dir, 'restart.db');
    const config = (c: Config) => {
      withNas(nas, 31)(c);
      c.store.path = file;
    };
    let server: TestServer = await startTestServer(config);
    let id: string;
    try {
      await addAdmins(server);
      await server.store.write({ accounting: [...sessions('127.0.0.31', 31, 3), ...sessions('127.0.0.32', 32, 3)] });
      nas[0]!.behaviour = { kind: 'ack' };
      // The second NAS keeps its one request unanswered (well inside the default 30 s budget):
      // the job cannot end before the node stops.
      nas[1]!.behaviour = { kind: 'silent' };
      const received = nas[1]!.received.length;
      const started = await server.jobs.start({ selector: { userName: 'u1' }, action: { action: 'reauth', type: 'default' }, pacing: { perNasInFlight: 1 } }, 'ops');
      id = started.id;
      assert.equal(started.total, 2);
      while (nas[1]!.received.length === received || (await server.jobs.get(id)).completed < 1) await new Promise((r) => setTimeout(r, 10));
      const running = await server.jobs.get(id);
      assert.equal(running.state, 'running');
      const page = JSON.parse((await get(server, `/api/v1/coa/jobs/${id}/results`)).body) as JobResultPage;
      assert.deepEqual(page.results.map((r) => [r.mac, r.outcome]), [[macOf(31, 1), 'ack']], 'what it did so far is listed at once');
      assert.ok(page.next !== null, 'a running job gives a cursor to follow it');
      const listed = JSON.parse((await get(server, '/api/v1/coa/jobs?state=running')).body) as { jobs: Job[] };
      assert.deepEqual(listed.jobs.map((j) => [j.id, j.completed]), [[id, 1]], 'the list shows its live counters');
    } finally {
      await server.stop();
    }
    server = await startTestServer(config);
    try {
      await addAdmins(server);
      const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/coa/jobs/${id}`, { headers: { authorization: basic(ADMINS['helpdesk-admin']) } });
      const job = (await res.json()) as Job;
      assert.equal(job.state, 'interrupted');
      assert.equal(job.completed, 1, 'what it did before the stop is kept');
      assert.ok(job.finishedAt !== null);
      assert.deepEqual((await server.jobs.results(id)).results.map((r) => r.outcome), ['ack']);
    } finally {
      await server.stop();
    }
    // A node that dies mid-job never gets to save it: the next start marks it interrupted.
    const store = await startStore({ driver: 'sqlite', path: file });
    await store.saveJob({ id: 'killed', state: 'running', admin: 'ops', action: { action: 'reauth', type: 'default' }, selector: { nasIp: '127.0.0.31' }, pacing: {}, total: 3, completed: 0, counts: {}, createdAt: Date.now(), finishedAt: null, durationMs: null });
    await store.close();
    server = await startTestServer(config);
    try {
      assert.equal((await server.jobs.get('killed')).state, 'interrupted');
      assert.equal((await server.jobs.list({ state: 'running' })).jobs.length, 0);
    } finally {
      await server.stop();
    }
  });

  test('the retention prune removes ended jobs with their results and reports how many; a running job stays', async () => {
    const server = await startTestServer((c) => {
      withNas(nas, 31)(c);
      // Everything that has ended is past retention.
      c.retention.days = 0;
    });
    try {
      await server.store.write({ accounting: [...sessions('127.0.0.31', 31, 40), ...sessions('127.0.0.32', 32, 1)] });
      nas[0]!.behaviour = { kind: 'ack' };
      nas[1]!.behaviour = { kind: 'silent' };
      const done = await server.jobs.start({ selector: { nasIp: '127.0.0.31' }, action: { action: 'disconnect', type: 'bounce' } }, 'ops');
      await server.jobs.wait(done.id);
      const received = nas[1]!.received.length;
      const running = await server.jobs.start({ selector: { nasIp: '127.0.0.32' }, action: { action: 'reauth', type: 'default' } }, 'ops');
      while (nas[1]!.received.length === received) await new Promise((r) => setTimeout(r, 10));
      // The cut-off is "now": let the clock pass the end of the first job.
      await new Promise((r) => setTimeout(r, 5));
      const pruned = await server.housekeeping.prune();
      assert.equal(pruned.coaJobs, 1);
      assert.equal(pruned.coaJobResults, 40);
      await assert.rejects(server.jobs.get(done.id), { code: 'NOT_FOUND' });
      await assert.rejects(server.jobs.results(done.id), { code: 'NOT_FOUND' });
      assert.equal((await server.jobs.get(running.id)).state, 'running');
    } finally {
      await server.stop();
    }
  });
});
