/**
 * A node whose PostgreSQL goes out of reach (the connection cut by a relay in between, the
 * server itself untouched: other tests share it): accounting is no longer acknowledged, so the NAS
 * keeps its records and retransmits or fails over; /health answers 503 and says the database is
 * unreachable; once the database answers again the node recovers by itself (its probe commits)
 * and the record the NAS sent again is kept, once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Code, encodePacket } from '../../src/radius/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { eventually as eventuallyWithin, nodeHealth as health, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { ADMIN_URL, createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { tcpCut, type TcpCut } from '../helpers/tcp-cut.js';
import { UdpClient } from '../helpers/udp-client.js';

const skip = await needPostgres();
const SECRET = 'testing123';
const MAC = '0E:00:00:00:00:01';

let identifier = 0;
function start(session: string, mac = MAC): Buffer {
  return encodePacket(
    {
      code: Code.AccountingRequest,
      identifier: identifier++ & 0xff,
      attributes: [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: session },
        { name: 'Calling-Station-Id', value: mac },
        { name: 'NAS-IP-Address', value: '10.71.0.1' },
      ],
    },
    { secret: SECRET },
  );
}



/** Polls until a value comes, within a generous bound. */
const eventually = <T>(what: string, check: () => Promise<T | undefined>) => eventuallyWithin(what, check);

describe('PostgreSQL out of reach', { skip }, () => {
  let db: TestDatabase;
  let relay: TcpCut;
  let node: NodeProcess;
  let client: UdpClient;
  let store: PostgresStore;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    relay = await tcpCut(Number(new URL(ADMIN_URL).port || 5432), new URL(ADMIN_URL).hostname);
    const url = new URL(db.url);
    url.port = String(relay.port);
    dir = mkdtempSync(join(tmpdir(), 'openmnt-pg-outage-'));
    node = await startNodeProcess(
      {
        OPENMNT_STORE__DRIVER: 'postgres',
        OPENMNT_STORE__URL: url.toString(),
        OPENMNT_STORE__CONNECT_TIMEOUT_SECONDS: '2',
        OPENMNT_API__ADMINS_FILE: join(dir, 'admins.json'),
        OPENMNT_API__TLS__DIR: join(dir, 'tls'),
        OPENMNT_PXGRID__ACCOUNTS_FILE: join(dir, 'pxgrid.json'),
      },
      [],
      { api: true },
    );
    client = await UdpClient.open();
    store = await openPostgresStore({ url: db.url, poolSize: 1, migrate: false });
  });

  after(async () => {
    await client?.close();
    await node?.stop();
    await store?.close();
    await relay?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reachable: accounting acknowledged, /health 200 names the engine', async () => {
    const reply = await client.request(start('before'), node.ports.accounting, 5000, SECRET);
    assert.equal(reply?.[0], Code.AccountingResponse);
    const h = await health(node);
    assert.equal(h.status, 200);
    assert.equal(h.body.storeDriver, 'postgres');
    assert.equal(h.body.storeReadable, true);
    assert.equal(h.body.activeSessions, 1);
  });

  test('cut: no Accounting-Response (the NAS keeps the record), /health 503 with the reason; restored: recovers by itself and keeps the record once', async () => {
    relay.cut();
    const packet = start('during', '0E:00:00:00:00:02');
    assert.equal(await client.request(packet, node.ports.accounting, 3000, SECRET), null, 'not committed, so not acknowledged');
    const failing = await eventually('/health answers 503', async () => {
      const h = await health(node);
      return h.status === 503 ? h : undefined;
    });
    assert.equal(failing.body.store, 'failing');
    assert.equal(failing.body.storeReadable, false);
    assert.equal(failing.body.writes, 'failing');
    assert.equal((failing.body.lastWriteFailure as { reason: string }).reason, 'unreachable');

    relay.restore();
    await eventually('/health answers 200 again', async () => {
      const h = await health(node);
      return h.status === 200 && h.body.writes === 'ok' ? h : undefined;
    });
    // The NAS sends its record again: now acknowledged, and kept once.
    const reply = await eventually('the retransmission is answered', async () => (await client.request(packet, node.ports.accounting, 3000, SECRET)) ?? undefined);
    assert.equal(reply[0], Code.AccountingResponse);
    assert.equal((await store.accountingRecordsByMac({ mac: '0E:00:00:00:00:02', since: 0, limit: 5 })).length, 1);
    assert.equal(await store.countActive(), 2);
  });
});
