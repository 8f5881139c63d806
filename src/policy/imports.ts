/**
 * Imports of what operators have today, turned into policy objects:
 *
 * - `json`: this node's own export (`GET /api/v1/policy/export`);
 * - `clients.conf`: FreeRADIUS `client NAME { … }` blocks (ipaddr / ipv4addr / ipv6addr, secret,
 *   shortname, nas_type, require_message_authenticator);
 * - `ise-network-devices`: ISE's network device CSV export, columns known by their label (the part
 *   of `Name:String(32):Required` before the type), since the rest changes between releases;
 * - `ise-endpoints`: ISE's endpoint CSV export (`MACAddress`, `IdentityGroup`, `Description`, and any
 *   column named like a defined attribute);
 * - `csv`: a plain CSV with a header: `mac`, `group`, `description`, then one column per attribute.
 *
 * Every row is checked; all bad rows are reported together with their line numbers and nothing is
 * applied (the import is one change: whole or not at all).
 */
import { OpenMntError } from '../errors.js';
import { normalizeMac } from '../sessions/mac.js';
import {
  invalid,
  parseAttributeDefinition,
  parseDevice,
  parseEndpoint,
  parseGroup,
  parsePolicySet,
  parseProfile,
  parseRule,
  parseSettings,
  parseUser,
  DEFAULT_SETTINGS,
  type PolicyKind,
} from './model.js';

export const IMPORT_FORMATS = ['json', 'clients.conf', 'ise-network-devices', 'ise-endpoints', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportedObject {
  kind: PolicyKind;
  key: string;
  /** Endpoints: the fields the source gave (merged into an existing endpoint); others: whole. */
  data: unknown;
  line: number;
}

export interface ParsedImport {
  objects: ImportedObject[];
}

export interface ImportOptions {
  /** Group for endpoint rows that name none. */
  defaultGroup: string | null;
}

const MAX_REPORTED = 50;

class Problems {
  readonly list: string[] = [];
  at(line: number, work: () => void): void {
    try {
      work();
    } catch (error) {
      if (!(error instanceof OpenMntError)) throw error;
      this.list.push(`line ${line}: ${error.message}`);
    }
  }
  throwIfAny(format: string): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, MAX_REPORTED).join('; ');
    const more = this.list.length > MAX_REPORTED ? `; and ${this.list.length - MAX_REPORTED} more` : '';
    throw new OpenMntError('INVALID_ARGUMENT', `import (${format}): ${this.list.length} bad row${this.list.length === 1 ? '' : 's'}, nothing applied: ${shown}${more}`);
  }
}

export function parseImport(format: ImportFormat, text: string, options: ImportOptions): ParsedImport {
  const body = text.replace(/^\uFEFF/, '');
  switch (format) {
    case 'json':
      return fromJson(body);
    case 'clients.conf':
      return fromClientsConf(body);
    case 'ise-network-devices':
      return fromIseDevices(body);
    case 'ise-endpoints':
      return fromEndpointCsv(body, options, 'ise-endpoints');
    case 'csv':
      return fromEndpointCsv(body, options, 'csv');
  }
}

