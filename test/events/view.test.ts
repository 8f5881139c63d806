/**
 * The stream's text of an event: built from the store's JSON of the session (times edited in
 * place) it must say exactly what parsing that JSON and serialising the view says, whatever the
 * session holds; and the arithmetic ISO time must be toISOString's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventView, isoTime, sseMessage } from '../../src/events/view.js';
import { openSqliteStore, type SessionEvent } from '../../src/store/index.js';
import { sessionEventOf } from '../../src/store/sqlite/events.js';
import { accountingStart } from '../helpers/session-writes.js';

/** What the stream sent before it edited the JSON text: the parsed session's view, serialised. */
const parsedText = (e: SessionEvent) => `id: ${e.id}\nevent: session.${e.type}\ndata: ${JSON.stringify(eventView({ id: e.id, type: e.type, at: e.at, session: e.session }))}\n\n`;

test('isoTime is toISOString for every ms it formats itself, and falls back for the rest', () => {
  const samples = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 253_402_300_799_999, Date.now()];
  // A spread over every year to 9999, with odd ms, hours and leap days among them.
  for (let ms = 0; ms < 253_402_300_800_000; ms += 7_777_777_777) samples.push(ms, ms + 86_399_123);
  for (const ms of samples) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  for (const ms of [-1, -62_198_755_200_000, 253_402_300_800_000, 1.5]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
});

test('an event from the store JSON reads as the parsed session would: times as ISO, every other member as written', () => {
  const sessions = [
    '{"id":7,"nasIp":"10.0.0.1","acctSessionId":"a","callingStationId":"AA:BB:CC:DD:EE:01","state":"started","startedAt":1764692633000,"updatedAt":1764692633311,"server":"n"}',
    // Names and values that look like a time member inside strings must stay as they are.
    '{"id":8,"userName":"x,\\"startedAt\\":12,\\"y","nasPortId":"{\\"closedAt\\":5}","state":"closed","startedAt":0,"updatedAt":1,"closedAt":253402300799999,"closeReason":"stop"}',
    '{"id":9,"userName":"Zoë \\u0001 \\\\ \\n tab\\t","acctAt":1764692633000,"authAt":1764692632000,"inputOctets":1048650,"sgt":"Employees:4"}',
  ];
  for (const [i, json] of sessions.entries()) {
    const e = sessionEventOf({ id: 100 + i, type: 'updated', at: 1764692633329, json });
    assert.equal(sseMessage(e), parsedText(e));
    JSON.parse(sseMessage(e).split('\ndata: ')[1]!);
  }
});

test('events of real SQLite writes read the same from the JSON as from the parsed session', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-view-'));
  const store = openSqliteStore({ path: join(dir, 'openmnt.db') });
  try {
    const events: SessionEvent[] = [];
    store.onEvents((batch) => events.push(...batch));
    store.writeBatches([{ accounting: [accountingStart('v-1', 'AA:BB:CC:00:00:01', '10.0.0.1', { userName: 'a"b', framedIp: '10.1.0.1', nasPortId: 'Gi1/0/1' }), accountingStart('v-2', 'AA:BB:CC:00:00:02')] }]);
    assert.equal(events.length, 2);
    for (const e of events) {
      assert.notEqual(e.sessionJson, undefined);
      assert.equal(sseMessage(e), parsedText(e));
      assert.match(sseMessage(e), /"startedAt":"\d{4}-\d\d-\d\dT/);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
