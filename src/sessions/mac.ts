/**
 * MAC addresses as NAS devices and scripts spell them: `AA:BB:CC:DD:EE:FF`, `aa-bb-cc-dd-ee-ff`,
 * Cisco's `aabb.ccdd.eeff`, bare `aabbccddeeff`. The directory keeps one spelling, ISE's
 * upper-case colon form, so every lookup matches whatever the client typed.
 */
const SEPARATED = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE = /^[0-9a-f]{12}$/i;

/** The canonical `AA:BB:CC:DD:EE:FF` form, or null when the input is not a MAC address. */
export function normalizeMac(input: string): string | null {
  let hex: string;
  const s = input.trim();
  const separated = SEPARATED.exec(s);
  if (separated) {
    hex = separated[1]! + separated[3]! + separated[4]! + separated[5]! + separated[6]! + separated[7]!;
  } else {
    const dotted = DOTTED.exec(s);
    if (dotted) hex = dotted[1]! + dotted[2]! + dotted[3]!;
    else if (BARE.test(s)) hex = s;
    else return null;
  }
  hex = hex.toUpperCase();
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

/** Calling-Station-Id as the directory keys it: the canonical MAC when it is one, else as sent
 * (a phone number, an IP address for VPN sessions). */
export function callingStationKey(value: string): string {
  return normalizeMac(value) ?? value;
}
