/**
 * The PostgreSQL store against a real server: the Store contract (contract.ts) in-thread and as
 * `openmnt serve` runs it (writing thread and reading pool), each test in a database of its own;
 * and what only PostgreSQL has (schema versions in the database, several writers at once).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import postgres from 'postgres';
import { PG_SCHEMA_VERSION, openPostgresStore, openSqliteStore, startStore, type AccountingWrite, type AuthWrite, type Session, type Store } from '../../src/store/index.js';
import { needPostgres, testDatabases, type TestDatabase } from '../helpers/postgres.js';
import { acct, auth, storeContract } from './contract.js';

const skip = await needPostgres();

const { fresh, dropAll } = testDatabases();

for (const thread of [false, true]) {
  const open = (db: TestDatabase) => startStore({ driver: 'postgres', path: '', url: db.url, poolSize: 4, thread });
  let current: TestDatabase | null = null;
  if (skip === false) {
    storeContract(thread ? 'PostgreSQL (writing thread, reading pool)' : 'PostgreSQL', {
      fresh: async () => open((current = await fresh())),
      reopen: () => open(current!),
      other: async () => open(await fresh()),
      cleanup: dropAll,
    });
  }
}

describe('PostgreSQL only', { skip }, () => {
  test('one group commit holding many writes of the same sessions ends as SQLite ends applying them one at a time', async () => {
    // The PostgreSQL engine answers the rules from a plan of the whole group (write-plan.ts): a
    // session started, updated and stopped in one group, an accept adopted by accounting, an
    // Accounting-On between writes of its NAS, a session begun again with the identity of one the
    // group closed. SQLite applies the same rules statement by statement: the oracle.
    const nas2 = '10.0.0.2';
    const on: AccountingWrite = {
      record: { ...acct('start', 'x', 'x').record, nasIp: nas2, statusType: 'Accounting-On', acctSessionId: null, callingStationId: null },
      change: { kind: 'nas-reset', nasIp: nas2, at: Date.now() },
    };
    const writes: (AccountingWrite | AuthWrite)[] = [
      auth('GC:00:00:00:00:0A', true, { auditSessionId: 'GC-A' }),
      acct('start', 'gc-1', 'GC:00:00:00:00:0A', { auditSessionId: 'GC-A', userName: 'alice' }),
      acct('interim', 'gc-1', 'GC:00:00:00:00:0A', { inputOctets: 100, framedIp: '172.16.0.10' }),
      acct('start', 'gc-2', 'GC:00:00:00:00:0B'),
      acct('interim', 'gc-2', 'GC:00:00:00:00:0B', { inputOctets: 5 }),
      acct('stop', 'gc-2', 'GC:00:00:00:00:0B', { inputOctets: 9, terminateCause: 'User-Request' }),
      acct('stop', 'gc-3', 'GC:00:00:00:00:0C', { inputOctets: 1 }),
      acct('start', 'gc-4', 'GC:00:00:00:00:0D', {}, nas2),
      on,
      acct('start', 'gc-5', 'GC:00:00:00:00:0E', {}, nas2),
      auth('GC:00:00:00:00:0B', true, { vlan: '20' }),
      acct('stop', 'gc-1', 'GC:00:00:00:00:0A', { inputOctets: 200 }),
      acct('start', 'gc-1', 'GC:00:00:00:00:0A', { auditSessionId: 'GC-A2' }),
      auth('GC:00:00:00:00:0A', true, { vlan: '30' }),
      auth('GC:00:00:00:00:0F', false),
    ];
    const batches = writes.map((w) => ('change' in w ? { accounting: [w] } : { auth: [w] }));
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-gc-'));
    const sqlite = openSqliteStore({ path: join(dir, 'oracle.db') });
    const pg = await openPostgresStore({ url: (await fresh()).url, poolSize: 2 });
    try {
      let sqliteOpened = 0;
      let sqliteClosed = 0;
      for (const batch of batches) {
        const r = await sqlite.write(batch);
        sqliteOpened += r.sessionsOpened;
        sqliteClosed += r.sessionsClosed;
      }
      const outcomes = await pg.writeBatches(batches);
      for (const o of outcomes) assert.ok(!(o instanceof Error), String(o));
      const results = outcomes as Exclude<(typeof outcomes)[number], Error>[];
      assert.equal(results.reduce((n, r) => n + r.sessionsOpened, 0), sqliteOpened, 'sessions opened');
      assert.equal(results.reduce((n, r) => n + r.sessionsClosed, 0), sqliteClosed, 'sessions closed');
      const view = async (store: Store) => {
        const all: Partial<Session>[] = [];
        for await (const s of store.iterateSessions({ scope: 'all' })) {
          const { id: _id, server: _server, ...rest } = s;
          all.push(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined)));
        }
        return all.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      };
      assert.deepEqual(await view(pg), await view(sqlite));
      assert.equal(await pg.countActive(), await sqlite.countActive(), 'ActiveCount');
      assert.equal((await pg.stats()).accountingRecords, (await sqlite.stats()).accountingRecords);
      assert.equal((await pg.stats()).authRecords, (await sqlite.stats()).authRecords);
    } finally {
      await sqlite.close();
      await pg.close();
      rmSync(dir, { recursive: true, force: true });
      await dropAll();
    }
  });

  test('a database migrated by a newer OpenMnT is refused with STORE_SCHEMA_NEWER, untouched, also by the writing thread', async () => {
    const db = await fresh();
    const store = await startStore({ driver: 'postgres', path: '', url: db.url });
    await store.close();
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    try {
      await sql.unsafe('UPDATE openmnt_schema SET version = $1', [PG_SCHEMA_VERSION + 1]);
      for (const thread of [false, true]) {
        await assert.rejects(startStore({ driver: 'postgres', path: '', url: db.url, thread }), (error: Error & { code?: string }) => {
          assert.equal(error.code, 'STORE_SCHEMA_NEWER');
          assert.match(error.message, new RegExp(`version ${PG_SCHEMA_VERSION + 1} is newer than this OpenMnT knows \\(${PG_SCHEMA_VERSION}\\)`));
          return true;
        });
      }
      const [row] = await sql.unsafe('SELECT version FROM openmnt_schema');
      assert.equal(Number(row!.version), PG_SCHEMA_VERSION + 1);
    } finally {
      await sql.end();
      await dropAll();
    }
  });

  test('the writing thread with transactions in flight together: each endpoint\'s writes applied in the order they came', async () => {
    const db = await fresh();
    const store = await startStore({ driver: 'postgres', path: '', url: db.url, poolSize: 2, thread: true });
    try {
      // Start, Interim, Stop of 300 sessions, each packet its own call, none awaited before the
      // next: each transaction takes what queued while the ones before were in flight, so a
      // session's packets land in transactions that run at the same time. Out of order, a Stop
      // before its Start would leave the session open (a Start after a Stop opens a new one).
      const mac = (i: number) => `AE:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        calls.push(store.write({ accounting: [acct('start', `ord-${i}`, mac(i))] }));
        calls.push(store.write({ accounting: [acct('interim', `ord-${i}`, mac(i), { inputOctets: i })] }));
        calls.push(store.write({ accounting: [acct('stop', `ord-${i}`, mac(i), { inputOctets: i + 1 })] }));
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(calls);
      assert.equal(await store.countActive(), 0, 'every Stop came after its Start');
      assert.equal(await store.countSessions({ scope: 'closed' }), 300, 'one session each, none doubled');
      for (const i of [0, 1, 150, 299]) {
        const closed = await store.findLatestSession({ mac: mac(i), scope: 'closed' });
        assert.equal(closed?.inputOctets, i + 1, `session ${i} ends with its Stop's counters`);
      }
      assert.equal((await store.stats()).accountingRecords, 900);
    } finally {
      await store.close();
      await dropAll();
    }
  });

  test('nodes starting together migrate once; two stores writing the same endpoints at once make no duplicate, the count stays exact', async () => {
    const db = await fresh();
    const stores: Store[] = await Promise.all([0, 1, 2].map(() => startStore({ driver: 'postgres', path: '', url: db.url, poolSize: 2, thread: true })));
    try {
      // Each store writes Start, Interim, Stop for the same 200 endpoints, interleaved, plus an
      // Access-Accept each store sees: whatever the order, one session per endpoint.
      const mac = (i: number) => `AB:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      const writes = stores.map((store, k) =>
        (async () => {
          for (let i = 0; i < 200; i += 20) {
            // Each store's packets report a time of their own: they are packets of their own, not
            // copies of one (see the duplicate test below).
            const batch = Array.from({ length: 20 }, (_, j) => {
              const w = acct(k === 2 ? 'interim' : 'start', `race-${i + j}`, mac(i + j));
              w.record.eventTimestamp = 1_700_000_000 + k;
              return w;
            });
            await store.write({ accounting: batch, auth: Array.from({ length: 20 }, (_, j) => auth(mac(i + j), true, {}, '10.0.0.1', `race-${i + j}`)) });
          }
        })(),
      );
      await Promise.all(writes);
      for (const store of stores) assert.equal(await store.countActive(), 200, 'the same exact count from every store');
      assert.equal(await stores[0]!.countSessions({ scope: 'all' }), 200, 'no duplicate session, none in history');
      await stores[1]!.write({ accounting: Array.from({ length: 200 }, (_, i) => acct('stop', `race-${i}`, mac(i))) });
      for (const store of stores) assert.equal(await store.countActive(), 0);
      assert.equal(await stores[2]!.countSessions({ scope: 'closed' }), 200);
      assert.equal((await stores[0]!.stats()).accountingRecords, 800);
    } finally {
      for (const store of stores) await store.close();
      await dropAll();
    }
  });

  test('duplicate detection across nodes: an Accounting-Request sent again to another store (Acct-Delay-Time raised) is acknowledged with the kept record, not applied twice', async () => {
    const db = await fresh();
    const [a, b] = await Promise.all([0, 1].map(() => startStore({ driver: 'postgres', path: '', url: db.url, poolSize: 2 })));
    try {
      const mac = 'AD:00:00:00:00:01';
      const start = acct('start', 'dup-1', mac);
      const first = await a!.write({ accounting: [start] });
      const again = await b!.write({ accounting: [{ ...start, record: { ...start.record, delayTime: 5, receivedAt: start.record.receivedAt + 20_000 } }] });
      assert.deepEqual(again.accountingIds, first.accountingIds, 'the kept record answers for the copy');
      assert.equal(again.duplicates, 1);
      assert.equal(again.sessionsOpened, 0);
      const stop = acct('stop', 'dup-1', mac, { inputOctets: 10 });
      stop.record.sessionTime = 60;
      stop.record.inputOctets = 10;
      await b!.write({ accounting: [stop] });
      const copy = await a!.write({ accounting: [{ ...stop, record: { ...stop.record, delayTime: 10, receivedAt: stop.record.receivedAt + 30_000 } }] });
      assert.equal(copy.duplicates, 1);
      assert.equal(copy.sessionsOpened + copy.sessionsClosed, 0, 'the Stop sent again opens and closes nothing');
      assert.equal(await a!.countSessions({ scope: 'all', mac }), 1, 'one session in history, no second one made by the copy');
      assert.equal((await b!.accountingRecordsByMac({ mac, since: 0, limit: 10 })).length, 2, 'one record per packet: Start and Stop');
      // Past the window, or with anything reported changed, it is a packet of its own.
      const later = await a!.write({ accounting: [{ ...stop, record: { ...stop.record, receivedAt: stop.record.receivedAt + 200_000 } }] });
      assert.equal(later.duplicates ?? 0, 0);
      const interim = acct('interim', 'dup-1', mac);
      const other = await b!.write({ accounting: [{ ...interim, record: { ...interim.record, sessionTime: 61 } }] });
      assert.equal(other.duplicates ?? 0, 0);
      assert.equal((await b!.accountingRecordsByMac({ mac, since: 0, limit: 10 })).length, 4);
    } finally {
      await a!.close();
      await b!.close();
      await dropAll();
    }
  });
});
