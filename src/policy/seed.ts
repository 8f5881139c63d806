/**
 * The YAML `auth:` and `radius.clients` sections as policy objects: imported into the store on the
 * first start (an empty policy). Afterwards the store wins, except for what changes in the file:
 * at every start and SIGHUP the difference between the file and its copy as last applied is
 * applied (see PolicyService.applyFile), so an edit of the file takes effect and API changes of
 * everything else are never undone by it.
 */
import { DEMO_CLIENT, type Config } from '../config.js';
import { normalizeMac } from '../sessions/mac.js';
import { DEFAULT_SETTINGS, storedPassword, type DeviceDef, type EndpointDef, type GroupDef, type PolicyKind, type ProfileDef, type UserDef } from './model.js';

export interface SeedObject {
  kind: PolicyKind;
  key: string;
  data: unknown;
}

export function seedFromConfig(config: Config): SeedObject[] {
  const out: SeedObject[] = [];
  const auth = config.auth;
  out.push({
    kind: 'settings',
    key: 'settings',
    data: { ...DEFAULT_SETTINGS, unknownEndpoint: auth.unknownEndpoint, defaultProfile: auth.defaultProfile },
  });
  for (const [name, p] of Object.entries(auth.profiles)) {
    const profile: ProfileDef = { name, description: '', ...p };
    out.push({ kind: 'profiles', key: name, data: profile });
  }
  for (const g of auth.groups) {
    const group: GroupDef = { name: g.name, description: '', profile: g.profile ?? null, coaOnChange: null };
    out.push({ kind: 'groups', key: g.name, data: group });
  }
  for (const e of auth.endpoints) {
    const mac = normalizeMac(e.mac)!;
    const endpoint: EndpointDef = { mac, group: e.group ?? null, description: e.description ?? '', profile: e.profile ?? null, attributes: {} };
    out.push({ kind: 'endpoints', key: mac, data: endpoint });
  }
  for (const u of auth.users) {
    // Seeded users keep CHAP working as it did from the file (the file held the password itself).
    const user: UserDef = { name: u.name, group: u.group ?? null, profile: u.profile ?? null, disabled: u.disabled === true, passwordHash: storedPassword(u.password, true), chap: true };
    out.push({ kind: 'users', key: u.name, data: user });
  }
  const clients = config.radius.clients.length > 0 ? config.radius.clients : [DEMO_CLIENT];
  for (const c of clients) {
    const device: DeviceDef = { ...c, description: '' };
    out.push({ kind: 'devices', key: c.name, data: device });
  }
  out.push({ kind: 'policySets', key: 'Default', data: { name: 'Default', order: 1_000_000, description: 'What no other policy set takes', conditions: {} } });
  return out;
}

/** Where the stored policy keeps the file's objects as last applied (not a policy object). */
export const FILE_SEED_KIND = 'fileSeed' as PolicyKind;
export const FILE_SEED_KEY = 'file';

/**
 * What the file changes in the stored policy since it was last applied (`previous`): the objects
 * the file now names differently, created or replaced, and those it no longer names, deleted
 * (when they still exist). Objects the file never named (made through the API, the CLI or an
 * import) are left alone, and so are the file's objects it did not change, however the API has
 * changed them since.
 */
/**
 * Whether two stored values are the same data, whatever the order of their objects' keys:
 * PostgreSQL's JSONB gives keys back in an order of its own, and a comparison of texts took every
 * object of the file for changed at each start (an audited "update" with nothing updated).
 */
export function sameData(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}

export function seedChanges(previous: readonly SeedObject[], next: readonly SeedObject[], exists: (kind: PolicyKind, key: string) => boolean): { kind: PolicyKind; key: string; data: unknown }[] {
  const before = new Map(previous.map((o) => [`${o.kind}\u0000${o.key}`, o]));
  const after = new Map(next.map((o) => [`${o.kind}\u0000${o.key}`, o]));
  const out: { kind: PolicyKind; key: string; data: unknown }[] = [];
  for (const [id, o] of after) {
    const old = before.get(id);
    if (old === undefined || !sameData(old.data, o.data)) out.push({ kind: o.kind, key: o.key, data: o.data });
  }
  for (const [id, o] of before) {
    if (!after.has(id) && exists(o.kind, o.key)) out.push({ kind: o.kind, key: o.key, data: null });
  }
  return out;
}
