/**
 * RADIUS packets: bytes to a typed packet and back, with every authenticator rule. Pure: no
 * sockets, no clock; randomness only for the Access-Request authenticator, which callers may
 * supply themselves.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { OpenMntError } from '../errors.js';
import {
  CODE_NAMES,
  Code,
  attributeByName,
  attributeByType,
  type AttributeDef,
} from './dictionary.js';

export type AttributeValue = string | number | Buffer;

export interface Attribute {
  type: number;
  vendorId?: number;
  vendorType?: number;
  name: string;
  value: AttributeValue;
  tag?: number;
  /** RFC 6929 §2.8: the value did not fit its type and is kept as raw octets. */
  invalid?: true;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: Attribute[];
}

/** An attribute to encode: by dictionary name, or by number for what the dictionary lacks. A
 * numeric attribute also takes the name of one of its values (`Acct-Status-Type: 'Start'`). */
export type AttributeInput =
  | { name: string; value: AttributeValue; tag?: number }
  | { type: number; vendorId?: number; vendorType?: number; value: Buffer; name?: undefined; tag?: undefined };

export interface EncodeOptions {
  secret: string | Buffer;
  /** For responses: the authenticator of the request being answered. */
  requestAuthenticator?: Buffer;
  /** Add Message-Authenticator (placed first, as the BlastRADIUS guidance asks). */
  messageAuthenticator?: boolean;
}

const HEADER = 20;
const MAX_PACKET = 4096;
const MESSAGE_AUTHENTICATOR = 80;
const ZERO16 = Buffer.alloc(16);

/** Codes whose Request Authenticator is an MD5 over the packet with a zeroed authenticator. */
const SIGNED_REQUESTS = new Set<number>([Code.AccountingRequest, Code.DisconnectRequest, Code.CoARequest]);
/** Codes whose authenticator is random (RFC 2865 §3, RFC 5997 §3). */
const RANDOM_REQUESTS = new Set<number>([Code.AccessRequest, Code.StatusServer, Code.StatusClient]);

function fail(code: ConstructorParameters<typeof OpenMntError>[0], message: string): never {
  throw new OpenMntError(code, message);
}

const secretBuffer = (secret: string | Buffer) => (typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);

// ---------------------------------------------------------------- decoding

/** Header only, without looking at attributes. */
export function peekHeader(buf: Buffer): { code: number; identifier: number; length: number } {
  const length = checkHeader(buf);
  return { code: buf[0]!, identifier: buf[1]!, length };
}

function checkHeader(buf: Buffer): number {
  if (buf.length < HEADER) fail('RADIUS_PACKET_TOO_SHORT', `datagram of ${buf.length} octets is shorter than the 20-octet header`);
  const length = buf.readUInt16BE(2);
  // RFC 2865 §3: Length is 20..4096; a datagram shorter than Length is silently discarded,
  // octets beyond Length are padding and ignored.
  if (length < HEADER) fail('RADIUS_LENGTH_MISMATCH', `Length field ${length} is below the minimum of 20`);
  if (length > MAX_PACKET) fail('RADIUS_PACKET_TOO_LONG', `Length field ${length} exceeds the maximum of 4096`);
  if (length > buf.length) fail('RADIUS_LENGTH_MISMATCH', `Length field ${length} exceeds the ${buf.length} octets received`);
  if (!CODE_NAMES.has(buf[0]!)) fail('RADIUS_UNKNOWN_CODE', `unknown packet code ${buf[0]}`);
  return length;
}

export function decodePacket(buf: Buffer): RadiusPacket {
  const length = checkHeader(buf);
  const attributes: Attribute[] = [];
  let offset = HEADER;
  while (offset < length) {
    if (offset + 2 > length) fail('RADIUS_BAD_ATTRIBUTE', `attribute header at octet ${offset} runs past the packet`);
    const type = buf[offset]!;
    const len = buf[offset + 1]!;
    if (len < 2) fail('RADIUS_BAD_ATTRIBUTE', `attribute ${type} at octet ${offset} has length ${len} (minimum 2)`);
    if (offset + len > length) fail('RADIUS_BAD_ATTRIBUTE', `attribute ${type} at octet ${offset} overflows the packet`);
    const value = buf.subarray(offset + 2, offset + len);
    if (type === 26) decodeVendorSpecific(value, attributes);
    else attributes.push(decodeValue(attributeByType(type), type, undefined, undefined, value));
    offset += len;
  }
  return { code: buf[0]!, identifier: buf[1]!, authenticator: Buffer.from(buf.subarray(4, 20)), attributes };
}

