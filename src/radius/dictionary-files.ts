/**
 * Dictionaries in FreeRADIUS's file format (those Debian's `freeradius-common` installs under
 * /usr/share/freeradius, or a site's own): `VENDOR`, `BEGIN-VENDOR` / `END-VENDOR`, `ATTRIBUTE`
 * with `has_tag` and `encrypt=` flags, `VALUE`, `$INCLUDE`. What they define is added to the
 * codec's tables beside the built-in ones, which stay as they are (same names, same numbers):
 * loading never changes how a packet the node already understood is read.
 *
 * The parser is pure (text in, definitions out); `loadDictionaryFiles` reads the files.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { OpenMntError } from '../errors.js';
import type { AttributeSpec, DataType, ValueTable } from './dictionary.js';

export interface DictionaryDefinitions {
  vendors: { id: number; name: string }[];
  /** `vendorId` set for a vendor attribute (its number is then the vendor type). */
  attributes: { vendorId?: number; spec: AttributeSpec }[];
  /** Lines that define what this codec cannot put on the wire as its own type; their attributes are read as octets or skipped. */
  skipped: string[];
}

/** FreeRADIUS data types → the codec's; those of another size or shape are read as octets. */
const TYPES: Record<string, DataType | 'skip'> = {
  string: 'text',
  octets: 'octets',
  integer: 'integer',
  signed: 'integer',
  uint32: 'integer',
  date: 'date',
  ipaddr: 'ipaddr',
  ipv6addr: 'ipv6addr',
  ipv6prefix: 'ipv6prefix',
  ifid: 'ifid',
  // Sizes the codec has no type for: kept as the octets on the wire.
  byte: 'octets',
  short: 'octets',
  integer64: 'octets',
  ether: 'octets',
  abinary: 'octets',
  'combo-ip': 'octets',
  ipv4prefix: 'octets',
  // Containers with a layout of their own: not defined here (such attributes stay raw).
  tlv: 'skip',
  evs: 'skip',
  extended: 'skip',
  'long-extended': 'skip',
  vsa: 'skip',
};

function fail(file: string, line: number, message: string): never {
  throw new OpenMntError('CONFIG_INVALID', `dictionary ${file}:${line}: ${message}`);
}

/** Parses one file's text; `include` returns the text of an `$INCLUDE`d file and its name. */
export function parseDictionary(text: string, file: string, include: (name: string, from: string) => { text: string; file: string } | null, into?: DictionaryDefinitions): DictionaryDefinitions {
  const out: DictionaryDefinitions = into ?? { vendors: [], attributes: [], skipped: [] };
  const values = new Map<string, Record<string, number>>();
  parseInto(text, file, include, out, values, new Set([file]));
  // Named values join their attributes, wherever in the files they were given.
  for (const a of out.attributes) {
    const table = values.get(a.spec[1].toLowerCase());
    if (table !== undefined && a.spec[2] === 'integer') a.spec = [a.spec[0], a.spec[1], a.spec[2], { ...(a.spec[3] ?? {}), values: table as ValueTable }];
  }
  return out;
}

