/** Every data type through encode and decode, malformed input, and radclient interop. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import {
  Code,
  ciscoAvPair,
  ciscoAvPairs,
  codeName,
  decodePacket,
  encodePacket,
  errorCauseText,
  getAttribute,
  peekHeader,
  revealUserPassword,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  type AttributeInput,
} from '../../src/radius/index.js';
import { needTool } from '../helpers/tools.js';

const roundTrip = (code: number, attributes: AttributeInput[]) =>
  decodePacket(encodePacket({ code, identifier: 42, attributes }, { secret: 'k' }));

test('every data type survives encode → decode', () => {
  const p = roundTrip(Code.AccountingRequest, [
    { name: 'User-Name', value: 'ünïcode <user>' },
    { name: 'Acct-Status-Type', value: 'Interim-Update' },
    { name: 'NAS-IP-Address', value: '10.0.0.1' },
    { name: 'NAS-IPv6-Address', value: '2001:db8::1' },
    { name: 'Framed-IPv6-Prefix', value: '2001:db8:abcd::/48' },
    { name: 'Framed-Interface-Id', value: '0211:22ff:fe33:4455' },
    { name: 'Event-Timestamp', value: 1700000000 },
    { name: 'Class', value: Buffer.from([0, 1, 2, 255]) },
    { name: 'Tunnel-Type', value: 'VLAN', tag: 1 },
    { name: 'Tunnel-Medium-Type', value: 6, tag: 1 },
    { name: 'Tunnel-Private-Group-ID', value: '120', tag: 1 },
    { name: 'Tunnel-Private-Group-ID', value: 'untagged' },
    { name: 'Cisco-AVPair', value: 'audit-session-id=0A0B0C0D' },
    { name: 'Cisco-AVPair', value: 'method=mab' },
    { name: 'Cisco-AVPair', value: 'cts:security-group-tag=0004-00' },
    { name: 'Aruba-User-Role', value: 'employee' },
    { name: 'Aruba-User-Vlan', value: 20 },
    { type: 250, value: Buffer.from('raw') },
    { type: 26, vendorId: 99999, vendorType: 7, value: Buffer.from('vendor raw') },
  ]);
  const pairs = p.attributes.map((a) => [a.name, Buffer.isBuffer(a.value) ? a.value.toString('hex') : a.value, a.tag]);
  assert.deepEqual(pairs, [
    ['User-Name', 'ünïcode <user>', undefined],
    ['Acct-Status-Type', 3, undefined],
    ['NAS-IP-Address', '10.0.0.1', undefined],
    ['NAS-IPv6-Address', '2001:db8::1', undefined],
    ['Framed-IPv6-Prefix', '2001:db8:abcd::/48', undefined],
    ['Framed-Interface-Id', '0211:22ff:fe33:4455', undefined],
    ['Event-Timestamp', 1700000000, undefined],
    ['Class', '000102ff', undefined],
    ['Tunnel-Type', 13, 1],
    ['Tunnel-Medium-Type', 6, 1],
    ['Tunnel-Private-Group-ID', '120', 1],
    ['Tunnel-Private-Group-ID', 'untagged', undefined],
    ['Cisco-AVPair', 'audit-session-id=0A0B0C0D', undefined],
    ['Cisco-AVPair', 'method=mab', undefined],
    ['Cisco-AVPair', 'cts:security-group-tag=0004-00', undefined],
    ['Aruba-User-Role', 'employee', undefined],
    ['Aruba-User-Vlan', 20, undefined],
    ['Attr-250', Buffer.from('raw').toString('hex'), undefined],
    ['Vendor-99999-Attr-7', Buffer.from('vendor raw').toString('hex'), undefined],
  ]);
  assert.deepEqual(ciscoAvPairs(p), ['audit-session-id=0A0B0C0D', 'method=mab', 'cts:security-group-tag=0004-00']);
  assert.equal(ciscoAvPair(p, 'audit-session-id'), '0A0B0C0D');
  assert.equal(ciscoAvPair(p, 'audit'), undefined);
  assert.equal(getAttribute(p, 'Aruba-User-Vlan')?.vendorId, 14823);
});

test('names: codes, enumerated values, Error-Cause in words', () => {
  assert.equal(codeName(43), 'CoA-Request');
  assert.equal(codeName(99), 'Code-99');
  assert.match(errorCauseText(503), /^503 Session-Context-Not-Found: the NAS has no session/);
  assert.match(errorCauseText(406), /Unsupported-Extension/);
  assert.equal(errorCauseText(999), 'Error-Cause 999');
});

test('values that do not fit their type are kept as invalid octets, not thrown (RFC 6929 §2.8)', () => {
  const datagram = Buffer.from([4, 1, 0, 28, ...Buffer.alloc(16), 5, 5, 0, 0, 1, 8, 3, 1]);
  const p = decodePacket(datagram);
  assert.equal(p.attributes[0]!.name, 'NAS-Port');
  assert.equal(p.attributes[0]!.invalid, true);
  assert.deepEqual(p.attributes[0]!.value, Buffer.from([0, 0, 1]));
  assert.equal(p.attributes[1]!.invalid, true, 'a 1-octet Framed-IP-Address');
});

test('encoding refuses what cannot be sent', () => {
  const enc = (attributes: AttributeInput[]) => () => encodePacket({ code: Code.AccountingRequest, identifier: 1, attributes }, { secret: 'k' });
  assert.throws(enc([{ name: 'No-Such-Attribute', value: 'x' }]), { code: 'RADIUS_UNKNOWN_ATTRIBUTE' });
  assert.throws(enc([{ name: 'NAS-IP-Address', value: '300.1.1.1' }]), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(enc([{ name: 'Acct-Status-Type', value: 'Sometimes' }]), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(enc([{ name: 'NAS-Port', value: -1 }]), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(enc([{ name: 'Reply-Message', value: 'x'.repeat(254) }]), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(enc(Array.from({ length: 20 }, () => ({ name: 'Reply-Message', value: 'x'.repeat(250) }))), { code: 'RADIUS_PACKET_TOO_LONG' });
  assert.throws(() => encodePacket({ code: 99, identifier: 1, attributes: [] }, { secret: 'k' }), { code: 'RADIUS_UNKNOWN_CODE' });
});

test('malformed packets raise typed errors', () => {
  const good = encodePacket({ code: Code.AccountingRequest, identifier: 1, attributes: [{ name: 'User-Name', value: 'abc' }] }, { secret: 'k' });
  const withLength = (n: number) => {
    const c = Buffer.from(good);
    c.writeUInt16BE(n, 2);
    return c;
  };
  const attrLen = (n: number) => {
    const c = Buffer.from(good);
    c[21] = n;
    return c;
  };
  const cases: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'RADIUS_PACKET_TOO_SHORT'],
    ['19 octets', good.subarray(0, 19), 'RADIUS_PACKET_TOO_SHORT'],
    ['Length 19', withLength(19), 'RADIUS_LENGTH_MISMATCH'],
    ['Length 4097', withLength(4097), 'RADIUS_PACKET_TOO_LONG'],
    ['Length beyond datagram', withLength(good.length + 1), 'RADIUS_LENGTH_MISMATCH'],
    ['attribute length 0', attrLen(0), 'RADIUS_BAD_ATTRIBUTE'],
    ['attribute length 1', attrLen(1), 'RADIUS_BAD_ATTRIBUTE'],
    ['attribute overflowing', attrLen(40), 'RADIUS_BAD_ATTRIBUTE'],
    ['lone attribute type octet', Buffer.concat([withLength(good.length + 1), Buffer.from([1])]), 'RADIUS_BAD_ATTRIBUTE'],
    ['unknown code', Buffer.from([0, ...good.subarray(1)]), 'RADIUS_UNKNOWN_CODE'],
  ];
  for (const [name, datagram, code] of cases) {
    assert.throws(() => decodePacket(datagram), { code }, name);
  }
  // RFC 2865 §3: octets past Length are padding.
  assert.equal(decodePacket(Buffer.concat([good, Buffer.alloc(10, 0xff)])).attributes.length, 1);
  assert.deepEqual(peekHeader(good), { code: 4, identifier: 1, length: good.length });
  // A VSA too short for its vendor header is kept, invalid, rather than thrown.
  const shortVsa = Buffer.from([4, 1, 0, 25, ...Buffer.alloc(16), 26, 5, 0, 0, 9]);
  assert.equal(decodePacket(shortVsa).attributes[0]!.invalid, true);
});

test('radclient-built packets decode and verify with our codec', { skip: needTool('radclient', 'freeradius-utils') }, async () => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  const send = (kind: string, attrs: string) =>
    new Promise<void>((resolve) => {
      const child = spawn('radclient', ['-r', '1', '-t', '1', `127.0.0.1:${port}`, kind, 'interop-secret'], { stdio: ['pipe', 'ignore', 'ignore'] });
      child.on('close', () => resolve());
      child.stdin.end(attrs + '\n');
    });
  try {
    await send('auth', 'User-Name = "nemo", User-Password = "arctangent", Message-Authenticator = 0x00, Tunnel-Private-Group-Id:1 = "120"');
    await send('acct', 'Acct-Status-Type = Interim-Update, Acct-Session-Id = "A1", Acct-Input-Gigawords = 2, Event-Timestamp = "Nov 23 2026 01:00:00 UTC", Cisco-AVPair = "audit-session-id=ABC", Framed-IPv6-Prefix = 2001:db8::/64');
    const auth = decodePacket(received.find((d) => d[0] === 1)!);
    assert.equal(verifyMessageAuthenticator(received.find((d) => d[0] === 1)!, 'interop-secret'), true);
    assert.equal(revealUserPassword(getAttribute(auth, 'User-Password')!.value as Buffer, 'interop-secret', auth.authenticator), 'arctangent');
    assert.equal(getAttribute(auth, 'Tunnel-Private-Group-ID')?.tag, 1);
    const acctDatagram = received.find((d) => d[0] === 4)!;
    assert.equal(verifyRequestAuthenticator(acctDatagram, 'interop-secret'), true);
    const acct = decodePacket(acctDatagram);
    assert.equal(getAttribute(acct, 'Acct-Status-Type')?.value, 3);
    assert.equal(getAttribute(acct, 'Acct-Input-Gigawords')?.value, 2);
    assert.equal(typeof getAttribute(acct, 'Event-Timestamp')?.value, 'number');
    assert.equal(ciscoAvPair(acct, 'audit-session-id'), 'ABC');
    assert.equal(getAttribute(acct, 'Framed-IPv6-Prefix')?.value, '2001:db8::/64');
  } finally {
    socket.close();
  }
});
