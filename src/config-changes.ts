/**
 * What a configuration reload (SIGHUP) may change in a running node, and what it cannot. The NAS
 * table, the authentication seed (endpoints, users, groups, profiles), the proxy's home servers and routes, the log level, the lock-out limits
 * and the TLS certificate are put in place at once; listening addresses, ports and the store need a restart,
 * so a change there is reported and the running value kept.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './config.js';

export interface ConfigChanges {
  /** Settings that differ and are applied now, e.g. `radius.clients: +core-sw-2 ~lab`. */
  applied: string[];
  /** Settings that differ but take effect only after a restart. */
  needRestart: string[];
}

const LIVE = ['radius.clients', 'radius.dictionaries', 'auth', 'proxy', 'log.level', 'api.tls', 'api.lockout'] as const;
const RESTART = ['radius.auth', 'radius.accounting', 'api.host', 'api.port', 'api.tls.enabled', 'api.adminsFile', 'store', 'node', 'api.connections', 'mnt', 'coa', 'sessions', 'retention', 'log.syslog'] as const;

function at(config: Config, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
}

export function configChanges(running: Config, next: Config): ConfigChanges {
  const applied: string[] = [];
  const needRestart: string[] = [];
  for (const path of RESTART) if (!isDeepStrictEqual(at(running, path), at(next, path))) needRestart.push(path);
  for (const path of LIVE) {
    if (isDeepStrictEqual(at(running, path), at(next, path))) continue;
    if (path === 'api.tls' && needRestart.includes('api.tls.enabled')) continue;
    applied.push(path === 'radius.clients' ? `radius.clients: ${clientDiff(running, next)}` : path);
  }
  return { applied, needRestart };
}

/**
 * The configuration a node runs after a reload: `next` for the settings that apply live, `running`
 * for all the rest (they keep their running values until a restart). Built from the same lists as
 * configChanges, so the next reload compares against what really runs.
 */
export function liveConfig(running: Config, next: Config): Config {
  const out = structuredClone(running);
  for (const path of LIVE) setAt(out, path, structuredClone(at(next, path)));
  for (const path of RESTART) setAt(out, path, structuredClone(at(running, path)));
  return out;
}

function setAt(config: Config, path: string, value: unknown): void {
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, config as unknown as Record<string, unknown>);
  parent[keys[keys.length - 1]!] = value;
}

/** `+name` added, `-name` removed, `~name` changed (address, secret, vendor, …). */
function clientDiff(running: Config, next: Config): string {
  const before = new Map(running.radius.clients.map((c) => [c.name, c]));
  const after = new Map(next.radius.clients.map((c) => [c.name, c]));
  const out: string[] = [];
  for (const [name, c] of after) {
    const old = before.get(name);
    if (old === undefined) out.push(`+${name}`);
    else if (!isDeepStrictEqual(old, c)) out.push(`~${name}`);
  }
  for (const name of before.keys()) if (!after.has(name)) out.push(`-${name}`);
  return out.join(' ');
}
