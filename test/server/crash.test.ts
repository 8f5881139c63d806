/**
 * Durability: the real `openmnt serve` process is killed with SIGKILL in the middle of an
 * accounting stream. Every Accounting-Request that was answered must be in the store after the
 * node restarts, because the answer is sent only after the record is committed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { Code, encodePacket } from '../../src/radius/index.js';
import { openStore } from '../../src/store/index.js';
import { UdpClient } from '../helpers/udp-client.js';

interface Node {
  child: ChildProcess;
  ports: { auth: number; accounting: number };
}

function startNode(dbPath: string): Promise<Node> {
  const child = spawn(process.execPath, ['bin/openmnt.js', 'serve'], {
    env: {
      ...process.env,
      OPENMNT_CONFIG: '',
      OPENMNT_RADIUS__AUTH__HOST: '127.0.0.1',
      OPENMNT_RADIUS__AUTH__PORT: '0',
      OPENMNT_RADIUS__ACCOUNTING__HOST: '127.0.0.1',
      OPENMNT_RADIUS__ACCOUNTING__PORT: '0',
      OPENMNT_STORE__PATH: dbPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const ports: Partial<Node['ports']> = {};
    const timer = setTimeout(() => reject(new Error('node did not start in 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`node exited early with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg: string; listener?: 'auth' | 'accounting'; port?: number };
      if (entry.msg === 'RADIUS listener ready' && entry.listener && entry.port) ports[entry.listener] = entry.port;
      if (ports.auth && ports.accounting) {
        clearTimeout(timer);
        resolve({ child, ports: ports as Node['ports'] });
      }
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

test('SIGKILL mid-stream loses no acknowledged accounting record', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-crash-'));
  const dbPath = join(dir, 'openmnt.db');
  const client = await UdpClient.open();
  try {
    const node = await startNode(dbPath);
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
      const reply = await client.request(datagram, node.ports.accounting, 500);
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
            node.child.kill('SIGKILL');
          }
        }
      }),
    );
    await exited(node.child);
    assert.ok(killed, 'the node was killed mid-stream');
    assert.ok(acknowledged.length >= 3000);

    const restarted = await startNode(dbPath);
    restarted.child.kill('SIGTERM');
    await exited(restarted.child);

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
});