function parseInto(
  text: string,
  file: string,
  include: (name: string, from: string) => { text: string; file: string } | null,
  out: DictionaryDefinitions,
  values: Map<string, Record<string, number>>,
  seen: Set<string>,
): void {
  const vendorIds = new Map(out.vendors.map((v) => [v.name.toLowerCase(), v.id]));
  let vendor: { id: number; usable: boolean } | null = null;
  const unusableVendors = new Set<number>();
  let tlvDepth = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const keyword = f[0]!;
    const n = i + 1;
    if (keyword === '$INCLUDE' || keyword === '$INCLUDE-') {
      if (f[1] === undefined) fail(file, n, '$INCLUDE needs a file name');
      const found = include(f[1], file);
      if (found === null) {
        if (keyword === '$INCLUDE-') continue;
        fail(file, n, `cannot read the included file ${f[1]}`);
      }
      if (seen.has(found.file)) continue;
      seen.add(found.file);
      parseInto(found.text, found.file, include, out, values, seen);
      for (const v of out.vendors) vendorIds.set(v.name.toLowerCase(), v.id);
      continue;
    }
    switch (keyword) {
      case 'VENDOR': {
        const id = Number(f[2]);
        if (f[1] === undefined || !Number.isInteger(id) || id < 0) fail(file, n, 'VENDOR needs a name and a number');
        // Only the layout of RFC 2865 §5.26 (one octet of type, one of length) is read by the codec.
        const format = f.slice(3).find((x) => x.startsWith('format='));
        if (format !== undefined && format !== 'format=1,1' && !format.startsWith('format=1,1,')) {
          unusableVendors.add(id);
          out.skipped.push(`${file}:${n}: vendor ${f[1]} (${format}): its attributes stay raw`);
        }
        if (!vendorIds.has(f[1].toLowerCase())) {
          out.vendors.push({ id, name: f[1] });
          vendorIds.set(f[1].toLowerCase(), id);
        }
        break;
      }
      case 'BEGIN-VENDOR': {
        const id = vendorIds.get((f[1] ?? '').toLowerCase());
        if (id === undefined) fail(file, n, `BEGIN-VENDOR names an unknown vendor ${f[1]}`);
        vendor = { id, usable: !unusableVendors.has(id) };
        break;
      }
      case 'END-VENDOR':
        vendor = null;
        break;
      case 'BEGIN-TLV':
        tlvDepth++;
        break;
      case 'END-TLV':
        tlvDepth = Math.max(0, tlvDepth - 1);
        break;
      case 'ATTRIBUTE': {
        const [, name, number, rawType, fourth, fifth] = f;
        if (name === undefined || number === undefined || rawType === undefined) fail(file, n, 'ATTRIBUTE needs a name, a number and a type');
        if (tlvDepth > 0 || number.includes('.')) {
          out.skipped.push(`${file}:${n}: ${name} (${number}): nested or extended attributes stay raw`);
          break;
        }
        const num = number.startsWith('0x') ? parseInt(number, 16) : Number(number);
        if (!Number.isInteger(num) || num < 0 || num > 255) {
          out.skipped.push(`${file}:${n}: ${name} (${number}): only numbers 0-255 are read`);
          break;
        }
        // Old syntax: a vendor name as the fourth field; otherwise the fourth field holds flags.
        let owner = vendor;
        let flags = fourth ?? '';
        if (fourth !== undefined && !fourth.includes('=') && !['has_tag', 'array', 'concat', 'virtual', 'internal'].some((x) => fourth.split(',').includes(x))) {
          const id = vendorIds.get(fourth.toLowerCase());
          if (id === undefined) fail(file, n, `ATTRIBUTE ${name} names an unknown vendor ${fourth}`);
          owner = { id, usable: !unusableVendors.has(id) };
          flags = fifth ?? '';
        }
        const flagList = flags.split(',').filter((x) => x !== '');
        const base = rawType.replace(/\[\d+\]$/, '').toLowerCase();
        const type = TYPES[base];
        if (type === undefined) fail(file, n, `unknown type ${rawType}`);
        if (type === 'skip' || flagList.includes('virtual') || flagList.includes('internal') || (owner !== null && !owner.usable)) {
          out.skipped.push(`${file}:${n}: ${name} (${rawType}${flagList.length ? ` ${flags}` : ''}): not read as its own type`);
          break;
        }
        const encrypt = flagList.find((x) => x.startsWith('encrypt='));
        const options: { tagged?: true; hidden?: true } = {};
        if (flagList.includes('has_tag')) options.tagged = true;
        // encrypt=1 is User-Password's hiding; the salted kinds (2, 3) stay octets as on the wire.
        let dataType: DataType = type;
        if (encrypt === 'encrypt=1') options.hidden = true;
        else if (encrypt !== undefined) dataType = 'octets';
        out.attributes.push({ ...(owner === null ? {} : { vendorId: owner.id }), spec: [num, name, dataType, Object.keys(options).length ? options : undefined] });
        break;
      }
      case 'VALUE': {
        const [, attribute, valueName, number] = f;
        const num = number === undefined ? NaN : number.startsWith('0x') ? parseInt(number, 16) : Number(number);
        if (attribute === undefined || valueName === undefined || !Number.isInteger(num)) fail(file, n, 'VALUE needs an attribute, a name and a number');
        const table = values.get(attribute.toLowerCase()) ?? {};
        if (!(valueName in table)) table[valueName] = num;
        values.set(attribute.toLowerCase(), table);
        break;
      }
      default:
        // PROTOCOL, FLAGS, STRUCT, MEMBER and the like belong to other layouts or versions.
        out.skipped.push(`${file}:${n}: ${keyword}: not used`);
    }
  }
}

/** Reads dictionary files (and what they include, relative to the including file). */
export function loadDictionaryFiles(files: readonly string[]): DictionaryDefinitions {
  const out: DictionaryDefinitions = { vendors: [], attributes: [], skipped: [] };
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  for (const file of files) {
    const text = read(file);
    if (text === null) throw new OpenMntError('CONFIG_INVALID', `radius.dictionaries: cannot read ${file}`);
    parseDictionary(text, file, (name, from) => {
      const path = isAbsolute(name) ? name : join(dirname(from), name);
      const found = read(path);
      return found === null ? null : { text: found, file: path };
    }, out);
  }
  return out;
}
