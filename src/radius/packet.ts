/**
 * RADIUS packets: bytes to a typed packet and back, with every authenticator rule applied on
 * the way out. Pure: no sockets, no clock; randomness only for a request's authenticator,
 * which the caller may supply instead.
 *
 * Decoding allocates one object per attribute and copies no octets: octet values and the
 * authenticator are views into the datagram. Encoding writes every attribute straight into
 * one scratch buffer and copies the finished packet out once.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import {
  MESSAGE_AUTHENTICATOR,
  ZERO16,
  hideUserPassword,
  messageAuthenticatorDigest,
  messageAuthenticatorField,
  packetDigest,
  secretBytes,
  type Secret,
} from './authenticator.js';
import {
  Code,
  attributeByName,
  attributeByType,
  authenticatorRule,
  codeName,
  vendorAttributes,
  type AttributeDef,
  type AuthenticatorRule,
  type DataType,
} from './dictionary.js';
import { HEADER_LENGTH, MAX_PACKET_LENGTH, checkHeader, fail } from './header.js';
import { ifidText, ipv4Text, ipv6Text, writeIPv4, writeIPv6, writeIfid } from './values.js';

/** text, ipaddr, ipv6addr, ipv6prefix (`addr/len`), ifid → string; integer, date → number
 * (a date is seconds since the Unix epoch); octets and anything unknown or invalid → Buffer. */
export type AttributeValue = string | number | Buffer;

export interface Attribute {
  /** The attribute number; 26 for a vendor attribute. */
  type: number;
  vendorId?: number;
  vendorType?: number;
  /** The dictionary name, or `Attr-<n>` / `Vendor-<id>-Attr-<n>` for an unknown attribute. */
  name: string;
  value: AttributeValue;
  /** RFC 2868 tag (1–31) of a tunnel attribute; absent when the tag is 0, which means "none". */
  tag?: number;
  /** RFC 6929 §2.8: the value does not fit its data type; `value` holds its raw octets. */
  invalid?: true;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: Attribute[];
}

/**
 * An attribute to encode, by dictionary name or by number. A decoded `Attribute` is accepted as
 * is, so a packet can be re-encoded. Values:
 * - integer attributes also take a value name (`'Start'`, any case) or a string of digits;
 * - text attributes also take a number (written in decimal);
 * - a Buffer is always written as the raw value octets (after the tag octet, when a tag is given),
 *   whatever the data type: so an already hidden User-Password, or an invalid attribute, passes;
 * - attributes missing from the dictionary take a Buffer or a string (as UTF-8).
 */
export type AttributeInput =
  | { name: string; value: AttributeValue; tag?: number; type?: number; vendorId?: number; vendorType?: number }
  | { name?: undefined; type: number; vendorId?: undefined; vendorType?: undefined; value: AttributeValue; tag?: number }
  | { name?: undefined; type?: 26; vendorId: number; vendorType: number; value: AttributeValue; tag?: number };

export interface PacketInput {
  code: number;
  identifier: number;
  attributes: readonly AttributeInput[];
  /** For Access-Request, Status-Server and Status-Client only: the authenticator to use
   * instead of a random one. Ignored for other codes, whose authenticator is computed. */
  authenticator?: Buffer;
}

export interface EncodeOptions {
  secret: Secret;
  /** For responses: the authenticator of the request being answered. */
  requestAuthenticator?: Buffer;
  /** Add Message-Authenticator, placed first (the BlastRADIUS guidance). Status-Server always has
   * one (RFC 5997 §3); listing Message-Authenticator among the attributes also asks for one. */
  messageAuthenticator?: boolean;
  /** For an Accounting-Response: the code of the request it answers. Its Message-Authenticator
   * is computed over the request's authenticator when it answers Status-Server, over zeros when
   * it answers an Accounting-Request (the default). `encodeResponse` fills this in. */
  requestCode?: number;
}

const VENDOR_SPECIFIC = 26;
const MA_LENGTH = 18;
/** RFC 2865 §5: "the maximum length of an attribute is 253 octets" of value. */
const MAX_VALUE = 253;
/** A vendor sub-attribute loses four octets of Vendor-Id and two of type and length. */
const MAX_VENDOR_VALUE = MAX_VALUE - 6;
/** RFC 2868 §3: tag values 0x01–0x1F name a tunnel; 0x00 means no tag. */
const MAX_TAG = 0x1f;

