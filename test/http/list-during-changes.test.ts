/**
 * What a client reading Session/ActiveList sees when sessions change while it streams. The list is
 * read a page at a time (1,000 sessions, in id order, each page its own query after the last id
 * sent), never inside one long read transaction, so a slow client holds back neither writes nor
 * the WAL's checkpoints. Defined behaviour, asserted here:
 *
 * - `noOfActiveSession` (and X-Total-Count) is the count when the answer began;
 * - every session active for the whole stream is listed exactly once, in id order;
 * - a session is listed with its values as of when its page was read: one changed after its page
 *   was sent keeps its old values in this answer, one changed before shows its new ones;
 * - a session closed before its page was read is left out; one closed after is listed;
 * - sessions started during the stream have higher ids than every other (AUTOINCREMENT) and come
 *   last, as long as the list has not yet reached `noOfActiveSession` elements: the list never holds
 *   more elements than it announced, and holds fewer only when more sessions closed than started.
 *
 * The test holds the store's reading thread after the first page (no timing): the changes land
 * exactly between the pages that were read and those that were not.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AccountingWrite } from '../../src/store/index.js';
import { addAdmins, basic, ADMINS } from '../helpers/mnt.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { accountingStart } from '../helpers/session-writes.js';

/** 0: 1 holds the reading thread; 1: reads that found it held; 2: reads let through first. */
const hold = new Int32Array(new SharedArrayBuffer(12));
const SESSIONS = 3500;
const hex = (n: number) => (n & 0xff).toString(16).padStart(2, '0').toUpperCase();
const macOf = (i: number) => `AA:CC:00:${hex(i >> 8)}:${hex(i)}:01`;
const start = (i: number, fields: Record<string, unknown> = {}): AccountingWrite =>
  accountingStart(`during-${i}`, macOf(i), '10.0.0.1', { framedIp: `10.1.${hex(i >> 8)}.${i & 0xff}`, ...fields });

let server: TestServer;

function release(): void {
  Atomics.store(hold, 0, 0);
  Atomics.notify(hold, 0);
}

before(async () => {
  server = await startTestServer((c) => Object.assign(c.store, { holdReads: hold }));
  await addAdmins(server);
  for (let i = 0; i < SESSIONS; i += 500) await server.store.write({ accounting: Array.from({ length: 500 }, (_, k) => start(i + k)) });
});
after(async () => {
  release();
  await server.stop();
});

test('ActiveList while sessions change mid-stream: counted at the start, each page as read, new sessions last up to the count', async () => {
  // The first read (the list's first page) passes; the next one waits.
  Atomics.store(hold, 2, 1);
  Atomics.store(hold, 0, 1);
  const heldBefore = Atomics.load(hold, 1);
  try {
    const response = fetch(`http://127.0.0.1:${server.api.port}/admin/API/mnt/Session/ActiveList`, { headers: { authorization: basic(ADMINS['mnt-admin']) } });
    while (Atomics.load(hold, 1) === heldBefore) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(Atomics.load(hold, 2), 0, 'the first page was read');

    // Sessions 0-999 (the first page) were read; 1000-3499 were not.
    await server.store.closeSessions({ mac: macOf(5) }, 'admin', Date.now());
    await server.store.closeSessions({ mac: macOf(2500) }, 'admin', Date.now());
    await server.store.write({ accounting: [start(7, { framedIp: '192.0.2.7' }), start(3000, { framedIp: '192.0.2.30' })] });
    await server.store.write({ accounting: [start(SESSIONS), start(SESSIONS + 1)] });
    release();

    const res = await response;
    const body = await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-total-count'), String(SESSIONS), 'the count when the answer began');
    assert.match(body, new RegExp(`<activeList noOfActiveSession="${SESSIONS}">`));
    const listed = [...body.matchAll(/<calling_station_id>([^<]+)<\/calling_station_id>\s*<nas_ip_address>[^<]+<\/nas_ip_address>[\s\S]*?<framed_ip_address>([^<]+)<\/framed_ip_address>/g)].map((m) => [m[1]!, m[2]!] as const);

    const expected: (readonly [string, string])[] = [];
    for (let i = 0; i <= SESSIONS; i++) {
      if (i === 2500) continue; // closed before its page was read
      expected.push([macOf(i), i === 3000 ? '192.0.2.30' : `10.1.${hex(i >> 8)}.${i & 0xff}`]);
    }
    // Session 5 closed and 7 changed after their page was read: listed as they were. 3,499 sessions
    // of the start remain, so one of the two started during the stream fills the list to its count.
    assert.equal(listed.length, SESSIONS, 'as many elements as announced');
    assert.deepEqual(listed, expected);
    assert.equal(new Set(listed.map(([mac]) => mac)).size, listed.length, 'no session twice');

    // The next answer sees the changes from its start.
    const next = await (await fetch(`http://127.0.0.1:${server.api.port}/admin/API/mnt/Session/ActiveList?mac=${macOf(7)}`, { headers: { authorization: basic(ADMINS['mnt-admin']) } })).text();
    assert.match(next, /<framed_ip_address>192\.0\.2\.7<\/framed_ip_address>/);
  } finally {
    release();
  }
});
