/** The SQLite store against a real database file: lifecycle rules, queries, atomicity, restart. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { startStore, type AccountingWrite, type AuthWrite, type SessionChange, type Store } from '../../src/store/index.js';

let dir: string;
let store: Store;
const path = () => join(dir, 'store.db');

const THREADED = process.env.OPENMNT_TEST_STORE_THREAD === '1';
const open = (file: string, synchronous: 'normal' | 'full' = 'normal') => startStore({ driver: 'sqlite', path: file, synchronous, thread: THREADED });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openmnt-store-'));
  store = await open(path());
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let clock = 1_700_000_000_000;

function acct(kind: 'start' | 'interim' | 'stop', sid: string, mac: string, fields: Record<string, unknown> = {}, nasIp = '10.0.0.1'): AccountingWrite {
  const at = (clock += 1000);
  const change: SessionChange = { kind, identity: { nasIp, acctSessionId: sid, callingStationId: mac }, at, startedAt: at - 5000, fields: { acctAt: at, ...fields } };
  return {
    record: {
      receivedAt: at, nasIp, nasName: 'sw', statusType: kind, acctSessionId: sid, callingStationId: mac, userName: null,
      auditSessionId: (fields.auditSessionId as string) ?? null, framedIp: null, sessionTime: null, inputOctets: null,
      outputOctets: null, inputPackets: null, outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null,
      server: 'node', attributes: '',
    },
    change,
  };
}

function auth(mac: string, passed: boolean, fields: Record<string, unknown> = {}, nasIp = '10.0.0.1', acctSessionId = ''): AuthWrite {
  const at = (clock += 1000);
  return {
    record: {
      receivedAt: at, passed, failureReasonCode: passed ? null : 22056, failureReason: null, userName: 'u', nasIp, nasPort: null,
      nasPortId: null, nasPortType: null, nasIdentifier: null, callingStationId: mac, calledStationId: null,
      auditSessionId: (fields.auditSessionId as string) ?? null, acctSessionId: null, framedIp: null, identityGroup: null,
      networkDeviceName: null, authenticationMethod: 'mab', authenticationProtocol: 'Lookup', identityStore: null,
      selectedAuthzProfile: null, authzPolicy: null, serviceType: null, messageCode: passed ? 5200 : 5400, response: null,
      executionSteps: null, otherAttributes: null, responseTimeMs: 1, server: 'node',
    },
    session: passed ? { identity: { nasIp, acctSessionId, callingStationId: mac }, at, fields } : null,
  };
}

describe('sessions', () => {
  test('Start / Interim / Stop: one session, updated, then moved to history; the count follows', async () => {
    await store.write({ accounting: [acct('start', 's1', 'AA:00:00:00:00:01', { userName: 'alice', framedIp: '10.1.0.1' })] });
    assert.equal(await store.countActive(), 1);
    await store.write({ accounting: [acct('interim', 's1', 'AA:00:00:00:00:01', { inputOctets: 100, userName: null })] });
    const s = await store.findLatestSession({ mac: 'AA:00:00:00:00:01' });
    assert.equal(s?.inputOctets, 100);
    assert.equal(s?.userName, 'alice', 'a null field keeps the stored value');
    assert.equal(s?.framedIp, '10.1.0.1');
    const result = await store.write({ accounting: [acct('stop', 's1', 'AA:00:00:00:00:01', { terminateCause: 'User-Request' })] });
    assert.equal(result.sessionsClosed, 1);
    assert.equal(await store.countActive(), 0);
    const closed = await store.findLatestSession({ mac: 'AA:00:00:00:00:01', scope: 'closed' });
    assert.equal(closed?.id, s?.id, 'the session keeps its id in history');
    assert.equal(closed?.state, 'closed');
    assert.equal(closed?.closeReason, 'stop');
    assert.equal(closed?.terminateCause, 'User-Request');
  });

  test('a Stop closes with its final values in one step; unchanged values and the auth fields stay', async () => {
    await store.write({ accounting: [acct('start', 'f1', 'AA:00:00:00:00:21', { userName: 'carol', framedIp: '10.1.0.21', nasPort: 7, inputOctets: 1 })] });
    const started = await store.findLatestSession({ mac: 'AA:00:00:00:00:21' });
    const stop = acct('stop', 'f1', 'AA:00:00:00:00:21', { userName: 'carol', framedIp: '10.1.0.22', inputOctets: 500, outputOctets: 900, terminateCause: 'Lost-Carrier' });
    const result = await store.write({ accounting: [stop] });
    assert.equal(result.sessionsClosed, 1);
    const closed = await store.findLatestSession({ mac: 'AA:00:00:00:00:21', scope: 'closed' });
    assert.equal(closed?.id, started?.id);
    assert.equal(closed?.state, 'closed');
    assert.equal(closed?.closedAt, (stop.change as { at: number }).at);
    assert.equal(closed?.updatedAt, (stop.change as { at: number }).at);
    assert.equal(closed?.acctId, result.accountingIds[0], 'points at the Stop record');
    assert.equal(closed?.startedAt, started?.startedAt, 'a Stop does not move the start');
    assert.deepEqual([closed?.inputOctets, closed?.outputOctets, closed?.terminateCause], [500, 900, 'Lost-Carrier']);
    assert.deepEqual([closed?.userName, closed?.framedIp, closed?.nasPort], ['carol', '10.1.0.22', 7]);
    assert.equal((await store.findLatestSession({ framedIp: '10.1.0.22', scope: 'closed' }))?.id, started?.id, 'the new address is indexed');

    // A Stop as the first accounting of an authenticated session closes that very session.
    await store.write({ auth: [auth('AA:00:00:00:00:22', true, { auditSessionId: 'AUD22', vlan: '30' })] });
    const authenticated = await store.findLatestSession({ mac: 'AA:00:00:00:00:22' });
    const first = acct('stop', 'acct-22', 'AA:00:00:00:00:22', { auditSessionId: 'AUD22', inputOctets: 5 });
    await store.write({ accounting: [first] });
    assert.equal(await store.countActive(), 0);
    const adopted = await store.findLatestSession({ mac: 'AA:00:00:00:00:22', scope: 'closed' });
    assert.equal(adopted?.id, authenticated?.id);
    assert.equal(adopted?.acctSessionId, 'acct-22');
    assert.equal(adopted?.vlan, '30');
    assert.equal(adopted?.startedAt, (first.change as { startedAt: number }).startedAt);
    assert.equal(adopted?.inputOctets, 5);
  });

  test('Interim without Start opens the session back-dated; Stop without Start lands in history', async () => {
    const w = acct('interim', 's2', 'AA:00:00:00:00:02');
    await store.write({ accounting: [w] });
    const s = await store.findLatestSession({ mac: 'AA:00:00:00:00:02' });
    assert.equal(s?.state, 'started');
    assert.equal(s?.startedAt, (w.change as { startedAt: number }).startedAt);
    await store.write({ accounting: [acct('stop', 'never-started', 'AA:00:00:00:00:03')] });
    assert.equal(await store.findLatestSession({ mac: 'AA:00:00:00:00:03' }), null);
    assert.equal((await store.findLatestSession({ mac: 'AA:00:00:00:00:03', scope: 'closed' }))?.closeReason, 'stop');
    assert.equal(await store.countActive(), 1);
  });

  test('a new Start after Stop of the same identity opens a new session', async () => {
    await store.write({ accounting: [acct('start', 's', 'AA:00:00:00:00:04'), acct('stop', 's', 'AA:00:00:00:00:04'), acct('start', 's', 'AA:00:00:00:00:04')] });
    assert.equal(await store.countActive(), 1);
    const all = [];
    for await (const s of store.iterateSessions({ scope: 'all', mac: 'AA:00:00:00:00:04' })) all.push(s);
    assert.equal(all.length, 2);
    assert.notEqual(all[0]!.id, all[1]!.id);
  });

  test('NAS reset closes only that NAS', async () => {
    await store.write({
      accounting: [acct('start', 'a', 'AA:00:00:00:00:05', {}, '10.0.0.5'), acct('start', 'b', 'AA:00:00:00:00:06', {}, '10.0.0.5'), acct('start', 'c', 'AA:00:00:00:00:07', {}, '10.0.0.6')],
    });
    const reset: AccountingWrite = { ...acct('start', 'x', 'x', {}, '10.0.0.5'), change: { kind: 'nas-reset', nasIp: '10.0.0.5', at: clock } };
    const r = await store.write({ accounting: [reset] });
    assert.equal(r.sessionsClosed, 2);
    assert.equal(await store.countActive(), 1);
    assert.equal((await store.findLatestSession({ mac: 'AA:00:00:00:00:05', scope: 'closed' }))?.closeReason, 'nas-reset');
  });

  test('accounting adopts the authenticated session: by audit-session-id, and by NAS + MAC', async () => {
    await store.write({ auth: [auth('AA:00:00:00:00:08', true, { auditSessionId: 'AUD8', vlan: '10' }), auth('AA:00:00:00:00:09', true, { vlan: '20' })] });
    assert.equal((await store.findLatestSession({ mac: 'AA:00:00:00:00:08' }))?.state, 'authenticated');
    await store.write({ accounting: [acct('start', 'acct-8', 'AA:00:00:00:00:08', { auditSessionId: 'AUD8' }), acct('start', 'acct-9', 'AA:00:00:00:00:09')] });
    assert.equal(await store.countActive(), 2, 'no duplicate sessions');
    const s8 = await store.findLatestSession({ mac: 'AA:00:00:00:00:08' });
    assert.equal(s8?.state, 'started');
    assert.equal(s8?.acctSessionId, 'acct-8');
    assert.equal(s8?.vlan, '10');
    assert.equal((await store.findLatestSession({ mac: 'AA:00:00:00:00:09' }))?.acctSessionId, 'acct-9');
    // A re-authentication refreshes the started session instead of opening another.
    await store.write({ auth: [auth('AA:00:00:00:00:08', true, { auditSessionId: 'AUD8', vlan: '11' })] });
    assert.equal(await store.countActive(), 2);
    const again = await store.findLatestSession({ mac: 'AA:00:00:00:00:08' });
    assert.equal(again?.vlan, '11');
    assert.equal(again?.state, 'started');
    // A rejected request writes only its record.
    const r = await store.write({ auth: [auth('AA:00:00:00:00:0A', false)] });
    assert.equal(r.sessionsOpened, 0);
    assert.equal((await store.authRecordsByMac({ mac: 'AA:00:00:00:00:0A', since: 0, limit: 5 }))[0]?.passed, false);
  });

  test('a batch is atomic: one failing write leaves nothing of the batch', async () => {
    const good = acct('start', 'atomic', 'AA:00:00:00:00:0B');
    const bad = acct('start', 'atomic-2', 'AA:00:00:00:00:0C');
    (bad.record as { nasIp: unknown }).nasIp = null; // NOT NULL violation
    await assert.rejects(store.write({ accounting: [good, bad] }), { code: 'STORE_FAILED' });
    assert.equal(await store.countActive(), 0);
    assert.equal((await store.accountingRecordsByMac({ mac: 'AA:00:00:00:00:0B', since: 0, limit: 5 })).length, 0);
  });

  test('batches written at once commit on their own: a failing one fails alone, in order', async () => {
    // On the store thread, batches that queue up share one transaction; a bad write must still
    // fail only its own batch, and the others must be committed exactly once.
    const bad = acct('start', 'merge-bad', 'AA:00:00:00:00:31');
    (bad.record as { nasIp: unknown }).nasIp = null; // NOT NULL violation
    const outcomes = await Promise.allSettled([
      store.write({ accounting: [acct('start', 'merge-1', 'AA:00:00:00:00:32')] }),
      store.write({ accounting: [acct('start', 'merge-2', 'AA:00:00:00:00:33'), bad] }),
      store.write({ accounting: [acct('interim', 'merge-1', 'AA:00:00:00:00:32', { inputOctets: 7 })] }),
      store.write({ accounting: [acct('stop', 'merge-1', 'AA:00:00:00:00:32')] }),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal((outcomes[1] as PromiseRejectedResult).reason.code, 'STORE_FAILED');
    assert.equal(await store.countActive(), 0, 'merge-2 was rolled back with its batch; merge-1 closed');
    assert.equal((await store.findLatestSession({ mac: 'AA:00:00:00:00:32', scope: 'closed' }))?.inputOctets, 7);
    assert.equal((await store.accountingRecordsByMac({ mac: 'AA:00:00:00:00:32', since: 0, limit: 10 })).length, 3);
    assert.equal((await store.stats()).accountingRecords, 3);
  });

  test('data and the active count survive close and reopen', async () => {
    await store.write({ accounting: [acct('start', 'p1', 'AA:00:00:00:00:0D'), acct('start', 'p2', 'AA:00:00:00:00:0E')] });
    await store.close();
    store = await open(path(), 'full');
    assert.equal(await store.countActive(), 2);
    assert.ok(await store.findLatestSession({ mac: 'AA:00:00:00:00:0E' }));
    await assert.rejects(
      (async () => {
        const s = await open(join(dir, 'x.db'));
        await s.close();
        await s.countActive();
      })(),
      { code: 'STORE_CLOSED' },
    );
  });
});

describe('queries and maintenance', () => {
  test('iterateSessions pages past chunk boundaries with filters and limits', async () => {
    const batch: AccountingWrite[] = [];
    for (let i = 0; i < 2500; i++) batch.push(acct('start', `it-${i}`, `BB:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, { userName: i % 2 ? 'odd' : 'even' }, i < 2000 ? '10.9.0.1' : '10.9.0.2'));
    await store.write({ accounting: batch });
    let n = 0;
    let last = 0;
    for await (const s of store.iterateSessions({})) {
      assert.ok(s.id > last, 'id order');
      last = s.id;
      n++;
    }
    assert.equal(n, 2500);
    let odd = 0;
    for await (const s of store.iterateSessions({ userName: 'odd', nasIp: '10.9.0.1' })) odd += s.userName === 'odd' ? 1 : 0;
    assert.equal(odd, 1000);
    let limited = 0;
    for await (const _ of store.iterateSessions({ limit: 1234 })) limited++;
    assert.equal(limited, 1234);
  });

  test('findLatestSession picks the newest; records come newest first within the window', async () => {
    await store.write({ accounting: [acct('start', 'old', 'CC:00:00:00:00:01', {}, '10.0.0.1'), acct('start', 'new', 'CC:00:00:00:00:01', {}, '10.0.0.2')] });
    assert.equal((await store.findLatestSession({ mac: 'CC:00:00:00:00:01' }))?.acctSessionId, 'new');
    assert.equal((await store.findLatestSession({ framedIp: '1.2.3.4' })), null);
    const records = await store.accountingRecordsByMac({ mac: 'CC:00:00:00:00:01', since: 0, limit: 10 });
    assert.deepEqual(records.map((r) => r.acctSessionId), ['new', 'old']);
    assert.equal((await store.accountingRecordsByMac({ mac: 'CC:00:00:00:00:01', since: clock, limit: 10 })).length, 1);
    assert.equal((await store.accountingRecordsByMac({ mac: 'CC:00:00:00:00:01', since: 0, limit: 1 })).length, 1);
  });

  test('latestSessionsByMacs answers as findLatestSession per MAC, over many MACs, with filters', async () => {
    const mac = (i: number) => `EE:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    const batch: AccountingWrite[] = [];
    // 1,200 endpoints (past two chunk boundaries); every third has a newer session on a second NAS.
    for (let i = 0; i < 1200; i++) batch.push(acct('start', `l-${i}`, mac(i), { userName: i % 2 ? 'odd' : 'even' }, '10.8.0.1'));
    for (let i = 0; i < 1200; i += 3) batch.push(acct('start', `l2-${i}`, mac(i), { userName: i % 2 ? 'odd' : 'even' }, '10.8.0.2'));
    // One endpoint only in history.
    batch.push(acct('start', 'gone', 'EE:FF:00:00:00:01'), acct('stop', 'gone', 'EE:FF:00:00:00:01'));
    await store.write({ accounting: batch });

    const asked = [...Array.from({ length: 1200 }, (_, i) => mac(i)), mac(5), 'EE:FF:FF:FF:FF:FF', 'EE:FF:00:00:00:01'];
    const found = await store.latestSessionsByMacs(asked, {});
    assert.deepEqual(found.map((s) => s.mac), asked.slice(0, 1200), 'each MAC once, in list order; unknown and closed-only MACs left out');
    const byMac = new Map(found.map((s) => [s.mac, s]));
    for (const i of [0, 1, 2, 3, 499, 500, 999, 1000, 1199]) {
      const latest = await store.findLatestSession({ mac: mac(i) });
      assert.deepEqual(byMac.get(mac(i)), { mac: mac(i), nasIp: latest?.nasIp, sessionId: latest?.id }, `MAC ${i}`);
      assert.equal(latest?.nasIp, i % 3 === 0 ? '10.8.0.2' : '10.8.0.1');
    }

    const odd = await store.latestSessionsByMacs(asked, { userName: 'odd', nasIp: '10.8.0.1' });
    assert.deepEqual(odd.map((s) => s.mac), Array.from({ length: 600 }, (_, k) => mac(2 * k + 1)), 'the odd user on the first NAS');
    assert.ok(odd.every((s) => s.nasIp === '10.8.0.1'));
    const history = await store.latestSessionsByMacs(['EE:FF:00:00:00:01', mac(7)], { scope: 'all' });
    assert.deepEqual(history.map((s) => s.mac), ['EE:FF:00:00:00:01', 'EE:00:00:00:00:07']);
    assert.deepEqual(await store.latestSessionsByMacs([], {}), []);
  });

  test('closeSessions by MAC, audit-session-id, ids and all', async () => {
    await store.write({
      accounting: [
        acct('start', 'c1', 'DD:00:00:00:00:01'),
        acct('start', 'c2', 'DD:00:00:00:00:02', { auditSessionId: 'AUD-2' }),
        acct('start', 'c3', 'DD:00:00:00:00:03'),
        acct('start', 'c4', 'DD:00:00:00:00:04'),
      ],
    });
    assert.equal(await store.closeSessions({ mac: 'DD:00:00:00:00:01' }, 'admin', clock), 1);
    assert.equal(await store.closeSessions({ auditSessionId: 'AUD-2' }, 'admin', clock), 1);
    const s3 = await store.findLatestSession({ mac: 'DD:00:00:00:00:03' });
    assert.equal(await store.closeSessions({ ids: [s3!.id] }, 'stale', clock), 1);
    assert.equal(await store.countActive(), 1);
    assert.equal(await store.closeSessions({ all: true }, 'admin', clock), 1);
    assert.equal(await store.countActive(), 0);
    assert.equal((await store.findLatestSession({ mac: 'DD:00:00:00:00:03', scope: 'closed' }))?.closeReason, 'stale');
    assert.equal((await store.stats()).closedSessions, 4);
  });

  test('staleCandidates lists the oldest first; prune removes only what is older than the cut-off', async () => {
    await store.write({ accounting: [acct('start', 'st1', 'EE:00:00:00:00:01')] });
    const cut = clock + 1;
    await store.write({ accounting: [acct('start', 'st2', 'EE:00:00:00:00:02'), acct('stop', 'st2', 'EE:00:00:00:00:02')] });
    const stale = await store.staleCandidates(cut, 10);
    assert.deepEqual(stale.map((s) => s.acctSessionId), ['st1']);
    await store.closeSessions({ ids: [stale[0]!.id] }, 'stale', cut - 10);
    const pruned = await store.prune(cut);
    assert.deepEqual(pruned, { accountingRecords: 1, authRecords: 0, closedSessions: 1, coaAudit: 0 });
    const stats = await store.stats();
    assert.equal(stats.accountingRecords, 2);
    assert.equal(stats.closedSessions, 1);
  });
});
