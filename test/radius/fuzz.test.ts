/**
 * Fuzz: random buffers and mutations of valid packets. The decoder may reject them, but only
 * with an OpenMntError carrying a RADIUS_* code; anything else (a RangeError from a bad read, a
 * TypeError) is a bug. A seeded generator makes every failure reproducible.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenMntError } from '../../src/errors.js';
import { Code, decodePacket, encodePacket, type AttributeInput } from '../../src/radius/index.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const SEEDS: AttributeInput[][] = [
  [
    { name: 'User-Name', value: 'fuzz' },
    { name: 'Acct-Status-Type', value: 'Start' },
    { name: 'Framed-IPv6-Prefix', value: '2001:db8::/32' },
    { name: 'Cisco-AVPair', value: 'audit-session-id=1' },
    { name: 'Tunnel-Private-Group-ID', value: '10', tag: 2 },
  ],
  [
    { name: 'Event-Timestamp', value: 5 },
    { name: 'Framed-Interface-Id', value: '0000000000000001' },
    { name: 'NAS-IPv6-Address', value: '::1' },
    { name: 'Aruba-User-Vlan', value: 3 },
  ],
];

test('100,000+ random and mutated datagrams: only typed errors', () => {
  const random = prng(0x5eed);
  const valid = SEEDS.flatMap((attrs) =>
    [Code.AccessRequest, Code.AccountingRequest, Code.CoARequest, Code.DisconnectNAK].map((code) =>
      encodePacket({ code, identifier: 1, attributes: attrs }, { secret: 's', requestAuthenticator: Buffer.alloc(16) }),
    ),
  );
  let decoded = 0;
  let rejected = 0;
  const check = (datagram: Buffer, label: string) => {
    try {
      decodePacket(datagram);
      decoded++;
    } catch (error) {
      if (!(error instanceof OpenMntError) || !error.code.startsWith('RADIUS_')) {
        assert.fail(`${label}: ${datagram.toString('hex')} threw ${String(error)}`);
      }
      rejected++;
    }
  };
  for (let i = 0; i < 60_000; i++) {
    const buf = Buffer.alloc(random() % 300);
    for (let j = 0; j < buf.length; j++) buf[j] = random() & 0xff;
    // Make most of them look like RADIUS so the decoder goes deep.
    if (buf.length >= 4 && i % 2 === 0) {
      buf[0] = [1, 2, 4, 5, 40, 43, 44][random() % 7]!;
      buf.writeUInt16BE(Math.min(buf.length, 4096), 2);
    }
    check(buf, `random #${i}`);
  }
  for (let i = 0; i < 60_000; i++) {
    const base = Buffer.from(valid[random() % valid.length]!);
    const mutations = 1 + (random() % 4);
    let buf = base;
    for (let m = 0; m < mutations; m++) {
      const op = random() % 4;
      if (op === 0) buf[random() % buf.length] = random() & 0xff;
      else if (op === 1) buf = buf.subarray(0, random() % (buf.length + 1));
      else if (op === 2 && buf.length > 21) buf[20 + (random() % (buf.length - 20))] = random() % 8;
      else if (op === 3 && buf.length >= 4) buf.writeUInt16BE(random() % 4200, 2);
    }
    check(buf, `mutation #${i}`);
  }
  assert.equal(decoded + rejected, 120_000);
  assert.ok(decoded > 1000 && rejected > 1000, `both outcomes exercised (decoded ${decoded}, rejected ${rejected})`);
});

test('round trip: decode(encode(x)) keeps every attribute for random valid sets', () => {
  const random = prng(7);
  const makers: (() => AttributeInput)[] = [
    () => ({ name: 'User-Name', value: `u${random()}` }),
    () => ({ name: 'NAS-Port', value: random() }),
    () => ({ name: 'Framed-IP-Address', value: [random() & 255, random() & 255, random() & 255, random() & 255].join('.') }),
    () => ({ name: 'Class', value: Buffer.from([random() & 255, random() & 255]) }),
    () => ({ name: 'Cisco-AVPair', value: `k${random() % 10}=v${random()}` }),
    () => ({ name: 'Tunnel-Type', value: 13, tag: 1 + (random() % 31) }),
    () => ({ name: 'Acct-Terminate-Cause', value: 1 + (random() % 22) }),
  ];
  for (let i = 0; i < 2000; i++) {
    const attrs = Array.from({ length: random() % 12 }, () => makers[random() % makers.length]!());
    const p = decodePacket(encodePacket({ code: Code.AccountingRequest, identifier: i & 255, attributes: attrs }, { secret: 's' }));
    assert.deepEqual(
      p.attributes.map((a) => [a.name, a.value, a.tag]),
      attrs.map((a) => [a.name, a.value, a.tag]),
    );
  }
});
