/** The session-event log: events from committed writes only, in order, durable, bounded, handed over after COMMIT. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startStore, type AccountingWrite, type AuthWrite, type SessionEvent, type Store } from '../../src/store/index.js';

let dir: string;
const path = () => join(dir, 'store.db');
let clock = 1_700_000_000_000;

function acct(kind: 'start' | 'interim' | 'stop', sid: string, mac: string, fields: Record<string, unknown> = {}, nasIp = '10.0.0.1'): AccountingWrite {
  const at = (clock += 1000);
  return {
    record: {
      receivedAt: at, nasIp, nasName: 'sw', statusType: kind, acctSessionId: sid, callingStationId: mac, userName: null,
      auditSessionId: null, framedIp: null, sessionTime: null, inputOctets: null, outputOctets: null, inputPackets: null,
      outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null, server: 'node', attributes: '',
    },
    change: { kind, identity: { nasIp, acctSessionId: sid, callingStationId: mac }, at, startedAt: at - 5000, fields: { acctAt: at, ...fields } },
  };
}

function nasReset(nasIp: string): AccountingWrite {
  const w = acct('start', '', '', {}, nasIp);
  return { record: { ...w.record, statusType: 'Accounting-On' }, change: { kind: 'nas-reset', nasIp, at: clock } };
}

function accept(mac: string, nasIp = '10.0.0.1'): AuthWrite {
  const at = (clock += 1000);
  return {
    record: {
      receivedAt: at, passed: true, failureReasonCode: null, failureReason: null, userName: 'u', nasIp, nasPort: null,
      nasPortId: null, nasPortType: null, nasIdentifier: null, callingStationId: mac, calledStationId: null,
      auditSessionId: null, acctSessionId: null, framedIp: null, identityGroup: 'Employees', networkDeviceName: null,
      authenticationMethod: 'mab', authenticationProtocol: 'Lookup', identityStore: null, selectedAuthzProfile: null,
      authzPolicy: null, serviceType: null, messageCode: 5200, response: null, executionSteps: null, otherAttributes: null,
      responseTimeMs: 1, server: 'node',
    },
    session: { identity: { nasIp, acctSessionId: '', callingStationId: mac }, at, fields: { identityGroup: 'Employees' } },
  };
}

for (const thread of [false, true]) {
  describe(`session events (${thread ? 'store threads' : 'in-process store'})`, () => {
    let store: Store;
    let seen: SessionEvent[];
    const open = async (eventLogSize?: number) => {
      const s = await startStore({ driver: 'sqlite', path: path(), synchronous: 'normal', thread, eventLogSize });
      s.onEvents((events) => seen.push(...events));
      return s;
    };
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'openmnt-events-'));
      seen = [];
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('authenticated, started, updated, closed: each change once, in order, handed over by the time the write resolves', async () => {
      await store.write({ auth: [accept('AA:00:00:00:00:01')] });
      await store.write({ accounting: [acct('start', 's1', 'AA:00:00:00:00:01', { framedIp: '10.9.0.1' })] });
      await store.write({ accounting: [acct('interim', 's1', 'AA:00:00:00:00:01', { inputOctets: 10 })] });
      await store.write({ accounting: [acct('stop', 's1', 'AA:00:00:00:00:01', { terminateCause: 'User-Request' })] });
      assert.deepEqual(seen.map((e) => e.type), ['authenticated', 'started', 'updated', 'closed']);
      const ids = seen.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids increase');
      assert.equal(new Set(seen.map((e) => e.session.id)).size, 1, 'one session throughout');
      assert.equal(seen[1]!.session.framedIp, '10.9.0.1');
      assert.equal(seen[2]!.session.inputOctets, 10);
      assert.equal(seen[3]!.session.closeReason, 'stop');
      assert.equal(seen[3]!.session.terminateCause, 'User-Request');
      assert.equal(seen[0]!.session.identityGroup, 'Employees');
      const plain = (events: SessionEvent[]) => events.map((e) => ({ id: e.id, type: e.type, at: e.at, session: e.session }));
      assert.deepEqual(plain(await store.readEvents(0, 100)), plain(seen), 'the log holds exactly what was handed over');
    });

    test('several updates of one session in one transaction are one event; a session opened and closed in one is started then closed', async () => {
      await store.write({ accounting: [acct('start', 'a', 'AA:00:00:00:00:02')] });
      seen = [];
      await store.write({ accounting: [acct('interim', 'a', 'AA:00:00:00:00:02', { inputOctets: 1 }), acct('interim', 'a', 'AA:00:00:00:00:02', { inputOctets: 2 })] });
      assert.deepEqual(seen.map((e) => [e.type, e.session.inputOctets]), [['updated', 2]]);
      seen = [];
      await store.write({ accounting: [acct('start', 'b', 'AA:00:00:00:00:03'), acct('stop', 'b', 'AA:00:00:00:00:03')] });
      assert.deepEqual(seen.map((e) => e.type), ['started', 'closed']);
    });

    test('Accounting-On, an admin delete and the stale sweep each close with their reason', async () => {
      await store.write({ accounting: [acct('start', 'x', 'AA:00:00:00:00:04', {}, '10.0.0.7'), acct('start', 'y', 'AA:00:00:00:00:05', {}, '10.0.0.7')] });
      await store.write({ accounting: [acct('start', 'z', 'AA:00:00:00:00:06'), acct('start', 'w', 'AA:00:00:00:00:07')] });
      seen = [];
      await store.write({ accounting: [nasReset('10.0.0.7')] });
      assert.deepEqual(seen.map((e) => [e.type, e.session.callingStationId, e.session.closeReason]), [
        ['closed', 'AA:00:00:00:00:04', 'nas-reset'],
        ['closed', 'AA:00:00:00:00:05', 'nas-reset'],
      ]);
      seen = [];
      await store.closeSessions({ mac: 'AA:00:00:00:00:06' }, 'admin', clock);
      const stale = await store.findLatestSession({ mac: 'AA:00:00:00:00:07' });
      await store.closeSessions({ ids: [stale!.id] }, 'stale', clock);
      assert.deepEqual(seen.map((e) => [e.session.callingStationId, e.session.closeReason]), [
        ['AA:00:00:00:00:06', 'admin'],
        ['AA:00:00:00:00:07', 'stale'],
      ]);
    });

    test('the log survives a restart and ids go on increasing from where they were', async () => {
      await store.write({ accounting: [acct('start', 'r', 'AA:00:00:00:00:08')] });
      const before = await store.readEvents(0, 10);
      await store.close();
      seen = [];
      store = await open();
      assert.deepEqual(await store.readEvents(0, 10), before);
      assert.equal(before[0]!.session.userName, undefined, 'empty fields are left out of the log');
      await store.write({ accounting: [acct('interim', 'r', 'AA:00:00:00:00:08', { inputOctets: 5 })] });
      assert.ok(seen[0]!.id > before[before.length - 1]!.id);
    });

    test('a write that fails leaves no event, in the log or handed over', async () => {
      await store.write({ accounting: [acct('start', 'f', 'AA:00:00:00:00:09')] });
      seen = [];
      const bad = acct('interim', 'f', 'AA:00:00:00:00:09');
      // A NOT NULL column left null makes the record insert fail inside the transaction.
      (bad.record as { nasIp: unknown }).nasIp = null;
      await assert.rejects(store.write({ accounting: [acct('interim', 'f', 'AA:00:00:00:00:09', { inputOctets: 3 }), bad] }));
      assert.deepEqual(seen, []);
      assert.equal((await store.readEvents(0, 100)).length, 1);
    });

    test('the log is bounded: the oldest events go, the bounds say which remain', async () => {
      await store.close();
      store = await open(100);
      for (let i = 0; i < 12; i++) {
        await store.write({ accounting: Array.from({ length: 100 }, (_, k) => acct('start', `b${i}-${k}`, 'AA:00:00:00:00:10')) });
      }
      const bounds = await store.eventBounds();
      assert.equal(bounds.last, 1200);
      assert.ok(bounds.first > 1 && bounds.first <= 1200 - 99, `oldest kept ${bounds.first}`);
      const all = await store.readEvents(0, 10_000);
      assert.equal(all[0]!.id, bounds.first);
      assert.equal(all[all.length - 1]!.id, 1200);
    });
  });
}

test('the event log is a table of the schema, with the session as JSON', async () => {
  dir = mkdtempSync(join(tmpdir(), 'openmnt-events-'));
  try {
    const store = await startStore({ driver: 'sqlite', path: path(), synchronous: 'normal' });
    await store.write({ accounting: [acct('start', 'j', 'AA:00:00:00:00:11')] });
    await store.close();
    const db = new Database(path(), { readonly: true });
    const row = db.prepare('SELECT type, session FROM session_events').get() as { type: string; session: string };
    db.close();
    assert.equal(row.type, 'started');
    assert.equal((JSON.parse(row.session) as { callingStationId: string }).callingStationId, 'AA:00:00:00:00:11');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
