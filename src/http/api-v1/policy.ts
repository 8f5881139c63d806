/**
 * The runtime policy's routes of the JSON API: devices, groups, endpoints (keyed by MAC),
 * attributes, profiles, policy sets, rules, users and settings — list (paged, filtered), get,
 * create, PATCH, delete — plus bulk endpoint changes, ANC-like endpoint actions, whole-policy
 * export and import, and the configuration audit.
 *
 * Each object answers with an `ETag` (its version); a PATCH or DELETE with `If-Match` is refused
 * with 412 when the object changed since. A change that alters what an online endpoint would get
 * is enforced by CoA at once, and the answer says what the NAS did (`enforcement`).
 */
import type { Admin } from '../admins.js';
import type { Context } from '../context.js';
import { readBody, readJson, sendJson } from '../context.js';
import type { ApiDependencies } from '../deps.js';
import { HttpError } from '../errors.js';
import { OpenMntError } from '../../errors.js';
import {
  Enforcer,
  coaActionOf,
  keyOf,
  macOf,
  masked,
  parseAttributeDefinition,
  parseDevice,
  parseEndpoint,
  parseGroup,
  parsePolicySet,
  parseProfile,
  parseRule,
  parseSettings,
  parseUser,
  SETTINGS_KEY,
  type CompiledPolicy,
  type EndpointDef,
  type Enforcement,
  type PolicyChange,
  type PolicyKind,
  type PolicyService,
} from '../../policy/index.js';
import { parseImport, IMPORT_FORMATS, type ImportedObject, type ImportFormat } from '../../policy/imports.js';
import { QueryReader } from './query.js';
import type { Route } from './router.js';

/** Bulk changes and imports may carry 100,000 endpoints. */
export const MAX_POLICY_BODY = 16 * 1024 * 1024;
const SMALL_BODY = 64 * 1024;
export const LARGE_BODY_PATHS = new Set(['/endpoints/bulk', '/policy/import']);

type EnforceScope = 'endpoint' | 'user' | 'all' | 'none';

interface Resource {
  path: string;
  kind: PolicyKind;
  label: string;
  parse(body: unknown, base?: never): unknown;
  /** The key from its path segment (a MAC in any spelling for endpoints). */
  key(raw: string): string;
  /** Query filters besides `q`, `limit` and `offset`: each a test of an object against the value. */
  filters: Record<string, (data: never, value: string) => boolean>;
  /** Which live sessions a change of this kind may affect. */
  /**
   * Which live sessions a change of it may alter, to evaluate again: the endpoint's (`endpoint`),
   * the user's (`user`: every session it authenticated), or all of them (`all`: a group, a
   * profile, a rule, a device whose name, vendor or groups rules test).
   */
  enforce: EnforceScope;
}

const plain = (raw: string) => raw;

const RESOURCES: Resource[] = [
  {
    path: 'devices', kind: 'devices', label: 'network device', parse: parseDevice as Resource['parse'], key: plain, enforce: 'all',
    filters: {
      vendor: (d: { vendor: string }, v: string) => d.vendor === v,
      deviceGroup: (d: { deviceGroups: string[] }, v: string) => d.deviceGroups.some((g) => g === v || g.startsWith(`${v}#`)),
      address: (d: { address: string }, v: string) => d.address === v,
    },
  },
  { path: 'groups', kind: 'groups', label: 'identity group', parse: parseGroup as Resource['parse'], key: plain, enforce: 'all', filters: {} },
  {
    path: 'endpoints', kind: 'endpoints', label: 'endpoint', parse: parseEndpoint as Resource['parse'], key: (raw) => macOf(raw, 'endpoint path'), enforce: 'endpoint',
    filters: {
      group: (d: EndpointDef, v: string) => (d.group ?? '') === v,
      profile: (d: EndpointDef, v: string) => d.profile === v,
      // `attribute=vlan-id:120`: a managed attribute's value, as text.
      attribute: (d: EndpointDef, v: string) => {
        const at = v.indexOf(':');
        const name = at < 0 ? v : v.slice(0, at);
        return at < 0 ? name in d.attributes : String(d.attributes[name]) === v.slice(at + 1);
      },
    },
  },
  { path: 'attributes', kind: 'attributes', label: 'attribute', parse: parseAttributeDefinition as Resource['parse'], key: plain, enforce: 'none', filters: { type: (d: { type: string }, v: string) => d.type === v } },
  { path: 'profiles', kind: 'profiles', label: 'authorization profile', parse: parseProfile as Resource['parse'], key: plain, enforce: 'all', filters: {} },
  { path: 'policy-sets', kind: 'policySets', label: 'policy set', parse: parsePolicySet as Resource['parse'], key: plain, enforce: 'all', filters: {} },
  {
    path: 'rules', kind: 'rules', label: 'rule', parse: parseRule as Resource['parse'], key: plain, enforce: 'all',
    filters: { policySet: (d: { policySet: string }, v: string) => d.policySet === v, profile: (d: { profile: string }, v: string) => d.profile === v },
  },
  { path: 'users', kind: 'users', label: 'internal user', parse: parseUser as Resource['parse'], key: plain, enforce: 'user', filters: { group: (d: { group: string | null }, v: string) => (d.group ?? '') === v } },
];

