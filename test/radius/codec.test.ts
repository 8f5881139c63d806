/** Every data type through encode and decode, the edges of each, and malformed input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenMntError } from '../../src/errors.js';
import {
  Code,
  ciscoAvPair,
  ciscoAvPairs,
  decodePacket,
  encodePacket,
  encodeResponse,
  responseBasis,
  getAttribute,
  getAttributes,
  getNumber,
  getString,
  peekHeader,
  type Attribute,
  type AttributeInput,
  type RadiusPacket,
} from '../../src/radius/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const encode = (attributes: AttributeInput[], code: number = Code.AccountingRequest) =>
  encodePacket({ code, identifier: 42, attributes }, { secret: 'k' });
const roundTrip = (attributes: AttributeInput[], code?: number) => decodePacket(encode(attributes, code));
/** The value octets of the first attribute of an encoded packet. */
const firstValue = (datagram: Buffer) => datagram.subarray(22, 20 + datagram[21]!);
/** A datagram of one code with the given attribute octets. */
const datagramWith = (attributes: Buffer, code: number = Code.AccountingRequest) => {
  const out = Buffer.concat([Buffer.from([code, 1, 0, 0]), Buffer.alloc(16), attributes]);
  out.writeUInt16BE(out.length, 2);
  return out;
};
const view = (p: RadiusPacket) => p.attributes.map((a) => [a.name, Buffer.isBuffer(a.value) ? a.value.toString('hex') : a.value, a.tag]);

test('every data type survives encode → decode', () => {
  const p = roundTrip([
    { name: 'User-Name', value: 'ünïcode <user> 用户' },
    { name: 'Acct-Status-Type', value: 'Interim-Update' },
    { name: 'NAS-IP-Address', value: '10.0.0.1' },
    { name: 'NAS-IPv6-Address', value: '2001:db8::1' },
    { name: 'Framed-IPv6-Prefix', value: '2001:db8:abcd::/48' },
    { name: 'Framed-Interface-Id', value: '0211:22ff:fe33:4455' },
    { name: 'Event-Timestamp', value: 1700000000 },
    { name: 'Class', value: Buffer.from([0, 1, 2, 255]) },
    { name: 'Tunnel-Type', value: 'VLAN', tag: 1 },
    { name: 'Tunnel-Medium-Type', value: 'IEEE-802', tag: 1 },
    { name: 'Tunnel-Private-Group-ID', value: '120', tag: 1 },
    { name: 'Tunnel-Private-Group-ID', value: 'untagged' },
    { name: 'Cisco-AVPair', value: 'audit-session-id=0A0B0C0D' },
    { name: 'Cisco-AVPair', value: 'method=mab' },
    { name: 'Cisco-AVPair', value: 'cts:security-group-tag=0004-00' },
    { name: 'Aruba-User-Role', value: 'employee' },
    { name: 'Aruba-User-Vlan', value: 20 },
    { name: 'MS-MPPE-Send-Key', value: Buffer.alloc(34, 7) },
    { name: 'Error-Cause', value: 'Session-Context-Not-Found' },
    { name: 'Framed-IPv6-Address', value: '2001:db8::abcd:1' },
    { name: 'Login-IPv6-Host', value: '::' },
    { type: 250, value: Buffer.from('raw') },
    { type: 26, vendorId: 99999, vendorType: 7, value: Buffer.from('vendor raw') },
    { vendorId: 9, vendorType: 2, value: 'Gi1/0/1' },
  ]);
  assert.deepEqual(view(p), [
    ['User-Name', 'ünïcode <user> 用户', undefined],
    ['Acct-Status-Type', 3, undefined],
    ['NAS-IP-Address', '10.0.0.1', undefined],
    ['NAS-IPv6-Address', '2001:db8::1', undefined],
    ['Framed-IPv6-Prefix', '2001:db8:abcd::/48', undefined],
    ['Framed-Interface-Id', '211:22ff:fe33:4455', undefined],
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
    ['MS-MPPE-Send-Key', '07'.repeat(34), undefined],
    ['Error-Cause', 503, undefined],
    ['Framed-IPv6-Address', '2001:db8::abcd:1', undefined],
    ['Login-IPv6-Host', '::', undefined],
    ['Attr-250', Buffer.from('raw').toString('hex'), undefined],
    ['Vendor-99999-Attr-7', Buffer.from('vendor raw').toString('hex'), undefined],
    ['Cisco-NAS-Port', 'Gi1/0/1', undefined],
  ]);
  const aruba = getAttribute(p, 'Aruba-User-Vlan')!;
  assert.deepEqual([aruba.type, aruba.vendorId, aruba.vendorType], [26, 14823, 2]);
  assert.equal(getAttribute(p, 'Framed-IPv6-Prefix')!.vendorId, undefined);
});

