/**
 * The runtime policy as plain data: network devices, identity groups, endpoints with managed
 * attributes, attribute definitions, internal users, authorization profiles, policy sets and their
 * ordered rules. A `PolicySnapshot` is what the store loads, what a change is validated against,
 * and what is compiled for the RADIUS path; it holds no class instances, Maps or functions, so it
 * can be posted to another thread with structured clone as it is.
 *
 * Every object has a `version` (raised by each write): the API's ETag, and the store's check that
 * a write starts from what the writer read (optimistic concurrency, 412 on a stale one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { NasClientConfig } from '../config.js';
import { OpenMntError } from '../errors.js';
import { attributeByName } from '../radius/index.js';
import { normalizeMac } from '../sessions/mac.js';

export const POLICY_KINDS = ['devices', 'groups', 'endpoints', 'attributes', 'profiles', 'policySets', 'rules', 'users', 'settings'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export const COA_ON_CHANGE = ['reauth', 'disconnect', 'bounce', 'none'] as const;
export type CoaOnChange = (typeof COA_ON_CHANGE)[number];

export const VENDORS = ['cisco', 'aruba', 'rfc5176'] as const;

/** A network device: a NAS client of the configuration file's shape, with a description. */
export interface DeviceDef extends NasClientConfig {
  description: string;
}

export interface GroupDef {
  name: string;
  description: string;
  /** The profile of its members when no rule matches (the seed's `auth.groups[].profile`). */
  profile: string | null;
  /** Overrides `settings.coaOnChange` for endpoints of this group. */
  coaOnChange: CoaOnChange | null;
}

export type AttributeValue = string | number | boolean;

export interface EndpointDef {
  /** `AA:BB:CC:DD:EE:FF`. */
  mac: string;
  group: string | null;
  description: string;
  /** A profile assigned to this endpoint itself (a static assignment, or quarantine): it wins over the rules. */
  profile: string | null;
  /** Managed attributes, each defined in `attributes`. */
  attributes: Record<string, AttributeValue>;
}

export const ATTRIBUTE_TYPES = ['string', 'integer', 'boolean', 'enum', 'ip'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  /** For `enum`: the values allowed. */
  values: string[];
  description: string;
}

export interface UserDef {
  name: string;
  group: string | null;
  profile: string | null;
  disabled: boolean;
  /**
   * How the password is kept. `clear`: as given, because CHAP (RFC 1994) proves knowledge of the
   * password itself and the server must compute MD5(id + password + challenge) from it. `sha256`:
   * `sha256$salt$hex`, for users that only ever use PAP — a salted hash is enough to compare a
   * revealed PAP password, and a fast one because it is computed per Access-Request on the thread
   * that answers RADIUS (a slow KDF there would cap the authentication rate).
   */
  passwordHash: string;
  chap: boolean;
}

export interface ReplyAttribute {
  /** A dictionary name, e.g. `Reply-Message`, `Idle-Timeout`, `Cisco-AVPair`. */
  name: string;
  value: string | number;
}

export interface ProfileDef {
  name: string;
  description: string;
  vlan?: string;
  dacl?: string;
  filterId?: string;
  sgt?: number;
  sessionTimeout?: number;
  terminationAction?: 'default' | 'radius-request';
  deny?: boolean;
  reply?: ReplyAttribute[];
}

/** All given conditions must hold; a list means any of its values. */
export interface Conditions {
  identityGroup?: string[];
  /** Managed attribute equality (each must hold). */
  attributes?: Record<string, AttributeValue>;
  deviceName?: string[];
  /** A device group, or an ancestor of it (`Location#All Locations` matches `…#Building-1`). */
  deviceGroup?: string[];
  deviceVendor?: string[];
  /** NAS-Port-Type names as the dictionary spells them (`Ethernet`, `Wireless-802.11`, `Virtual`). */
  nasPortType?: string[];
  method?: ('mab' | 'pap' | 'chap' | 'dot1x')[];
  /** A regular expression over User-Name. */
  userName?: string;
  /** Local time, `HH:MM` to `HH:MM` (across midnight when `to` < `from`), on the days listed. */
  timeOfDay?: { from: string; to: string; days?: string[] };
}

