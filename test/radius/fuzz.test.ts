/**
 * Properties over many generated inputs, all from a seeded generator so that a failure
 * reproduces (set RADIUS_FUZZ_SEED to explore other seeds):
 * - decoding random and mutated datagrams only ever throws OpenMntError with a RADIUS_* code,
 *   and whatever decodes re-encodes to the same attributes;
 * - decode(encode(x)) gives back x for random valid attribute sets of every data type.
 * The codec's speed is a benchmark (`npm run bench:codec`), not a test: a rate asserted here
 * would fail on a busy machine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenMntError } from '../../src/errors.js';
import {
  decodePacket,
  encodePacket,
  peekHeader,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
  type Attribute,
  type AttributeInput,
  type AttributeValue,
  type RadiusPacket,
} from '../../src/radius/index.js';

const SEED = Number(process.env.RADIUS_FUZZ_SEED ?? 0x5eed);

/** mulberry32: small, fast, and good enough to spread test cases. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number) => next() % n;
  const bytes = (n: number) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, bytes, pick };
}
type Random = ReturnType<typeof prng>;

const CODES = [1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45];
const RESPONSES = new Set([2, 3, 5, 11, 41, 42, 44, 45]);
const SECRET = 'fuzz-secret';

/** IPv6 text in RFC 5952 form, computed by the WHATWG URL parser rather than by the codec. */
const canonicalIPv6 = (octets: Buffer) => {
  const groups = Array.from({ length: 8 }, (_, i) => octets.readUInt16BE(2 * i).toString(16)).join(':');
  return new URL(`http://[${groups}]/`).hostname.slice(1, -1);
};

/** One generator per data type: the input to encode and the value decoding must give back. */
type Case = { input: AttributeInput; value: AttributeValue; name: string; tag?: number };
const TEXT_CHARS = ['a', 'Z', '0', ' ', '=', ':', 'é', 'ß', '用', '户', '😀', '\t', '~'];
function randomText(r: Random, maxOctets: number): string {
  let s = '';
  while (true) {
    const c = r.pick(TEXT_CHARS);
    if (Buffer.byteLength(s + c) > maxOctets || r.int(12) === 0) return s;
    s += c;
  }
}
const makers: ((r: Random) => Case)[] = [
  (r) => {
    const v = randomText(r, 253);
    return { input: { name: 'User-Name', value: v }, name: 'User-Name', value: v };
  },
  (r) => {
    const v = r.bytes(r.int(254));
    return { input: { name: 'Class', value: v }, name: 'Class', value: v };
  },
  (r) => {
    const v = r.next();
    return { input: { name: 'NAS-Port', value: v }, name: 'NAS-Port', value: v };
  },
  (r) => {
    const [label, n] = r.pick([['Start', 1], ['Stop', 2], ['Interim-Update', 3], ['accounting-on', 7], ['Accounting-Off', 8]] as const);
    return { input: { name: 'Acct-Status-Type', value: r.int(2) === 0 ? label : n }, name: 'Acct-Status-Type', value: n };
  },
  (r) => {
    const n = 1 + r.int(22);
    return { input: { name: 'Acct-Terminate-Cause', value: n }, name: 'Acct-Terminate-Cause', value: n };
  },
  (r) => {
    const v = r.next();
    return { input: { name: 'Event-Timestamp', value: v }, name: 'Event-Timestamp', value: v };
  },
  (r) => {
    const v = [...r.bytes(4)].join('.');
    return { input: { name: 'Framed-IP-Address', value: v }, name: 'Framed-IP-Address', value: v };
  },
  (r) => {
    const octets = r.bytes(16);
    // Runs of zero groups exercise the `::` compression.
    for (let i = r.int(8); i < 8 && r.int(3) !== 0; i++) octets.writeUInt16BE(0, 2 * i);
    const v = canonicalIPv6(octets);
    return { input: { name: 'NAS-IPv6-Address', value: v }, name: 'NAS-IPv6-Address', value: v };
  },
  (r) => {
    const bits = r.int(129);
    const octets = r.bytes(16);
    for (let i = 0; i < 128; i++) if (i >= bits) octets[i >> 3]! &= ~(0x80 >> (i & 7));
    const v = `${canonicalIPv6(octets)}/${bits}`;
    return { input: { name: 'Framed-IPv6-Prefix', value: v }, name: 'Framed-IPv6-Prefix', value: v };
  },
  (r) => {
    const octets = r.bytes(8);
    const v = [0, 2, 4, 6].map((i) => octets.readUInt16BE(i).toString(16)).join(':');
    return { input: { name: 'Framed-Interface-Id', value: r.int(2) === 0 ? v : octets.toString('hex') }, name: 'Framed-Interface-Id', value: v };
  },
  (r) => {
    const tag = r.int(32);
    const n = r.int(0x1000000);
    return { input: { name: 'Tunnel-Type', value: n, tag }, name: 'Tunnel-Type', value: n, ...(tag === 0 ? {} : { tag }) };
  },
  (r) => {
    const tag = r.int(32);
    const v = randomText(r, 252);
    return { input: { name: 'Tunnel-Private-Group-ID', value: v, tag }, name: 'Tunnel-Private-Group-ID', value: v, ...(tag === 0 ? {} : { tag }) };
  },
  (r) => {
    const v = `${r.pick(['audit-session-id', 'method', 'subscriber:command'])}=${randomText(r, 200)}`;
    return { input: { name: 'Cisco-AVPair', value: v }, name: 'Cisco-AVPair', value: v };
  },
  (r) => {
    const v = r.next();
    return { input: { name: 'Aruba-User-Vlan', value: v }, name: 'Aruba-User-Vlan', value: v };
  },
  (r) => {
    const v = r.bytes(r.int(248));
    return { input: { name: 'MS-MPPE-Recv-Key', value: v }, name: 'MS-MPPE-Recv-Key', value: v };
  },
  (r) => {
    const type = r.pick([17, 21, 54, 120, 200, 255]);
    const v = r.bytes(r.int(254));
    return { input: { type, value: v }, name: `Attr-${type}`, value: v };
  },
  (r) => {
    const vendorId = r.pick([1, 4874, 25506, 0xffffff]);
    const vendorType = r.int(256);
    const v = r.bytes(r.int(248));
    return { input: { vendorId, vendorType, value: v }, name: `Vendor-${vendorId}-Attr-${vendorType}`, value: v };
  },
];