// ---------------------------------------------------------------- decoding

const UNKNOWN_NAMES: readonly string[] = Array.from({ length: 256 }, (_, i) => `Attr-${i}`);

/**
 * RFC 8044 §3.4: text is UTF-8, and text that is not is an invalid attribute. Most text on
 * the wire is ASCII, so that is checked in JS before asking the native validator.
 */
function isText(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, end));
  }
  return true;
}

const PREFIX = Buffer.alloc(16);

/** RFC 3162 §2.3: Reserved, Prefix-Length (0–128), then as many prefix octets as needed. */
function ipv6PrefixText(buf: Buffer, start: number, end: number): string | undefined {
  const octets = end - start - 2;
  if (octets < 0 || octets > 16) return undefined;
  const bits = buf[start + 1]!;
  if (bits > 128 || bits > octets * 8) return undefined;
  PREFIX.fill(0);
  buf.copy(PREFIX, 0, start + 2, end);
  clearHostBits(PREFIX, 0, bits);
  return `${ipv6Text(PREFIX, 0)}/${bits}`;
}

/** Zeroes the bits after the first `bits` of the 16 octets at `at` (RFC 8044 §3.10). */
function clearHostBits(buf: Buffer, at: number, bits: number): void {
  const whole = bits >> 3;
  if (whole >= 16) return;
  buf[at + whole]! &= (0xff00 >> (bits & 7)) & 0xff;
  buf.fill(0, at + whole + 1, at + 16);
}

/** The value of `dataType` in buf[start, end), or undefined when the octets do not fit it. */
function decodeValue(dataType: DataType, buf: Buffer, start: number, end: number): AttributeValue | undefined {
  const size = end - start;
  switch (dataType) {
    case 'text':
      return isText(buf, start, end) ? buf.toString('utf8', start, end) : undefined;
    case 'integer':
    case 'date':
      return size === 4 ? buf.readUInt32BE(start) : undefined;
    case 'ipaddr':
      return size === 4 ? ipv4Text(buf, start) : undefined;
    case 'ipv6addr':
      return size === 16 ? ipv6Text(buf, start) : undefined;
    case 'ipv6prefix':
      return ipv6PrefixText(buf, start, end);
    case 'ifid':
      return size === 8 ? ifidText(buf, start) : undefined;
    case 'octets':
    case 'vsa':
      return buf.subarray(start, end);
  }
}

function decodeAttribute(def: AttributeDef | undefined, type: number, vendorId: number, vendorType: number, buf: Buffer, start: number, end: number): Attribute {
  const name = def?.name ?? (vendorId < 0 ? UNKNOWN_NAMES[type]! : `Vendor-${vendorId}-Attr-${vendorType}`);
  let value: AttributeValue | undefined;
  let tag = 0;
  if (def === undefined) value = buf.subarray(start, end);
  else if (!def.tagged) value = decodeValue(def.dataType, buf, start, end);
  else if (def.dataType === 'integer') {
    // RFC 2868 §3.1: one octet of tag, then three of value. Tags run 0x01–0x1F (0x00: none);
    // a larger tag makes the attribute invalid.
    if (end - start === 4 && buf[start]! <= MAX_TAG) {
      tag = buf[start]!;
      value = buf.readUIntBE(start + 1, 3);
    }
  } else {
    // RFC 2868 §3.5: a first octet of 0x00–0x1F is a tag; anything greater begins the string.
    const tagged = end > start && buf[start]! <= MAX_TAG;
    if (tagged) tag = buf[start]!;
    value = decodeValue(def.dataType, buf, tagged ? start + 1 : start, end);
  }
  const attribute: Attribute =
    vendorId < 0
      ? { type, name, value: value ?? buf.subarray(start, end) }
      : { type, vendorId, vendorType, name, value: value ?? buf.subarray(start, end) };
  if (value === undefined) attribute.invalid = true;
  else if (tag !== 0) attribute.tag = tag;
  return attribute;
}

/**
 * RFC 2865 §5.26: Vendor-Id (4 octets), then sub-attributes of one octet of type and one of
 * length. A VSA that does not follow that layout is kept whole, as one invalid attribute, so
 * that nothing is half decoded and nothing is lost.
 */
