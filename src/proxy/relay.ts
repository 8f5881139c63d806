/**
 * A proxied exchange at the octet level: the NAS's Access-Request turned into the home server's,
 * and the home server's answer turned back into one for the NAS. Attributes the proxy does not
 * have to touch travel as they came (EAP-Message, State, VSAs of any vendor, unknown attributes),
 * so nothing is lost to a dictionary. What depends on the shared secret is rewritten for the other
 * leg: User-Password, the salted attributes of the answer (Tunnel-Password, MS-MPPE keys: the
 * keys a WPA session is built from), Message-Authenticator and the Response Authenticator.
 *
 * The Request Authenticator is the NAS's own on both legs. It is random and unique per request
 * (RFC 2865 §3), and keeping it leaves CHAP's challenge (RFC 2865 §5.3) and every salt valid.
 */
import { timingSafeEqual } from 'node:crypto';
import { OpenMntError } from '../errors.js';
import { ZERO16 } from '../radius/authenticator.js';
import { hmacMd5, md5 } from '../radius/md5.js';

const HEADER = 20;
const MAX_PACKET = 4096;
const USER_NAME = 1;
const USER_PASSWORD = 2;
const VENDOR_SPECIFIC = 26;
const PROXY_STATE = 33;
const TUNNEL_PASSWORD = 69;
const MESSAGE_AUTHENTICATOR = 80;
const MICROSOFT = 311;
const MS_MPPE_SEND_KEY = 16;
const MS_MPPE_RECV_KEY = 17;

interface RawAttribute {
  type: number;
  value: Buffer;
}

function bad(message: string): never {
  throw new OpenMntError('RADIUS_BAD_ATTRIBUTE', message);
}

/** The attributes of a datagram whose header has been checked; views into it, not copies. */
export function rawAttributes(datagram: Buffer): RawAttribute[] {
  const length = datagram.readUInt16BE(2);
  if (length < HEADER || length > datagram.length || length > MAX_PACKET) bad(`length field ${length} does not fit the datagram of ${datagram.length} octets`);
  const out: RawAttribute[] = [];
  for (let at = HEADER; at < length; ) {
    if (at + 2 > length) bad(`attribute header at octet ${at} runs past the packet`);
    const len = datagram[at + 1]!;
    if (len < 2 || at + len > length) bad(`attribute at octet ${at} has a bad length ${len}`);
    out.push({ type: datagram[at]!, value: datagram.subarray(at + 2, at + len) });
    at += len;
  }
  return out;
}

function assemble(code: number, identifier: number, authenticator: Buffer, attributes: readonly RawAttribute[]): Buffer {
  const length = attributes.reduce((n, a) => n + 2 + a.value.length, HEADER);
  if (length > MAX_PACKET) throw new OpenMntError('RADIUS_PACKET_TOO_LONG', `the relayed packet would be ${length} octets (at most ${MAX_PACKET})`);
  const out = Buffer.alloc(length);
  out[0] = code;
  out[1] = identifier;
  out.writeUInt16BE(length, 2);
  authenticator.copy(out, 4);
  let at = HEADER;
  for (const a of attributes) {
    out[at] = a.type;
    out[at + 1] = a.value.length + 2;
    a.value.copy(out, at + 2);
    at += a.value.length + 2;
  }
  return out;
}

/** Offset of the Message-Authenticator value in a packet built by `assemble` (the last attribute). */
function signMessageAuthenticator(packet: Buffer, authenticatorField: Buffer, secret: Buffer): void {
  const value = packet.length - 16;
  if (packet[value - 2] !== MESSAGE_AUTHENTICATOR) bad('Message-Authenticator must be the last attribute here');
  packet.fill(0, value);
  hmacMd5(secret).update(packet, 0, 4).update(authenticatorField).update(packet, HEADER).digestInto(packet, value);
}

/**
 * RFC 2865 §5.2's hiding undone with one secret and done again with another, octet for octet
 * (padding included), so any password survives, UTF-8 or not.
 */
