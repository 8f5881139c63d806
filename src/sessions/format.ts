/**
 * Attributes as ISE prints them in session and authentication records: `Name=value`, enumerated
 * values by name, tunnel attributes with their tag, opaque octets as text when printable.
 */
import { attributeValueName, type Attribute, type AttributeInput } from '../radius/index.js';

const PRINTABLE = /^[\x20-\x7e]*$/;

/** Octets that hold text (Class, State) read as text; anything else as colon-separated hex. */
export function octetsText(value: Buffer): string {
  const latin = value.toString('latin1');
  if (PRINTABLE.test(latin)) return latin;
  return [...value].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function valueText(name: string, value: Attribute['value'], tag?: number): string {
  let text: string;
  if (Buffer.isBuffer(value)) text = octetsText(value);
  else if (typeof value === 'number') text = attributeValueName(name, value) ?? String(value);
  else text = value;
  return tag !== undefined && tag !== 0 ? `(tag=${tag}) ${text}` : text;
}

function nameOf(a: Attribute | AttributeInput): string {
  if (a.name !== undefined) return a.name;
  return a.vendorId === undefined ? `Attr-${a.type}` : `Vendor-${a.vendorId}-Attr-${a.vendorType}`;
}

/** `Name=value` joined with `:!:`, the separator of ISE's other_attr_string. */
export function attributeString(attributes: readonly (Attribute | AttributeInput)[], skip?: ReadonlySet<string>): string {
  return attributeStrings(attributes, skip).all;
}

/**
 * `attributeString` of the attributes not in `skip` (`all`) and, in the same pass, of those also
 * not in `skipToo` (`other`, null when nothing is left or no `skipToo` is given): accounting
 * stores both for every packet, and each value is rendered once.
 */
export function attributeStrings(
  attributes: readonly (Attribute | AttributeInput)[],
  skip?: ReadonlySet<string>,
  skipToo?: ReadonlySet<string>,
): { all: string; other: string | null } {
  let all = '';
  let other = '';
  for (const a of attributes) {
    const name = nameOf(a);
    if (skip?.has(name)) continue;
    const part = `${name}=${valueText(name, a.value, a.tag)}`;
    all = all === '' ? part : `${all}:!:${part}`;
    if (skipToo !== undefined && !skipToo.has(name)) other = other === '' ? part : `${other}:!:${part}`;
  }
  return { all, other: other === '' ? null : other };
}

/** A reply as ISE's `response` element shows it: `{Name=value; Name=value; }`. */
export function responseString(attributes: readonly (Attribute | AttributeInput)[]): string {
  let out = '{';
  for (const a of attributes) {
    const name = nameOf(a);
    if (name === 'Message-Authenticator') continue;
    out += `${name}=${valueText(name, a.value, a.tag)}; `;
  }
  return `${out}}`;
}
