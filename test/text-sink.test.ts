/**
 * The views' two sinks must say the same thing: the byte sink's buffer is the UTF-8 of what the
 * string sink makes, across growth and for characters of every width; the pxGrid session written
 * as text is JSON.stringify of the object; a batch of SSE bytes is its events' messages in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteSink, StringSink, jsonValue } from '../src/text-sink.js';
import { sseBatch, sseMessage } from '../src/events/view.js';
import { pxgridSession, pxgridSessionJson, writePxgridSession } from '../src/http/pxgrid/session-object.js';
import type { Session } from '../src/store/index.js';
import { sessionEventOf } from '../src/store/sqlite/events.js';

const PIECES = ['plain ascii', 'Zoë café', '日本語のユーザー', 'emoji 🛰️ pair', '\u0000\u001f control', '"quoted" \\ back', 'x'.repeat(70_000)];

test('the byte sink holds the UTF-8 of the pieces, grows past its first size, and starts over after take', () => {
  const bytes = new ByteSink(16);
  const text = new StringSink();
  for (let round = 0; round < 3; round++) for (const piece of PIECES) (bytes.text(piece), text.text(piece));
  const first = bytes.take();
  assert.equal(first.toString('utf8'), text.value);
  assert.equal(first.length, Buffer.byteLength(text.value));
  bytes.text('after');
  const second = bytes.take();
  assert.equal(second.toString('utf8'), 'after');
  // The first buffer is a copy: writing on must not change what a consumer was handed.
  assert.equal(first.subarray(0, 11).toString('utf8'), 'plain ascii');
});

test('jsonValue writes what JSON.stringify writes', () => {
  const values: unknown[] = [...PIECES, '', 'a\u2028b', '\ud800 lone', 'pair \ud83d\ude00', 0, -1.5, 4096, null, true, ['a', 'b"']];
  for (const value of values) assert.equal(jsonValue(value), JSON.stringify(value), String(value));
});

const session = (over: Partial<Session>): Session =>
  ({
    id: 1,
    nasIp: '10.0.0.1',
    acctSessionId: 'a-1',
    callingStationId: 'aa-bb-cc-dd-ee-01',
    state: 'started',
    startedAt: 1_764_692_633_000,
    updatedAt: 1_764_692_633_311,
    closedAt: null,
    ...over,
  }) as Session;

test('a pxGrid session written as text is JSON.stringify of the object, member for member', () => {
  const sessions = [
    session({}),
    session({ state: 'closed', closedAt: 1_764_692_700_000, userName: 'Zoë "x" \\ \n', framedIp: '10.1.0.1', framedIpv6: '2001:db8::1', vlan: '120', sgt: 'Employees:4', selectedAuthzProfile: 'Permit', postureStatus: 'Compliant' }),
    session({ state: 'authenticated', userName: '', nasPortId: 'Gi1/0/1', nasPortType: 'Ethernet', calledStationId: '00-11-22-33-44-55:corp', endpointPolicy: 'Windows10', serviceType: 'Framed-User', nasIdentifier: 'sw-1', auditSessionId: '0A0000010000000C' }),
    session({ callingStationId: 'not a mac', vlan: '', selectedAuthzProfile: '' }),
  ];
  for (const s of sessions) {
    assert.equal(pxgridSessionJson(s), JSON.stringify(pxgridSession(s)));
    const bytes = new ByteSink(8);
    writePxgridSession(bytes, s);
    assert.deepEqual(JSON.parse(bytes.take().toString('utf8')), pxgridSession(s));
  }
  assert.deepEqual(Object.keys(pxgridSession(sessions[1]!)).slice(0, 4), ['timestamp', 'state', 'userName', 'callingStationId']);
  assert.equal(pxgridSession(sessions[1]!).timestamp, new Date(1_764_692_700_000).toISOString());
});

test('a batch of SSE bytes is the messages of its events in order, past the sink first size', () => {
  const events = Array.from({ length: 300 }, (_, i) =>
    sessionEventOf({ id: i + 1, type: 'updated', at: 1_764_692_633_329 + i, json: `{"id":${i},"userName":"Zoë ${i} 🛰️","callingStationId":"AA:BB:CC:00:00:01","startedAt":${1_764_692_633_000 + i},"updatedAt":1764692633311,"nasPortId":"${'p'.repeat(300)}"}` }),
  );
  const bytes = sseBatch(events);
  assert.equal(bytes.toString('utf8'), events.map(sseMessage).join(''));
  assert.ok(bytes.length > 64 * 1024, 'the batch outgrew the sink first buffer');
  // The same batch again is the same buffer (built once for every stream).
  assert.equal(sseBatch(events), bytes);
});
