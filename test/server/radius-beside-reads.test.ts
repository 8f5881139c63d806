/**
 * RADIUS is answered while API reads are in progress: reads run on the store's reading thread,
 * not on the main thread that answers RADIUS, nor on the writing thread whose commits the answers
 * wait for. The test holds the reading thread (it waits on a shared flag before each read), so a
 * read stays in progress exactly as long as the test needs: nothing depends on time. A node whose
 * reads ran on the main thread finishes the read before it could ever be held.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Code, decodePacket, encodePacket, type AttributeInput } from '../../src/radius/index.js';
import { ADMINS, addAdmins, basic } from '../helpers/mnt.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { UdpClient } from '../helpers/udp-client.js';

/** Element 0: 1 holds the reading thread; element 1: reads that found it held. */
const hold = new Int32Array(new SharedArrayBuffer(8));
const SESSIONS = 300;
const macOf = (i: number) => `0A:00:00:00:${(i >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(i & 255).toString(16).padStart(2, '0').toUpperCase()}`;

let server: TestServer;
let client: UdpClient;
let identifier = 0;

/** Sends an Accounting-Request until it is answered (a retransmission, as a NAS would): whether
 * the answer comes is what counts, not how soon. */
async function account(attributes: AttributeInput[]): Promise<number> {
  const datagram = encodePacket({ code: Code.AccountingRequest, identifier: identifier++ % 256, attributes }, { secret: SECRET });
  for (;;) {
    const reply = await client.request(datagram, server.ports.accounting, 1000, SECRET);
    if (reply !== null) return decodePacket(reply).code;
  }
}

const session = (i: number, status: string, extra: AttributeInput[] = []): AttributeInput[] => [
  { name: 'Acct-Status-Type', value: status },
  { name: 'Acct-Session-Id', value: `beside-${i}` },
  { name: 'Calling-Station-Id', value: macOf(i) },
  { name: 'NAS-IP-Address', value: '127.0.0.1' },
  ...extra,
];

/** Whether a promise has settled, readable at any moment. */
function watch<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  return { promise: watched, settled: () => settled };
}

/**
 * Turns the event loop until a read has reached the held reading thread, or the watched work has
 * finished without one (what a node reading on the main thread does). No time limit: one of the
 * two happens.
 */
async function untilHeldOrDone(work: { settled: () => boolean }, heldBefore: number): Promise<'held' | 'done'> {
  for (;;) {
    if (Atomics.load(hold, 1) > heldBefore) return 'held';
    if (work.settled()) return 'done';
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function release(): void {
  Atomics.store(hold, 0, 0);
  Atomics.notify(hold, 0);
}

before(async () => {
  server = await startTestServer((c) => Object.assign(c.store, { holdReads: hold }));
  client = await UdpClient.open();
  await addAdmins(server);
  for (let i = 0; i < SESSIONS; i++) assert.equal(await account(session(i, 'Start')), Code.AccountingResponse);
});
after(async () => {
  release();
  await client.close();
  await server.stop();
});

test('an Interim-Update is answered while a bulk job selection is held in the middle of its read', async () => {
  const macs = Array.from({ length: SESSIONS + 50 }, (_, i) => macOf(i));
  Atomics.store(hold, 0, 1);
  try {
    const selection = watch(server.jobs.select({ macs }));
    assert.equal(await untilHeldOrDone(selection, Atomics.load(hold, 1)), 'held', 'the selection read the whole list on the main thread');

    const code = await account(session(7, 'Interim-Update', [{ name: 'Acct-Input-Octets', value: 4242 }]));
    assert.equal(code, Code.AccountingResponse, 'answered (and so committed) while the read is held');
    assert.equal(selection.settled(), false, 'the read is still in progress');

    release();
    const targets = await selection.promise;
    assert.equal(targets.length, SESSIONS, 'every MAC with a session, the 50 unknown ones left out');
    assert.deepEqual(targets.slice(0, 3).map((t) => t.mac), [macOf(0), macOf(1), macOf(2)], 'in the order of the list');
    const updated = await server.store.findLatestSession({ mac: macOf(7) });
    assert.equal(updated?.inputOctets, 4242, 'the write committed during the held read is visible to the next read');
  } finally {
    release();
  }
});

test('an accounting Start is answered while an ActiveList download waits on a held read', async () => {
  Atomics.store(hold, 0, 1);
  try {
    const list = watch(
      fetch(`http://127.0.0.1:${server.api.port}/admin/API/mnt/Session/ActiveList`, { headers: { authorization: basic(ADMINS['mnt-admin']) } }).then(
        (res) => res.text(),
      ),
    );
    assert.equal(await untilHeldOrDone(list, Atomics.load(hold, 1)), 'held', 'the list was read whole on the main thread');

    assert.equal(await account(session(SESSIONS, 'Start')), Code.AccountingResponse);
    assert.equal(list.settled(), false, 'the download is still in progress');

    release();
    const body = await list.promise;
    // As many as the count announced when the download began (the Start came after it).
    assert.equal(body.split('</activeSession>').length - 1, SESSIONS);
    assert.equal(await server.store.countActive(), SESSIONS + 1);
  } finally {
    release();
  }
});