function decodeVendorSpecific(buf: Buffer, start: number, end: number, out: Attribute[]): void {
  if (end - start < 4) {
    out.push({ type: VENDOR_SPECIFIC, name: 'Vendor-Specific', value: buf.subarray(start, end), invalid: true });
    return;
  }
  const vendorId = buf.readUInt32BE(start);
  // At least one sub-attribute header must follow the Vendor-Id, and the sub-attributes must
  // fill the VSA exactly.
  let wellFormed = end - start >= 6;
  for (let offset = start + 4; wellFormed && offset < end; ) {
    const len = offset + 2 <= end ? buf[offset + 1]! : 0;
    wellFormed = len >= 2 && offset + len <= end;
    offset += len;
  }
  if (!wellFormed) {
    out.push({ type: VENDOR_SPECIFIC, vendorId, name: 'Vendor-Specific', value: buf.subarray(start, end), invalid: true });
    return;
  }
  const table = vendorAttributes(vendorId);
  for (let offset = start + 4; offset < end; ) {
    const vendorType = buf[offset]!;
    const next = offset + buf[offset + 1]!;
    out.push(decodeAttribute(table?.[vendorType], VENDOR_SPECIFIC, vendorId, vendorType, buf, offset + 2, next));
    offset = next;
  }
}

/**
 * Decodes one datagram. Throws OpenMntError (RADIUS_PACKET_TOO_SHORT, RADIUS_PACKET_TOO_LONG,
 * RADIUS_LENGTH_MISMATCH, RADIUS_UNKNOWN_CODE, RADIUS_BAD_ATTRIBUTE) when it cannot be a RADIUS
 * packet; a value that does not fit its type is kept as an invalid attribute instead.
 *
 * The Buffers in the result (authenticator, octet values) are views into `buf`: do not modify
 * `buf` while the packet is in use, and copy what must outlive a reused buffer.
 */
export function decodePacket(buf: Buffer): RadiusPacket {
  const length = checkHeader(buf);
  const attributes: Attribute[] = [];
  for (let offset = HEADER_LENGTH; offset < length; ) {
    if (offset + 2 > length) fail('RADIUS_BAD_ATTRIBUTE', `attribute header at octet ${offset} runs past the packet`);
    const type = buf[offset]!;
    const len = buf[offset + 1]!;
    // RFC 2865 §5: Length "indicates the length of this Attribute including the Type, Length
    // and Value fields"; below 2 it cannot even cover its own header.
    if (len < 2) fail('RADIUS_BAD_ATTRIBUTE', `attribute ${type} at octet ${offset} has length ${len}, below 2`);
    const end = offset + len;
    if (end > length) fail('RADIUS_BAD_ATTRIBUTE', `attribute ${type} at octet ${offset} runs past the end of the packet`);
    if (type === VENDOR_SPECIFIC) decodeVendorSpecific(buf, offset + 2, end, attributes);
    else attributes.push(decodeAttribute(attributeByType(type), type, -1, 0, buf, offset + 2, end));
    offset = end;
  }
  return { code: buf[0]!, identifier: buf[1]!, authenticator: buf.subarray(4, HEADER_LENGTH), attributes };
}

// ---------------------------------------------------------------- encoding

/** Every attribute is written here; one attribute past 4096 still fits before the check. */
const SCRATCH = Buffer.alloc(MAX_PACKET_LENGTH + 512);

interface EncodeContext {
  rule: AuthenticatorRule;
  secret: Buffer;
  /** The random authenticator of a request, the request's authenticator for a response, or zeros. */
  authenticator: Buffer;
  /** What the Authenticator field holds while Message-Authenticator is computed. */
  maField: Buffer;
  messageAuthenticator: boolean;
}

function badValue(name: string, expected: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  fail('RADIUS_BAD_VALUE', `${name}: ${shown} is not ${expected}`);
}

function checkedInteger(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail('RADIUS_BAD_VALUE', `${what} ${String(value)} is not an integer ${min}..${max}`);
  }
  return value;
}