/** RFC 2865 §5.26: Vendor-Id (4 octets), then one or more sub-attributes of type and length. */
function decodeVendorSpecific(value: Buffer, out: Attribute[]): void {
  if (value.length < 6) {
    out.push({ type: 26, name: 'Vendor-Specific', value: Buffer.from(value), invalid: true });
    return;
  }
  const vendorId = value.readUInt32BE(0);
  let offset = 4;
  const start = out.length;
  while (offset < value.length) {
    const vendorType = value[offset]!;
    const len = value[offset + 1];
    if (len === undefined || len < 2 || offset + len > value.length) {
      // Not in the common format: keep the whole VSA as one opaque value.
      out.length = start;
      out.push({ type: 26, vendorId, name: `Vendor-${vendorId}`, value: Buffer.from(value.subarray(4)), invalid: true });
      return;
    }
    const def = attributeByType(26, vendorId, vendorType);
    out.push(decodeValue(def, 26, vendorId, vendorType, value.subarray(offset + 2, offset + len)));
    offset += len;
  }
}

function unknownName(type: number, vendorId?: number, vendorType?: number): string {
  return vendorId === undefined ? `Attr-${type}` : `Vendor-${vendorId}-Attr-${vendorType}`;
}

function decodeValue(def: AttributeDef | undefined, type: number, vendorId: number | undefined, vendorType: number | undefined, raw: Buffer): Attribute {
  const base: Attribute = { type, name: def?.name ?? unknownName(type, vendorId, vendorType), value: raw };
  if (vendorId !== undefined) {
    base.vendorId = vendorId;
    base.vendorType = vendorType!;
  }
  const invalid = (): Attribute => ({ ...base, value: Buffer.from(raw), invalid: true });
  switch (def?.dataType) {
    case 'text':
      base.value = raw.toString('utf8');
      return base;
    case 'integer':
    case 'date':
      if (raw.length !== 4) return invalid();
      base.value = raw.readUInt32BE(0);
      return base;
    case 'ipaddr':
      if (raw.length !== 4) return invalid();
      base.value = `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}`;
      return base;
    case 'ipv6addr':
      if (raw.length !== 16) return invalid();
      base.value = ipv6Text(raw);
      return base;
    case 'ipv6prefix': {
      // RFC 3162 §2.3: Reserved, Prefix-Length, then up to 16 octets of prefix.
      if (raw.length < 2 || raw.length > 18 || raw[1]! > 128) return invalid();
      const full = Buffer.alloc(16);
      raw.copy(full, 0, 2);
      base.value = `${ipv6Text(full)}/${raw[1]}`;
      return base;
    }
    case 'ifid':
      if (raw.length !== 8) return invalid();
      base.value = raw.toString('hex').replace(/(.{4})(?!$)/g, '$1:');
      return base;
    case 'tagged-integer':
      if (raw.length !== 4) return invalid();
      base.tag = raw[0]!;
      base.value = raw.readUIntBE(1, 3);
      return base;
    case 'tagged-text':
      if (raw.length > 0 && raw[0]! <= 0x1f) {
        base.tag = raw[0]!;
        base.value = raw.subarray(1).toString('utf8');
      } else {
        base.value = raw.toString('utf8');
      }
      return base;
    default:
      base.value = Buffer.from(raw);
      return base;
  }
}

function ipv6Text(raw: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  // RFC 5952: compress the longest run of two or more zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

// ---------------------------------------------------------------- encoding

function ipv6Bytes(text: string): Buffer | null {
  if (!isIPv6(text)) return null;
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const out = Buffer.alloc(16);
  const put = (groups: string[], from: number) => groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), (from + i) * 2));
  if (h.some((g) => g.includes('.')) || t.some((g) => g.includes('.'))) return null;
  put(h, 0);
  if (tail !== undefined) put(t, 8 - t.length);
  return out;
}

