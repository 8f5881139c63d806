/**
 * Known-answer vectors: the examples of RFC 2865 §7, and packets captured from FreeRADIUS's
 * radclient 3.2.1 (an independent implementation), checked octet for octet both ways. Each
 * authenticator rule is also recomputed here from its RFC definition with node:crypto.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  Code,
  decodePacket,
  encodePacket,
  encodeResponse,
  hideUserPassword,
  revealUserPassword,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
  type RadiusPacket,
} from '../../src/radius/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const md5 = (...parts: (Buffer | string)[]) => parts.reduce((h, p) => h.update(p), createHash('md5')).digest();
const SECRET = 'xyzzy5461';
const pairs = (p: RadiusPacket) => p.attributes.map((a) => [a.name, a.value]);

// RFC 2865 §7.1: NAS 192.168.1.16 port 3 authenticates nemo / arctangent with PAP.
const RFC2865_7_1_REQUEST = hex(`
  01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a
  01 06 6e 65 6d 6f
  02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee
  04 06 c0 a8 01 10
  05 06 00 00 00 03`);
// … and the Access-Accept: Service-Type Login, Login-Service Telnet, Login-IP-Host 192.168.1.3.
const RFC2865_7_1_ACCEPT = hex(`
  02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2
  06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03`);
// RFC 2865 §7.2: flopsy, framed PPP with CHAP; the Request Authenticator is the challenge.
const RFC2865_7_2_REQUEST = hex(`
  01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2
  01 08 66 6c 6f 70 73 79
  03 13 16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75
  04 06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00 02 07 06 00 00 00 01`);
const RFC2865_7_2_ACCEPT = hex(`
  02 01 00 38 15 ef bc 7d ab 26 cf a3 dc 34 d9 c0 3c 86 01 a4
  06 06 00 00 00 02 07 06 00 00 00 01 08 06 ff ff ff fe 0a 06 00 00 00 00
  0d 06 00 00 00 01 0c 06 00 00 05 dc`);
// RFC 2865 §7.3: an Access-Challenge with Reply-Message and State.
const RFC2865_7_3_CHALLENGE = hex(`
  0b 02 00 4e 36 f3 c8 76 4a e8 c7 11 57 40 3c 0c 71 ff 9c 45
  12 30 43 68 61 6c 6c 65 6e 67 65 20 33 32 37 36 39 34 33 30 2e 20 20 45 6e 74 65 72
  20 72 65 73 70 6f 6e 73 65 20 61 74 20 70 72 6f 6d 70 74 2e
  18 0a 33 32 37 36 39 34 33 30`);

test('RFC 2865 §7.1 Access-Request: decodes, reveals the password, encodes back octet for octet', () => {
  const p = decodePacket(RFC2865_7_1_REQUEST);
  assert.equal(p.code, Code.AccessRequest);
  assert.equal(p.identifier, 0);
  assert.deepEqual(p.authenticator, hex('0f403f9473978057bd83d5cb98f4227a'));
  assert.deepEqual(pairs(p), [
    ['User-Name', 'nemo'],
    ['User-Password', hex('0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee')],
    ['NAS-IP-Address', '192.168.1.16'],
    ['NAS-Port', 3],
  ]);
  assert.equal(revealUserPassword(p.attributes[1]!.value as Buffer, SECRET, p.authenticator), 'arctangent');
  assert.deepEqual(hideUserPassword('arctangent', SECRET, p.authenticator), hex('0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee'));
  const encoded = encodePacket(
    {
      code: Code.AccessRequest,
      identifier: 0,
      authenticator: hex('0f403f9473978057bd83d5cb98f4227a'),
      attributes: [
        { name: 'User-Name', value: 'nemo' },
        { name: 'User-Password', value: 'arctangent' },
        { name: 'NAS-IP-Address', value: '192.168.1.16' },
        { name: 'NAS-Port', value: 3 },
      ],
    },
    { secret: SECRET },
  );
  assert.deepEqual(encoded, RFC2865_7_1_REQUEST);
  assert.equal(verifyRequestAuthenticator(RFC2865_7_1_REQUEST, SECRET), true, 'a random authenticator proves nothing and passes');
  assert.equal(verifyMessageAuthenticator(RFC2865_7_1_REQUEST, SECRET), undefined);
});

test('RFC 2865 §7.1 Access-Accept: the Response Authenticator is computed and verified', () => {
  const request = decodePacket(RFC2865_7_1_REQUEST);
  for (const serviceType of ['Login-User', 'Login', 'login-user', 1]) {
    const accept = encodeResponse(
      request,
      Code.AccessAccept,
      [
        { name: 'Service-Type', value: serviceType },
        { name: 'Login-Service', value: 'Telnet' },
        { name: 'Login-IP-Host', value: '192.168.1.3' },
      ],
      SECRET,
    );
    assert.deepEqual(accept, RFC2865_7_1_ACCEPT, `Service-Type given as ${serviceType}`);
  }
  const expected = md5(RFC2865_7_1_ACCEPT.subarray(0, 4), request.authenticator, RFC2865_7_1_ACCEPT.subarray(20), SECRET);
  assert.deepEqual(RFC2865_7_1_ACCEPT.subarray(4, 20), expected);
  assert.equal(verifyResponseAuthenticator(RFC2865_7_1_ACCEPT, request.authenticator, SECRET), true);
  assert.equal(verifyResponseAuthenticator(RFC2865_7_1_ACCEPT, request.authenticator, 'xyzzy5462'), false);
  assert.equal(verifyResponseAuthenticator(RFC2865_7_1_ACCEPT, Buffer.alloc(16), SECRET), false);
  assert.deepEqual(pairs(decodePacket(RFC2865_7_1_ACCEPT)), [
    ['Service-Type', 1],
    ['Login-Service', 0],
    ['Login-IP-Host', '192.168.1.3'],
  ]);
});

test('RFC 2865 §7.2 CHAP Access-Request and its Access-Accept decode', () => {
  const p = decodePacket(RFC2865_7_2_REQUEST);
  assert.equal(p.identifier, 1);
  assert.deepEqual(pairs(p), [
    ['User-Name', 'flopsy'],
    ['CHAP-Password', hex('16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75')],
    ['NAS-IP-Address', '192.168.1.16'],
    ['NAS-Port', 20],
    ['Service-Type', 2],
    ['Framed-Protocol', 1],
  ]);
  // RFC 2865 §5.3 / RFC 1994: response = MD5(CHAP ident + password + challenge); without
  // CHAP-Challenge the Request Authenticator is the challenge. The example's password is arctangent.
  const chap = p.attributes[1]!.value as Buffer;
  assert.deepEqual(md5(chap.subarray(0, 1), 'arctangent', p.authenticator), chap.subarray(1));
  assert.deepEqual(pairs(decodePacket(RFC2865_7_2_ACCEPT)), [
    ['Service-Type', 2],
    ['Framed-Protocol', 1],
    ['Framed-IP-Address', '255.255.255.254'],
    ['Framed-Routing', 0],
    ['Framed-Compression', 1],
    ['Framed-MTU', 1500],
  ]);
});

test('RFC 2865 §7.3 Access-Challenge decodes', () => {
  const p = decodePacket(RFC2865_7_3_CHALLENGE);
  assert.equal(p.code, Code.AccessChallenge);
  assert.deepEqual(pairs(p), [
    ['Reply-Message', 'Challenge 32769430.  Enter response at prompt.'],
    ['State', Buffer.from('32769430')],
  ]);
});

// Captured from `radclient 127.0.0.1:<port> <kind> xyzzy5461` (FreeRADIUS 3.2.1), with
// Message-Authenticator listed first, as this codec places it.
const RADCLIENT = {
  // User-Name nemo, User-Password arctangent, NAS-IP-Address 192.168.1.16, NAS-Port 3
  auth: hex(`016a004abdb8b5f9cb1ee8ad8e4caf2ebf2d812050126cbeec385b6d86d622724574cee3caf101066e656d6f0212
    eda8d56abe54a4458fee3fbdf6f2f48c0406c0a80110050600000003`),
  // Interim-Update, Acct-Session-Id, Calling-Station-Id, Cisco-AVPair, Event-Timestamp, Acct-Input-Gigawords
  acct: hex(`0404007e52703474b3b7752d3e1f816bce4c2af05012933623487938d23820c85de858eb025b2806000000032c0a3030
    3030303031411f1341412d42422d43432d44442d45452d46461a2900000009012361756469742d73657373696f6e2d69
    643d3041304230433044303030303030314137066553f100340600000001`),
  // Calling-Station-Id, NAS-IP-Address, two Cisco-AVPairs (reauthenticate / rerun), Event-Timestamp
  coa: hex(`2bb0009a5522d3d39e8b2b6ee72c606a7c76efce5012ae953338c88269d6d26bc4712f4bd4fe1f1341412d42422d4343
    2d44442d45452d464604060a0102031a29000000090123737562736372696265723a636f6d6d616e643d72656175746865
    6e7469636174651a2c000000090126737562736372696265723a726561757468656e7469636174652d747970653d726572
    756e37066553f100`),
  // Acct-Session-Id, Tunnel-Private-Group-Id:1 "120", Tunnel-Type:1 VLAN, Framed-IPv6-Prefix 2001:db8:1::/48
  disconnect: hex(`286d00503425edd83811953d60f8801206d77e815012d409db179e03fb55e0c2b16f4a21fca52c0a3030303030303141
    51060131323040060100000d6114003020010db8000100000000000000000000`),
  // NAS-Identifier probe
  status: hex(`0cdc002d6c86e29e6952b248d4b767b17d43d27d5012e3c2e873dffdd3e1893781d612c747ec200770726f6265`),
};

test('radclient-built requests verify, decode, and re-encode to the same octets', () => {
  for (const [kind, datagram] of Object.entries(RADCLIENT)) {
    assert.equal(verifyRequestAuthenticator(datagram, SECRET), true, `${kind}: request authenticator`);
    assert.equal(verifyMessageAuthenticator(datagram, SECRET), true, `${kind}: Message-Authenticator`);
    assert.equal(verifyMessageAuthenticator(datagram, 'wrong'), false, `${kind}: wrong secret`);
    const p = decodePacket(datagram);
    const again = encodePacket({ code: p.code, identifier: p.identifier, authenticator: p.authenticator, attributes: p.attributes }, { secret: SECRET });
    assert.deepEqual(again, datagram, `${kind}: re-encoded`);
  }
  const auth = decodePacket(RADCLIENT.auth);
  assert.equal(revealUserPassword(auth.attributes.find((a) => a.name === 'User-Password')!.value as Buffer, SECRET, auth.authenticator), 'arctangent');
  assert.deepEqual(pairs(decodePacket(RADCLIENT.disconnect)).slice(1), [
    ['Acct-Session-Id', '0000001A'],
    ['Tunnel-Private-Group-ID', '120'],
    ['Tunnel-Type', 13],
    ['Framed-IPv6-Prefix', '2001:db8:1::/48'],
  ]);
  assert.deepEqual(
    decodePacket(RADCLIENT.disconnect).attributes.map((a) => a.tag),
    [undefined, undefined, 1, 1, undefined],
  );
  // The same packets built from names instead of decoded attributes.
  const coa = encodePacket(
    {
      code: Code.CoARequest,
      identifier: 0xb0,
      attributes: [
        { name: 'Calling-Station-Id', value: 'AA-BB-CC-DD-EE-FF' },
        { name: 'NAS-IP-Address', value: '10.1.2.3' },
        { name: 'Cisco-AVPair', value: 'subscriber:command=reauthenticate' },
        { name: 'Cisco-AVPair', value: 'subscriber:reauthenticate-type=rerun' },
        { name: 'Event-Timestamp', value: 1700000000 },
      ],
    },
    { secret: SECRET, messageAuthenticator: true },
  );
  assert.deepEqual(coa, RADCLIENT.coa);
  const disconnect = encodePacket(
    {
      code: Code.DisconnectRequest,
      identifier: 0x6d,
      attributes: [
        { name: 'Message-Authenticator', value: Buffer.alloc(16) },
        { name: 'Acct-Session-Id', value: '0000001A' },
        { name: 'Tunnel-Private-Group-Id', value: '120', tag: 1 },
        { name: 'Tunnel-Type', value: 'VLAN', tag: 1 },
        { name: 'Framed-IPv6-Prefix', value: '2001:db8:1::/48' },
      ],
    },
    { secret: SECRET },
  );
  assert.deepEqual(disconnect, RADCLIENT.disconnect);
});

test('User-Password hiding chains 16-octet blocks (RFC 2865 §5.2)', () => {
  const authenticator = Buffer.alloc(16, 0xa5);
  const password = 'a'.repeat(40);
  const hidden = hideUserPassword(password, 's3cret', authenticator);
  assert.equal(hidden.length, 48);
  // c(1) = p(1) XOR MD5(secret + Request Authenticator); c(i) = p(i) XOR MD5(secret + c(i-1)).
  assert.deepEqual(hidden.subarray(0, 16), md5('s3cret', authenticator).map((b, i) => b ^ password.charCodeAt(i)));
  const mask2 = md5('s3cret', hidden.subarray(0, 16));
  assert.deepEqual(Buffer.from(hidden.subarray(16, 32).map((b, i) => b ^ mask2[i]!)), Buffer.from('a'.repeat(16)));
  const mask3 = md5('s3cret', hidden.subarray(16, 32));
  assert.deepEqual(Buffer.from(hidden.subarray(32, 48).map((b, i) => b ^ mask3[i]!)), Buffer.concat([Buffer.from('a'.repeat(8)), Buffer.alloc(8)]));
  assert.equal(revealUserPassword(hidden, 's3cret', authenticator), password);
  assert.equal(hideUserPassword('', 's', authenticator).length, 16, 'an empty password still fills one block');
  assert.equal(revealUserPassword(hideUserPassword('', 's', authenticator), 's', authenticator), '');
  assert.equal(revealUserPassword(hideUserPassword('x'.repeat(128), 's', authenticator), 's', authenticator), 'x'.repeat(128));
  assert.equal(revealUserPassword(hideUserPassword('pässwörd', Buffer.from('s'), authenticator), 's', authenticator), 'pässwörd');
  for (const size of [0, 15, 17, 144]) {
    assert.throws(() => revealUserPassword(Buffer.alloc(size), 's', authenticator), { code: 'RADIUS_BAD_VALUE' }, `${size} octets`);
  }
  assert.throws(() => hideUserPassword('x'.repeat(129), 's', authenticator), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(() => hideUserPassword('x', 's', Buffer.alloc(15)), { code: 'RADIUS_BAD_VALUE' });
});

test('Accounting-Request authenticator is MD5 over the packet with 16 zero octets (RFC 2866 §3)', () => {
  const datagram = encodePacket(
    {
      code: Code.AccountingRequest,
      identifier: 7,
      authenticator: Buffer.alloc(16, 0xff),
      attributes: [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: 'abc' },
      ],
    },
    { secret: 'testing123' },
  );
  assert.deepEqual(datagram.subarray(4, 20), md5(datagram.subarray(0, 4), Buffer.alloc(16), datagram.subarray(20), 'testing123'), 'a supplied authenticator is ignored');
  assert.equal(verifyRequestAuthenticator(datagram, 'testing123'), true);
  assert.equal(verifyRequestAuthenticator(datagram, 'testing124'), false);
  const tampered = Buffer.from(datagram);
  tampered[tampered.length - 1]! ^= 1;
  assert.equal(verifyRequestAuthenticator(tampered, 'testing123'), false);
  // Padding after Length is not covered.
  assert.equal(verifyRequestAuthenticator(Buffer.concat([datagram, Buffer.from([1, 2, 3])]), 'testing123'), true);
  // Accounting-Response: MD5 over the response with the request's authenticator (RFC 2866 §4).
  const request = decodePacket(datagram);
  const response = encodeResponse(request, Code.AccountingResponse, [], 'testing123');
  assert.deepEqual(response.subarray(4, 20), md5(response.subarray(0, 4), request.authenticator, 'testing123'));
  assert.equal(verifyResponseAuthenticator(response, request.authenticator, 'testing123'), true);
  assert.equal(verifyRequestAuthenticator(response, 'testing123'), false, 'a response is not a request');
});

test('Disconnect- and CoA-Request authenticators, and their ACK/NAK (RFC 5176 §2.3)', () => {
  for (const [code, ack, nak] of [
    [Code.DisconnectRequest, Code.DisconnectACK, Code.DisconnectNAK],
    [Code.CoARequest, Code.CoAACK, Code.CoANAK],
  ] as const) {
    const datagram = encodePacket({ code, identifier: 9, attributes: [{ name: 'Calling-Station-Id', value: 'AA-BB-CC-DD-EE-FF' }] }, { secret: 's' });
    assert.deepEqual(datagram.subarray(4, 20), md5(datagram.subarray(0, 4), Buffer.alloc(16), datagram.subarray(20), 's'));
    assert.equal(verifyRequestAuthenticator(datagram, 's'), true);
    const request = decodePacket(datagram);
    for (const answer of [ack, nak]) {
      const reply = encodeResponse(request, answer, answer === nak ? [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }] : [], 's');
      assert.equal(verifyResponseAuthenticator(reply, request.authenticator, 's'), true);
      assert.equal(verifyResponseAuthenticator(reply, request.authenticator, 't'), false);
    }
  }
  assert.throws(() => encodePacket({ code: Code.CoAACK, identifier: 1, attributes: [] }, { secret: 's' }), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(() => encodePacket({ code: Code.CoAACK, identifier: 1, attributes: [] }, { secret: 's', requestAuthenticator: Buffer.alloc(8) }), {
    code: 'RADIUS_BAD_VALUE',
  });
});

/** HMAC-MD5 over the packet with the Message-Authenticator (first attribute) zeroed and the
 * Authenticator field replaced by `field`. */