function fromJson(text: string): ParsedImport {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new OpenMntError('INVALID_ARGUMENT', 'import (json): the body is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) invalid('import (json)', 'must be an object like the export');
  const problems = new Problems();
  const objects: ImportedObject[] = [];
  const kinds: [string, PolicyKind, (b: unknown) => unknown, (d: Record<string, string>) => string][] = [
    ['devices', 'devices', parseDevice, (d) => d.name!],
    ['groups', 'groups', parseGroup, (d) => d.name!],
    ['attributes', 'attributes', parseAttributeDefinition, (d) => d.name!],
    ['profiles', 'profiles', parseProfile, (d) => d.name!],
    ['policySets', 'policySets', parsePolicySet, (d) => d.name!],
    ['rules', 'rules', parseRule, (d) => d.name!],
    ['users', 'users', parseUser, (d) => d.name!],
    ['endpoints', 'endpoints', parseEndpoint, (d) => d.mac!],
  ];
  if (doc.settings !== undefined) problems.at(0, () => objects.push({ kind: 'settings', key: 'settings', data: parseSettings(doc.settings, DEFAULT_SETTINGS), line: 0 }));
  for (const [field, kind, parse, key] of kinds) {
    const list = doc[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.list.push(`${field} must be a list`);
      continue;
    }
    list.forEach((item, i) =>
      problems.at(i + 1, () => {
        const data = parse(item) as Record<string, string>;
        objects.push({ kind, key: key(data), data, line: i + 1 });
      }),
    );
  }
  // Line numbers of a JSON import are positions in each list.
  problems.list.forEach((p, i) => (problems.list[i] = p.replace(/^line (\d+)/, 'entry $1')));
  problems.throwIfAny('json');
  return { objects };
}

/** FreeRADIUS's vendor names (nas_type) to ours; others get plain RFC 5176. */
function vendorOf(nasType: string | undefined): string {
  const t = (nasType ?? '').toLowerCase();
  if (t.startsWith('cisco')) return 'cisco';
  if (t.startsWith('aruba')) return 'aruba';
  return nasType === undefined ? 'cisco' : 'rfc5176';
}

function fromClientsConf(text: string): ParsedImport {
  const problems = new Problems();
  const objects: ImportedObject[] = [];
  const lines = text.split(/\r?\n/);
  let block: { name: string; line: number; fields: Record<string, string> } | null = null;
  let depth = 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/(^|\s)#.*$/, '').trim();
    if (content === '') return;
    if (block === null) {
      const m = /^client\s+(\S+)\s*\{\s*$/.exec(content);
      if (m === null) {
        problems.list.push(`line ${line}: expected 'client NAME {', found '${content.slice(0, 60)}'`);
        return;
      }
      block = { name: m[1]!, line, fields: {} };
      depth = 1;
      return;
    }
    if (content.endsWith('{')) {
      depth++; // a nested section (e.g. limit { … }): skipped
      return;
    }
    if (content === '}') {
      depth--;
      if (depth > 0) return;
      const b: { name: string; line: number; fields: Record<string, string> } = block;
      block = null;
      problems.at(b.line, () => {
        const f = b.fields;
        const address = f.ipaddr ?? f.ipv4addr ?? f.ipv6addr ?? (/[.:]/.test(b.name) ? b.name : undefined);
        if (address === undefined) invalid(`client ${b.name}`, 'has no ipaddr, ipv4addr or ipv6addr');
        const device = parseDevice({
          name: f.shortname ?? b.name,
          address,
          secret: f.secret,
          vendor: vendorOf(f.nas_type),
          requireMessageAuthenticator: ['yes', 'true', '1'].includes((f.require_message_authenticator ?? 'no').toLowerCase()),
          description: `clients.conf: client ${b.name}`,
        });
        objects.push({ kind: 'devices', key: device.name, data: device, line: b.line });
      });
      return;
    }
    if (depth > 1) return;
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(content);
    if (m === null) {
      problems.list.push(`line ${line}: expected 'name = value' in client ${block.name}`);
      return;
    }
    block.fields[m[1]!] = unquote(m[2]!.trim());
  });
  if (block !== null) problems.list.push(`line ${(block as { line: number }).line}: client block never closed`);
  problems.throwIfAny('clients.conf');
  return { objects };
}

function unquote(v: string): string {
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** RFC 4180 CSV: rows of fields, with the line each row starts on. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      quoted = true;
      any = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (any || field !== '') rows.push({ line: rowLine, fields: [...fields, field] });
      fields = [];
      field = '';
      any = false;
      line++;
      rowLine = line;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || field !== '') rows.push({ line: rowLine, fields: [...fields, field] });
  return rows;
}

/** ISE's column label: what comes before its type, e.g. `Authentication:Shared Secret`. */
export function columnLabel(header: string): string {
  const parts = header.replace(/^\uFEFF/, '').split(':');
  const labels: string[] = [];
  for (const p of parts) {
    if (/^(String|Integer|Boolean|Subnets|Enumeration|Date|Required|Long)\b/.test(p.trim())) break;
    labels.push(p.trim());
  }
  return labels.join(':');
}