function badValue(name: string, expected: string, value: unknown): never {
  fail('RADIUS_BAD_VALUE', `${name}: ${JSON.stringify(typeof value === 'object' ? String(value) : value)} is not ${expected}`);
}

function encodeValue(def: AttributeDef, value: AttributeValue, tag: number | undefined): Buffer {
  const { name } = def;
  const integer = (max: number): number => {
    let n = value;
    if (typeof n === 'string') n = def.values?.[n] ?? (/^\d+$/.test(n) ? Number(n) : NaN);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) badValue(name, `an integer 0..${max} or a value name`, value);
    return n;
  };
  switch (def.dataType) {
    case 'text':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    case 'integer':
    case 'date': {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(integer(0xffffffff));
      return out;
    }
    case 'tagged-integer': {
      const out = Buffer.alloc(4);
      out.writeUIntBE(integer(0xffffff), 1, 3);
      out[0] = tag ?? 0;
      return out;
    }
    case 'tagged-text': {
      const text = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
      return tag === undefined || tag === 0 ? text : Buffer.concat([Buffer.from([tag]), text]);
    }
    case 'ipaddr':
      if (typeof value !== 'string' || !isIPv4(value)) badValue(name, 'an IPv4 address', value);
      return Buffer.from(value.split('.').map(Number));
    case 'ipv6addr': {
      const bytes = typeof value === 'string' ? ipv6Bytes(value) : null;
      if (bytes === null) badValue(name, 'an IPv6 address', value);
      return bytes;
    }
    case 'ipv6prefix': {
      const [addr, bits] = typeof value === 'string' ? value.split('/') : [];
      const bytes = addr === undefined ? null : ipv6Bytes(addr);
      const length = Number(bits);
      if (bytes === null || !Number.isInteger(length) || length < 0 || length > 128) badValue(name, 'an IPv6 prefix addr/len', value);
      return Buffer.concat([Buffer.from([0, length]), bytes.subarray(0, Math.ceil(length / 8))]);
    }
    case 'ifid': {
      const hex = typeof value === 'string' ? value.replace(/:/g, '') : '';
      if (!/^[0-9a-f]{16}$/i.test(hex)) badValue(name, 'an interface id of 8 octets', value);
      return Buffer.from(hex, 'hex');
    }
    default:
      if (Buffer.isBuffer(value)) return value;
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      return badValue(name, 'octets', value);
  }
}

function encodeAttribute(input: AttributeInput): Buffer {
  let def: AttributeDef | undefined;
  let value: Buffer;
  if (input.name !== undefined) {
    def = attributeByName(input.name);
    if (def === undefined) fail('RADIUS_UNKNOWN_ATTRIBUTE', `no attribute named ${input.name} in the dictionary`);
    if (def.dataType === 'vsa') fail('RADIUS_BAD_VALUE', 'Vendor-Specific is encoded from its vendor attributes');
    value = encodeValue(def, input.value, input.tag);
  } else {
    value = input.value;
  }
  const type = def?.type ?? (input.name === undefined ? input.type : 26);
  const vendorId = def?.vendorId ?? (input.name === undefined ? input.vendorId : undefined);
  const vendorType = def?.vendorType ?? (input.name === undefined ? input.vendorType : undefined);
  if (vendorId !== undefined && vendorType !== undefined) {
    if (value.length > 247) fail('RADIUS_BAD_VALUE', `${def?.name ?? `vendor ${vendorId} attribute ${vendorType}`} value exceeds 247 octets`);
    const out = Buffer.alloc(8 + value.length);
    out[0] = 26;
    out[1] = out.length;
    out.writeUInt32BE(vendorId, 2);
    out[6] = vendorType;
    out[7] = value.length + 2;
    value.copy(out, 8);
    return out;
  }
  if (value.length > 253) fail('RADIUS_BAD_VALUE', `${def?.name ?? `attribute ${type}`} value exceeds 253 octets`);
  const out = Buffer.alloc(2 + value.length);
  out[0] = type;
  out[1] = out.length;
  value.copy(out, 2);
  return out;
}

/**
 * RFC 2865 §5.2: the password is padded to a multiple of 16 octets and each block is XORed
 * with MD5(secret + previous ciphertext block), the first with MD5(secret + Request Authenticator).
 */