function expectedMa(datagram: Buffer, secret: string, field: Buffer): Buffer {
  const copy = Buffer.from(datagram);
  field.copy(copy, 4);
  copy.fill(0, 22, 38);
  return createHmac('md5', secret).update(copy).digest();
}

test('Message-Authenticator: first attribute, HMAC-MD5 with the right Authenticator field per code', () => {
  const secret = 'ma-secret';
  const request = encodePacket(
    { code: Code.AccessRequest, identifier: 1, attributes: [{ name: 'User-Name', value: 'bob' }, { name: 'EAP-Message', value: Buffer.from([2, 1, 0, 4]) }] },
    { secret, messageAuthenticator: true },
  );
  assert.deepEqual([request[20], request[21]], [80, 18], 'Message-Authenticator comes first');
  assert.deepEqual(request.subarray(22, 38), expectedMa(request, secret, request.subarray(4, 20)), 'Access-Request: its own random authenticator');
  assert.equal(verifyMessageAuthenticator(request, secret), true);
  assert.equal(verifyMessageAuthenticator(request, 'other'), false);

  const req = decodePacket(request);
  for (const code of [Code.AccessAccept, Code.AccessReject, Code.AccessChallenge]) {
    const reply = encodeResponse(req, code, [{ name: 'Reply-Message', value: 'hi' }], secret, { messageAuthenticator: true });
    assert.deepEqual(reply.subarray(22, 38), expectedMa(reply, secret, req.authenticator), `code ${code}: the request's authenticator (RFC 3579 §3.2)`);
    assert.equal(verifyMessageAuthenticator(reply, secret, req.authenticator), true);
    assert.equal(verifyMessageAuthenticator(reply, secret, Buffer.alloc(16)), false);
    assert.equal(verifyResponseAuthenticator(reply, req.authenticator, secret), true, 'Response Authenticator computed after the HMAC');
    assert.throws(() => verifyMessageAuthenticator(reply, secret), { code: 'RADIUS_BAD_VALUE' }, 'a response needs the request authenticator');
  }

  for (const code of [Code.AccountingRequest, Code.CoARequest, Code.DisconnectRequest]) {
    const d = encodePacket({ code, identifier: 2, attributes: [{ name: 'Acct-Session-Id', value: 'x' }] }, { secret, messageAuthenticator: true });
    assert.deepEqual(d.subarray(22, 38), expectedMa(d, secret, Buffer.alloc(16)), `code ${code}: zeros (RFC 5176 §3.1)`);
    assert.equal(verifyMessageAuthenticator(d, secret), true);
    assert.equal(verifyRequestAuthenticator(d, secret), true, 'Request Authenticator computed after the HMAC');
    const r = decodePacket(d);
    const ack = encodeResponse(r, code === Code.AccountingRequest ? Code.AccountingResponse : code + 1, [], secret, { messageAuthenticator: true });
    assert.equal(verifyMessageAuthenticator(ack, secret, r.authenticator), true);
    assert.equal(verifyResponseAuthenticator(ack, r.authenticator, secret), true);
    if (code === Code.AccountingRequest) {
      assert.deepEqual(ack.subarray(22, 38), expectedMa(ack, secret, Buffer.alloc(16)), 'Accounting-Response: zeros, as FreeRADIUS checks it');
      assert.equal(verifyMessageAuthenticator(ack, secret), true, 'no request authenticator needed');
    } else {
      assert.deepEqual(ack.subarray(22, 38), expectedMa(ack, secret, r.authenticator), `code ${code + 1}: the request's authenticator`);
    }
  }

  // Status-Server always carries one (RFC 5997 §3); its Accounting-Response answer uses the
  // request's authenticator.
  const status = encodePacket({ code: Code.StatusServer, identifier: 3, attributes: [] }, { secret });
  assert.equal(status[20], 80);
  assert.equal(verifyMessageAuthenticator(status, secret), true);
  const statusRequest = decodePacket(status);
  const answer = encodeResponse(statusRequest, Code.AccountingResponse, [], secret, { messageAuthenticator: true });
  assert.deepEqual(answer.subarray(22, 38), expectedMa(answer, secret, statusRequest.authenticator));
  assert.equal(verifyMessageAuthenticator(answer, secret, statusRequest.authenticator, Code.StatusServer), true);
  assert.equal(verifyMessageAuthenticator(answer, secret), false, 'checked as the answer to an Accounting-Request');

  // Listing Message-Authenticator among the attributes asks for one, placed first whatever its position.
  const listed = encodePacket(
    { code: Code.AccountingRequest, identifier: 4, attributes: [{ name: 'User-Name', value: 'u' }, { name: 'Message-Authenticator', value: Buffer.alloc(16, 9) }] },
    { secret },
  );
  assert.deepEqual([listed[20], listed[21], listed[38]], [80, 18, 1]);
  assert.equal(verifyMessageAuthenticator(listed, secret), true);
  const none = encodePacket({ code: Code.AccountingRequest, identifier: 3, attributes: [] }, { secret });
  assert.equal(verifyMessageAuthenticator(none, secret), undefined);
});

