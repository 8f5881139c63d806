/** Accounting-Request → store write: what each packet field becomes, read off a real decoded packet. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, decodePacket, encodePacket, type AttributeInput } from '../../src/radius/index.js';
import { toAccountingWrite, type AccountingEvent } from '../../src/sessions/index.js';

const secret = 'testing123';
const event = (attributes: AttributeInput[]): AccountingEvent => ({
  packet: decodePacket(encodePacket({ code: Code.AccountingRequest, identifier: 9, attributes }, { secret })),
  nasName: 'sw-1',
  sourceAddress: '192.0.2.9',
  receivedAt: 1_700_000_123_456,
});

test('an Interim-Update: first value of each attribute, Gigawords, names for enumerations, both attribute strings', () => {
  const w = toAccountingWrite(
    event([
      { name: 'Acct-Status-Type', value: 'Interim-Update' },
      { name: 'User-Name', value: 'bob' },
      { name: 'User-Name', value: 'ignored-second' },
      { name: 'Acct-Session-Id', value: '0000002A' },
      { name: 'Calling-Station-Id', value: 'aabb.ccdd.eeff' },
      { name: 'Cisco-AVPair', value: 'audit-session-id=0A0B0C0D00000001' },
      { name: 'Acct-Input-Octets', value: 5 },
      { name: 'Acct-Input-Gigawords', value: 2 },
      { name: 'Acct-Session-Time', value: 60 },
      { name: 'Event-Timestamp', value: 1_700_000_100 },
      { name: 'NAS-Port-Type', value: 'Ethernet' },
      { name: 'Class', value: Buffer.from([1, 2, 250]) },
      { name: 'Tunnel-Private-Group-Id', tag: 1, value: '100' },
      { type: 222, value: Buffer.from('hello') },
    ]),
    'node-a',
  );
  assert.equal(w.record.statusType, 'Interim-Update');
  assert.equal(w.record.nasIp, '192.0.2.9', 'no NAS-IP-Address: the datagram source');
  assert.equal(w.record.userName, 'bob');
  assert.equal(w.record.callingStationId, 'AA:BB:CC:DD:EE:FF');
  assert.equal(w.record.auditSessionId, '0A0B0C0D00000001');
  assert.equal(w.record.inputOctets, 2 * 2 ** 32 + 5);
  assert.equal(w.record.outputOctets, null);
  assert.equal(w.record.server, 'node-a');
  assert.equal(
    w.record.attributes,
    'Acct-Status-Type=Interim-Update:!:User-Name=bob:!:User-Name=ignored-second:!:Acct-Session-Id=0000002A:!:' +
      'Calling-Station-Id=aabb.ccdd.eeff:!:Cisco-AVPair=audit-session-id=0A0B0C0D00000001:!:Acct-Input-Octets=5:!:' +
      'Acct-Input-Gigawords=2:!:Acct-Session-Time=60:!:Event-Timestamp=1700000100:!:NAS-Port-Type=Ethernet:!:' +
      'Class=01:02:fa:!:Tunnel-Private-Group-ID=(tag=1) 100:!:Attr-222=hello',
  );
  const change = w.change;
  assert.ok(change !== null && change.kind === 'interim');
  assert.deepEqual(change.identity, { nasIp: '192.0.2.9', acctSessionId: '0000002A', callingStationId: 'AA:BB:CC:DD:EE:FF' });
  assert.equal(change.at, 1_700_000_100_000, 'Event-Timestamp wins over receipt');
  assert.equal(change.startedAt, 1_700_000_040_000, 'back-dated by Acct-Session-Time');
  assert.equal(change.fields.origCallingStationId, 'aabb.ccdd.eeff');
  assert.equal(change.fields.nasPortType, 'Ethernet');
  assert.equal(change.fields.acctClass, '01:02:fa');
  assert.equal(change.fields.otherAttributes, 'Cisco-AVPair=audit-session-id=0A0B0C0D00000001:!:Tunnel-Private-Group-ID=(tag=1) 100:!:Attr-222=hello');
});

test('a Start with nothing beyond its columns has no other attributes; Accounting-On resets the NAS', () => {
  const start = toAccountingWrite(
    event([
      { name: 'Acct-Status-Type', value: 'Start' },
      { name: 'NAS-IP-Address', value: '10.0.0.1' },
      { name: 'Acct-Delay-Time', value: 3 },
      { name: 'Acct-Session-Id', value: 's' },
    ]),
    'n',
  );
  assert.equal(start.record.nasIp, '10.0.0.1');
  assert.equal(start.change?.kind, 'start');
  assert.equal(start.change?.at, 1_700_000_120_456, 'receipt less Acct-Delay-Time');
  assert.equal(start.change?.kind === 'start' ? start.change.fields.otherAttributes : undefined, null);

  const on = toAccountingWrite(event([{ name: 'Acct-Status-Type', value: 'Accounting-On' }, { name: 'NAS-IP-Address', value: '10.0.0.2' }]), 'n');
  assert.deepEqual(on.change, { kind: 'nas-reset', nasIp: '10.0.0.2', at: 1_700_000_123_456 });
  assert.equal(toAccountingWrite(event([]), 'n').record.statusType, 'Unknown');
});