export function hideUserPassword(password: string | Buffer, secret: string | Buffer, authenticator: Buffer): Buffer {
  const plain = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (plain.length > 128) fail('RADIUS_BAD_VALUE', 'User-Password exceeds 128 octets');
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  const key = secretBuffer(secret);
  let previous = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const mask = createHash('md5').update(key).update(previous).digest();
    for (let j = 0; j < 16; j++) padded[i + j]! ^= mask[j]!;
    previous = padded.subarray(i, i + 16);
  }
  return padded;
}

export function revealUserPassword(hidden: Buffer, secret: string | Buffer, authenticator: Buffer): string {
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0) {
    fail('RADIUS_BAD_VALUE', `User-Password of ${hidden.length} octets is not 16..128 in steps of 16`);
  }
  const key = secretBuffer(secret);
  const plain = Buffer.alloc(hidden.length);
  let previous = authenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const mask = createHash('md5').update(key).update(previous).digest();
    for (let j = 0; j < 16; j++) plain[i + j] = hidden[i + j]! ^ mask[j]!;
    previous = hidden.subarray(i, i + 16);
  }
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end).toString('utf8');
}

export function encodePacket(
  packet: { code: number; identifier: number; attributes: readonly AttributeInput[]; authenticator?: Buffer },
  options: EncodeOptions,
): Buffer {
  const { code } = packet;
  if (!CODE_NAMES.has(code)) fail('RADIUS_UNKNOWN_CODE', `unknown packet code ${code}`);
  const secret = secretBuffer(options.secret);
  const isResponse = !SIGNED_REQUESTS.has(code) && !RANDOM_REQUESTS.has(code);
  if (isResponse && options.requestAuthenticator?.length !== 16) {
    fail('RADIUS_BAD_VALUE', `${CODE_NAMES.get(code)} needs the request's authenticator`);
  }
  const authenticator = RANDOM_REQUESTS.has(code) ? (packet.authenticator ?? randomBytes(16)) : ZERO16;

  const parts: Buffer[] = [Buffer.alloc(HEADER)];
  let maOffset = -1;
  if (options.messageAuthenticator) {
    maOffset = HEADER;
    parts.push(Buffer.from([MESSAGE_AUTHENTICATOR, 18, ...ZERO16]));
  }
  for (const input of packet.attributes) {
    if (input.name !== undefined && input.name.toLowerCase() === 'message-authenticator') continue;
    if (input.name !== undefined && input.name.toLowerCase() === 'user-password' && RANDOM_REQUESTS.has(code)) {
      const hidden = Buffer.isBuffer(input.value) ? input.value : hideUserPassword(String(input.value), secret, authenticator);
      parts.push(encodeAttribute({ name: 'User-Password', value: hidden }));
      continue;
    }
    parts.push(encodeAttribute(input));
  }
  const out = Buffer.concat(parts);
  if (out.length > MAX_PACKET) fail('RADIUS_PACKET_TOO_LONG', `encoded packet of ${out.length} octets exceeds 4096`);
  out[0] = code;
  out[1] = packet.identifier & 0xff;
  out.writeUInt16BE(out.length, 2);
  // RFC 3579 §3.2 / RFC 5176 §3.1: the HMAC is taken with the Authenticator field holding the
  // request's random authenticator (Access-Request, Status-Server), the Request Authenticator of
  // the request being answered (responses), or zeros (Accounting, CoA and Disconnect requests).
  const macAuthenticator = RANDOM_REQUESTS.has(code) ? authenticator : isResponse ? options.requestAuthenticator! : ZERO16;
  macAuthenticator.copy(out, 4);
  if (maOffset >= 0) {
    createHmac('md5', secret).update(out).digest().copy(out, maOffset + 2);
  }
  if (!RANDOM_REQUESTS.has(code)) {
    // RFC 2866 §3, RFC 5176 §2.3, RFC 2865 §3: MD5(Code+ID+Length+RequestAuth-or-zeros+Attributes+Secret).
    createHash('md5').update(out).update(secret).digest().copy(out, 4);
  }
  return out;
}