const LIST_LIMIT = 10_000;

function etag(version: number): string {
  return `"${version}"`;
}

/** The version an `If-Match` names (undefined when absent or `*`); anything else is a 400. */
function ifMatch(ctx: Context): number | undefined {
  const header = ctx.req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (m === null) throw new OpenMntError('INVALID_ARGUMENT', `If-Match '${header}' is not an ETag this API gave (e.g. "3")`);
  return Number(m[1]);
}

function view(kind: PolicyKind, version: number, data: unknown): Record<string, unknown> {
  return { ...(masked(kind, data) as Record<string, unknown>), version };
}

export function isDelegated(admin: Admin): boolean {
  return admin.role === 'delegated-admin';
}

export function scopeCheck(admin: Admin, group: string | null, what: string): void {
  if (!isDelegated(admin)) return;
  if (group === null || !(admin.groups ?? []).includes(group)) {
    throw new HttpError(403, 'FORBIDDEN', `admin '${admin.name}' (delegated-admin) may manage endpoints of ${(admin.groups ?? []).join(', ') || 'no group'} only, not ${what}`);
  }
}

function origin(ctx: Context): { admin: string; source: string | null } {
  return { admin: ctx.admin.name, source: ctx.req.socket.remoteAddress ?? null };
}

/**
 * Endpoint rows are merged into the endpoints that exist (attributes not in the file are kept);
 * a group or attribute that neither the policy nor the import defines is reported with its line.
 */
function resolveImport(service: PolicyService, objects: ImportedObject[]): PolicyChange[] {
  const groups = new Set([...service.list('groups').map((g) => g.key), ...objects.filter((o) => o.kind === 'groups').map((o) => o.key)]);
  const attributes = new Set([...service.list('attributes').map((a) => a.key), ...objects.filter((o) => o.kind === 'attributes').map((o) => o.key)]);
  const problems: string[] = [];
  const changes = objects.map((o) => {
    if (o.kind !== 'endpoints') return { kind: o.kind, key: o.key, data: o.data };
    const patch = o.data as Record<string, unknown>;
    const group = patch.group as string | undefined;
    if (group !== undefined && !groups.has(group)) problems.push(`line ${o.line}: endpoint ${o.key}: the group '${group}' does not exist`);
    for (const name of Object.keys((patch.attributes ?? {}) as object)) {
      if (!attributes.has(name)) problems.push(`line ${o.line}: endpoint ${o.key}: the attribute '${name}' is not defined`);
    }
    const found = service.get('endpoints', o.key);
    return { kind: o.kind, key: o.key, data: found === undefined ? parseEndpoint(patch) : parseEndpoint(patch, found.data as EndpointDef) };
  });
  if (problems.length > 0) {
    throw new OpenMntError('INVALID_ARGUMENT', `import: ${problems.length} bad row${problems.length === 1 ? '' : 's'}, nothing applied: ${problems.slice(0, 50).join('; ')}`);
  }
  return changes;
}

