/** Known-answer vectors from the RFCs, and each authenticator rule checked both ways. */
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
} from '../../src/radius/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 2865 §7.1: PAP Access-Request from NAS 192.168.1.16 port 3, user nemo / arctangent.
const RFC2865_REQUEST = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a
  01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee
  04 06 c0 a8 01 10 05 06 00 00 00 03`);
// … and its Access-Accept: Service-Type Login, Login-Service Telnet, Login-IP-Host 192.168.1.3.
const RFC2865_ACCEPT = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2
  06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03`);
const SECRET = 'xyzzy5461';

test('RFC 2865 §7.1 Access-Request decodes, and encodes back to the same octets', () => {
  const p = decodePacket(RFC2865_REQUEST);
  assert.equal(p.code, Code.AccessRequest);
  assert.equal(p.identifier, 0);
  assert.deepEqual(
    p.attributes.map((a) => [a.name, a.value]),
    [
      ['User-Name', 'nemo'],
      ['User-Password', hex('0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee')],
      ['NAS-IP-Address', '192.168.1.16'],
      ['NAS-Port', 3],
    ],
  );
  assert.equal(revealUserPassword(p.attributes[1]!.value as Buffer, SECRET, p.authenticator), 'arctangent');
  const again = encodePacket(
    {
      code: Code.AccessRequest,
      identifier: 0,
      authenticator: p.authenticator,
      attributes: [
        { name: 'User-Name', value: 'nemo' },
        { name: 'User-Password', value: 'arctangent' },
        { name: 'NAS-IP-Address', value: '192.168.1.16' },
        { name: 'NAS-Port', value: 3 },
      ],
    },
    { secret: SECRET },
  );
  assert.deepEqual(again, RFC2865_REQUEST);
});

test('RFC 2865 §7.1 Access-Accept: response authenticator computed and verified', () => {
  const request = decodePacket(RFC2865_REQUEST);
  const accept = encodeResponse(
    request,
    Code.AccessAccept,
    [
      { name: 'Service-Type', value: 'Login' },
      { name: 'Login-Service', value: 'Telnet' },
      { name: 'Login-IP-Host', value: '192.168.1.3' },
    ],
    SECRET,
  );
  assert.deepEqual(accept, RFC2865_ACCEPT);
  assert.equal(verifyResponseAuthenticator(RFC2865_ACCEPT, request.authenticator, SECRET), true);
  assert.equal(verifyResponseAuthenticator(RFC2865_ACCEPT, request.authenticator, 'wrong'), false);
});

test('User-Password hiding for long passwords chains the blocks (RFC 2865 §5.2)', () => {
  const auth = Buffer.alloc(16, 0xa5);
  const password = 'a'.repeat(40);
  const hidden = hideUserPassword(password, 's3cret', auth);
  assert.equal(hidden.length, 48);
  // Second block is XORed with MD5(secret + first ciphertext block).
  const mask2 = createHash('md5').update('s3cret').update(hidden.subarray(0, 16)).digest();
  const plain2 = Buffer.from(hidden.subarray(16, 32).map((b, i) => b ^ mask2[i]!));
  assert.equal(plain2.toString(), 'a'.repeat(16));
  assert.equal(revealUserPassword(hidden, 's3cret', auth), password);
  assert.throws(() => revealUserPassword(Buffer.alloc(15), 's', auth), { code: 'RADIUS_BAD_VALUE' });
  assert.throws(() => hideUserPassword('x'.repeat(129), 's', auth), { code: 'RADIUS_BAD_VALUE' });
});