export function encodeResponse(
  request: RadiusPacket,
  code: number,
  attributes: readonly AttributeInput[],
  secret: string | Buffer,
  options: { messageAuthenticator?: boolean } = {},
): Buffer {
  return encodePacket(
    { code, identifier: request.identifier, attributes },
    { secret, requestAuthenticator: request.authenticator, messageAuthenticator: options.messageAuthenticator ?? false },
  );
}

// ---------------------------------------------------------------- verification

function digestWith(buf: Buffer, authenticator: Buffer, secret: string | Buffer): Buffer {
  const length = buf.readUInt16BE(2);
  const copy = Buffer.from(buf.subarray(0, length));
  authenticator.copy(copy, 4);
  return createHash('md5').update(copy).update(secretBuffer(secret)).digest();
}

/** True when the Request Authenticator matches the shared secret (RFC 2866 §3, RFC 5176 §2.3);
 * requests with a random authenticator cannot be checked this way and pass. */
export function verifyRequestAuthenticator(buf: Buffer, secret: string | Buffer): boolean {
  const code = buf[0]!;
  if (!SIGNED_REQUESTS.has(code)) return true;
  return timingSafeEqual(digestWith(buf, ZERO16, secret), buf.subarray(4, 20));
}

export function verifyResponseAuthenticator(buf: Buffer, requestAuthenticator: Buffer, secret: string | Buffer): boolean {
  if (buf.length < HEADER) return false;
  return timingSafeEqual(digestWith(buf, requestAuthenticator, secret), buf.subarray(4, 20));
}

/**
 * Checks Message-Authenticator: undefined when the packet has none, else whether the HMAC-MD5
 * matches. For a response, pass the authenticator of the request it answers.
 */
export function verifyMessageAuthenticator(buf: Buffer, secret: string | Buffer, requestAuthenticator?: Buffer): boolean | undefined {
  const length = buf.readUInt16BE(2);
  let offset = HEADER;
  while (offset + 2 <= length) {
    const type = buf[offset]!;
    const len = buf[offset + 1]!;
    if (len < 2) return false;
    if (type === MESSAGE_AUTHENTICATOR) {
      if (len !== 18) return false;
      const copy = Buffer.from(buf.subarray(0, length));
      copy.fill(0, offset + 2, offset + 18);
      const code = buf[0]!;
      if (SIGNED_REQUESTS.has(code)) ZERO16.copy(copy, 4);
      else if (!RANDOM_REQUESTS.has(code)) {
        if (requestAuthenticator === undefined) return false;
        requestAuthenticator.copy(copy, 4);
      }
      const expected = createHmac('md5', secretBuffer(secret)).update(copy).digest();
      return timingSafeEqual(expected, buf.subarray(offset + 2, offset + 18));
    }
    offset += len;
  }
  return undefined;
}

// ---------------------------------------------------------------- accessors

export function getAttribute(packet: RadiusPacket, name: string): Attribute | undefined {
  for (const a of packet.attributes) if (a.name === name) return a;
  return undefined;
}

export function getAttributes(packet: RadiusPacket, name: string): Attribute[] {
  return packet.attributes.filter((a) => a.name === name);
}

export function getString(packet: RadiusPacket, name: string): string | undefined {
  const a = getAttribute(packet, name);
  if (a === undefined) return undefined;
  return Buffer.isBuffer(a.value) ? a.value.toString('utf8') : String(a.value);
}

export function getNumber(packet: RadiusPacket, name: string): number | undefined {
  const a = getAttribute(packet, name);
  return a !== undefined && typeof a.value === 'number' ? a.value : undefined;
}

/** Values of every Cisco-AVPair, in packet order. */
export function ciscoAvPairs(packet: RadiusPacket): string[] {
  const out: string[] = [];
  for (const a of packet.attributes) if (a.name === 'Cisco-AVPair' && typeof a.value === 'string') out.push(a.value);
  return out;
}

/** The value of `key=value` among the Cisco-AVPairs (also `key#value`, the optional-attribute form). */
export function ciscoAvPair(packet: RadiusPacket, key: string): string | undefined {
  for (const a of packet.attributes) {
    if (a.name !== 'Cisco-AVPair' || typeof a.value !== 'string') continue;
    const v = a.value;
    if (v.length > key.length && v.startsWith(key) && (v[key.length] === '=' || v[key.length] === '#')) {
      return v.slice(key.length + 1);
    }
  }
  return undefined;
}