test('wire formats: each type writes the octets its RFC specifies', () => {
  const one = (input: AttributeInput) => firstValue(encode([input]));
  assert.deepEqual(one({ name: 'NAS-Port', value: 0xfffffffe }), hex('fffffffe'));
  assert.deepEqual(one({ name: 'Acct-Status-Type', value: 'accounting-on' }), hex('00000007'), 'value names match in any case');
  assert.deepEqual(one({ name: 'Acct-Status-Type', value: 'Alive' }), hex('00000003'), 'aliases are accepted');
  assert.deepEqual(one({ name: 'Session-Timeout', value: '3600' }), hex('00000e10'), 'digits are accepted');
  assert.deepEqual(one({ name: 'Framed-IP-Address', value: '255.0.10.1' }), hex('ff000a01'));
  assert.deepEqual(one({ name: 'NAS-IPv6-Address', value: '::ffff:192.0.2.1' }), hex('00000000000000000000ffffc0000201'));
  assert.deepEqual(one({ name: 'NAS-IPv6-Address', value: 'FE80:0:0:0:1:2:3:4' }), hex('fe800000000000000001000200030004'));
  // RFC 3162 §2.3: Reserved, Prefix-Length, Prefix (sent whole, host bits cleared).
  assert.deepEqual(one({ name: 'Framed-IPv6-Prefix', value: '2001:db8:ffff:ffff::1/33' }), hex('0021 20010db8800000000000000000000000'));
  assert.deepEqual(one({ name: 'Framed-IPv6-Prefix', value: '::/0' }), hex('0000 00000000000000000000000000000000'));
  assert.deepEqual(one({ name: 'Framed-IPv6-Prefix', value: '2001:db8::1/128' }), hex('0080 20010db8000000000000000000000001'));
  assert.deepEqual(one({ name: 'Framed-Interface-Id', value: '0123456789ABCDEF' }), hex('0123456789abcdef'));
  assert.deepEqual(one({ name: 'Framed-Interface-Id', value: '0:1:a:ffff' }), hex('0000 0001 000a ffff'));
  assert.deepEqual(one({ name: 'Event-Timestamp', value: 0 }), hex('00000000'));
  // RFC 2868 §3.1, §3.5: tagged integer = tag + 24 bits; tagged string = tag only when one is given.
  assert.deepEqual(one({ name: 'Tunnel-Type', value: 'VLAN', tag: 1 }), hex('0100000d'));
  assert.deepEqual(one({ name: 'Tunnel-Type', value: 'VLAN' }), hex('0000000d'));
  assert.deepEqual(one({ name: 'Tunnel-Private-Group-ID', value: 120, tag: 31 }), hex('1f 313230'));
  assert.deepEqual(one({ name: 'Tunnel-Private-Group-ID', value: '120' }), hex('313230'));
  assert.deepEqual(one({ name: 'Tunnel-Private-Group-ID', value: '\x05x' }), hex('00 0578'), 'an explicit "no tag" before a low first octet');
  assert.deepEqual(one({ name: 'Tunnel-Private-Group-ID', value: '' }), hex(''));
  // Vendor-Specific: 26, length, Vendor-Id, vendor type, vendor length, value (RFC 2865 §5.26).
  assert.deepEqual(encode([{ name: 'Cisco-AVPair', value: 'a=b' }]).subarray(20), hex('1a 0b 00000009 01 05 613d62'));
  assert.deepEqual(encode([{ name: 'Aruba-User-Vlan', value: 5 }]).subarray(20), hex('1a 0c 000039e7 02 06 00000005'));
  // A Buffer is written as is, whatever the type (here an already hidden password).
  assert.deepEqual(one({ name: 'User-Password', value: Buffer.alloc(16, 1) }), Buffer.alloc(16, 1));
  assert.deepEqual(one({ name: 'NAS-Port', value: Buffer.from([1, 2]) }), hex('0102'));
});