export function policyRoutes(deps: ApiDependencies): Route[] {
  const service = (): PolicyService => {
    if (deps.policy === undefined) throw new HttpError(503, 'UNAVAILABLE', 'the runtime policy is not running on this node');
    return deps.policy;
  };
  const enforcer = new Enforcer({ store: deps.store, coa: deps.coa, jobs: deps.jobs, logger: deps.logger });
  const groupOf = (mac: string) => ((service().get('endpoints', mac)?.data as EndpointDef | undefined)?.group ?? null);

  /** Enforcement of a committed change, as the answer reports it (`?enforce=false` skips it). */
  async function enforce(ctx: Context, scope: EnforceScope, keys: string[], after: CompiledPolicy): Promise<Enforcement | undefined> {
    if (scope === 'none') return undefined;
    if (new URLSearchParams(ctx.url.search).get('enforce') === 'false') return { evaluated: 0, changed: 0, skipped: 'enforce=false' };
    if (isDelegated(ctx.admin)) return { evaluated: 0, changed: 0, skipped: 'a delegated admin does not issue CoA: an administrator enforces the change, or the next authentication does' };
    if (scope === 'user') {
      // A user's sessions are found by its name; each is evaluated as the endpoint it is.
      const macs = new Set<string>();
      for (const name of keys) for await (const session of deps.store.iterateSessions({ userName: name, scope: 'active' })) macs.add(session.callingStationId);
      return enforcer.afterChange(after, [...macs], ctx.admin.name, groupOf);
    }
    return enforcer.afterChange(after, scope === 'all' ? 'all' : keys, ctx.admin.name, groupOf);
  }

  async function change(ctx: Context, changes: PolicyChange[], scope: EnforceScope, macs: string[]) {
    const dryRun = new QueryReader(ctx.url.searchParams).boolean('dryRun') === true;
    const result = await service().apply(changes, origin(ctx), { dryRun });
    const enforcement = dryRun ? undefined : await enforce(ctx, scope, macs, result.after);
    return { result, enforcement };
  }

  const routes: Route[] = [];
  for (const r of RESOURCES) {
    const endpointKind = r.kind === 'endpoints';
    const readRights = endpointKind ? (['read', 'endpoints'] as const) : ('read' as const);
    const writeRight = endpointKind ? ('endpoints' as const) : ('policy' as const);
    routes.push({
      path: `/${r.path}`,
      name: `api/${r.path}`,
      methods: {
        GET: {
          right: readRights,
          doing: `read ${r.label}s`,
          handler: async (ctx) => {
            const known = ['q', 'limit', 'offset', ...Object.keys(r.filters)];
            const q = new QueryReader(ctx.url.searchParams, known);
            const limit = q.integer('limit', 1, LIST_LIMIT) ?? 100;
            const offset = q.integer('offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
            const needle = q.text('q')?.toLowerCase();
            const tests = Object.entries(r.filters).flatMap(([name, test]) => {
              const v = q.text(name);
              return v === undefined ? [] : [(d: unknown) => test(d as never, v)];
            });
            if (isDelegated(ctx.admin)) tests.push((d) => (ctx.admin.groups ?? []).includes((d as EndpointDef).group ?? ''));
            const all = service().list(r.kind).filter((o) => (needle === undefined || o.key.toLowerCase().includes(needle)) && tests.every((t) => t(o.data)));
            const page = all.slice(offset, offset + limit).map((o) => view(r.kind, o.version, o.data));
            const next = offset + limit < all.length ? offset + limit : null;
            sendJson(ctx.res, 200, { total: all.length, offset, items: page, next }, { 'X-Total-Count': String(all.length) });
          },
        },
        POST: {
          right: writeRight,
          body: SMALL_BODY,
          doing: `create ${r.label}s`,
          handler: async (ctx) => {
            const data = r.parse(await readJson(ctx.req, SMALL_BODY));
            const key = keyOf(r.kind, data);
            if (endpointKind) {
              scopeCheck(ctx.admin, (data as EndpointDef).group, `the group ${(data as EndpointDef).group ?? '(none)'}`);
              if (isDelegated(ctx.admin) && (data as EndpointDef).profile !== null) throw new HttpError(403, 'FORBIDDEN', 'a delegated admin may not assign a profile to an endpoint');
            }
            const { result, enforcement } = await change(ctx, [{ kind: r.kind, key, data, expectVersion: null }], r.enforce, [key]);
            const version = result.changes[0]!.version;
            sendJson(ctx.res, result.dryRun ? 200 : 201, { ...view(r.kind, version, data), ...(result.dryRun ? { dryRun: true } : {}), ...(enforcement ? { enforcement } : {}) }, {
              ETag: etag(version),
              Location: `/api/v1/${r.path}/${encodeURIComponent(key)}`,
            });
          },
        },
      },
    });
    routes.push({
      path: `/${r.path}/:key`,
      name: `api/${r.path}/{key}`,
      methods: {
        GET: {
          right: readRights,
          doing: `read ${r.label}s`,
          handler: async (ctx, p) => {
            const key = r.key(p.key!);
            const found = service().get(r.kind, key);
            if (found === undefined) throw new OpenMntError('NOT_FOUND', `no ${r.label} '${key}'`);
            if (endpointKind) scopeCheck(ctx.admin, (found.data as EndpointDef).group, `endpoint ${key}`);
            sendJson(ctx.res, 200, view(r.kind, found.version, found.data), { ETag: etag(found.version) });
          },
        },
        PATCH: {
          right: writeRight,
          body: SMALL_BODY,
          doing: `change ${r.label}s`,
          handler: async (ctx, p) => {
            const key = r.key(p.key!);
            const expected = ifMatch(ctx);
            const body = await readJson(ctx.req, SMALL_BODY);
            const found = service().get(r.kind, key);
            if (found === undefined) throw new OpenMntError('NOT_FOUND', `no ${r.label} '${key}'`);
            if (endpointKind) {
              scopeCheck(ctx.admin, (found.data as EndpointDef).group, `endpoint ${key}`);
              const patch = body as Record<string, unknown> | null;
              if (patch !== null && typeof patch === 'object' && 'group' in patch) scopeCheck(ctx.admin, (patch.group as string | null) ?? null, `the group ${String(patch.group)}`);
              if (isDelegated(ctx.admin) && patch !== null && typeof patch === 'object' && 'profile' in patch) throw new HttpError(403, 'FORBIDDEN', 'a delegated admin may not assign a profile to an endpoint');
            }
            const data = r.parse(body, found.data as never);
            if (keyOf(r.kind, data) !== key) throw new OpenMntError('INVALID_ARGUMENT', `${r.label} '${key}': the key cannot be changed (create the new one and delete this one)`);
            const { result, enforcement } = await change(ctx, [{ kind: r.kind, key, data, expectVersion: expected ?? found.version }], r.enforce, [key]);
            const version = result.changes[0]!.version;
            sendJson(ctx.res, 200, { ...view(r.kind, version, data), ...(result.dryRun ? { dryRun: true } : {}), ...(enforcement ? { enforcement } : {}) }, { ETag: etag(version) });
          },
        },
        DELETE: {
          right: writeRight,
          doing: `delete ${r.label}s`,
          handler: async (ctx, p) => {
            const key = r.key(p.key!);
            const expected = ifMatch(ctx);
            const found = service().get(r.kind, key);
            if (found === undefined) throw new OpenMntError('NOT_FOUND', `no ${r.label} '${key}'`);
            if (endpointKind && isDelegated(ctx.admin)) {
              // A delegated admin revokes: the endpoint leaves the group, and is kept.
              const current = found.data as EndpointDef;
              scopeCheck(ctx.admin, current.group, `endpoint ${key}`);
              const data: EndpointDef = { ...current, group: null };
              const { result, enforcement } = await change(ctx, [{ kind: r.kind, key, data, expectVersion: expected ?? found.version }], 'endpoint', [key]);
              return sendJson(ctx.res, 200, { revoked: key, ...view(r.kind, result.changes[0]!.version, data), ...(enforcement ? { enforcement } : {}) });
            }
            const { result, enforcement } = await change(ctx, [{ kind: r.kind, key, data: null, expectVersion: expected ?? found.version }], r.enforce, [key]);
            sendJson(ctx.res, 200, { deleted: key, revision: result.revision, ...(result.dryRun ? { dryRun: true } : {}), ...(enforcement ? { enforcement } : {}) });
          },
        },
      },
    });
  }

  routes.push(
    {
      path: '/settings',
      name: 'api/settings',
      methods: {
        GET: {
          right: 'read',
          doing: 'read the policy settings',
          handler: async (ctx) => {
            const found = service().get('settings', SETTINGS_KEY);
            sendJson(ctx.res, 200, { ...service().settings, version: found?.version ?? 0 }, { ETag: etag(found?.version ?? 0) });
          },
        },
        PATCH: {
          right: 'policy',
          body: SMALL_BODY,
          doing: 'change the policy settings',
          handler: async (ctx) => {
            const expected = ifMatch(ctx);
            const found = service().get('settings', SETTINGS_KEY);
            const data = parseSettings(await readJson(ctx.req, SMALL_BODY), service().settings);
            const { result, enforcement } = await change(ctx, [{ kind: 'settings', key: SETTINGS_KEY, data, expectVersion: expected ?? found?.version ?? null }], 'all', []);
            const version = result.changes[0]!.version;
            sendJson(ctx.res, 200, { ...data, version, ...(enforcement ? { enforcement } : {}) }, { ETag: etag(version) });
          },
        },
      },
    },
    {
      path: '/endpoints/bulk',
      name: 'api/endpoints/bulk',
      methods: {
        POST: {
          right: 'endpoints',
          body: MAX_POLICY_BODY,
          doing: 'change endpoints',
          handler: async (ctx) => {
            const body = await readJson(ctx.req, MAX_POLICY_BODY);
            if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OpenMntError('INVALID_ARGUMENT', 'bulk: the body must be {"macs": [...], "set": {"group", "attributes", "description"}}');
            const b = body as Record<string, unknown>;
            for (const k of Object.keys(b)) if (!['macs', 'set', 'create'].includes(k)) throw new OpenMntError('INVALID_ARGUMENT', `bulk: unknown field ${k} (fields: macs, set, create)`);
            if (!Array.isArray(b.macs) || b.macs.length === 0) throw new OpenMntError('INVALID_ARGUMENT', 'bulk: macs must be a non-empty list of MAC addresses');
            const set = (b.set ?? {}) as Record<string, unknown>;
            if (typeof set !== 'object' || set === null || Array.isArray(set)) throw new OpenMntError('INVALID_ARGUMENT', 'bulk: set must be an object');
            if ('mac' in set) throw new OpenMntError('INVALID_ARGUMENT', 'bulk: set may not change the MAC');
            if ('group' in set) scopeCheck(ctx.admin, (set.group as string | null) ?? null, `the group ${String(set.group)}`);
            if (isDelegated(ctx.admin) && 'profile' in set) throw new HttpError(403, 'FORBIDDEN', 'a delegated admin may not assign a profile to an endpoint');
            const changes: PolicyChange[] = [];
            const macs: string[] = [];
            (b.macs as unknown[]).forEach((raw, i) => {
              const mac = macOf(raw, `bulk: macs entry ${i + 1}`);
              const found = service().get('endpoints', mac);
              if (found === undefined && b.create !== true) throw new OpenMntError('NOT_FOUND', `bulk: macs entry ${i + 1}: no endpoint ${mac} (send "create": true to create the missing ones)`);
              if (found !== undefined) scopeCheck(ctx.admin, (found.data as EndpointDef).group, `endpoint ${mac}`);
              const data = found === undefined ? parseEndpoint({ ...set, mac }) : parseEndpoint(set, found.data as EndpointDef);
              changes.push({ kind: 'endpoints', key: mac, data, expectVersion: found?.version ?? null });
              macs.push(mac);
            });
            const { result, enforcement } = await change(ctx, changes, 'endpoint', macs);
            sendJson(ctx.res, 200, { revision: result.revision, dryRun: result.dryRun, changed: result.changes.length, ...(enforcement ? { enforcement } : {}) });
          },
        },
      },
    },
    {
      path: '/endpoints/:key/anc',
      name: 'api/endpoints/{key}/anc',
      methods: {
        POST: {
          right: ['policy'],
          body: SMALL_BODY,
          doing: 'apply ANC actions',
          handler: async (ctx, p) => {
            const mac = macOf(p.key, 'endpoint path');
            const body = (await readJson(ctx.req, SMALL_BODY)) as Record<string, unknown>;
            const action = body?.action;
            if (!['quarantine', 'unquarantine', 'bounce', 'shutdown'].includes(action as string)) throw new OpenMntError('INVALID_ARGUMENT', 'anc: action must be quarantine, unquarantine, bounce or shutdown');
            const found = service().get('endpoints', mac);
            if (action === 'quarantine' || action === 'unquarantine') {
              if (found === undefined) throw new OpenMntError('NOT_FOUND', `no endpoint '${mac}'`);
              const quarantine = service().settings.quarantineProfile;
              if (action === 'quarantine' && quarantine === null) throw new OpenMntError('INVALID_ARGUMENT', 'anc: no quarantine profile is set (PATCH /api/v1/settings {"quarantineProfile": "..."})');
              const data: EndpointDef = { ...(found.data as EndpointDef), profile: action === 'quarantine' ? quarantine : null };
              const { result, enforcement } = await change(ctx, [{ kind: 'endpoints', key: mac, data, expectVersion: found.version }], 'endpoint', [mac]);
              return sendJson(ctx.res, 200, { ...view('endpoints', result.changes[0]!.version, data), action, ...(enforcement ? { enforcement } : {}) });
            }
            // Port bounce and shutdown act on the session at once, whatever the policy says.
            if (deps.coa === undefined) throw new HttpError(503, 'UNAVAILABLE', 'CoA is not running on this node');
            const outcome = await deps.coa.send({ target: { mac }, action: action === 'bounce' ? coaActionOf('bounce') : { action: 'disconnect', type: 'shutdown' }, admin: ctx.admin.name, origin: 'api' });
            sendJson(ctx.res, 200, { mac, action, outcome: outcome.outcome, errorCause: outcome.errorCause, errorCauseText: outcome.errorCauseText, attempts: outcome.attempts, rttMs: outcome.rttMs, nasIp: outcome.nasIp });
          },
        },
      },
    },
    {
      path: '/policy/export',
      name: 'api/policy/export',
      methods: {
        GET: {
          right: 'policy',
          doing: 'export the policy',
          handler: async (ctx) => {
            const s = service().snapshot();
            // Secrets and password hashes are included: an export is a backup that imports back.
            const strip = <T>(list: { data: T }[]) => list.map((v) => v.data);
            sendJson(ctx.res, 200, {
              format: 'openmnt-policy/1',
              revision: s.revision,
              settings: s.settings,
              devices: strip(s.devices),
              groups: strip(s.groups),
              attributes: strip(s.attributes),
              profiles: strip(s.profiles),
              policySets: strip(s.policySets),
              rules: strip(s.rules),
              users: strip(s.users),
              endpoints: strip(s.endpoints),
            });
          },
        },
      },
    },
    {
      path: '/policy/import',
      name: 'api/policy/import',
      methods: {
        POST: {
          right: 'policy',
          body: MAX_POLICY_BODY,
          doing: 'import policy',
          handler: async (ctx) => {
            const q = new QueryReader(ctx.url.searchParams, ['format', 'dryRun', 'enforce', 'group']);
            const format = q.oneOf<ImportFormat>('format', IMPORT_FORMATS) ?? 'json';
            const text = (await readBody(ctx.req, MAX_POLICY_BODY)).toString('utf8');
            const parsed = parseImport(format, text, { defaultGroup: q.text('group') ?? null });
            const changes = resolveImport(service(), parsed.objects);
            const { result, enforcement } = await change(ctx, changes, parsed.objects.some((o) => o.kind !== 'endpoints' && o.kind !== 'devices' && o.kind !== 'users' && o.kind !== 'attributes') ? 'all' : parsed.objects.some((o) => o.kind === 'endpoints') ? 'endpoint' : 'none', parsed.objects.filter((o) => o.kind === 'endpoints').map((o) => o.key));
            const counts: Record<string, number> = {};
            for (const c of result.changes) counts[`${c.operation}`] = (counts[c.operation] ?? 0) + 1;
            sendJson(ctx.res, 200, {
              format,
              dryRun: result.dryRun,
              revision: result.revision,
              counts,
              changes: result.changes.map((c) => ({ kind: c.kind, key: c.key, operation: c.operation })),
              ...(enforcement ? { enforcement } : {}),
            });
          },
        },
      },
    },
    {
      path: '/audit/config',
      name: 'api/audit/config',
      methods: {
        GET: {
          right: 'read',
          doing: 'read the configuration audit',
          handler: async (ctx) => {
            const q = new QueryReader(ctx.url.searchParams, ['kind', 'key', 'admin', 'since', 'until', 'limit', 'before']);
            const limit = q.integer('limit', 1, 10_000) ?? 100;
            const records = await deps.store.configAudit({
              kind: q.text('kind'),
              key: q.text('key'),
              admin: q.text('admin'),
              since: q.time('since'),
              until: q.time('until'),
              beforeId: q.integer('before', 1, Number.MAX_SAFE_INTEGER),
              limit,
            });
            const next = records.length === limit ? records[records.length - 1]!.id : null;
            sendJson(ctx.res, 200, { records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })), next });
          },
        },
      },
    },
  );
  // The fixed paths before the `:key` patterns that would otherwise take them.
  return routes.sort((a, b) => Number(a.path.includes(':')) - Number(b.path.includes(':')));
}