/** A valid packet of a random code with random attributes. */
function randomPacket(r: Random): { datagram: Buffer; cases: Case[]; code: number } {
  const code = r.pick(CODES);
  const cases = Array.from({ length: r.int(16) }, () => r.pick(makers)(r));
  const datagram = encodePacket(
    { code, identifier: r.int(256), attributes: cases.map((c) => c.input) },
    { secret: SECRET, requestAuthenticator: r.bytes(16), messageAuthenticator: r.int(2) === 0 },
  );
  return { datagram, cases, code };
}

const withoutMa = (attributes: Attribute[]) => attributes.filter((a) => a.type !== 80);

test('round trip: decode(encode(x)) gives back x for random valid attribute sets', () => {
  const r = prng(SEED);
  for (let i = 0; i < 5000; i++) {
    const { datagram, cases, code } = randomPacket(r);
    const p = decodePacket(datagram);
    assert.equal(p.code, code);
    assert.deepEqual(
      withoutMa(p.attributes).map((a) => ({ name: a.name, value: a.value, ...(a.tag === undefined ? {} : { tag: a.tag }) })),
      cases.map((c) => ({ name: c.name, value: c.value, ...(c.tag === undefined ? {} : { tag: c.tag }) })),
      `seed ${SEED}, packet #${i}: ${datagram.toString('hex')}`,
    );
    assert.ok(p.attributes.every((a) => a.invalid === undefined));
  }
});

/** Checks one datagram: decoding and verifying either succeed or throw a typed RADIUS error;
 * what decodes re-encodes to the same attributes. Returns whether it decoded. */