/** Writes a string as UTF-8, refusing more than `limit` octets. */
function writeText(name: string, text: string, out: Buffer, at: number, limit: number): number {
  // Room for four more octets than allowed: a string that is too long then always writes more
  // than `limit` octets, even when it stops short of splitting a character.
  const written = out.write(text, at, limit + 4, 'utf8');
  if (written > limit) fail('RADIUS_BAD_VALUE', `${name}: value exceeds ${limit} octets`);
  return written;
}

function integerValue(def: AttributeDef, value: AttributeValue, max: number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= max) return value;
  } else if (typeof value === 'string') {
    const named = def.valueNumbers?.get(value.toLowerCase());
    if (named !== undefined && named <= max) return named;
    if (/^\d{1,10}$/.test(value) && Number(value) <= max) return Number(value);
  }
  return badValue(def.name, `an integer 0..${max}${def.valueNames === undefined ? '' : ' or a value name'}`, value);
}

/** Writes the value field at `at` and returns its size. */
function writeValue(def: AttributeDef | undefined, name: string, value: AttributeValue, tag: number | undefined, out: Buffer, at: number, limit: number, ctx: EncodeContext): number {
  let p = at;
  if (tag !== undefined) {
    if (def?.tagged !== true) fail('RADIUS_BAD_VALUE', `${name} takes no tag`);
    checkedInteger(tag, 0, MAX_TAG, `${name} tag`);
  }
  if (Buffer.isBuffer(value)) {
    if (tag !== undefined) out[p++] = tag;
    if (p - at + value.length > limit) fail('RADIUS_BAD_VALUE', `${name}: value of ${value.length} octets exceeds ${limit}`);
    value.copy(out, p);
    return p - at + value.length;
  }
  if (def === undefined || def.dataType === 'octets' || def.dataType === 'vsa') {
    if (typeof value !== 'string') return badValue(name, 'octets (a Buffer or a string)', value);
    if (def?.hidden === true) {
      // RFC 2865 §5.2 hides User-Password with the Request Authenticator of an Access-Request.
      if (ctx.rule !== 'random') fail('RADIUS_BAD_VALUE', `${name} can only be hidden in a request with a random authenticator`);
      const hidden = hideUserPassword(value, ctx.secret, ctx.authenticator);
      hidden.copy(out, at);
      return hidden.length;
    }
    return writeText(name, value, out, at, limit);
  }
  switch (def.dataType) {
    case 'text': {
      const text = typeof value === 'number' ? String(value) : value;
      if (def.tagged) {
        // A leading octet of 0x00–0x1F would be read back as a tag, so untagged text that
        // starts with one gets an explicit 0x00 ("no tag") in front (RFC 2868 §3.5).
        if (tag !== undefined && tag !== 0) out[p++] = tag;
        else if (text.length > 0 && text.charCodeAt(0) <= MAX_TAG) out[p++] = 0;
      }
      return p - at + writeText(name, text, out, p, limit - (p - at));
    }
    case 'integer':
      if (def.tagged) {
        const n = integerValue(def, value, 0xffffff);
        out[at] = tag ?? 0;
        out.writeUIntBE(n, at + 1, 3);
        return 4;
      }
      out.writeUInt32BE(integerValue(def, value, 0xffffffff), at);
      return 4;
    case 'date':
      out.writeUInt32BE(integerValue(def, value, 0xffffffff), at);
      return 4;
    case 'ipaddr':
      if (typeof value !== 'string' || !writeIPv4(value, out, at)) badValue(name, 'an IPv4 address', value);
      return 4;
    case 'ipv6addr':
      if (typeof value !== 'string' || !writeIPv6(value, out, at)) badValue(name, 'an IPv6 address', value);
      return 16;
    case 'ipv6prefix': {
      const slash = typeof value === 'string' ? value.lastIndexOf('/') : -1;
      const bitsText = slash < 0 ? '' : (value as string).slice(slash + 1);
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
      if (bits < 0 || bits > 128 || !writeIPv6((value as string).slice(0, slash), out, at + 2)) {
        badValue(name, 'an IPv6 prefix written address/length', value);
      }
      // RFC 3162 §2.3 allows sending only the octets the prefix covers; all 16 are sent, as
      // FreeRADIUS does, because that is what every receiver accepts.
      clearHostBits(out, at + 2, bits);
      out[at] = 0;
      out[at + 1] = bits;
      return 18;
    }
    case 'ifid':
      if (typeof value !== 'string' || !writeIfid(value, out, at)) badValue(name, 'an interface id (xxxx:xxxx:xxxx:xxxx)', value);
      return 8;
  }
}

