/**
 * Datagrams that are not valid RADIUS from a known client, and anything from an unknown client:
 * each is a counted drop, the server keeps serving, and no accounting record goes missing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { Code, encodePacket } from '../../src/radius/index.js';
import type { DropReason } from '../../src/radius-server/index.js';
import { SECRET, serverWithClient } from '../helpers/server.js';

let sequence = 0;

function start(mac: string, secret = SECRET, extra: { name: string; value: string | number }[] = []): Buffer {
  return encodePacket(
    {
      code: Code.AccountingRequest,
      identifier: sequence++ & 0xff,
      attributes: [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: `bad-input-${sequence}` },
        { name: 'Calling-Station-Id', value: mac },
        { name: 'NAS-IP-Address', value: '10.3.3.3' },
        ...extra,
      ],
    },
    { secret },
  );
}

/** Rewrites the Length field and recomputes nothing: the packet is then malformed on purpose. */
function withLength(datagram: Buffer, length: number): Buffer {
  const copy = Buffer.from(datagram);
  copy.writeUInt16BE(length, 2);
  return copy;
}

describe('malformed and unauthorised datagrams', () => {
  const fixture = serverWithClient();

  const valid = start('0B:00:00:00:00:00');
  // Byte 20 is the first attribute's type, 21 its length.
  const attrLength = (n: number) => {
    const copy = Buffer.from(valid);
    copy[21] = n;
    return copy;
  };
  const cases: { name: string; datagram: () => Buffer; reason: DropReason }[] = [
    { name: 'empty datagram', datagram: () => Buffer.alloc(0), reason: 'malformed' },
    { name: 'truncated header (19 octets)', datagram: () => valid.subarray(0, 19), reason: 'malformed' },
    { name: 'truncated packet (Length beyond datagram)', datagram: () => valid.subarray(0, valid.length - 3), reason: 'malformed' },
    { name: 'Length field below 20', datagram: () => withLength(valid, 12), reason: 'malformed' },
    { name: 'Length field above 4096', datagram: () => withLength(valid, 5000), reason: 'malformed' },
    { name: 'attribute length 0', datagram: () => attrLength(0), reason: 'malformed' },
    { name: 'attribute length 1', datagram: () => attrLength(1), reason: 'malformed' },
    { name: 'attribute length overflowing the packet', datagram: () => attrLength(250), reason: 'malformed' },
    { name: 'oversize datagram (6000 octets)', datagram: () => Buffer.concat([withLength(valid, 6000), Buffer.alloc(6000 - valid.length)]), reason: 'malformed' },
    { name: 'unknown packet code', datagram: () => Buffer.from([99, 1, 0, 20, ...Buffer.alloc(16)]), reason: 'malformed' },
    { name: 'Access-Request on the accounting port', datagram: () => encodePacket({ code: Code.AccessRequest, identifier: 9, attributes: [{ name: 'User-Name', value: 'x' }] }, { secret: SECRET }), reason: 'unexpected-code' },
    { name: 'wrong shared secret', datagram: () => start('0B:00:00:00:00:01', 'wrong'), reason: 'bad-authenticator' },
    {
      name: 'forged Message-Authenticator',
      datagram: () => {
        const d = encodePacket(
          { code: Code.AccountingRequest, identifier: 200, attributes: [{ name: 'Acct-Status-Type', value: 'Start' }, { name: 'Acct-Session-Id', value: 'ma' }] },
          { secret: SECRET, messageAuthenticator: true },
        );
        // Message-Authenticator is the first attribute: flip a byte of its value and re-sign the
        // Request Authenticator so that only the HMAC is wrong.
        d[25] = d[25]! ^ 0xff;
        return encodePacketResign(d);
      },
      reason: 'bad-message-authenticator',
    },
  ];

  for (const c of cases) {
    test(`${c.name}: dropped and counted, and the next valid packet is recorded`, async () => {
      const { server, client } = fixture;
      const before = (await server.radius.stats()).accounting.dropped[c.reason];
      const reply = await client.request(c.datagram(), server.ports.accounting, 300);
      assert.equal(reply, null, 'no answer to a bad datagram');
      assert.equal((await server.radius.stats()).accounting.dropped[c.reason], before + 1);

      const mac = `0B:00:00:00:${(sequence & 0xff).toString(16).padStart(2, '0').toUpperCase()}:FF`;
      const ok = await client.request(start(mac), server.ports.accounting);
      assert.ok(ok, 'server still answers');
      assert.equal((await server.store.accountingRecordsByMac({ mac, since: 0, limit: 5 })).length, 1);
    });
  }

  test('a datagram from an unknown source address is dropped and counted', async () => {
    const { server } = fixture;
    const stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.2', resolve));
    try {
      const before = (await server.radius.stats()).accounting.dropped['unknown-client'];
      let answered = false;
      stranger.on('message', () => (answered = true));
      stranger.send(start('0B:00:00:00:00:02'), server.ports.accounting, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(answered, false);
      assert.equal((await server.radius.stats()).accounting.dropped['unknown-client'], before + 1);
      assert.equal((await server.store.accountingRecordsByMac({ mac: '0B:00:00:00:00:02', since: 0, limit: 5 })).length, 0);
    } finally {
      stranger.close();
    }
  });

  test('a burst of 2,000 random datagrams neither crashes the server nor loses a record', async () => {
    const { server, client } = fixture;
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.alloc(random() % 200);
      for (let j = 0; j < junk.length; j++) junk[j] = random() & 0xff;
      if (junk.length > 0) junk[0] = Code.AccountingRequest;
      client.send(junk, server.ports.accounting);
    }
    const mac = '0B:00:00:00:AA:AA';
    const ok = await client.request(start(mac), server.ports.accounting, 2000);
    assert.ok(ok);
    assert.equal((await server.store.accountingRecordsByMac({ mac, since: 0, limit: 5 })).length, 1);
  });
});

/** Recomputes the RFC 2866 Request Authenticator of an Accounting-Request after tampering. */
function encodePacketResign(d: Buffer): Buffer {
  const copy = Buffer.from(d);
  copy.fill(0, 4, 20);
  const auth = createHash('md5').update(copy).update(SECRET).digest();
  auth.copy(copy, 4);
  return copy;
}