function probe(datagram: Buffer, label: string): boolean {
  const typed = (error: unknown, step: string) => {
    if (!(error instanceof OpenMntError) || !error.code.startsWith('RADIUS_')) {
      assert.fail(`${label} (seed ${SEED}): ${step} threw ${String(error)} for ${datagram.toString('hex')}`);
    }
  };
  let packet: RadiusPacket;
  try {
    packet = decodePacket(datagram);
  } catch (error) {
    typed(error, 'decodePacket');
    try {
      peekHeader(datagram);
    } catch (e) {
      typed(e, 'peekHeader');
    }
    return false;
  }
  const requestAuthenticator = Buffer.alloc(16, 7);
  try {
    verifyRequestAuthenticator(datagram, SECRET);
    verifyResponseAuthenticator(datagram, requestAuthenticator, SECRET);
    verifyMessageAuthenticator(datagram, SECRET, requestAuthenticator);
  } catch (error) {
    typed(error, 'verify');
  }
  let again: Buffer;
  try {
    again = encodePacket(
      { code: packet.code, identifier: packet.identifier, authenticator: packet.authenticator, attributes: packet.attributes },
      { secret: SECRET, requestAuthenticator },
    );
  } catch (error) {
    // Re-encoding may grow a packet (IPv6 prefixes are sent whole, Status-Server gains a
    // Message-Authenticator) past 4096 octets; nothing else may fail.
    if (!(error instanceof OpenMntError) || error.code !== 'RADIUS_PACKET_TOO_LONG') {
      assert.fail(`${label} (seed ${SEED}): re-encoding threw ${String(error)} for ${datagram.toString('hex')}`);
    }
    return true;
  }
  assert.deepEqual(withoutMa(decodePacket(again).attributes), withoutMa(packet.attributes), `${label} (seed ${SEED}): ${datagram.toString('hex')}`);
  if (RESPONSES.has(packet.code)) assert.equal(verifyResponseAuthenticator(again, requestAuthenticator, SECRET), true);
  else assert.equal(verifyRequestAuthenticator(again, SECRET), true);
  return true;
}

test('120,000 random and mutated datagrams: only typed errors, and what decodes re-encodes', () => {
  const r = prng(SEED + 1);
  const valid = Array.from({ length: 200 }, () => randomPacket(r).datagram);
  let decoded = 0;
  let rejected = 0;
  const count = (ok: boolean) => (ok ? decoded++ : rejected++);

  for (let i = 0; i < 40_000; i++) {
    const datagram = r.bytes(r.int(300));
    // Half of them get a plausible header so that the attribute walk is reached.
    if (datagram.length >= 4 && i % 2 === 0) {
      datagram[0] = r.pick(CODES);
      datagram.writeUInt16BE(Math.min(datagram.length, 4096), 2);
    }
    count(probe(datagram, `random #${i}`));
  }

  for (let i = 0; i < 80_000; i++) {
    let datagram = Buffer.from(r.pick(valid));
    for (let m = 1 + r.int(4); m > 0; m--) {
      switch (r.int(7)) {
        case 0: // flip a byte anywhere
          if (datagram.length > 0) datagram[r.int(datagram.length)] = r.int(256);
          break;
        case 1: // truncate the datagram
          datagram = datagram.subarray(0, r.int(datagram.length + 1));
          break;
        case 2: // truncate the packet and fix Length, so the last attribute is cut
          if (datagram.length > 20) {
            datagram = datagram.subarray(0, 20 + r.int(datagram.length - 19));
            datagram.writeUInt16BE(datagram.length, 2);
          }
          break;
        case 3: // set the Length field anywhere
          if (datagram.length >= 4) datagram.writeUInt16BE(r.int(4200), 2);
          break;
        case 4: // a small length octet somewhere in the attributes
          if (datagram.length > 21) datagram[20 + r.int(datagram.length - 20)] = r.int(8);
          break;
        case 5: // append padding or junk after Length
          datagram = Buffer.concat([datagram, r.bytes(r.int(20))]);
          break;
        case 6: // corrupt a vendor sub-attribute header
          for (let at = 20; at + 8 <= datagram.length && at + 1 < datagram.length && datagram[at + 1]! >= 2; at += datagram[at + 1]!) {
            if (datagram[at] === 26 && r.int(2) === 0) {
              datagram[at + 6 + r.int(2)] = r.int(256);
              break;
            }
          }
          break;
      }
    }
    count(probe(datagram, `mutation #${i}`));
  }
  assert.equal(decoded + rejected, 120_000);
  assert.ok(decoded > 10_000 && rejected > 10_000, `both outcomes exercised (decoded ${decoded}, rejected ${rejected})`);
});