test('Accounting-Request authenticator is MD5 over the packet with zeros (RFC 2866 §3)', () => {
  const datagram = encodePacket(
    { code: Code.AccountingRequest, identifier: 7, attributes: [{ name: 'Acct-Status-Type', value: 'Start' }, { name: 'Acct-Session-Id', value: 'abc' }] },
    { secret: 'testing123' },
  );
  const zeroed = Buffer.from(datagram);
  zeroed.fill(0, 4, 20);
  assert.deepEqual(datagram.subarray(4, 20), createHash('md5').update(zeroed).update('testing123').digest());
  assert.equal(verifyRequestAuthenticator(datagram, 'testing123'), true);
  assert.equal(verifyRequestAuthenticator(datagram, 'testing124'), false);
  const tampered = Buffer.from(datagram);
  tampered[tampered.length - 1] ^= 1;
  assert.equal(verifyRequestAuthenticator(tampered, 'testing123'), false);
});

test('Message-Authenticator: first attribute; HMAC over the right authenticator for each code', () => {
  const secret = 'mа-secret';
  // Access-Request: the random authenticator is in place while the HMAC is taken.
  const request = encodePacket(
    { code: Code.AccessRequest, identifier: 1, attributes: [{ name: 'User-Name', value: 'bob' }] },
    { secret, messageAuthenticator: true },
  );
  assert.equal(request[20], 80, 'Message-Authenticator comes first');
  const zeroMa = Buffer.from(request);
  zeroMa.fill(0, 22, 38);
  assert.deepEqual(request.subarray(22, 38), createHmac('md5', secret).update(zeroMa).digest());
  assert.equal(verifyMessageAuthenticator(request, secret), true);
  assert.equal(verifyMessageAuthenticator(request, 'other'), false);

  // Response: the HMAC covers the request's authenticator, then the response authenticator is set.
  const req = decodePacket(request);
  const accept = encodeResponse(req, Code.AccessAccept, [{ name: 'Reply-Message', value: 'hi' }], secret, { messageAuthenticator: true });
  assert.equal(verifyMessageAuthenticator(accept, secret, req.authenticator), true);
  assert.equal(verifyMessageAuthenticator(accept, secret, Buffer.alloc(16)), false);
  assert.equal(verifyResponseAuthenticator(accept, req.authenticator, secret), true);

  // Accounting, CoA and Disconnect requests: zeros in the authenticator field (RFC 5176 §3.1).
  for (const code of [Code.AccountingRequest, Code.CoARequest, Code.DisconnectRequest]) {
    const d = encodePacket({ code, identifier: 2, attributes: [{ name: 'Acct-Session-Id', value: 'x' }] }, { secret, messageAuthenticator: true });
    const z = Buffer.from(d);
    z.fill(0, 4, 20);
    z.fill(0, 22, 38);
    assert.deepEqual(d.subarray(22, 38), createHmac('md5', secret).update(z).digest(), `code ${code}`);
    assert.equal(verifyMessageAuthenticator(d, secret), true);
    assert.equal(verifyRequestAuthenticator(d, secret), true, 'request authenticator computed after the HMAC');
  }
  const plain = encodePacket({ code: Code.AccountingRequest, identifier: 3, attributes: [] }, { secret });
  assert.equal(verifyMessageAuthenticator(plain, secret), undefined);
});

test('CoA-ACK / NAK responses are signed with the request authenticator (RFC 5176 §2.3)', () => {
  const coa = decodePacket(encodePacket({ code: Code.CoARequest, identifier: 9, attributes: [{ name: 'Calling-Station-Id', value: 'AA-BB-CC-DD-EE-FF' }] }, { secret: 's' }));
  const nak = encodeResponse(coa, Code.CoANAK, [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }], 's');
  assert.equal(verifyResponseAuthenticator(nak, coa.authenticator, 's'), true);
  const decoded = decodePacket(nak);
  assert.equal(decoded.attributes[0]!.name, 'Error-Cause');
  assert.equal(decoded.attributes[0]!.value, 503);
  assert.throws(() => encodePacket({ code: Code.CoAACK, identifier: 1, attributes: [] }, { secret: 's' }), { code: 'RADIUS_BAD_VALUE' });
});
