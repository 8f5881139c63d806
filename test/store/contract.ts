/**
 * The Store contract: what every engine must do, run against each (SQLite in test/store/sqlite.test.ts,
 * PostgreSQL in test/store/postgres.test.ts). Lifecycle rules, queries, atomicity, restart, jobs.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AccountingWrite, AuthWrite, NewCoaJob, NewCoaJobResult, SessionChange, SessionSummary, Store } from '../../src/store/index.js';

/** The active sessions as iterateSessions reads them whole, as summaries in id order: what listSessionPages must list. */
export async function wholeSummaries(of: Store): Promise<SessionSummary[]> {
  const whole: SessionSummary[] = [];
  for await (const w of of.iterateSessions({})) {
    const { id, userName, callingStationId, nasIp, acctSessionId, auditSessionId, server, framedIp, framedIpv6 } = w;
    whole.push({ id, userName: userName ?? null, callingStationId, nasIp, acctSessionId, auditSessionId: auditSessionId ?? null, server, framedIp: framedIp ?? null, framedIpv6: framedIpv6 ?? null });
  }
  return whole.sort((a, b) => a.id - b.id);
}

/** How the contract opens the engine under test. */
export interface ContractEngine {
  /** Opens a store over a new, empty database (before each test). */
  fresh(): Promise<Store>;
  /** Opens the database of the last `fresh` again (after the test closed it). */
  reopen(): Promise<Store>;
  /** Opens a store over another new database (the test closes it itself). */
  other(): Promise<Store>;
  /** Removes what `fresh` and `other` made (after each test, the store closed). */
  cleanup(): Promise<void>;
}

export let store: Store;
let engine: ContractEngine;

export let clock = 1_700_000_000_000;

