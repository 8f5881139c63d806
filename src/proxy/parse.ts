/** The `proxy:` section checked and completed with defaults; every mistake named by its path. */
import { isIP } from 'node:net';
import { OpenMntError } from '../errors.js';
import { HOME_SERVER_DEFAULTS, type HomePoolConfig, type HomeServerConfig, type ProxyConfig, type ProxyRouteConfig, type RealmConfig } from './config.js';

type Plain = Record<string, unknown>;

function invalid(path: string, expected: string): never {
  throw new OpenMntError('CONFIG_INVALID', `${path} must be ${expected}`);
}

function plain(value: unknown, path: string): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'a mapping');
  return value as Plain;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid(path, 'a list');
  return value;
}

function onlyKeys(o: Plain, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) if (!allowed.includes(key)) invalid(`${path}.${key}`, `one of ${allowed.join(', ')}`);
}

function name(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(path, 'a non-empty string');
  return value;
}

function number(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) invalid(path, `a number from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) invalid(path, `one of ${allowed.join(', ')}`);
  return value as T;
}

function strings(value: unknown, path: string): string[] {
  return list(value, path).map((v, i) => name(v, `${path}[${i}]`));
}

function unique(names: readonly string[], path: string): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) invalid(`${path}[${i}].name`, `unique (${n} is named twice)`);
    seen.add(n);
  });
}

const HOME_KEYS = ['name', 'address', 'authPort', 'accountingPort', 'secret', ...Object.keys(HOME_SERVER_DEFAULTS).filter((k) => !k.endsWith('Port'))];

export function parseProxyConfig(raw: unknown): ProxyConfig {
  const p = plain(raw ?? {}, 'proxy');
  onlyKeys(p, 'proxy', ['homeServers', 'pools', 'routes', 'realms', 'defaultPool', 'accounting', 'onNoHomeServer']);
  const homeServers: HomeServerConfig[] = list(p.homeServers, 'proxy.homeServers').map((item, i) => {
    const path = `proxy.homeServers[${i}]`;
    const h = { ...HOME_SERVER_DEFAULTS, ...plain(item, path) } as Plain;
    onlyKeys(h, path, HOME_KEYS);
    const address = name(h.address, `${path}.address`);
    if (isIP(address) === 0) invalid(`${path}.address`, 'an IP address');
    return {
      name: name(h.name, `${path}.name`),
      address,
      authPort: number(h.authPort, `${path}.authPort`, 1, 65535),
      accountingPort: number(h.accountingPort, `${path}.accountingPort`, 1, 65535),
      secret: name(h.secret, `${path}.secret`),
      responseTimeoutSeconds: number(h.responseTimeoutSeconds, `${path}.responseTimeoutSeconds`, 0.1, 60),
      zombiePeriodSeconds: number(h.zombiePeriodSeconds, `${path}.zombiePeriodSeconds`, 1, 3600),
      reviveIntervalSeconds: number(h.reviveIntervalSeconds, `${path}.reviveIntervalSeconds`, 1, 86400),
      statusCheck: oneOf(h.statusCheck, `${path}.statusCheck`, ['status-server', 'none'] as const),
      checkIntervalSeconds: number(h.checkIntervalSeconds, `${path}.checkIntervalSeconds`, 0.1, 3600),
      answersToAlive: number(h.answersToAlive, `${path}.answersToAlive`, 1, 100),
    };
  });
  unique(homeServers.map((h) => h.name), 'proxy.homeServers');
  const known = new Set(homeServers.map((h) => h.name));
  const pools: HomePoolConfig[] = list(p.pools, 'proxy.pools').map((item, i) => {
    const path = `proxy.pools[${i}]`;
    const o = plain(item, path);
    onlyKeys(o, path, ['name', 'type', 'homeServers']);
    const members = strings(o.homeServers, `${path}.homeServers`);
    if (members.length === 0) invalid(`${path}.homeServers`, 'a list of at least one home server');
    members.forEach((m, j) => known.has(m) || invalid(`${path}.homeServers[${j}]`, `the name of a server in proxy.homeServers (${[...known].join(', ') || 'none is defined'})`));
    return { name: name(o.name, `${path}.name`), type: oneOf(o.type ?? 'fail-over', `${path}.type`, ['fail-over', 'load-balance'] as const), homeServers: members };
  });
  unique(pools.map((x) => x.name), 'proxy.pools');
  const poolNames = new Set(pools.map((x) => x.name));
  const pool = (value: unknown, path: string) => {
    const n = name(value, path);
    if (!poolNames.has(n)) invalid(path, `the name of a pool in proxy.pools (${[...poolNames].join(', ') || 'none is defined'})`);
    return n;
  };
  const routes: ProxyRouteConfig[] = list(p.routes, 'proxy.routes').map((item, i) => {
    const path = `proxy.routes[${i}]`;
    const o = plain(item, path);
    onlyKeys(o, path, ['devices', 'deviceGroups', 'pool']);
    const devices = strings(o.devices, `${path}.devices`);
    const deviceGroups = strings(o.deviceGroups, `${path}.deviceGroups`);
    if (devices.length + deviceGroups.length === 0) invalid(path, 'a route naming at least one device or device group');
    return { devices, deviceGroups, pool: pool(o.pool, `${path}.pool`) };
  });
  const realms: RealmConfig[] = list(p.realms, 'proxy.realms').map((item, i) => {
    const path = `proxy.realms[${i}]`;
    const o = plain(item, path);
    onlyKeys(o, path, ['name', 'format', 'strip', 'pool']);
    if (o.strip !== undefined && typeof o.strip !== 'boolean') invalid(`${path}.strip`, 'true or false');
    return { name: name(o.name, `${path}.name`), format: oneOf(o.format ?? 'suffix', `${path}.format`, ['suffix', 'prefix'] as const), strip: (o.strip as boolean | undefined) ?? false, pool: pool(o.pool, `${path}.pool`) };
  });
  return {
    homeServers,
    pools,
    routes,
    realms,
    defaultPool: p.defaultPool === undefined || p.defaultPool === null ? null : pool(p.defaultPool, 'proxy.defaultPool'),
    accounting: oneOf(p.accounting ?? 'record', 'proxy.accounting', ['proxy', 'record'] as const),
    onNoHomeServer: oneOf(p.onNoHomeServer ?? 'reject', 'proxy.onNoHomeServer', ['reject', 'drop'] as const),
  };
}