test('tagged tunnel attributes decode per RFC 2868', () => {
  const p = decodePacket(
    datagramWith(
      hex(`40 06 01 00 00 0d
           40 06 00 00 00 0d
           51 06 01 31 32 30
           51 05 31 32 30
           51 06 00 05 61 62
           51 03 00
           51 02
           41 05 01 00 06
           40 06 20 00 00 0d`),
    ),
  );
  assert.deepEqual(
    p.attributes.map((a) => [a.name, a.value, a.tag, a.invalid]),
    [
      ['Tunnel-Type', 13, 1, undefined],
      ['Tunnel-Type', 13, undefined, undefined],
      ['Tunnel-Private-Group-ID', '120', 1, undefined],
      ['Tunnel-Private-Group-ID', '120', undefined, undefined],
      ['Tunnel-Private-Group-ID', '\x05ab', undefined, undefined],
      ['Tunnel-Private-Group-ID', '', undefined, undefined],
      ['Tunnel-Private-Group-ID', '', undefined, undefined],
      ['Tunnel-Medium-Type', hex('010006'), undefined, true],
      ['Tunnel-Type', hex('2000000d'), undefined, true],
    ],
  );
  assert.deepEqual(
    view(roundTrip(p.attributes.slice(0, 7))),
    view({ ...p, attributes: p.attributes.slice(0, 7) }),
    'decoded tunnel attributes re-encode to the same values',
  );
});

