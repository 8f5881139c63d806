/**
 * The relay at the octet level, without a network: what the home server gets from a NAS's request,
 * and what the NAS gets from the home server's answer. Every secret-bound field is checked with
 * the codec's own verifiers, and the salted keys are opened with the NAS's secret.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { isOpenMntError } from '../../src/errors.js';
import { replyForNas, requestForHome } from '../../src/proxy/index.js';
import {
  Code,
  decodePacket,
  encodePacket,
  encodeResponse,
  getAttributes,
  revealUserPassword,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/radius/index.js';

const NAS = Buffer.from('nas-secret-1');
const HOME = Buffer.from('home-secret-22');
const STATE = Buffer.from([0, 0, 0, 42]);

/** RFC 2548 §2.4.2 salted hiding of `plain` (length-prefixed and padded), for the test's home server. */
function salted(plain: Buffer, secret: Buffer, authenticator: Buffer, salt: Buffer): Buffer {
  const p = Buffer.alloc(Math.ceil((plain.length + 1) / 16) * 16);
  p[0] = plain.length;
  plain.copy(p, 1);
  const out = Buffer.alloc(p.length);
  let previous: Buffer = Buffer.concat([authenticator, salt]);
  for (let i = 0; i < p.length; i += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = p[i + j]! ^ b[j]!;
    previous = out.subarray(i, i + 16);
  }
  return Buffer.concat([salt, out]);
}

function unsalted(value: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  const salt = value.subarray(0, 2);
  const data = value.subarray(2);
  const out = Buffer.alloc(data.length);
  let previous: Buffer = Buffer.concat([authenticator, salt]);
  for (let i = 0; i < data.length; i += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = data[i + j]! ^ b[j]!;
    previous = data.subarray(i, i + 16);
  }
  return out.subarray(1, 1 + out[0]!);
}

describe('the relay', () => {
  const request = encodePacket(
    {
      code: Code.AccessRequest,
      identifier: 7,
      attributes: [
        { name: 'User-Name', value: 'carol@corp.example' },
        { name: 'User-Password', value: 'p\u00e4ss-w\u00f6rd-\u0001x' },
        { name: 'Proxy-State', value: Buffer.from('from-an-earlier-proxy') },
        { name: 'EAP-Message', value: Buffer.from([2, 1, 0, 6, 1, 0x61]) },
      ],
    },
    { secret: NAS, messageAuthenticator: true },
  );
  const nasPacket = decodePacket(request);

  test("the home server's request: its secret, our Proxy-State last, the NAS's authenticator, a stripped name", () => {
    const out = requestForHome(request, { nasSecret: NAS, homeSecret: HOME, identifier: 200, proxyState: STATE, userName: Buffer.from('carol') });
    const p = decodePacket(out);
    assert.equal(p.identifier, 200);
    assert.deepEqual(p.authenticator, nasPacket.authenticator);
    assert.equal(verifyMessageAuthenticator(out, HOME), true);
    assert.equal(revealUserPassword(getAttributes(p, 'User-Password')[0]!.value as Buffer, HOME, p.authenticator), 'p\u00e4ss-w\u00f6rd-\u0001x');
    assert.equal(getAttributes(p, 'User-Name')[0]!.value, 'carol');
    assert.deepEqual(getAttributes(p, 'Proxy-State').map((a) => a.value), [Buffer.from('from-an-earlier-proxy'), STATE]);
    assert.deepEqual(getAttributes(p, 'EAP-Message')[0]!.value, Buffer.from([2, 1, 0, 6, 1, 0x61]));
  });

  test("the NAS's answer: verified, our Proxy-State out, MS-MPPE keys and Tunnel-Password moved to the NAS's secret, signed for the NAS", () => {
    const sent = requestForHome(request, { nasSecret: NAS, homeSecret: HOME, identifier: 200, proxyState: STATE });
    const sendKey = randomBytes(32);
    const recvKey = randomBytes(32);
    const authenticator = nasPacket.authenticator;
    const ms = (type: number, key: Buffer) => {
      const value = salted(key, HOME, authenticator, Buffer.from([0x80 | type, type]));
      return Buffer.concat([Buffer.from([0, 0, 1, 55, type, value.length + 2]), value]);
    };
    const tunnel = salted(Buffer.from('tunnel-pw'), HOME, authenticator, Buffer.from([0x81, 0x02]));
    const answer = encodeResponse(
      decodePacket(sent),
      Code.AccessAccept,
      [
        { name: 'Tunnel-Private-Group-Id', value: '120', tag: 1 },
        { type: 26, value: ms(16, sendKey) },
        { type: 26, value: ms(17, recvKey) },
        { type: 69, value: Buffer.concat([Buffer.from([1]), tunnel]) },
      ],
      HOME,
      { messageAuthenticator: true },
    );
    const out = replyForNas(answer, { homeSecret: HOME, nasSecret: NAS, requestAuthenticator: authenticator, identifier: 7, proxyState: STATE });
    assert.equal(out[1], 7);
    assert.equal(verifyResponseAuthenticator(out, authenticator, NAS), true);
    assert.equal(verifyMessageAuthenticator(out, NAS, authenticator), true);
    const p = decodePacket(out);
    assert.deepEqual(getAttributes(p, 'Proxy-State').map((a) => a.value), [Buffer.from('from-an-earlier-proxy')]);
    const keys = new Map(p.attributes.filter((a) => a.vendorId === 311).map((a) => [a.vendorType, a.value as Buffer]));
    assert.deepEqual(unsalted(keys.get(16)!, NAS, authenticator), sendKey);
    assert.deepEqual(unsalted(keys.get(17)!, NAS, authenticator), recvKey);
    const tp = p.attributes.find((a) => a.type === 69)!.value as Buffer;
    assert.deepEqual(unsalted(tp.subarray(1), NAS, authenticator), Buffer.from('tunnel-pw'));
  });

  test('an answer signed with another secret, or with a wrong Message-Authenticator, is refused', () => {
    const sent = requestForHome(request, { nasSecret: NAS, homeSecret: HOME, identifier: 1, proxyState: STATE });
    const forged = encodeResponse(decodePacket(sent), Code.AccessAccept, [], Buffer.from('guess'), { messageAuthenticator: true });
    const o = { homeSecret: HOME, nasSecret: NAS, requestAuthenticator: nasPacket.authenticator, identifier: 7, proxyState: STATE };
    assert.throws(() => replyForNas(forged, o), (e: unknown) => isOpenMntError(e) && e.code === 'RADIUS_BAD_AUTHENTICATOR');
    const good = encodeResponse(decodePacket(sent), Code.AccessAccept, [], HOME, { messageAuthenticator: true });
    const tampered = Buffer.from(good);
    tampered[tampered.length - 1]! ^= 1; // inside the Message-Authenticator; then re-sign the response authenticator
    createHash('md5').update(Buffer.concat([tampered.subarray(0, 4), nasPacket.authenticator, tampered.subarray(20), HOME])).digest().copy(tampered, 4);
    assert.throws(() => replyForNas(tampered, o), /Message-Authenticator/);
    assert.throws(() => replyForNas(Buffer.from([2, 1, 0, 30]), o), (e: unknown) => isOpenMntError(e));
  });
});