export function acct(kind: 'start' | 'interim' | 'stop', sid: string, mac: string, fields: Record<string, unknown> = {}, nasIp = '10.0.0.1'): AccountingWrite {
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

export function auth(mac: string, passed: boolean, fields: Record<string, unknown> = {}, nasIp = '10.0.0.1', acctSessionId = ''): AuthWrite {
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

export function job(id: string, fields: Partial<NewCoaJob> = {}): NewCoaJob {
  return {
    id,
    state: 'running',
    admin: 'ops',
    action: { action: 'reauth', type: 'default' },
    selector: { nasIp: '10.0.0.1' },
    pacing: { perNasInFlight: 5, perNasPerSecond: 0, globalInFlight: 100, globalPerSecond: 0 },
    total: 0,
    completed: 0,
    counts: { ack: 0, nak: 0 },
    createdAt: (clock += 1000),
    finishedAt: null,
    durationMs: null,
    ...fields,
  };
}

export function result(i: number, outcome = 'ack'): NewCoaJobResult {
  const hex = i.toString(16).padStart(4, '0');
  return {
    mac: `AC:00:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`,
    nasIp: '10.0.0.1',
    outcome,
    errorCause: outcome === 'nak' ? 503 : null,
    errorCauseText: outcome === 'nak' ? 'Session Context Not Found' : null,
    attempts: 1,
    rttMs: 1.5,
    detail: null,
    verified: i === 0 ? true : null,
  };
}

export function storeContract(name: string, open: ContractEngine): void {
  describe(`Store contract: ${name}`, () => {
    beforeEach(async () => {
      engine = open;
      store = await engine.fresh();
    });
    afterEach(async () => {
      await store.close();
      await engine.cleanup();
    });

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

      test('each change is a session event in the log, in commit order, carrying the session as that change left it (new sessions too)', async () => {
        const before = (await store.eventBounds()).last;
        await store.write({ accounting: [acct('start', 'e1', 'AA:00:00:00:00:41', { userName: 'erin' }), acct('start', 'e2', 'AA:00:00:00:00:42')] });
        await store.write({ accounting: [acct('interim', 'e1', 'AA:00:00:00:00:41', { inputOctets: 10 })] });
        await store.write({ accounting: [acct('stop', 'e1', 'AA:00:00:00:00:41', { terminateCause: 'User-Request' })] });
        const events = await store.readEvents(before, 100);
        assert.deepEqual(
          events.map((e) => `${e.type} ${e.session.callingStationId}`),
          ['started AA:00:00:00:00:41', 'started AA:00:00:00:00:42', 'updated AA:00:00:00:00:41', 'closed AA:00:00:00:00:41'],
        );
        assert.ok(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id), 'ids grow');
        assert.equal(events[0]!.session.userName, 'erin');
        assert.equal(events[2]!.session.inputOctets, 10);
        assert.equal(events[3]!.session.state, 'closed');
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

      test('listSessionPages: each summary as the whole session reads, in id order, page by page, across tables and within the limit', async () => {
        // Text both engines store as given (PostgreSQL's text has no NUL; sqlite.test.ts has that case).
        const odd = ['a"b\\c', 'tab\tnl\n', '\u0001\u001f\u007f', 'é 漢字 😀', '\u2028\u2029', "<&>'", '', '12', 'null'];
        const batch: AccountingWrite[] = [];
        for (let i = 0; i < 1300; i++) {
          const mac = `CE:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();
          const text = odd[i % odd.length]!;
          batch.push(acct('start', `lp-${i}-${text}`, mac, { userName: i % 5 === 0 ? null : text, framedIp: i % 3 === 0 ? null : `10.3.${i >> 8}.${i & 255}`, framedIpv6: i % 7 === 0 ? '2001:db8::1' : null, auditSessionId: i % 4 === 0 ? null : `audit-${text}` }));
        }
        await store.write({ accounting: batch });
        await store.write({ accounting: [acct('stop', `lp-0-${odd[0]}`, 'CE:00:00:00:00:00')] });
        const pages: number[] = [];
        const listed: SessionSummary[] = [];
        for await (const page of store.listSessionPages({}, 500)) {
          pages.push(page.length);
          listed.push(...page);
        }
        assert.deepEqual(pages, [500, 500, 299]);
        assert.deepEqual(listed, await wholeSummaries(store), 'the same fields, values and id order');
        for (const text of odd) assert.ok(listed.some((s) => s.userName === text), `${JSON.stringify(text)} listed unchanged`);
        const all: SessionSummary[] = [];
        for await (const page of store.listSessionPages({ scope: 'all', limit: 1300 }, 700)) all.push(...page);
        assert.equal(all.length, 1300);
        assert.equal(all.at(-1)!.callingStationId, 'CE:00:00:00:00:00', 'the closed session comes from history after the active ones');
        let limited = 0;
        for await (const page of store.listSessionPages({ limit: 800 }, 500)) limited += page.length;
        assert.equal(limited, 800);
      });

      test('lookups by MAC made at once answer as each would alone: the newest session, null when none', async () => {
        // Two sessions of one MAC on two NAS (the later one newest), one MAC with a session only in
        // history, and MACs never seen; each asked twice and all at once.
        await store.write({ accounting: [acct('start', 'a', 'AA:00:00:00:00:31', {}, '10.0.0.1'), acct('start', 'b', 'AA:00:00:00:00:31', {}, '10.0.0.2')] });
        await store.write({ accounting: [acct('start', 'c', 'AA:00:00:00:00:32'), acct('start', 'd', 'AA:00:00:00:00:33'), acct('stop', 'd', 'AA:00:00:00:00:33')] });
        const macs = ['AA:00:00:00:00:31', 'AA:00:00:00:00:32', 'AA:00:00:00:00:33', 'AA:00:00:00:00:34'];
        const alone = [];
        for (const mac of macs) alone.push(await store.findLatestSession({ mac }));
        assert.equal(alone[0]?.nasIp, '10.0.0.2', 'the newest of the two');
        assert.equal(alone[1]?.callingStationId, 'AA:00:00:00:00:32');
        assert.equal(alone[2], null, 'closed: not active');
        assert.equal(alone[3], null);
        const together = await Promise.all([...macs, ...macs].map((mac) => store.findLatestSession({ mac, scope: 'active' })));
        assert.deepEqual(together, [...alone, ...alone]);
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
        store = await engine.reopen();
        assert.equal(await store.countActive(), 2);
        assert.ok(await store.findLatestSession({ mac: 'AA:00:00:00:00:0E' }));
        await assert.rejects(
          (async () => {
            const s = await engine.other();
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
        assert.deepEqual(pruned, { accountingRecords: 1, authRecords: 0, closedSessions: 1, coaAudit: 0, coaJobs: 0, coaJobResults: 0, configAudit: 0, dcQueryAudit: 0, adminLogins: 0 });
        const stats = await store.stats();
        assert.equal(stats.accountingRecords, 2);
        assert.equal(stats.closedSessions, 1);
      });
    });

    describe('the console and DataConnect records', () => {
      test('recent authentications across endpoints: newest first, filtered, paged by cursor', async () => {
        await store.write({ auth: [auth('AB:00:00:00:00:01', true), auth('AB:00:00:00:00:02', false), auth('AB:00:00:00:00:03', true, {}, '10.0.0.9'), auth('AB:00:00:00:00:04', false)] });
        const all = await store.recentAuthRecords({ since: 0, limit: 10 });
        assert.deepEqual(all.map((r) => r.callingStationId), ['AB:00:00:00:00:04', 'AB:00:00:00:00:03', 'AB:00:00:00:00:02', 'AB:00:00:00:00:01']);
        assert.deepEqual((await store.recentAuthRecords({ since: 0, limit: 10, passed: false })).map((r) => r.callingStationId), ['AB:00:00:00:00:04', 'AB:00:00:00:00:02']);
        assert.deepEqual((await store.recentAuthRecords({ since: 0, limit: 10, nasIp: '10.0.0.9' })).map((r) => r.callingStationId), ['AB:00:00:00:00:03']);
        const first = await store.recentAuthRecords({ since: 0, limit: 2 });
        const last = first[1]!;
        const next = await store.recentAuthRecords({ since: 0, limit: 2, before: { at: last.receivedAt, id: last.id } });
        assert.deepEqual(next.map((r) => r.callingStationId), ['AB:00:00:00:00:02', 'AB:00:00:00:00:01']);
        assert.deepEqual(await store.recentAuthRecords({ since: clock + 1, limit: 10 }), []);
      });

      test('activity samples: one per minute, authentications added up within it, read from a time on', async () => {
        const minute = 1_700_000_040_000;
        await store.recordActivity({ at: minute + 1000, active: 5, passed: 2, failed: 1 });
        await store.recordActivity({ at: minute + 30_000, active: 7, passed: 3, failed: 0 });
        await store.recordActivity({ at: minute + 60_000, active: 6, passed: 1, failed: 1 });
        assert.deepEqual(await store.activity(minute), [
          { at: minute, active: 7, passed: 5, failed: 1 },
          { at: minute + 60_000, active: 6, passed: 1, failed: 1 },
        ]);
        assert.deepEqual(await store.activity(minute + 60_000), [{ at: minute + 60_000, active: 6, passed: 1, failed: 1 }]);
      });

      test('DataConnect queries and admin sign-ins are kept, newest first, and pruned by age', async () => {
        const base = { admin: 'ops', role: 'helpdesk-admin', origin: 'api', source: '127.0.0.1', rows: 3, durationMs: 12 };
        const a = await store.recordDcQuery({ ...base, at: clock, sql: 'SELECT 1 FROM DUAL', outcome: 'ok' });
        const b = await store.recordDcQuery({ ...base, at: clock + 10, sql: 'DELETE FROM x', outcome: 'DC_READ_ONLY' });
        assert.ok(b > a);
        const audit = await store.dcQueryAudit({ limit: 10 });
        assert.deepEqual(audit.map((r) => [r.sql, r.outcome, r.rows, r.durationMs]), [['DELETE FROM x', 'DC_READ_ONLY', 3, 12], ['SELECT 1 FROM DUAL', 'ok', 3, 12]]);
        assert.deepEqual((await store.dcQueryAudit({ since: clock + 5, limit: 10 })).map((r) => r.id), [b]);
        assert.ok((await store.recordAdminLogin({ at: clock, admin: 'ops', source: '127.0.0.1', interface: 'console', event: 'sign-in', detail: null })) > 0);
        const pruned = await store.prune(clock + 5);
        assert.equal(pruned.dcQueryAudit, 1);
        assert.equal(pruned.adminLogins, 1);
      });
    });

    describe('bulk CoA jobs', () => {
      test('a job is saved, its results appended with its progress in one write, read back page by page', async () => {
        await store.saveJob(job('j1', { total: 2500 }));
        const outcomes = (i: number) => (i % 5 === 0 ? 'nak' : 'ack');
        for (let start = 0; start < 2500; start += 1000) {
          const batch = Array.from({ length: Math.min(1000, 2500 - start) }, (_, k) => result(start + k, outcomes(start + k)));
          await store.appendJobResults('j1', batch, { completed: start + batch.length, counts: { ack: 0, nak: 0 } });
        }
        const finishedAt = clock;
        await store.updateJob('j1', { state: 'done', finishedAt, durationMs: 1234, counts: { ack: 2000, nak: 500 } });
        const saved = await store.getJob('j1');
        assert.deepEqual(
          { ...saved, seq: 0 },
          { ...job('j1', { total: 2500 }), createdAt: saved!.createdAt, seq: 0, state: 'done', completed: 2500, finishedAt, durationMs: 1234, counts: { ack: 2000, nak: 500 } },
        );
        assert.equal(await store.getJob('nope'), null);

        const macs: string[] = [];
        let afterId = 0;
        for (;;) {
          const page = await store.jobResults({ jobId: 'j1', afterId, limit: 700 });
          if (page.length === 0) break;
          assert.ok(page[0]!.id > afterId, 'ascending after the cursor');
          macs.push(...page.map((r) => r.mac));
          afterId = page[page.length - 1]!.id;
        }
        assert.deepEqual(macs, Array.from({ length: 2500 }, (_, i) => result(i).mac), 'every result once, in recording order');
        const first = (await store.jobResults({ jobId: 'j1', limit: 1 }))[0]!;
        assert.deepEqual({ ...first, id: 0 }, { ...result(0, 'nak'), id: 0, jobId: 'j1' });
        const naks = await store.jobResults({ jobId: 'j1', outcome: 'nak', limit: 10_000 });
        assert.equal(naks.length, 500);
        assert.ok(naks.every((r) => r.outcome === 'nak' && r.errorCause === 503 && r.verified !== false));
        const nakPage = await store.jobResults({ jobId: 'j1', outcome: 'nak', afterId: naks[99]!.id, limit: 50 });
        assert.deepEqual(nakPage.map((r) => r.id), naks.slice(100, 150).map((r) => r.id));
        assert.deepEqual(await store.jobResults({ jobId: 'nope', limit: 10 }), []);
      });

      test('writes to an unknown job are refused whole; a job id is kept once', async () => {
        await assert.rejects(store.appendJobResults('ghost', [result(1)], { completed: 1 }), { code: 'NOT_FOUND' });
        await assert.rejects(store.updateJob('ghost', { state: 'done' }), { code: 'NOT_FOUND' });
        await store.saveJob(job('twice'));
        await assert.rejects(store.saveJob(job('twice')), { code: 'ALREADY_EXISTS' });
        // A result that breaks a constraint takes its batch and the progress with it.
        const broken = { ...result(2), mac: null as unknown as string };
        await assert.rejects(store.appendJobResults('twice', [result(1), broken], { completed: 2 }), { code: 'STORE_FAILED' });
        assert.equal((await store.getJob('twice'))?.completed, 0);
        assert.deepEqual(await store.jobResults({ jobId: 'twice', limit: 10 }), []);
      });

      test('the job list pages newest first; a job saved between pages does not move the cursor; state filters', async () => {
        for (let i = 0; i < 7; i++) await store.saveJob(job(`l${i}`, i % 2 === 0 ? { state: 'done', finishedAt: clock } : {}));
        const first = await store.listJobs({ limit: 3 });
        assert.deepEqual(first.map((j) => j.id), ['l6', 'l5', 'l4']);
        await store.saveJob(job('l7'));
        const second = await store.listJobs({ limit: 3, beforeSeq: first[2]!.seq });
        assert.deepEqual(second.map((j) => j.id), ['l3', 'l2', 'l1']);
        assert.deepEqual((await store.listJobs({ limit: 3, beforeSeq: second[2]!.seq })).map((j) => j.id), ['l0']);
        assert.deepEqual((await store.listJobs({ limit: 10, state: 'running' })).map((j) => j.id), ['l7', 'l5', 'l3', 'l1']);
      });

      test('jobs running when the node stopped are marked interrupted, not the ended ones', async () => {
        await store.saveJob(job('was-running', { total: 10 }));
        await store.appendJobResults('was-running', [result(1), result(2)], { completed: 2, counts: { ack: 2, nak: 0 } });
        await store.saveJob(job('ended', { state: 'done', finishedAt: clock, durationMs: 5 }));
        await store.close();
        store = await engine.reopen();
        assert.equal(await store.interruptJobs(clock + 1), 1);
        const interrupted = await store.getJob('was-running');
        assert.equal(interrupted?.state, 'interrupted');
        assert.equal(interrupted?.finishedAt, clock + 1);
        assert.equal(interrupted?.completed, 2, 'what it did before it stopped is kept');
        assert.equal((await store.jobResults({ jobId: 'was-running', limit: 10 })).length, 2);
        assert.equal((await store.getJob('ended'))?.state, 'done');
        assert.equal(await store.interruptJobs(clock + 2), 0);
      });

      test('prune removes jobs finished before the cut-off with all their results; running and newer ones stay', async () => {
        const many = Array.from({ length: 12_000 }, (_, i) => result(i));
        await store.saveJob(job('old', { state: 'done', finishedAt: clock }));
        await store.appendJobResults('old', many, { completed: many.length });
        await store.saveJob(job('old-cancelled', { state: 'cancelled', finishedAt: clock }));
        await store.appendJobResults('old-cancelled', many.slice(0, 3), { completed: 3 });
        await store.saveJob(job('long-running'));
        await store.appendJobResults('long-running', many.slice(0, 4), { completed: 4 });
        const cut = clock + 1;
        await store.saveJob(job('recent', { state: 'done', finishedAt: cut + 10 }));
        await store.appendJobResults('recent', many.slice(0, 5), { completed: 5 });
        const pruned = await store.prune(cut);
        assert.equal(pruned.coaJobs, 2);
        assert.equal(pruned.coaJobResults, 12_003);
        assert.equal(await store.getJob('old'), null);
        assert.deepEqual(await store.jobResults({ jobId: 'old', limit: 10 }), []);
        assert.equal((await store.jobResults({ jobId: 'long-running', limit: 10 })).length, 4);
        assert.equal((await store.jobResults({ jobId: 'recent', limit: 10 })).length, 5);
        assert.deepEqual((await store.listJobs({ limit: 10 })).map((j) => j.id), ['recent', 'long-running']);
        assert.equal((await store.prune(cut)).coaJobResults, 0);
      });
    });
  });
}
