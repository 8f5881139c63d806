/**
 * Everything keyed by the shared secret: User-Password hiding, the Request and Response
 * Authenticators, and Message-Authenticator. Digests are fed the packet in pieces so that no
 * copy of the datagram is made to blank a field.
 */
import { timingSafeEqual } from 'node:crypto';
import { authenticatorRule } from './dictionary.js';
import { HEADER_LENGTH, checkHeader, fail } from './header.js';
import { hmacMd5, md5 } from './md5.js';

export type Secret = string | Buffer;

export const MESSAGE_AUTHENTICATOR = 80;
const ACCOUNTING_RESPONSE = 5;
const STATUS_SERVER = 12;
/** Sixteen zero octets; read-only by convention (never handed out). */
export const ZERO16: Buffer = Buffer.alloc(16);

export function secretBytes(secret: Secret): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

function checkAuthenticator(authenticator: Buffer, what: string): void {
  if (!Buffer.isBuffer(authenticator) || authenticator.length !== 16) {
    fail('RADIUS_BAD_VALUE', `${what} must be 16 octets`);
  }
}

/**
 * RFC 2865 §5.2: the password is padded with NULs to a multiple of 16 octets; block i is XORed
 * with MD5(secret + c(i-1)), where c(0) is the Request Authenticator and c(i) the hidden block.
 */
export function hideUserPassword(password: string | Buffer, secret: Secret, authenticator: Buffer): Buffer {
  checkAuthenticator(authenticator, 'the Request Authenticator');
  const plain = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  // RFC 2865 §5.2: "The String field is between 16 and 128 octets long, inclusive."
  if (plain.length > 128) fail('RADIUS_BAD_VALUE', `User-Password of ${plain.length} octets exceeds 128`);
  const out = Buffer.alloc(Math.max(16, (plain.length + 15) & ~15));
  plain.copy(out);
  const key = secretBytes(secret);
  let previous = authenticator;
  for (let i = 0; i < out.length; i += 16) {
    const mask = md5().update(key).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j]! ^= mask[j]!;
    previous = out.subarray(i, i + 16);
  }
  return out;
}

/** The inverse of `hideUserPassword`; trailing NUL padding is removed. */
export function revealUserPassword(hidden: Buffer, secret: Secret, authenticator: Buffer): string {
  checkAuthenticator(authenticator, 'the Request Authenticator');
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0) {
    fail('RADIUS_BAD_VALUE', `hidden User-Password of ${hidden.length} octets is not 16..128 in steps of 16`);
  }
  const key = secretBytes(secret);
  const plain = Buffer.alloc(hidden.length);
  let previous = authenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const mask = md5().update(key).update(previous).digest();
    for (let j = 0; j < 16; j++) plain[i + j] = hidden[i + j]! ^ mask[j]!;
    previous = hidden.subarray(i, i + 16);
  }
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.toString('utf8', 0, end);
}

/** MD5(Code + Identifier + Length + `authenticator` + Attributes + Secret) of buf[0, length). */
export function packetDigest(buf: Buffer, length: number, authenticator: Buffer, secret: Buffer): Buffer {
  return md5().update(buf, 0, 4).update(authenticator).update(buf, HEADER_LENGTH, length).update(secret).digest();
}

/**
 * True when the Request Authenticator of an Accounting-, CoA- or Disconnect-Request matches the
 * secret (RFC 2866 §3, RFC 5176 §2.3). Access-Request, Status-Server and Status-Client carry a
 * random authenticator that proves nothing, so they pass; a response is not a request and fails.
 * A datagram that is not a RADIUS packet throws as `decodePacket` would.
 */
export function verifyRequestAuthenticator(buf: Buffer, secret: Secret): boolean {
  const length = checkHeader(buf);
  const rule = authenticatorRule(buf[0]!);
  if (rule === 'random') return true;
  if (rule !== 'signed') return false;
  return timingSafeEqual(packetDigest(buf, length, ZERO16, secretBytes(secret)), buf.subarray(4, HEADER_LENGTH));
}

/**
 * True when a response's authenticator is MD5 over it with the request's authenticator in
 * place, followed by the secret (RFC 2865 §3 "Response Authenticator"). False for request codes.
 */