export interface PolicySetDef {
  name: string;
  /** Lower first. The set named `Default` is always evaluated last. */
  order: number;
  description: string;
  conditions: Pick<Conditions, 'deviceName' | 'deviceGroup' | 'deviceVendor' | 'nasPortType' | 'method'>;
}

export interface RuleDef {
  name: string;
  policySet: string;
  /** Lower first within its set. */
  order: number;
  description: string;
  conditions: Conditions;
  profile: string;
  /**
   * Also applied to requests proxied to a home server (802.1X) that it accepted: when the rule
   * matches, its profile replaces the home server's authorization (a quarantine group, say).
   * Rules without it decide only what this node authenticates itself.
   */
  afterProxy?: boolean;
}

export interface PolicySettings {
  /** What an unknown MAC gets on MAB: `reject`, or a profile name. */
  unknownEndpoint: string;
  /** The profile when no rule matches and neither endpoint nor group names one. */
  defaultProfile: string;
  coaOnChange: CoaOnChange;
  /** The profile `quarantine` puts an endpoint in. */
  quarantineProfile: string | null;
}

export interface Versioned<T> {
  version: number;
  data: T;
}

export interface PolicySnapshot {
  /** Raised by every committed change. */
  revision: number;
  settings: PolicySettings;
  devices: Versioned<DeviceDef>[];
  groups: Versioned<GroupDef>[];
  endpoints: Versioned<EndpointDef>[];
  attributes: Versioned<AttributeDefinition>[];
  profiles: Versioned<ProfileDef>[];
  policySets: Versioned<PolicySetDef>[];
  rules: Versioned<RuleDef>[];
  users: Versioned<UserDef>[];
}

export const SETTINGS_KEY = 'settings';

export const DEFAULT_SETTINGS: PolicySettings = {
  unknownEndpoint: 'reject',
  defaultProfile: 'PermitAccess',
  coaOnChange: 'reauth',
  quarantineProfile: null,
};

/** The key of an object of a kind: MAC for endpoints, the name otherwise. */
export function keyOf(kind: PolicyKind, data: unknown): string {
  if (kind === 'settings') return SETTINGS_KEY;
  const d = data as { mac?: string; name?: string };
  return kind === 'endpoints' ? d.mac! : d.name!;
}

// ---------------------------------------------------------------------------------------------
// Field checks: each bad field is a 400 that names the object, the field and what is accepted.

export function invalid(what: string, message: string): never {
  throw new OpenMntError('INVALID_ARGUMENT', `${what}: ${message}`);
}

type Raw = Record<string, unknown>;

function object(value: unknown, what: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(what, 'must be a JSON object');
  return value as Raw;
}

function onlyFields(raw: Raw, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) invalid(what, `unknown field '${key}' (fields: ${allowed.join(', ')})`);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:#@()\/+-]{0,99}$/;

function name(value: unknown, what: string, field = 'name'): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    invalid(what, `${field} must be 1-100 letters, digits, spaces or _ . : # @ ( ) / + - (starting with a letter or digit)`);
  }
  return value;
}

function text(value: unknown, what: string, field: string, max = 1024): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > max) invalid(what, `${field} must be a string of at most ${max} characters`);
  return value;
}

function optionalName(value: unknown, what: string, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  return name(value, what, field);
}

function integer(value: unknown, what: string, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalid(what, `${field} must be a whole number from ${min} to ${max}`);
  return value;
}

function bool(value: unknown, what: string, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(what, `${field} must be true or false`);
  return value;
}

