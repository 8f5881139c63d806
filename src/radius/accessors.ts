/** Reading attributes out of a decoded packet by name. */
import { attributeByName } from './dictionary.js';
import type { Attribute, RadiusPacket } from './packet.js';

/** Decoded attributes carry the dictionary's spelling; callers may use any case. */
function canonicalName(name: string): string {
  return attributeByName(name)?.name ?? name;
}

/** The first attribute of that name, in packet order. */
export function getAttribute(packet: RadiusPacket, name: string): Attribute | undefined {
  const wanted = canonicalName(name);
  for (const a of packet.attributes) if (a.name === wanted) return a;
  return undefined;
}

/** Every attribute of that name, in packet order. */
export function getAttributes(packet: RadiusPacket, name: string): Attribute[] {
  const wanted = canonicalName(name);
  return packet.attributes.filter((a) => a.name === wanted);
}

/** The first value of that name as text: strings as they are, named integers by their name,
 * other numbers in decimal, octets read as UTF-8. */
export function getString(packet: RadiusPacket, name: string): string | undefined {
  const a = getAttribute(packet, name);
  if (a === undefined) return undefined;
  if (typeof a.value === 'string') return a.value;
  if (typeof a.value === 'number') return attributeByName(a.name)?.valueNames?.get(a.value) ?? String(a.value);
  return a.value.toString('utf8');
}

/** The first value of that name when it is a number (integer, date); otherwise undefined. */
export function getNumber(packet: RadiusPacket, name: string): number | undefined {
  const value = getAttribute(packet, name)?.value;
  return typeof value === 'number' ? value : undefined;
}

/** Every Cisco-AVPair value, in packet order. */
export function ciscoAvPairs(packet: RadiusPacket): string[] {
  const out: string[] = [];
  for (const a of packet.attributes) if (a.name === 'Cisco-AVPair' && typeof a.value === 'string') out.push(a.value);
  return out;
}

/**
 * The value of the first Cisco-AVPair `key=value` (or `key*value`, Cisco's optional form) for
 * that key: `ciscoAvPair(p, 'audit-session-id')` → `'0A0B0C0D…'`.
 */
export function ciscoAvPair(packet: RadiusPacket, key: string): string | undefined {
  for (const a of packet.attributes) {
    if (a.name !== 'Cisco-AVPair' || typeof a.value !== 'string') continue;
    const v = a.value;
    if (v.length > key.length && v.startsWith(key)) {
      const separator = v.charCodeAt(key.length);
      if (separator === 0x3d /* = */ || separator === 0x2a /* * */) return v.slice(key.length + 1);
    }
  }
  return undefined;
}
