/**
 * Durability: the real `openmnt serve` process is killed with SIGKILL, or stopped with SIGTERM, in
 * the middle of an accounting stream. Every Accounting-Request that was answered must be in the
 * store after the node restarts, because the answer is sent only after the record is committed.
 * SIGTERM must also end the process cleanly (exit 0) after draining what it had in hand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Code, encodePacket } from '../../src/radius/index.js';
import { openStore } from '../../src/store/index.js';
import { startNodeProcess } from '../helpers/node-process.js';
import { UdpClient } from '../helpers/udp-client.js';

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`${signal} mid-stream loses no acknowledged accounting record`, { timeout: 60_000 }, () => stopMidStream(signal));
}

async function stopMidStream(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-crash-'));
  const dbPath = join(dir, 'openmnt.db');
  const client = await UdpClient.open();
  try {
    const node = await startNodeProcess({ OPENMNT_STORE__PATH: dbPath });
    const acknowledged: string[] = [];
    const total = 20_000;
    let killed = false;
    let next = 0;
    const inFlight = 64;

    const mac = (i: number) => `0A:${[(i >> 24) & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x5a].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
    const sendOne = async (i: number, identifier: number) => {
      const datagram = encodePacket(
        {
          code: Code.AccountingRequest,
          identifier,
          attributes: [
            { name: 'Acct-Status-Type', value: 'Start' },
            { name: 'Acct-Session-Id', value: `crash-${i}` },
            { name: 'Calling-Station-Id', value: mac(i) },
            { name: 'NAS-IP-Address', value: '10.66.0.1' },
          ],
        },
        { secret: 'testing123' },
      );
      const reply = await client.request(datagram, node.ports.accounting, 500, 'testing123');
      if (reply !== null) acknowledged.push(mac(i));
    };
    // `inFlight` workers, each owning one identifier, so replies never collide.
    await Promise.all(
      Array.from({ length: inFlight }, async (_, worker) => {
        while (!killed && next < total) {
          const i = next++;
          await sendOne(i, worker);
          if (!killed && acknowledged.length >= 3000) {
            killed = true;
            node.child.kill(signal);
          }
        }
      }),
    );
    const code = await node.exitCode();
    assert.ok(killed, 'the node was stopped mid-stream');
    if (signal === 'SIGTERM') assert.equal(code, 0, 'a drained stop exits 0');
    assert.ok(acknowledged.length >= 3000);

    const restarted = await startNodeProcess({ OPENMNT_STORE__PATH: dbPath });
    await restarted.stop();

    const store = openStore({ driver: 'sqlite', path: dbPath });
    try {
      const missing: string[] = [];
      for (const m of acknowledged) {
        const records = await store.accountingRecordsByMac({ mac: m, since: 0, limit: 1 });
        if (records.length !== 1) missing.push(m);
      }
      assert.deepEqual(missing, [], `${missing.length} acknowledged records lost`);
      assert.ok((await store.countActive()) >= acknowledged.length);
    } finally {
      await store.close();
    }
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