function fromIseDevices(text: string): ParsedImport {
  const rows = parseCsv(text);
  if (rows.length === 0) invalid('import (ise-network-devices)', 'the file is empty');
  const labels = rows[0]!.fields.map(columnLabel);
  const col = (name: string) => labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
  const name = col('Name');
  const address = col('IP Address');
  const secret = col('Authentication:Shared Secret');
  if (name < 0 || address < 0) invalid('import (ise-network-devices)', `line 1: the header needs the columns Name and IP Address (found ${labels.join(', ')})`);
  const description = col('Description');
  const groups = col('Network Device Groups');
  const coaPort = col('coaPort');
  const profile = col('Device Profile');
  const problems = new Problems();
  const objects: ImportedObject[] = [];
  for (const row of rows.slice(1)) {
    problems.at(row.line, () => {
      const f = (i: number) => (i < 0 ? '' : (row.fields[i] ?? '').trim());
      const addresses = f(address).split('|').map((a) => a.trim()).filter((a) => a !== '');
      if (addresses.length === 0) invalid(`device ${f(name)}`, 'has no IP Address');
      if (secret < 0 || f(secret) === '') invalid(`device ${f(name)}`, 'has no Authentication:Shared Secret (ISE exports it only when asked to)');
      if (/^\*+$/.test(f(secret))) invalid(`device ${f(name)}`, 'the shared secret is masked (******) in this export');
      addresses.forEach((a, i) => {
        const device = parseDevice({
          name: addresses.length === 1 ? f(name) : `${f(name)}-${i + 1}`,
          address: a.endsWith('/32') ? a.slice(0, -3) : a,
          secret: f(secret),
          vendor: vendorOf(f(profile) === '' ? undefined : f(profile)),
          ...(f(coaPort) !== '' ? { coaPort: Number(f(coaPort)) } : {}),
          deviceGroups: f(groups) === '' ? [] : f(groups).split('|').map((g) => g.trim()),
          description: f(description),
        });
        objects.push({ kind: 'devices', key: device.name, data: device, line: row.line });
      });
    });
  }
  problems.throwIfAny('ise-network-devices');
  return { objects };
}

function fromEndpointCsv(text: string, options: ImportOptions, format: 'csv' | 'ise-endpoints'): ParsedImport {
  const rows = parseCsv(text);
  if (rows.length === 0) invalid(`import (${format})`, 'the file is empty');
  let header = rows[0]!.fields.map((h) => h.trim());
  let body = rows.slice(1);
  if (format === 'csv' && normalizeMac(header[0] ?? '') !== null) {
    // No header: MAC, group.
    header = ['mac', 'group'];
    body = rows;
  }
  const lower = header.map((h) => h.toLowerCase());
  const mac = format === 'csv' ? lower.indexOf('mac') : lower.indexOf('macaddress');
  if (mac < 0) invalid(`import (${format})`, `line 1: the header needs a ${format === 'csv' ? 'mac' : 'MACAddress'} column`);
  const group = format === 'csv' ? lower.indexOf('group') : lower.indexOf('identitygroup');
  const description = lower.indexOf('description');
  const known = new Set([mac, group, description]);
  // ISE's own bookkeeping columns are not attributes of ours.
  const iseOwn = new Set(['endpointpolicy', 'staticassignment', 'staticgroupassignment', 'endpointpolicyid', 'identitygroupid', 'customattributes', 'portalusercreatedby']);
  const attributeColumns = header.map((h, i) => ({ h, i })).filter(({ h, i }) => !known.has(i) && h !== '' && !iseOwn.has(h.toLowerCase()));
  const problems = new Problems();
  const objects: ImportedObject[] = [];
  const seen = new Map<string, number>();
  for (const row of body) {
    problems.at(row.line, () => {
      const f = (i: number) => (i < 0 ? '' : (row.fields[i] ?? '').trim());
      const attributes: Record<string, string> = {};
      for (const { h, i } of attributeColumns) if (f(i) !== '') attributes[h] = f(i);
      const patch: Record<string, unknown> = { mac: f(mac) };
      const g = f(group) || options.defaultGroup;
      if (g) patch.group = g;
      if (f(description) !== '') patch.description = f(description);
      if (Object.keys(attributes).length > 0) patch.attributes = attributes;
      const checked = parseEndpoint(patch);
      const first = seen.get(checked.mac);
      if (first !== undefined) invalid(`endpoint ${checked.mac}`, `is given twice (first on line ${first})`);
      seen.set(checked.mac, row.line);
      objects.push({ kind: 'endpoints', key: checked.mac, data: { ...patch, mac: checked.mac }, line: row.line });
    });
  }
  problems.throwIfAny(format);
  return { objects };
}