test('IPv6 prefixes and addresses: text forms and the octets that do not fit', () => {
  const prefix = (octets: string) => decodePacket(datagramWith(Buffer.concat([Buffer.from([97, 2 + octets.length / 2]), hex(octets)]))).attributes[0]!;
  assert.equal(prefix('0020 20010db8').value, '2001:db8::/32', 'only the octets the prefix needs');
  assert.equal(prefix('0040 20010db8000000010000000000000000').value, '2001:db8:0:1::/64', 'all 16 octets');
  assert.equal(prefix('0010 20010db8').value, '2001::/16', 'bits past the prefix length are cleared');
  assert.equal(prefix('0000').value, '::/0');
  assert.equal(prefix('0041 20010db8').invalid, true, 'longer than the octets given');
  assert.equal(prefix('0081 20010db8000000000000000000000000').invalid, true, 'over 128');
  assert.equal(prefix('00').invalid, true);
  assert.equal(prefix('0080 20010db800000000000000000000000000').invalid, true, '17 octets of prefix');
  const addr = (octets: string) => decodePacket(datagramWith(Buffer.concat([Buffer.from([95, 18]), hex(octets)]))).attributes[0]!.value;
  assert.equal(addr('00000000000000000000000000000001'), '::1');
  assert.equal(addr('20010db8000000000001000000000001'), '2001:db8::1:0:0:1', 'RFC 5952: the first longest zero run');
  assert.equal(addr('20010db8000100000001000100010001'), '2001:db8:1:0:1:1:1:1', 'RFC 5952: one zero group is not shortened');
  assert.equal(addr('fe800000000000000000000000000000'), 'fe80::');
  for (const bad of ['2001:db8::1::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'fe80::1%eth0', '12345::', '::1.2.3', ':1::', '10.0.0.1', 'g::']) {
    assert.throws(() => encode([{ name: 'NAS-IPv6-Address', value: bad }]), { code: 'RADIUS_BAD_VALUE' }, bad);
  }
  for (const bad of ['2001:db8::', '2001:db8::/129', '2001:db8::/x', '/64', 'zz::/64']) {
    assert.throws(() => encode([{ name: 'Framed-IPv6-Prefix', value: bad }]), { code: 'RADIUS_BAD_VALUE' }, bad);
  }
});

test('repeated Cisco-AVPairs keep packet order; accessors read them', () => {
  const p = roundTrip([
    { name: 'Cisco-AVPair', value: 'audit-session-id=0A0B0C0D0000001A' },
    { name: 'User-Name', value: 'alice' },
    { name: 'Cisco-AVPair', value: 'method=dot1x' },
    { name: 'Cisco-AVPair', value: 'ip:inacl#101=permit ip any any' },
    { name: 'Cisco-AVPair', value: 'audit-session-id=SECOND' },
    { name: 'Cisco-AVPair', value: 'optional*yes' },
    { name: 'Acct-Status-Type', value: 'Stop' },
    { name: 'Acct-Terminate-Cause', value: 'Admin-Reset' },
    { name: 'Class', value: Buffer.from('CACS:abc') },
  ]);
  assert.deepEqual(ciscoAvPairs(p), ['audit-session-id=0A0B0C0D0000001A', 'method=dot1x', 'ip:inacl#101=permit ip any any', 'audit-session-id=SECOND', 'optional*yes']);
  assert.equal(ciscoAvPair(p, 'audit-session-id'), '0A0B0C0D0000001A', 'the first one wins');
  assert.equal(ciscoAvPair(p, 'ip:inacl#101'), 'permit ip any any');
  assert.equal(ciscoAvPair(p, 'optional'), 'yes');
  assert.equal(ciscoAvPair(p, 'audit'), undefined);
  assert.equal(ciscoAvPair(p, 'nothing'), undefined);
  assert.equal(getAttributes(p, 'cisco-avpair').length, 5, 'names match in any case');
  assert.equal(getString(p, 'User-Name'), 'alice');
  assert.equal(getString(p, 'Acct-Status-Type'), 'Stop', 'named values read by name');
  assert.equal(getString(p, 'Acct-Terminate-Cause'), 'Admin-Reset');
  assert.equal(getString(p, 'Class'), 'CACS:abc');
  assert.equal(getNumber(p, 'Acct-Status-Type'), 2);
  assert.equal(getNumber(p, 'User-Name'), undefined);
  assert.equal(getString(p, 'Reply-Message'), undefined);
  assert.equal(getAttribute(p, 'No-Such-Name'), undefined);
  assert.equal(ciscoAvPairs({ ...p, attributes: [] }).length, 0);
});

test('values that do not fit their type are kept as invalid octets, not thrown (RFC 6929 §2.8)', () => {
  const p = decodePacket(
    datagramWith(
      hex(`05 05 000001
           08 03 01
           37 07 0000000001
           60 06 00000000
           5f 04 0000
           01 04 c3 28
           1a 0b 000039e7 02 05 000005`),
    ),
  );
  assert.deepEqual(
    p.attributes.map((a) => [a.name, Buffer.isBuffer(a.value) ? a.value.toString('hex') : a.value, a.invalid]),
    [
      ['NAS-Port', '000001', true],
      ['Framed-IP-Address', '01', true],
      ['Event-Timestamp', '0000000001', true],
      ['Framed-Interface-Id', '00000000', true],
      ['NAS-IPv6-Address', '0000', true],
      ['User-Name', 'c328', true],
      ['Aruba-User-Vlan', '000005', true],
    ],
  );
  assert.equal(p.attributes[6]!.vendorId, 14823);
  // Invalid attributes re-encode to the same octets.
  const again = decodePacket(encode(p.attributes));
  assert.deepEqual(again.attributes, p.attributes);
});

test('unknown attributes decode by number and encode back by name', () => {
  const p = decodePacket(datagramWith(hex('fe 05 010203 1a 0c 0001869f 07 06 7665 6e64 1a 09 00000009 fe 03 ff')));
  assert.deepEqual(
    p.attributes.map((a) => [a.name, a.type, a.vendorId, a.vendorType, (a.value as Buffer).toString('hex')]),
    [
      ['Attr-254', 254, undefined, undefined, '010203'],
      ['Vendor-99999-Attr-7', 26, 99999, 7, '76656e64'],
      ['Vendor-9-Attr-254', 26, 9, 254, 'ff'],
    ],
  );
  const byName = roundTrip(p.attributes.map((a) => ({ name: a.name, value: a.value })));
  assert.deepEqual(byName.attributes, p.attributes);
  assert.throws(() => encode([{ name: 'No-Such-Attribute', value: 'x' }]), { code: 'RADIUS_UNKNOWN_ATTRIBUTE' });
  assert.throws(() => encode([{ name: 'Attr-256', value: 'x' }]), { code: 'RADIUS_BAD_VALUE' });
});

test('the Vendor-Specific container: short, malformed and foreign layouts are kept whole', () => {
  const cases: [string, Buffer, Partial<Attribute>][] = [
    ['shorter than Vendor-Id', hex('1a 05 000009'), { name: 'Vendor-Specific', invalid: true }],
    ['Vendor-Id only', hex('1a 06 00000009'), { name: 'Vendor-Specific', vendorId: 9, invalid: true }],
    ['one lone octet after the Vendor-Id', hex('1a 07 00000009 01'), { name: 'Vendor-Specific', vendorId: 9, invalid: true }],
    ['sub-attribute length 1', hex('1a 08 00000009 01 01'), { name: 'Vendor-Specific', vendorId: 9, invalid: true }],
    ['sub-attribute overflowing', hex('1a 09 00000009 01 05 61'), { name: 'Vendor-Specific', vendorId: 9, invalid: true }],
    ['second sub-attribute broken', hex('1a 0b 00000009 01 03 61 01 00'), { name: 'Vendor-Specific', vendorId: 9, invalid: true }],
  ];
  for (const [label, attribute, expected] of cases) {
    const p = decodePacket(datagramWith(attribute));
    assert.equal(p.attributes.length, 1, label);
    const a = p.attributes[0]!;
    assert.deepEqual({ name: a.name, vendorId: a.vendorId, invalid: a.invalid }, { vendorId: undefined, ...expected }, label);
    assert.deepEqual(a.value, attribute.subarray(2), `${label}: the raw value is kept`);
    assert.deepEqual(encode(p.attributes).subarray(20), attribute, `${label}: and re-encodes unchanged`);
  }
  // Two sub-attributes in one VSA (allowed by RFC 2865 §5.26) decode as two attributes.
  const two = decodePacket(datagramWith(hex('1a 10 00000009 01 05 613d62 01 05 633d64')));
  assert.deepEqual(ciscoAvPairs(two), ['a=b', 'c=d']);
});

test('malformed datagrams raise typed errors', () => {
  const good = encode([{ name: 'User-Name', value: 'abc' }]);
  const withLength = (n: number) => {
    const c = Buffer.from(good);
    c.writeUInt16BE(n, 2);
    return c;
  };
  const attributeLength = (n: number) => {
    const c = Buffer.from(good);
    c[21] = n;
    return c;
  };
  const cases: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'RADIUS_PACKET_TOO_SHORT'],
    ['19 octets', good.subarray(0, 19), 'RADIUS_PACKET_TOO_SHORT'],
    ['Length 0', withLength(0), 'RADIUS_LENGTH_MISMATCH'],
    ['Length 19', withLength(19), 'RADIUS_LENGTH_MISMATCH'],
    ['Length 4097', withLength(4097), 'RADIUS_PACKET_TOO_LONG'],
    ['Length 65535', withLength(65535), 'RADIUS_PACKET_TOO_LONG'],
    ['Length beyond the datagram', withLength(good.length + 1), 'RADIUS_LENGTH_MISMATCH'],
    ['truncated datagram', good.subarray(0, good.length - 1), 'RADIUS_LENGTH_MISMATCH'],
    ['attribute length 0', attributeLength(0), 'RADIUS_BAD_ATTRIBUTE'],
    ['attribute length 1', attributeLength(1), 'RADIUS_BAD_ATTRIBUTE'],
    ['attribute overflowing', attributeLength(40), 'RADIUS_BAD_ATTRIBUTE'],
    ['a lone attribute type octet', Buffer.concat([withLength(good.length + 1), Buffer.from([1])]), 'RADIUS_BAD_ATTRIBUTE'],
    ['unknown code 0', Buffer.from([0, ...good.subarray(1)]), 'RADIUS_UNKNOWN_CODE'],
    ['unknown code 6', Buffer.from([6, ...good.subarray(1)]), 'RADIUS_UNKNOWN_CODE'],
  ];
  for (const [name, datagram, code] of cases) {
    assert.throws(
      () => decodePacket(datagram),
      (e: unknown) => e instanceof OpenMntError && e.code === code,
      name,
    );
  }
  for (const [name, datagram, code] of cases.filter(([, , c]) => c !== 'RADIUS_BAD_ATTRIBUTE')) {
    assert.throws(() => peekHeader(datagram), { code }, `peekHeader: ${name}`);
  }
  // RFC 2865 §3: octets past Length are padding.
  const padded = Buffer.concat([good, Buffer.alloc(10, 0xff)]);
  assert.deepEqual(view(decodePacket(padded)), [['User-Name', 'abc', undefined]]);
  assert.deepEqual(peekHeader(padded), { code: Code.AccountingRequest, identifier: 42, length: good.length });
  assert.deepEqual(decodePacket(Buffer.from(good.subarray(0, 20).map((b, i) => (i === 3 ? 20 : b)))).attributes, [], 'a bare header');
});