const ATTR_NAME = /^Attr-(\d{1,3})$/;
const VENDOR_ATTR_NAME = /^Vendor-(\d{1,10})-Attr-(\d{1,3})$/;

/** Writes one attribute at `offset` and returns the offset after it. */
function writeAttribute(input: AttributeInput, out: Buffer, offset: number, ctx: EncodeContext): number {
  let def = input.name === undefined ? undefined : attributeByName(input.name);
  let type: number | undefined;
  let vendorId: number | undefined;
  let vendorType: number | undefined;
  if (def !== undefined) {
    ({ type, vendorId, vendorType } = def);
  } else {
    type = input.type;
    vendorId = input.vendorId;
    vendorType = input.vendorType;
    if (type === undefined && vendorId === undefined && input.name !== undefined) {
      // The names decoding gives attributes missing from the dictionary.
      const plain = ATTR_NAME.exec(input.name);
      const vendor = plain === null ? VENDOR_ATTR_NAME.exec(input.name) : null;
      if (plain !== null) type = Number(plain[1]);
      else if (vendor !== null) [vendorId, vendorType] = [Number(vendor[1]), Number(vendor[2])];
      else fail('RADIUS_UNKNOWN_ATTRIBUTE', `no attribute named ${input.name} in the dictionary`);
    }
    if (vendorId !== undefined) {
      if (type !== undefined && type !== VENDOR_SPECIFIC) fail('RADIUS_BAD_VALUE', `a vendor attribute has type 26, not ${type}`);
      type = VENDOR_SPECIFIC;
      checkedInteger(vendorId, 0, 0xffffffff, 'Vendor-Id');
      checkedInteger(vendorType, 0, 255, 'vendor type');
    } else {
      checkedInteger(type, 0, 255, 'attribute type');
    }
    def = attributeByType(type!, vendorId, vendorType);
  }
  const name = def?.name ?? input.name ?? (vendorId === undefined ? `Attr-${type}` : `Vendor-${vendorId}-Attr-${vendorType}`);
  if (def?.type === MESSAGE_AUTHENTICATOR) {
    // Computed over the finished packet and always placed first.
    ctx.messageAuthenticator = true;
    return offset;
  }
  if (vendorId !== undefined) {
    out[offset] = VENDOR_SPECIFIC;
    out.writeUInt32BE(vendorId, offset + 2);
    out[offset + 6] = vendorType!;
    const size = writeValue(def, name, input.value, input.tag, out, offset + 8, MAX_VENDOR_VALUE, ctx);
    out[offset + 1] = size + 8;
    out[offset + 7] = size + 2;
    return offset + 8 + size;
  }
  out[offset] = type!;
  const size = writeValue(def, name, input.value, input.tag, out, offset + 2, MAX_VALUE, ctx);
  out[offset + 1] = size + 2;
  return offset + 2 + size;
}

/**
 * Encodes a packet and fills in its authenticators:
 * - Access-Request, Status-Server, Status-Client: `packet.authenticator` or 16 random octets;
 *   a string User-Password is hidden with it (RFC 2865 §5.2).
 * - Accounting-, Disconnect- and CoA-Request: MD5(Code + Identifier + Length + 16 zero octets
 *   + Attributes + Secret) (RFC 2866 §3, RFC 5176 §2.3).
 * - Every response: MD5(Code + Identifier + Length + Request Authenticator + Attributes +
 *   Secret), which needs `options.requestAuthenticator` (RFC 2865 §3).
 * Message-Authenticator, when asked for, is the first attribute and is computed before the MD5
 * above, with the Authenticator field holding the random authenticator, the request's
 * authenticator (responses: RFC 3579 §3.2, RFC 5176 §3.1), or zeros (Accounting, CoA and
 * Disconnect requests; and an Accounting-Response unless it answers Status-Server, as FreeRADIUS
 * computes it).
 */
