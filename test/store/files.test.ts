/**
 * The data a node keeps is private: database, -wal and -shm 0600 in a 0700 directory (whatever the
 * umask), as are the directories made for the TLS key and the admin accounts. The write-ahead log
 * keeps within a few times store.walMaxMiB instead of growing to tens of megabytes.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdminDirectory, loadTlsCredentials } from '../../src/http/index.js';
import { startStore, type AccountingWrite } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const databaseFiles = (db: string) => [db, `${db}-wal`, `${db}-shm`];

describe('file modes', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'openmnt-modes-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('a node creates its data directory 0700 and the database, -wal and -shm 0600', async () => {
    let db = '';
    const server: TestServer = await startTestServer((c) => {
      db = join(dirname(c.store.path), 'data', 'openmnt.db');
      c.store.path = db;
    });
    try {
      assert.equal(modeOf(dirname(db)), '700', 'data directory');
      for (const file of databaseFiles(db)) assert.equal(modeOf(file), '600', file);
    } finally {
      await server.stop();
    }
  });

  test('database files an older version left readable to others are made private when opened', async () => {
    const db = join(scratch, 'old', 'openmnt.db');
    const first = await startStore({ driver: 'sqlite', path: db, thread: true });
    for (const file of databaseFiles(db)) chmodSync(file, 0o644);
    const again = await startStore({ driver: 'sqlite', path: db, thread: true });
    try {
      for (const file of databaseFiles(db)) assert.equal(modeOf(file), '600', file);
    } finally {
      await again.close();
      await first.close();
    }
  });

  test('the directories made for the TLS key and for the admin accounts are 0700', async () => {
    const tls = join(scratch, 'tls-data', 'tls');
    await loadTlsCredentials({ certFile: '', keyFile: '', dir: tls }, ['openmnt-test']);
    assert.equal(modeOf(tls), '700');
    assert.equal(modeOf(join(tls, 'key.pem')), '600');

    const admins = join(scratch, 'admin-data', 'admins.json');
    await AdminDirectory.open(admins).add('mode-admin', 'Mode-Pass-1234', 'super-admin');
    assert.equal(modeOf(dirname(admins)), '700');
    assert.equal(modeOf(admins), '600');
  });
});

describe('write-ahead log size', () => {
  test('after 20,000 writes the -wal file has stayed within eight times store.walMaxMiB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-wal-'));
    const db = join(dir, 'openmnt.db');
    const store = await startStore({ driver: 'sqlite', path: db, synchronous: 'normal', walMaxMiB: 1, thread: true });
    try {
      let largest = 0;
      for (let batch = 0; batch < 200; batch++) {
        const writes = Array.from({ length: 100 }, (_, i) => start(batch * 100 + i));
        await store.write({ accounting: writes });
        largest = Math.max(largest, statSync(`${db}-wal`).size);
      }
      assert.equal((await store.stats()).accountingRecords, 20_000);
      // One batch of 100 Starts writes well under 1 MiB of pages; without the limit the WAL grew to
      // 40 MiB before its first checkpoint and kept that size for good. The checkpointing thread
      // copies it in the background; the writer copies the rest itself at four times the limit,
      // at the first commit past it that finds no pass running (one checkpoint at a time: a pass
      // slowed by a busy machine delays it, and this test saw 5.3–6.8 MiB when four ran at once on
      // two cores). Eight times is also where the file is cut back when the WAL starts over.
      assert.ok(largest <= 8 * 2 ** 20, `the WAL reached ${largest} bytes`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function start(n: number): AccountingWrite {
  const at = 1_700_000_000_000 + n;
  const mac = `0E:00:00:${[n >> 16, n >> 8, n].map((b) => (b & 0xff).toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
  const acctSessionId = `wal-${n}`;
  const nasIp = '10.8.8.8';
  return {
    record: {
      receivedAt: at, nasIp, nasName: 'sw', statusType: 'start', acctSessionId, callingStationId: mac, userName: `user-${n}`,
      auditSessionId: `0A0000${n.toString(16).padStart(10, '0')}`, framedIp: null, sessionTime: null, inputOctets: null,
      outputOctets: null, inputPackets: null, outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null,
      server: 'node', attributes: 'Acct-Status-Type=Start',
    },
    change: { kind: 'start', identity: { nasIp, acctSessionId, callingStationId: mac }, at, startedAt: at, fields: { acctAt: at, userName: `user-${n}` } },
  };
}
