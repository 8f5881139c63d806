/**
 * MAC addresses as NAS devices and scripts spell them: `AA:BB:CC:DD:EE:FF`, `aa-bb-cc-dd-ee-ff`,
 * Cisco's `aabb.ccdd.eeff`, bare `aabbccddeeff`. The directory keeps one spelling, ISE's
 * upper-case colon form, so every lookup matches whatever the client typed.
 */
/** Value of each ASCII hex digit by character code; -1 for every other character. */
const HEX = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX[48 + d] = d;
for (let d = 0; d < 6; d++) HEX[65 + d] = HEX[97 + d] = 10 + d;
const COLON = 58;
const DASH = 45;
const DOT = 46;
/** The twelve digits of the MAC being read, upper case (one scratch buffer: no allocation). */
const digits = new Uint8Array(12);

/**
 * The canonical `AA:BB:CC:DD:EE:FF` form, or null when the input is not a MAC address.
 *
 * Read character by character rather than by regular expressions: this runs for every accounting
 * packet and for every entry of a bulk job's MAC list (100,000 in one request, on the thread that
 * answers RADIUS), and an input already canonical comes back as it is, without a new string.
 */
export function normalizeMac(input: string): string | null {
  let s = input;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  // Outer white space is allowed (as String.prototype.trim defines it); anything not ASCII is
  // left to trim and then rejected below.
  if (first <= 32 || first >= 127 || last <= 32 || last >= 127) s = s.trim();
  const n = s.length;
  /** Groups of `group` digits, separated by `separator` (0: none). */
  let separator: number;
  let group: number;
  if (n === 17) {
    separator = s.charCodeAt(2);
    if (separator !== COLON && separator !== DASH) return null;
    group = 2;
  } else if (n === 14) {
    separator = DOT;
    group = 4;
  } else if (n === 12) {
    separator = 0;
    group = 12;
  } else {
    return null;
  }
  let canonical = separator === COLON;
  let j = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (separator !== 0 && (i + 1) % (group + 1) === 0) {
      if (c !== separator) return null;
      continue;
    }
    if (c >= 128 || HEX[c]! < 0) return null;
    if (c >= 97) {
      c -= 32;
      canonical = false;
    }
    digits[j++] = c;
  }
  if (canonical) return s;
  const d = digits;
  return String.fromCharCode(d[0]!, d[1]!, COLON, d[2]!, d[3]!, COLON, d[4]!, d[5]!, COLON, d[6]!, d[7]!, COLON, d[8]!, d[9]!, COLON, d[10]!, d[11]!);
}

/** Calling-Station-Id as the directory keys it: the canonical MAC when it is one, else as sent
 * (a phone number, an IP address for VPN sessions). */
export function callingStationKey(value: string): string {
  return normalizeMac(value) ?? value;
}