function stringList(value: unknown, what: string, field: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v === '' || v.length > 256)) invalid(what, `${field} must be a string or a list of strings`);
  return [...(list as string[])];
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string, field: string): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) invalid(what, `${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function macOf(value: unknown, what: string): string {
  const mac = typeof value === 'string' ? normalizeMac(value) : null;
  if (mac === null) invalid(what, `'${String(value)}' is not a MAC address (AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or 12 hex digits)`);
  return mac;
}

export function addressOf(value: unknown, what: string): string {
  if (typeof value !== 'string') invalid(what, 'address must be an IP address or a CIDR block');
  const [ip, bits, extra] = value.split('/');
  const family = isIP(ip ?? '');
  const width = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= width))) {
    invalid(what, `address '${value}' is not an IP address or a CIDR block (10.1.1.1, 10.1.0.0/16, 2001:db8::/32)`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Parsers: from a JSON body (or an import row) to a checked definition. `base` is the current
// object for a PATCH: absent fields keep their values.

export function parseDevice(body: unknown, base?: DeviceDef): DeviceDef {
  const what = `device${base ? ` ${base.name}` : ''}`;
  const r = { ...(base ?? {}), ...object(body, what) } as Raw;
  onlyFields(r, ['name', 'address', 'secret', 'vendor', 'coaPort', 'requireMessageAuthenticator', 'deviceGroups', 'description'], what);
  const device: DeviceDef = {
    name: name(r.name, what),
    address: addressOf(r.address, `device ${String(r.name)}`),
    secret: '',
    vendor: r.vendor === undefined ? 'cisco' : oneOf(r.vendor, VENDORS, what, 'vendor'),
    coaPort: r.coaPort === undefined ? 3799 : integer(r.coaPort, what, 'coaPort', 1, 65535),
    requireMessageAuthenticator: bool(r.requireMessageAuthenticator, what, 'requireMessageAuthenticator', false),
    deviceGroups: stringList(r.deviceGroups, what, 'deviceGroups'),
    description: text(r.description, what, 'description'),
  };
  if (typeof r.secret !== 'string' || r.secret.length === 0 || r.secret.length > 128) invalid(`device ${device.name}`, 'secret must be a shared secret of 1-128 characters');
  device.secret = r.secret;
  return device;
}

export function parseGroup(body: unknown, base?: GroupDef): GroupDef {
  const what = `group${base ? ` ${base.name}` : ''}`;
  const r = { ...(base ?? {}), ...object(body, what) } as Raw;
  onlyFields(r, ['name', 'description', 'profile', 'coaOnChange'], what);
  return {
    name: name(r.name, what),
    description: text(r.description, what, 'description'),
    profile: optionalName(r.profile, what, 'profile'),
    coaOnChange: r.coaOnChange === undefined || r.coaOnChange === null ? null : oneOf(r.coaOnChange, COA_ON_CHANGE, what, 'coaOnChange'),
  };
}

export function parseEndpoint(body: unknown, base?: EndpointDef): EndpointDef {
  const what = `endpoint${base ? ` ${base.mac}` : ''}`;
  const patch = object(body, what);
  const r = { ...(base ?? {}), ...patch } as Raw;
  // A PATCH of attributes merges: a key set to null removes that attribute.
  if (base !== undefined && patch.attributes !== undefined && patch.attributes !== null) {
    const merged: Raw = { ...base.attributes };
    for (const [k, v] of Object.entries(object(patch.attributes, `${what} attributes`))) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    r.attributes = merged;
  }
  onlyFields(r, ['mac', 'group', 'description', 'profile', 'attributes'], what);
  const mac = macOf(r.mac, what);
  const attributes = r.attributes === undefined || r.attributes === null ? {} : object(r.attributes, `endpoint ${mac} attributes`);
  for (const [k, v] of Object.entries(attributes)) {
    if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) invalid(`endpoint ${mac}`, `attribute ${k} must be a string, number or boolean`);
  }
  return {
    mac,
    group: optionalName(r.group, `endpoint ${mac}`, 'group'),
    description: text(r.description, `endpoint ${mac}`, 'description'),
    profile: optionalName(r.profile, `endpoint ${mac}`, 'profile'),
    attributes: attributes as Record<string, AttributeValue>,
  };
}

export function parseAttributeDefinition(body: unknown, base?: AttributeDefinition): AttributeDefinition {
  const what = `attribute${base ? ` ${base.name}` : ''}`;
  const r = { ...(base ?? {}), ...object(body, what) } as Raw;
  onlyFields(r, ['name', 'type', 'values', 'description'], what);
  const type = r.type === undefined ? 'string' : oneOf(r.type, ATTRIBUTE_TYPES, what, 'type');
  const values = stringList(r.values, what, 'values');
  if (type === 'enum' && values.length === 0) invalid(what, 'an enum needs its values');
  return { name: name(r.name, what), type, values, description: text(r.description, what, 'description') };
}

export function parseProfile(body: unknown, base?: ProfileDef): ProfileDef {
  const what = `profile${base ? ` ${base.name}` : ''}`;
  const r = { ...(base ?? {}), ...object(body, what) } as Raw;
  onlyFields(r, ['name', 'description', 'vlan', 'dacl', 'filterId', 'sgt', 'sessionTimeout', 'terminationAction', 'deny', 'reply'], what);
  const profile: ProfileDef = { name: name(r.name, what), description: text(r.description, what, 'description') };
  const w = `profile ${profile.name}`;
  if (r.vlan !== undefined && r.vlan !== null) {
    const vlan = typeof r.vlan === 'number' ? String(r.vlan) : r.vlan;
    if (typeof vlan !== 'string' || !/^[A-Za-z0-9_.-]{1,32}$/.test(vlan)) invalid(w, 'vlan must be a VLAN number or name');
    profile.vlan = vlan;
  }
  if (r.dacl !== undefined && r.dacl !== null) profile.dacl = name(r.dacl, w, 'dacl');
  if (r.filterId !== undefined && r.filterId !== null) profile.filterId = text(r.filterId, w, 'filterId', 253);
  if (r.sgt !== undefined && r.sgt !== null) profile.sgt = integer(r.sgt, w, 'sgt', 0, 65535);
  if (r.sessionTimeout !== undefined && r.sessionTimeout !== null) profile.sessionTimeout = integer(r.sessionTimeout, w, 'sessionTimeout', 1, 2 ** 31);
  if (r.terminationAction !== undefined && r.terminationAction !== null) profile.terminationAction = oneOf(r.terminationAction, ['default', 'radius-request'] as const, w, 'terminationAction');
  if (r.deny !== undefined && r.deny !== null) profile.deny = bool(r.deny, w, 'deny', false);
  if (r.reply !== undefined && r.reply !== null) {
    if (!Array.isArray(r.reply)) invalid(w, 'reply must be a list of {name, value}');
    profile.reply = (r.reply as unknown[]).map((item, i) => {
      const a = object(item, `${w} reply ${i + 1}`);
      const def = typeof a.name === 'string' ? attributeByName(a.name) : undefined;
      if (def === undefined) invalid(w, `reply ${i + 1}: '${String(a.name)}' is not an attribute of the dictionary`);
      if (!(typeof a.value === 'string' || typeof a.value === 'number')) invalid(w, `reply ${i + 1}: value must be a string or number`);
      return { name: a.name as string, value: a.value as string | number };
    });
  }
  return profile;
}

// dot1x: a request relayed to a home server (EAP), which only rules with afterProxy see.
const METHODS = ['mab', 'pap', 'chap', 'dot1x'] as const;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function parseConditions(value: unknown, what: string, setLevel: boolean): Conditions {
  if (value === undefined || value === null) return {};
  const r = object(value, `${what} conditions`);
  const fields = setLevel
    ? ['deviceName', 'deviceGroup', 'deviceVendor', 'nasPortType', 'method']
    : ['identityGroup', 'attributes', 'deviceName', 'deviceGroup', 'deviceVendor', 'nasPortType', 'method', 'userName', 'timeOfDay'];
  onlyFields(r, fields, `${what} conditions`);
  const c: Conditions = {};
  for (const key of ['identityGroup', 'deviceName', 'deviceGroup', 'deviceVendor', 'nasPortType'] as const) {
    if (r[key] !== undefined) c[key] = stringList(r[key], what, `conditions.${key}`);
  }
  if (r.method !== undefined) c.method = stringList(r.method, what, 'conditions.method').map((m) => oneOf(m, METHODS, what, 'conditions.method'));
  if (r.attributes !== undefined) {
    const attrs = object(r.attributes, `${what} conditions.attributes`);
    for (const [k, v] of Object.entries(attrs)) {
      if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) invalid(what, `conditions.attributes.${k} must be a string, number or boolean`);
    }
    c.attributes = attrs as Record<string, AttributeValue>;
  }
  if (r.userName !== undefined) {
    if (typeof r.userName !== 'string') invalid(what, 'conditions.userName must be a regular expression');
    try {
      new RegExp(r.userName);
    } catch {
      invalid(what, `conditions.userName '${r.userName}' is not a valid regular expression`);
    }
    const unsafe = unsafePattern(r.userName);
    if (unsafe !== null) invalid(what, `conditions.userName '${r.userName}' ${unsafe}`);
    c.userName = r.userName;
  }
  if (r.timeOfDay !== undefined) {
    const t = object(r.timeOfDay, `${what} conditions.timeOfDay`);
    const hhmm = (v: unknown, f: string) => {
      if (typeof v !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) invalid(what, `conditions.timeOfDay.${f} must be HH:MM`);
      return v;
    };
    const days = t.days === undefined ? undefined : stringList(t.days, what, 'conditions.timeOfDay.days').map((d) => oneOf(d.toLowerCase(), DAYS, what, 'conditions.timeOfDay.days'));
    c.timeOfDay = { from: hhmm(t.from, 'from'), to: hhmm(t.to, 'to'), ...(days ? { days } : {}) };
  }
  return c;
}

export function parsePolicySet(body: unknown, base?: PolicySetDef): PolicySetDef {
  const what = `policy set${base ? ` ${base.name}` : ''}`;
  const r = { ...(base ?? {}), ...object(body, what) } as Raw;
  onlyFields(r, ['name', 'order', 'description', 'conditions'], what);
  const n = name(r.name, what);
  return {
    name: n,
    order: r.order === undefined ? 1000 : integer(r.order, `policy set ${n}`, 'order', 0, 1_000_000),
    description: text(r.description, what, 'description'),
    conditions: parseConditions(r.conditions, `policy set ${n}`, true),
  };
}

export function parseRule(body: unknown, base?: RuleDef): RuleDef {
  const what = `rule${base ? ` ${base.name}` : ''}`;
  const r = { ...(base ?? {}), ...object(body, what) } as Raw;
  onlyFields(r, ['name', 'policySet', 'order', 'description', 'conditions', 'profile', 'afterProxy'], what);
  const n = name(r.name, what);
  return {
    name: n,
    policySet: r.policySet === undefined ? 'Default' : name(r.policySet, `rule ${n}`, 'policySet'),
    order: r.order === undefined ? 1000 : integer(r.order, `rule ${n}`, 'order', 0, 1_000_000),
    description: text(r.description, what, 'description'),
    conditions: parseConditions(r.conditions, `rule ${n}`, false),
    profile: name(r.profile, `rule ${n}`, 'profile'),
    afterProxy: bool(r.afterProxy, `rule ${n}`, 'afterProxy', false),
  };
}

export function parseSettings(body: unknown, base: PolicySettings): PolicySettings {
  const what = 'settings';
  const r = { ...base, ...object(body, what) } as Raw;
  onlyFields(r, ['unknownEndpoint', 'defaultProfile', 'coaOnChange', 'quarantineProfile'], what);
  return {
    unknownEndpoint: r.unknownEndpoint === 'reject' ? 'reject' : name(r.unknownEndpoint, what, 'unknownEndpoint'),
    defaultProfile: name(r.defaultProfile, what, 'defaultProfile'),
    coaOnChange: oneOf(r.coaOnChange, COA_ON_CHANGE, what, 'coaOnChange'),
    quarantineProfile: optionalName(r.quarantineProfile, what, 'quarantineProfile'),
  };
}

// ---------------------------------------------------------------------------------------------
// Cross-object checks over a whole snapshot: what a change may not leave behind.

/** A value of a managed attribute checked against its definition; returns the value to keep. */
export function checkAttributeValue(def: AttributeDefinition, value: AttributeValue, what: string): AttributeValue {
  switch (def.type) {
    case 'string':
      if (typeof value !== 'string') invalid(what, `attribute ${def.name} must be a string`);
      return value;
    case 'integer': {
      const n = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) invalid(what, `attribute ${def.name} must be a whole number, not '${String(value)}'`);
      return n;
    }
    case 'boolean': {
      const b = value === 'true' ? true : value === 'false' ? false : value;
      if (typeof b !== 'boolean') invalid(what, `attribute ${def.name} must be true or false, not '${String(value)}'`);
      return b;
    }
    case 'enum':
      if (typeof value !== 'string' || !def.values.includes(value)) invalid(what, `attribute ${def.name} must be one of ${def.values.join(', ')}, not '${String(value)}'`);
      return value;
    case 'ip':
      if (typeof value !== 'string' || isIP(value) === 0) invalid(what, `attribute ${def.name} must be an IP address, not '${String(value)}'`);
      return value;
  }
}

/**
 * Throws (a 400 naming the object at fault) when the snapshot refers to something it does not
 * hold: an endpoint's group or attribute, a rule's profile or policy set, a device address given
 * twice. Run on the policy a change would leave, before anything is written.
 */
export function validateSnapshot(s: PolicySnapshot): void {
  const profiles = new Set(s.profiles.map((p) => p.data.name));
  const groups = new Set(s.groups.map((g) => g.data.name));
  const sets = new Set(s.policySets.map((p) => p.data.name));
  const attributes = new Map(s.attributes.map((a) => [a.data.name, a.data]));
  const profileRef = (p: string | null, what: string) => {
    if (p !== null && !profiles.has(p)) invalid(what, `names the profile '${p}', which does not exist`);
  };
  const groupRef = (g: string | null, what: string) => {
    if (g !== null && !groups.has(g)) invalid(what, `names the group '${g}', which does not exist`);
  };
  const st = s.settings;
  if (st.unknownEndpoint !== 'reject') profileRef(st.unknownEndpoint, 'settings.unknownEndpoint');
  profileRef(st.defaultProfile, 'settings.defaultProfile');
  profileRef(st.quarantineProfile, 'settings.quarantineProfile');
  const addresses = new Map<string, string>();
  for (const { data: d } of s.devices) {
    const key = d.address.toLowerCase();
    const other = addresses.get(key);
    if (other !== undefined) invalid(`device ${d.name}`, `address ${d.address} is already device ${other}'s`);
    addresses.set(key, d.name);
  }
  for (const { data: g } of s.groups) profileRef(g.profile, `group ${g.name}`);
  for (const { data: e } of s.endpoints) {
    groupRef(e.group, `endpoint ${e.mac}`);
    profileRef(e.profile, `endpoint ${e.mac}`);
    for (const [k, v] of Object.entries(e.attributes)) {
      const def = attributes.get(k);
      if (def === undefined) invalid(`endpoint ${e.mac}`, `attribute '${k}' is not defined (define it under /api/v1/attributes)`);
      // Kept in its type's form (`"120"` of an integer attribute as 120), so rules compare exactly.
      e.attributes[k] = checkAttributeValue(def, v, `endpoint ${e.mac}`);
    }
  }
  for (const { data: u } of s.users) {
    groupRef(u.group, `user ${u.name}`);
    profileRef(u.profile, `user ${u.name}`);
  }
  if (!sets.has('Default')) invalid('policy sets', "the policy set 'Default' must exist (it catches what no other set takes)");
  for (const { data: r } of s.rules) {
    profileRef(r.profile, `rule ${r.name}`);
    if (!sets.has(r.policySet)) invalid(`rule ${r.name}`, `names the policy set '${r.policySet}', which does not exist`);
    for (const g of r.conditions.identityGroup ?? []) groupRef(g, `rule ${r.name}`);
    for (const [k, v] of Object.entries(r.conditions.attributes ?? {})) {
      const def = attributes.get(k);
      if (def === undefined) invalid(`rule ${r.name}`, `conditions.attributes names '${k}', which is not defined`);
      r.conditions.attributes![k] = checkAttributeValue(def, v, `rule ${r.name}`);
    }
  }
}