export function encodePacket(packet: PacketInput, options: EncodeOptions): Buffer {
  const { code } = packet;
  const rule = authenticatorRule(code);
  if (rule === undefined) fail('RADIUS_UNKNOWN_CODE', `unknown packet code ${code}`);
  checkedInteger(packet.identifier, 0, 255, 'Identifier');
  let authenticator: Buffer;
  if (rule === 'random') authenticator = packet.authenticator ?? randomBytes(16);
  else if (rule === 'signed') authenticator = ZERO16;
  else {
    if (options.requestAuthenticator === undefined) fail('RADIUS_BAD_VALUE', `${codeName(code)} needs the authenticator of the request it answers`);
    authenticator = options.requestAuthenticator;
  }
  if (!Buffer.isBuffer(authenticator) || authenticator.length !== 16) fail('RADIUS_BAD_VALUE', 'an authenticator must be 16 octets');

  const ctx: EncodeContext = {
    rule,
    secret: secretBytes(options.secret),
    authenticator,
    maField: messageAuthenticatorField(code, authenticator, options.requestCode),
    // RFC 5997 §3: "Status-Server packets MUST contain a Message-Authenticator attribute."
    messageAuthenticator: options.messageAuthenticator === true || code === Code.StatusServer,
  };
  const reserved = ctx.messageAuthenticator;
  const out = SCRATCH;
  let offset = HEADER_LENGTH + (reserved ? MA_LENGTH : 0);
  for (const input of packet.attributes) {
    offset = writeAttribute(input, out, offset, ctx);
    if (offset > MAX_PACKET_LENGTH) fail('RADIUS_PACKET_TOO_LONG', `the attributes exceed the 4096-octet maximum of a packet`);
  }
  if (ctx.messageAuthenticator && !reserved) {
    out.copyWithin(HEADER_LENGTH + MA_LENGTH, HEADER_LENGTH, offset);
    offset += MA_LENGTH;
    if (offset > MAX_PACKET_LENGTH) fail('RADIUS_PACKET_TOO_LONG', `the attributes exceed the 4096-octet maximum of a packet`);
  }
  out[0] = code;
  out[1] = packet.identifier;
  out.writeUInt16BE(offset, 2);
  authenticator.copy(out, 4);
  if (ctx.messageAuthenticator) {
    out[HEADER_LENGTH] = MESSAGE_AUTHENTICATOR;
    out[HEADER_LENGTH + 1] = MA_LENGTH;
    const value = HEADER_LENGTH + 2;
    messageAuthenticatorDigest(out, offset, value, ctx.maField, ctx.secret).copy(out, value);
  }
  if (rule !== 'random') packetDigest(out, offset, authenticator, ctx.secret).copy(out, 4);
  return Buffer.from(out.subarray(0, offset));
}

const PROXY_STATE = 33;

/**
 * What `encodeResponse` reads of a request: code, Identifier, authenticator and the Proxy-State
 * attributes. A server that answers later (after a commit) keeps this instead of the whole
 * decoded packet, so the packet's attributes can be collected meanwhile.
 */
export function responseBasis(request: RadiusPacket): RadiusPacket {
  return {
    code: request.code,
    identifier: request.identifier,
    authenticator: request.authenticator,
    attributes: request.attributes.filter((a) => a.type === PROXY_STATE),
  };
}

/**
 * Encodes the answer to a decoded request: same Identifier, Response Authenticator over the
 * request's authenticator. Proxy-State attributes of the request are copied to the end of the
 * answer unless `attributes` already lists Proxy-State (RFC 2865 §5.33: a server returns them
 * unmodified, so the proxy that added them can match the answer).
 */
export function encodeResponse(
  request: RadiusPacket,
  code: number,
  attributes: readonly AttributeInput[],
  secret: Secret,
  options: { messageAuthenticator?: boolean } = {},
): Buffer {
  if (authenticatorRule(code) !== 'response') fail('RADIUS_BAD_VALUE', `${codeName(code)} is not a response`);
  let all = attributes;
  const proxyStates = request.attributes.filter((a) => a.type === PROXY_STATE);
  if (proxyStates.length > 0 && !attributes.some((a) => (a.name === undefined ? a.type === PROXY_STATE : attributeByName(a.name)?.type === PROXY_STATE))) {
    all = [...attributes, ...proxyStates];
  }
  return encodePacket(
    { code, identifier: request.identifier, attributes: all },
    { secret, requestAuthenticator: request.authenticator, requestCode: request.code, messageAuthenticator: options.messageAuthenticator === true },
  );
}