function rehidePassword(hidden: Buffer, from: Buffer, to: Buffer, authenticator: Buffer): Buffer {
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0) bad(`hidden User-Password of ${hidden.length} octets is not 16..128 in steps of 16`);
  const out = Buffer.alloc(hidden.length);
  let previousIn = authenticator;
  let previousOut = authenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const unmask = md5().update(from).update(previousIn).digest();
    const mask = md5().update(to).update(previousOut).digest();
    for (let j = 0; j < 16; j++) out[i + j] = hidden[i + j]! ^ unmask[j]! ^ mask[j]!;
    previousIn = hidden.subarray(i, i + 16);
    previousOut = out.subarray(i, i + 16);
  }
  return out;
}

/**
 * The salted hiding of RFC 2548 §2.4.2 (MS-MPPE keys) and RFC 2868 §3.5 (Tunnel-Password):
 * b(1) = MD5(secret + Request Authenticator + salt), b(i) = MD5(secret + c(i-1)). `data` is
 * what follows the salt; it is undone with one secret and done again with the other.
 */
function resalt(data: Buffer, salt: Buffer, from: Buffer, to: Buffer, authenticator: Buffer): Buffer {
  if (data.length === 0 || data.length % 16 !== 0) bad(`salted value of ${data.length} octets is not a multiple of 16`);
  const out = Buffer.alloc(data.length);
  let previousIn: Buffer | null = null;
  let previousOut: Buffer | null = null;
  for (let i = 0; i < data.length; i += 16) {
    const unmask = previousIn === null ? md5().update(from).update(authenticator).update(salt).digest() : md5().update(from).update(previousIn).digest();
    const mask = previousOut === null ? md5().update(to).update(authenticator).update(salt).digest() : md5().update(to).update(previousOut).digest();
    for (let j = 0; j < 16; j++) out[i + j] = data[i + j]! ^ unmask[j]! ^ mask[j]!;
    previousIn = data.subarray(i, i + 16);
    previousOut = out.subarray(i, i + 16);
  }
  return out;
}

export interface ToHome {
  nasSecret: Buffer;
  homeSecret: Buffer;
  /** The identifier on the home server's leg (the proxy's own id space per socket). */
  identifier: number;
  /** Appended as Proxy-State; the home server must return it unchanged (RFC 2865 §5.33). */
  proxyState: Buffer;
  /** The User-Name to send instead of the NAS's (a realm stripped). */
  userName?: Buffer;
}

/**
 * The home server's Access-Request (or Accounting-Request, Status-Server) from the NAS's. An
 * Access-Request always gets a Message-Authenticator (RFC 3579 §3.2 for EAP; required by home
 * servers hardened against BlastRADIUS for everything else).
 */
export function requestForHome(datagram: Buffer, o: ToHome): Buffer {
  const code = datagram[0]!;
  const authenticator = datagram.subarray(4, HEADER);
  const same = o.nasSecret.equals(o.homeSecret);
  const attributes: RawAttribute[] = [];
  for (const a of rawAttributes(datagram)) {
    if (a.type === MESSAGE_AUTHENTICATOR) continue;
    if (a.type === USER_NAME && o.userName !== undefined) attributes.push({ type: a.type, value: o.userName });
    else if (a.type === USER_PASSWORD && !same) attributes.push({ type: a.type, value: rehidePassword(a.value, o.nasSecret, o.homeSecret, authenticator) });
    else attributes.push(a);
  }
  attributes.push({ type: PROXY_STATE, value: o.proxyState });
  if (code === 4) {
    // RFC 2866 §3: an Accounting-Request's authenticator is MD5 over the packet and the secret.
    const packet = assemble(code, o.identifier, Buffer.alloc(16), attributes);
    md5().update(packet).update(o.homeSecret).digestInto(packet, 4);
    return packet;
  }
  attributes.push({ type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) });
  const packet = assemble(code, o.identifier, authenticator, attributes);
  signMessageAuthenticator(packet, authenticator, o.homeSecret);
  return packet;
}

export interface ToNas {
  homeSecret: Buffer;
  nasSecret: Buffer;
  /** The Request Authenticator of the request both legs share. */
  requestAuthenticator: Buffer;
  /** The home server's leg's request authenticator when it differs (accounting: signed per leg). */
  homeRequestAuthenticator?: Buffer;
  /** The NAS's identifier of the request. */
  identifier: number;
  proxyState: Buffer;
}

/**
 * The NAS's answer from the home server's: checked with the home server's secret (a forged or
 * damaged answer is refused: `RADIUS_BAD_AUTHENTICATOR`), our Proxy-State taken out, salted
 * attributes moved to the NAS's secret, signed for the NAS (Message-Authenticator on every
 * Access-* answer, then the Response Authenticator).
 */