export function verifyResponseAuthenticator(buf: Buffer, requestAuthenticator: Buffer, secret: Secret): boolean {
  const length = checkHeader(buf);
  checkAuthenticator(requestAuthenticator, 'the request authenticator');
  if (authenticatorRule(buf[0]!) !== 'response') return false;
  return timingSafeEqual(packetDigest(buf, length, requestAuthenticator, secretBytes(secret)), buf.subarray(4, HEADER_LENGTH));
}

/**
 * The HMAC-MD5 of RFC 3579 §3.2 over buf[0, length) with the Message-Authenticator value at
 * `maValue` taken as zeros and the Authenticator field taken as `authenticator`.
 */
export function messageAuthenticatorDigest(buf: Buffer, length: number, maValue: number, authenticator: Buffer, secret: Buffer): Buffer {
  return hmacMd5(secret).update(buf, 0, 4).update(authenticator).update(buf, HEADER_LENGTH, maValue).update(ZERO16).update(buf, maValue + 16, length).digest();
}

/**
 * What the Authenticator field holds while the Message-Authenticator HMAC is computed:
 * - a request with a random authenticator: that authenticator (RFC 3579 §3.2);
 * - Accounting-, CoA- and Disconnect-Request: 16 zero octets (RFC 5176 §3.1), since their own
 *   authenticator is computed afterwards over the finished packet;
 * - Access-Accept/Reject/Challenge and the CoA and Disconnect ACK/NAKs: the authenticator of
 *   the request they answer (RFC 3579 §3.2, RFC 5176 §3.1);
 * - Accounting-Response: no RFC defines it except as the answer to Status-Server (RFC 5997 §3:
 *   as for the Access-* responses). For the answer to an Accounting-Request we use zeros, as
 *   FreeRADIUS does, so that radclient and FreeRADIUS-based clients accept it.
 * `request` is the response's request authenticator (ignored for requests).
 */
export function messageAuthenticatorField(code: number, request: Buffer, requestCode: number | undefined): Buffer {
  const rule = authenticatorRule(code);
  if (rule === 'signed') return ZERO16;
  if (code === ACCOUNTING_RESPONSE && requestCode !== STATUS_SERVER) return ZERO16;
  return request;
}

/**
 * Checks Message-Authenticator: undefined when the packet has none, otherwise whether it is
 * right (see `messageAuthenticatorField` for the rules). For a response pass the authenticator
 * of the request it answers, and for an Accounting-Response that answers Status-Server also
 * `requestCode` 12. A packet with more than one Message-Authenticator, or with one that is not
 * 16 octets, fails (RFC 2869 §5.19: at most one, of 16 octets). A datagram that is not a RADIUS
 * packet throws as `decodePacket` would.
 */
export function verifyMessageAuthenticator(buf: Buffer, secret: Secret, requestAuthenticator?: Buffer, requestCode?: number): boolean | undefined {
  const length = checkHeader(buf);
  let found = -1;
  let count = 0;
  let wrongSize = false;
  for (let offset = HEADER_LENGTH; offset < length; ) {
    if (offset + 2 > length) fail('RADIUS_BAD_ATTRIBUTE', `attribute header at octet ${offset} runs past the packet`);
    const len = buf[offset + 1]!;
    if (len < 2 || offset + len > length) fail('RADIUS_BAD_ATTRIBUTE', `attribute at octet ${offset} has a bad length ${len}`);
    if (buf[offset] === MESSAGE_AUTHENTICATOR) {
      count++;
      found = offset + 2;
      if (len !== 18) wrongSize = true;
    }
    offset += len;
  }
  if (count === 0) return undefined;
  if (count > 1 || wrongSize) return false;
  const code = buf[0]!;
  let request = buf.subarray(4, HEADER_LENGTH);
  if (authenticatorRule(code) === 'response') {
    if (requestAuthenticator === undefined) {
      if (code !== ACCOUNTING_RESPONSE || requestCode === STATUS_SERVER) {
        fail('RADIUS_BAD_VALUE', 'checking the Message-Authenticator of a response needs the request authenticator');
      }
    } else {
      checkAuthenticator(requestAuthenticator, 'the request authenticator');
      request = requestAuthenticator;
    }
  }
  const field = messageAuthenticatorField(code, request, requestCode);
  const expected = messageAuthenticatorDigest(buf, length, found, field, secretBytes(secret));
  return timingSafeEqual(expected, buf.subarray(found, found + 16));
}