/** Secrets as the API and the audit log show them: never the value. */
export function masked(kind: PolicyKind, data: unknown): unknown {
  if (data === null || data === undefined) return data;
  if (kind === 'devices') return { ...(data as DeviceDef), secret: '******' };
  if (kind === 'users') {
    const { passwordHash: _h, ...rest } = data as UserDef;
    return { ...rest, passwordSet: true };
  }
  return data;
}

/** `password` (never stored as given unless `chap` is on; see UserDef.passwordHash). */
export function parseUser(body: unknown, base?: UserDef): UserDef {
  const what = `user${base ? ` ${base.name}` : ''}`;
  const patch = object(body, what);
  const r = { ...(base ?? {}), ...patch } as Raw;
  onlyFields(r, ['name', 'group', 'profile', 'disabled', 'password', 'chap', 'passwordHash'], what);
  const n = name(r.name, what);
  const chap = bool(r.chap, `user ${n}`, 'chap', false);
  let passwordHash = typeof r.passwordHash === 'string' ? r.passwordHash : '';
  if (patch.password !== undefined) {
    if (typeof patch.password !== 'string' || patch.password.length === 0 || patch.password.length > 128) invalid(`user ${n}`, 'password must be 1-128 characters');
    passwordHash = storedPassword(patch.password, chap);
  } else if (base !== undefined && chap !== base.chap) {
    invalid(`user ${n}`, 'changing chap needs the password again (it is kept differently for CHAP)');
  } else if (patch.passwordHash !== undefined) {
    // An export read back: the stored form as it was.
    if (!/^(clear\$|sha256\$[0-9a-f]{32}\$[0-9a-f]{64}$)/.test(passwordHash)) invalid(`user ${n}`, 'passwordHash is not one this node wrote');
  }
  if (passwordHash === '') invalid(`user ${n}`, 'password is required');
  return {
    name: n,
    group: optionalName(r.group, `user ${n}`, 'group'),
    profile: optionalName(r.profile, `user ${n}`, 'profile'),
    disabled: bool(r.disabled, `user ${n}`, 'disabled', false),
    passwordHash,
    chap,
  };
}