export function replyForNas(reply: Buffer, o: ToNas): Buffer {
  if (reply.length < HEADER) bad(`answer of ${reply.length} octets is shorter than a RADIUS header`);
  const code = reply[0]!;
  const homeAuthenticator = o.homeRequestAuthenticator ?? o.requestAuthenticator;
  const attributes = rawAttributes(reply);
  const length = reply.readUInt16BE(2);
  // RFC 2865 §3: Response Authenticator = MD5(Code + ID + Length + Request Authenticator + Attributes + Secret).
  const expected = md5().update(reply, 0, 4).update(homeAuthenticator).update(reply, HEADER, length).update(o.homeSecret).digest();
  if (!timingSafeEqual(expected, reply.subarray(4, HEADER))) throw new OpenMntError('RADIUS_BAD_AUTHENTICATOR', 'the home server answer does not verify with its secret');
  const ma = attributes.filter((a) => a.type === MESSAGE_AUTHENTICATOR);
  if (ma.length > 1 || (ma.length === 1 && ma[0]!.value.length !== 16)) throw new OpenMntError('RADIUS_BAD_AUTHENTICATOR', 'the home server answer has a malformed Message-Authenticator');
  if (ma.length === 1) {
    const offset = ma[0]!.value.byteOffset - reply.byteOffset;
    const mac = hmacMd5(o.homeSecret).update(reply, 0, 4).update(homeAuthenticator).update(reply, HEADER, offset).update(ZERO16).update(reply, offset + 16, length).digest();
    if (!timingSafeEqual(mac, ma[0]!.value)) throw new OpenMntError('RADIUS_BAD_AUTHENTICATOR', 'the home server answer has a wrong Message-Authenticator');
  }
  const same = o.homeSecret.equals(o.nasSecret);
  const out: RawAttribute[] = [];
  let ours = false;
  for (const a of attributes) {
    if (a.type === MESSAGE_AUTHENTICATOR) continue;
    // Ours is the last Proxy-State (RFC 2865 §5.33: appended by us); earlier ones are the NAS's proxies'.
    if (a.type === PROXY_STATE && !ours && a.value.equals(o.proxyState)) {
      ours = true;
      continue;
    }
    out.push(same ? a : moveSalted(a, o.homeSecret, o.nasSecret, o.requestAuthenticator));
  }
  const accessAnswer = code === 2 || code === 3 || code === 11;
  if (accessAnswer) out.push({ type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) });
  const packet = assemble(code, o.identifier, o.requestAuthenticator, out);
  if (accessAnswer) signMessageAuthenticator(packet, o.requestAuthenticator, o.nasSecret);
  md5().update(packet).update(o.nasSecret).digestInto(packet, 4);
  return packet;
}

/** Tunnel-Password and the MS-MPPE keys rewritten for the other secret; anything else as is. */
function moveSalted(a: RawAttribute, from: Buffer, to: Buffer, authenticator: Buffer): RawAttribute {
  if (a.type === TUNNEL_PASSWORD) {
    // Tag (1), Salt (2), String.
    if (a.value.length < 19) bad(`Tunnel-Password of ${a.value.length} octets is too short`);
    const value = Buffer.from(a.value);
    resalt(a.value.subarray(3), a.value.subarray(1, 3), from, to, authenticator).copy(value, 3);
    return { type: a.type, value };
  }
  if (a.type === VENDOR_SPECIFIC && a.value.length >= 6 && a.value.readUInt32BE(0) === MICROSOFT) {
    // Vendor-Id (4), then Microsoft's sub-attributes: type (1), length (1), value; the keys are Salt (2), String.
    const value = Buffer.from(a.value);
    for (let at = 4; at + 2 <= value.length; ) {
      const type = value[at]!;
      const len = value[at + 1]!;
      if (len < 2 || at + len > value.length) break;
      if ((type === MS_MPPE_SEND_KEY || type === MS_MPPE_RECV_KEY) && len >= 4 + 16) {
        resalt(value.subarray(at + 4, at + len), value.subarray(at + 2, at + 4), from, to, authenticator).copy(value, at + 4);
      }
      at += len;
    }
    return { type: a.type, value };
  }
  return a;
}