test('Message-Authenticator: duplicates, wrong sizes and malformed packets', () => {
  const secret = 's';
  const good = encodePacket({ code: Code.AccountingRequest, identifier: 1, attributes: [{ name: 'User-Name', value: 'u' }] }, { secret, messageAuthenticator: true });
  const twice = Buffer.concat([good, good.subarray(20, 38)]);
  twice.writeUInt16BE(twice.length, 2);
  assert.equal(verifyMessageAuthenticator(twice, secret), false, 'at most one (RFC 2869 §5.19)');
  const short = Buffer.from([4, 1, 0, 24, ...Buffer.alloc(16), 80, 4, 0, 0]);
  assert.equal(verifyMessageAuthenticator(short, secret), false, 'not 16 octets');
  assert.throws(() => verifyMessageAuthenticator(Buffer.alloc(10), secret), { code: 'RADIUS_PACKET_TOO_SHORT' });
  assert.throws(() => verifyMessageAuthenticator(Buffer.from([4, 1, 0, 23, ...Buffer.alloc(16), 80, 1, 0]), secret), { code: 'RADIUS_BAD_ATTRIBUTE' });
  assert.throws(() => verifyRequestAuthenticator(Buffer.from([4, 1, 0, 40, ...Buffer.alloc(16)]), secret), { code: 'RADIUS_LENGTH_MISMATCH' });
  assert.throws(() => verifyResponseAuthenticator(Buffer.from([99, 1, 0, 20, ...Buffer.alloc(16)]), Buffer.alloc(16), secret), { code: 'RADIUS_UNKNOWN_CODE' });
});