test('encoding refuses what cannot be sent', () => {
  const refuses = (attributes: AttributeInput[], code: string, label: string) => assert.throws(() => encode(attributes), { code }, label);
  refuses([{ name: 'NAS-IP-Address', value: '300.1.1.1' }], 'RADIUS_BAD_VALUE', 'octet > 255');
  refuses([{ name: 'NAS-IP-Address', value: '10.0.0.01' }], 'RADIUS_BAD_VALUE', 'leading zero');
  refuses([{ name: 'NAS-IP-Address', value: 167772161 }], 'RADIUS_BAD_VALUE', 'a number');
  refuses([{ name: 'Acct-Status-Type', value: 'Sometimes' }], 'RADIUS_BAD_VALUE', 'unknown value name');
  refuses([{ name: 'Acct-Status-Type', value: 'constructor' }], 'RADIUS_BAD_VALUE', 'no prototype lookups');
  refuses([{ name: 'NAS-Port', value: -1 }], 'RADIUS_BAD_VALUE', 'negative');
  refuses([{ name: 'NAS-Port', value: 2 ** 32 }], 'RADIUS_BAD_VALUE', 'over 32 bits');
  refuses([{ name: 'NAS-Port', value: 1.5 }], 'RADIUS_BAD_VALUE', 'fraction');
  refuses([{ name: 'Tunnel-Type', value: 0x1000000, tag: 1 }], 'RADIUS_BAD_VALUE', 'over 24 bits');
  refuses([{ name: 'Tunnel-Type', value: 13, tag: 32 }], 'RADIUS_BAD_VALUE', 'tag over 0x1F');
  refuses([{ name: 'User-Name', value: 'x', tag: 1 }], 'RADIUS_BAD_VALUE', 'tag on an untagged attribute');
  refuses([{ name: 'Framed-Interface-Id', value: '0123' }], 'RADIUS_BAD_VALUE', 'short ifid');
  refuses([{ name: 'Class', value: 5 }], 'RADIUS_BAD_VALUE', 'a number as octets');
  refuses([{ name: 'Reply-Message', value: 'x'.repeat(254) }], 'RADIUS_BAD_VALUE', '254 octets');
  refuses([{ name: 'Reply-Message', value: 'é'.repeat(127) }], 'RADIUS_BAD_VALUE', '254 octets of UTF-8');
  refuses([{ name: 'Class', value: Buffer.alloc(254) }], 'RADIUS_BAD_VALUE', '254 raw octets');
  refuses([{ name: 'Cisco-AVPair', value: 'x'.repeat(248) }], 'RADIUS_BAD_VALUE', '248 octets in a VSA');
  refuses([{ name: 'Tunnel-Private-Group-ID', value: 'x'.repeat(253), tag: 1 }], 'RADIUS_BAD_VALUE', 'tag + 253');
  refuses([{ type: 256, value: Buffer.alloc(1) }], 'RADIUS_BAD_VALUE', 'type 256');
  refuses([{ type: 1, vendorId: 9, vendorType: 1, value: Buffer.alloc(1) } as unknown as AttributeInput], 'RADIUS_BAD_VALUE', 'vendor attribute of type 1');
  refuses([{ name: 'User-Password', value: 'secret' }], 'RADIUS_BAD_VALUE', 'a password that cannot be hidden');
  refuses(Array.from({ length: 17 }, () => ({ name: 'Reply-Message', value: 'x'.repeat(250) })), 'RADIUS_PACKET_TOO_LONG', 'over 4096');
  assert.equal(encode([{ name: 'Reply-Message', value: 'x'.repeat(253) }]).length, 20 + 255);
  assert.equal(encode([{ name: 'Reply-Message', value: 'é'.repeat(126) + 'x' }]).length, 20 + 255, '253 octets of UTF-8');
  assert.equal(encode([{ name: 'Cisco-AVPair', value: 'x'.repeat(247) }]).length, 20 + 255);
  // Exactly 4096 octets is allowed, one more is not.
  const fill = (last: number): AttributeInput[] => [...Array.from({ length: 15 }, () => ({ name: 'Class', value: Buffer.alloc(253) })), { name: 'Class', value: Buffer.alloc(last) }];
  assert.equal(encode(fill(4096 - 20 - 15 * 255 - 2)).length, 4096);
  assert.throws(() => encode(fill(4096 - 20 - 15 * 255 - 1)), { code: 'RADIUS_PACKET_TOO_LONG' });
  assert.throws(() => encodePacket({ code: 99, identifier: 1, attributes: [] }, { secret: 'k' }), { code: 'RADIUS_UNKNOWN_CODE' });
  assert.throws(() => encodePacket({ code: 4, identifier: 256, attributes: [] }, { secret: 'k' }), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(() => encodePacket({ code: 1, identifier: 1, attributes: [], authenticator: Buffer.alloc(15) }, { secret: 'k' }), { code: 'RADIUS_BAD_VALUE' });
});

test('Access-Request authenticators are random unless supplied', () => {
  const a = encodePacket({ code: Code.AccessRequest, identifier: 1, attributes: [] }, { secret: 'k' });
  const b = encodePacket({ code: Code.AccessRequest, identifier: 1, attributes: [] }, { secret: 'k' });
  assert.notDeepEqual(a.subarray(4, 20), b.subarray(4, 20));
  const given = Buffer.alloc(16, 3);
  assert.deepEqual(encodePacket({ code: Code.StatusClient, identifier: 1, attributes: [], authenticator: given }, { secret: 'k' }).subarray(4, 20), given);
});

test('encodeResponse: same identifier, Proxy-State echoed, responses only', () => {
  const request = decodePacket(
    encode(
      [
        { name: 'User-Name', value: 'u' },
        { name: 'Proxy-State', value: Buffer.from('first') },
        { name: 'Proxy-State', value: Buffer.from('second') },
      ],
      Code.AccessRequest,
    ),
  );
  const reply = decodePacket(encodeResponse(request, Code.AccessReject, [{ name: 'Reply-Message', value: 'no' }], 'k'));
  assert.equal(reply.identifier, 42);
  assert.deepEqual(view(reply), [
    ['Reply-Message', 'no', undefined],
    ['Proxy-State', Buffer.from('first').toString('hex'), undefined],
    ['Proxy-State', Buffer.from('second').toString('hex'), undefined],
  ]);
  const own = decodePacket(encodeResponse(request, Code.AccessReject, [{ name: 'proxy-state', value: Buffer.from('mine') }], 'k'));
  assert.deepEqual(view(own), [['Proxy-State', Buffer.from('mine').toString('hex'), undefined]], 'listed Proxy-State replaces the echo');
  assert.throws(() => encodeResponse(request, Code.AccessRequest, [], 'k'), { code: 'RADIUS_BAD_VALUE' });
});

test('responseBasis keeps what encodeResponse needs: the same answer from a fraction of the packet', () => {
  const request = decodePacket(
    encode(
      [
        { name: 'User-Name', value: 'u' },
        { name: 'Proxy-State', value: Buffer.from('first') },
        { name: 'Class', value: Buffer.from('c') },
        { name: 'Proxy-State', value: Buffer.from('second') },
      ],
      Code.AccessRequest,
    ),
  );
  const basis = responseBasis(request);
  assert.deepEqual(basis.attributes.map((a) => a.name), ['Proxy-State', 'Proxy-State']);
  for (const options of [{}, { messageAuthenticator: true }]) {
    assert.deepEqual(encodeResponse(basis, Code.AccessAccept, [{ name: 'Reply-Message', value: 'ok' }], 'k', options), encodeResponse(request, Code.AccessAccept, [{ name: 'Reply-Message', value: 'ok' }], 'k', options));
  }
});

test('decoded values are views of the datagram, not copies', () => {
  const datagram = encode([{ name: 'Class', value: Buffer.from('abc') }]);
  const p = decodePacket(datagram);
  assert.equal((p.attributes[0]!.value as Buffer).buffer, datagram.buffer);
  assert.equal(p.authenticator.buffer, datagram.buffer);
});
