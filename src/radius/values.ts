/**
 * Text forms of the address-like data types, read from and written into packet buffers in
 * place. Parsers return false rather than throwing so the caller can name the attribute.
 */

const HEX = /^[0-9a-fA-F]{1,4}$/;
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const V4 = Buffer.alloc(4);

/** Four octets at `at` as dotted decimal. */
export function ipv4Text(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** Writes a dotted-decimal IPv4 address; leading zeros are refused as they read as octal elsewhere. */
export function writeIPv4(text: string, out: Buffer, at: number): boolean {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return false;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part[0] === '0')) return false;
    out[at + i - 1] = n;
  }
  return true;
}

/** Sixteen octets at `at` in the RFC 5952 canonical form (lower case, longest zero run as `::`). */
export function ipv6Text(buf: Buffer, at: number): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (buf[at + 2 * i] !== 0 || buf[at + 2 * i + 1] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && buf[at + 2 * j] === 0 && buf[at + 2 * j + 1] === 0) j++;
    // RFC 5952 §4.2.2: a single zero group is not shortened; §4.2.3: the first longest run wins.
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    out += ((buf[at + 2 * i]! << 8) | buf[at + 2 * i + 1]!).toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

function writeGroups(groups: readonly string[], out: Buffer, at: number): boolean {
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (!HEX.test(g)) return false;
    out.writeUInt16BE(parseInt(g, 16), at + 2 * i);
  }
  return true;
}

/**
 * Writes an IPv6 address (RFC 4291 §2.2 text forms, including `::` and a trailing dotted
 * IPv4 part). Zone identifiers (`%eth0`) are refused: they have no meaning on the wire.
 */
export function writeIPv6(text: string, out: Buffer, at: number): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let body = text;
  let embedded = false;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    // The dotted part stands for the last two groups; parse it aside and put zeros in its place.
    if (!writeIPv4(text.slice(lastColon + 1), V4, 0)) return false;
    body = `${text.slice(0, lastColon + 1)}0:0`;
    embedded = true;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  if (halves.length === 1) {
    const groups = body.split(':');
    if (groups.length !== 8 || !writeGroups(groups, out, at)) return false;
  } else {
    const head = halves[0] === '' ? [] : halves[0]!.split(':');
    const tail = halves[1] === '' ? [] : halves[1]!.split(':');
    if (head.length + tail.length > 7) return false;
    out.fill(0, at, at + 16);
    if (!writeGroups(head, out, at) || !writeGroups(tail, out, at + 16 - 2 * tail.length)) return false;
  }
  if (embedded) V4.copy(out, at + 12);
  return true;
}

/** Eight octets as FreeRADIUS prints an interface id: four colon-separated hex groups, like IPv6. */
export function ifidText(buf: Buffer, at: number): string {
  return `${buf.readUInt16BE(at).toString(16)}:${buf.readUInt16BE(at + 2).toString(16)}:${buf.readUInt16BE(at + 4).toString(16)}:${buf.readUInt16BE(at + 6).toString(16)}`;
}

/** Writes an interface id given as four colon-separated groups of hex or as sixteen hex digits. */
export function writeIfid(text: string, out: Buffer, at: number): boolean {
  if (/^[0-9a-fA-F]{16}$/.test(text)) {
    out.write(text, at, 8, 'hex');
    return true;
  }
  const groups = text.split(':');
  return groups.length === 4 && writeGroups(groups, out, at);
}