export function storedPassword(password: string, chap: boolean): string {
  if (chap) return `clear$${password}`;
  const salt = randomBytes(16).toString('hex');
  return `sha256$${salt}$${createHash('sha256').update(salt).update(password, 'utf8').digest('hex')}`;
}

/**
 * Why a User-Name pattern could take the RADIUS thread exponential time, or null when it cannot.
 * The pattern runs on every Access-Request a rule sees, so one that backtracks catastrophically
 * (a repeated group that itself repeats or alternates, as in `(a+)+` or `(a|aa)*`) would stall every
 * answer. Refused as well: back-references and lookaround (their cost is not bounded by the text),
 * and patterns longer than 256 characters.
 */
export function unsafePattern(pattern: string): string | null {
  if (pattern.length > 256) return 'is longer than 256 characters';
  if (/\\[1-9]|\\k</.test(pattern)) return 'uses a back-reference';
  if (/\(\?<?[=!]/.test(pattern)) return 'uses lookaround';
  // Per open group: whether it holds a quantifier or an alternation.
  const groups: { risky: boolean }[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      // A character class: its contents are literal for this purpose.
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      continue;
    }
    if (ch === '(') {
      groups.push({ risky: false });
    } else if (ch === ')') {
      const group = groups.pop() ?? { risky: false };
      const next = pattern[i + 1];
      const repeated = next === '*' || next === '+' || next === '{';
      if (repeated && group.risky) return 'repeats a group that itself repeats or alternates (it could backtrack without end)';
      if (groups.length > 0 && (group.risky || repeated)) groups[groups.length - 1]!.risky = true;
    } else if ((ch === '*' || ch === '+' || ch === '{' || ch === '|') && groups.length > 0) {
      groups[groups.length - 1]!.risky = true;
    }
  }
  return null;
}
