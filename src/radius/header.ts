/** The fixed 20-octet header (RFC 2865 §3) and the checks every datagram must pass first. */
import { OpenMntError, type ErrorCode } from '../errors.js';
import { authenticatorRule } from './dictionary.js';

export const HEADER_LENGTH = 20;
/** RFC 2865 §3: "The minimum length is 20 and maximum length is 4096." */
export const MAX_PACKET_LENGTH = 4096;

export function fail(code: ErrorCode, message: string): never {
  throw new OpenMntError(code, message);
}

export interface RadiusHeader {
  code: number;
  identifier: number;
  /** The Length field: octets of the packet proper; anything after it in the datagram is padding. */
  length: number;
}

/** Validates the header of a datagram and returns its Length field. */
export function checkHeader(buf: Buffer): number {
  if (buf.length < HEADER_LENGTH) fail('RADIUS_PACKET_TOO_SHORT', `datagram of ${buf.length} octets is shorter than the 20-octet header`);
  const length = (buf[2]! << 8) | buf[3]!;
  if (length < HEADER_LENGTH) fail('RADIUS_LENGTH_MISMATCH', `Length field ${length} is below the minimum of 20`);
  if (length > MAX_PACKET_LENGTH) fail('RADIUS_PACKET_TOO_LONG', `Length field ${length} exceeds the maximum of 4096`);
  // RFC 2865 §3: "If the packet is shorter than the Length field indicates, it MUST be silently
  // discarded." Octets beyond Length are padding and are ignored.
  if (length > buf.length) fail('RADIUS_LENGTH_MISMATCH', `Length field ${length} exceeds the ${buf.length} octets received`);
  if (authenticatorRule(buf[0]!) === undefined) fail('RADIUS_UNKNOWN_CODE', `unknown packet code ${buf[0]}`);
  return length;
}

/** Code, Identifier and Length without reading any attribute, for the duplicate cache. Throws
 * the same errors as `decodePacket` does for a bad header. */
export function peekHeader(buf: Buffer): RadiusHeader {
  const length = checkHeader(buf);
  return { code: buf[0]!, identifier: buf[1]!, length };
}
