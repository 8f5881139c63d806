/**
 * Leases of bulk CoA jobs in PostgreSQL (store/postgres/leases.ts), two owners on one database:
 * a job is taken over only once its lease ran out, resumed with the targets that have no result,
 * the old owner's writes refused from then on; a job left too long is interrupted, not resumed;
 * a job saved without an owner (before leases existed) is interrupted at start. Expiry is made by
 * moving `lease_until` back, not by waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore, type NewCoaJob, type NewCoaJobResult, type PostgresStore } from '../../src/store/index.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';

const skip = await needPostgres();

const job = (id: string, total: number): NewCoaJob => ({
  id, state: 'running', admin: 'ops', action: { action: 'reauth' }, selector: { nasIp: '10.0.0.1' }, pacing: {}, total, completed: 0,
  counts: { ack: 0 }, createdAt: Date.now(), finishedAt: null, durationMs: null,
});
const ack = (mac: string): NewCoaJobResult => ({ mac, nasIp: '10.0.0.1', outcome: 'ack', errorCause: null, errorCauseText: null, attempts: 1, rttMs: 3, detail: null, verified: null });
const targets = ['AA:00:00:00:00:01', 'AA:00:00:00:00:02', 'AA:00:00:00:00:03'].map((mac) => ({ mac, nasIp: '10.0.0.1' }));

describe('bulk CoA job leases in PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let store: PostgresStore;

  before(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore({ url: db.url, poolSize: 2 });
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  const leases = () => store.cluster.jobLeases;
  /** The lease of `id` as if it had run out `agoMs` ago. */
  const expire = (id: string, agoMs: number) =>
    store.sql.unsafe('UPDATE coa_jobs SET lease_until = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1 WHERE id = $2', [agoMs, id] as never[]);

  test('taken over once the lease ran out, with the targets that have no result; the old owner is fenced off', async () => {
    await leases().create(job('j1', 3), targets, 5000, 'A', 60_000);
    assert.equal(await leases().append('A', 'j1', [ack(targets[0]!.mac)], { completed: 1, counts: { ack: 1 } }), true);
    assert.equal((await leases().claimExpired('B', 60_000, 600_000)).claimed, null, 'a live lease is not taken');
    await expire('j1', 10);
    const { claimed } = await leases().claimExpired('B', 60_000, 600_000);
    assert.equal(claimed?.record.id, 'j1');
    assert.equal(claimed?.previousOwner, 'A');
    assert.equal(claimed?.verifyTimeoutMs, 5000);
    assert.equal(claimed?.record.completed, 1);
    assert.equal((await leases().claimExpired('C', 60_000, 600_000)).claimed, null, 'taken once');
    assert.deepEqual((await leases().pending('j1')).map((t) => t.mac), [targets[1]!.mac, targets[2]!.mac]);

    assert.equal(await leases().append('A', 'j1', [ack(targets[1]!.mac)], { completed: 2, counts: { ack: 2 } }), false, 'the old owner writes nothing more');
    assert.equal((await store.jobResults({ jobId: 'j1', limit: 10 })).length, 1);
    assert.deepEqual(await leases().renew('A', ['j1'], 60_000), { held: [], cancelRequested: [] });
    assert.equal(await leases().requestCancel('j1'), true);
    assert.deepEqual(await leases().renew('B', ['j1'], 60_000), { held: ['j1'], cancelRequested: ['j1'] });

    assert.equal(await leases().append('B', 'j1', [ack(targets[1]!.mac), ack(targets[2]!.mac)], { completed: 3, counts: { ack: 3 }, state: 'done', finishedAt: Date.now(), durationMs: 9 }), true);
    const [row] = await store.sql.unsafe("SELECT state, owner, lease_until FROM coa_jobs WHERE id = 'j1'");
    assert.deepEqual({ ...row }, { state: 'done', owner: 'B', lease_until: null });
    assert.equal((await store.sql.unsafe('SELECT COUNT(*)::int AS n FROM coa_job_targets'))[0]!.n, 0, 'an ended job keeps no targets');
    assert.equal(await leases().requestCancel('j1'), false, 'an ended job cannot be cancelled');
  });

  test('released by a node that stops: taken over at once', async () => {
    await leases().create(job('j2', 3), targets, null, 'A', 60_000);
    assert.equal(await leases().append('A', 'j2', [ack(targets[0]!.mac)], { completed: 1, counts: { ack: 1 } }, true), true);
    const { claimed } = await leases().claimExpired('B', 60_000, 600_000);
    assert.equal(claimed?.record.id, 'j2');
    assert.equal(claimed?.verifyTimeoutMs, null);
    await leases().append('B', 'j2', [], { state: 'cancelled', finishedAt: Date.now() });
  });

  test('a job no node held for longer than the resume window is interrupted, not resumed', async () => {
    await leases().create(job('j3', 3), targets, null, 'A', 60_000);
    await expire('j3', 20 * 60_000);
    const { claimed, interrupted } = await leases().claimExpired('B', 60_000, 600_000);
    assert.equal(claimed, null);
    assert.equal(interrupted, 1);
    assert.equal((await store.getJob('j3'))?.state, 'interrupted');
    assert.equal((await store.sql.unsafe('SELECT COUNT(*)::int AS n FROM coa_job_targets'))[0]!.n, 0);
  });

  test('a running job without owner (saved before leases) is interrupted at start; owned ones are left alone', async () => {
    await store.saveJob(job('j4', 1));
    await leases().create(job('j5', 3), targets, null, 'A', 60_000);
    assert.equal(await leases().interruptUnowned(Date.now()), 1);
    assert.equal((await store.getJob('j4'))?.state, 'interrupted');
    assert.equal((await store.getJob('j5'))?.state, 'running');
  });
});
