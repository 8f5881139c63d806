/**
 * Configuration: defaults, then a YAML file, then environment overrides. The result is validated
 * once at start-up; a mistake names the offending path so an operator can fix it without guessing.
 *
 * Environment overrides follow one rule: `OPENMNT_` + the path of the setting, segments joined by
 * `__`, each segment the setting's name in upper snake case. `OPENMNT_RADIUS__AUTH__PORT=11812`
 * sets `radius.auth.port`; `OPENMNT_SESSIONS__STALE_AFTER_INTERVALS=4` sets
 * `sessions.staleAfterIntervals`. Only scalar settings can be overridden this way.
 */
import { emptyProxyConfig, type ProxyConfig } from './proxy/config.js';
import { parseProxyConfig } from './proxy/parse.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { OpenMntError } from './errors.js';
import { RECIPES } from './coa/recipes.js';
import { normalizeMac } from './sessions/mac.js';
import type { SyslogTarget } from './syslog/index.js';

export interface ListenerConfig {
  host: string;
  port: number;
}

export interface NasClientConfig {
  name: string;
  /** A single address or a CIDR block (IPv4 or IPv6). */
  address: string;
  secret: string;
  vendor: string;
  /** UDP port the NAS listens on for CoA / Disconnect (RFC 5176: 3799; older Cisco: 1700). */
  coaPort: number;
  /** Drop Access-Requests that carry no Message-Authenticator (BlastRADIUS mitigation). */
  requireMessageAuthenticator: boolean;
  /** Network device groups as ISE prints them, e.g. `Location#All Locations#Building-1`. */
  deviceGroups: string[];
}

export interface AuthorizationProfileConfig {
  vlan?: string;
  filterId?: string;
  dacl?: string;
  sgt?: number;
  sessionTimeout?: number;
  terminationAction?: 'default' | 'radius-request';
  /** Reject instead of accept (ISE's DenyAccess). */
  deny?: boolean;
}

export interface EndpointConfig {
  mac: string;
  group?: string;
  profile?: string;
  description?: string;
}

export interface UserConfig {
  name: string;
  password: string;
  group?: string;
  profile?: string;
  disabled?: boolean;
}

export interface IdentityGroupConfig {
  name: string;
  profile?: string;
}

export interface AuthConfig {
  /** What an unknown MAC gets on MAB: `reject`, or the name of a profile (e.g. a guest VLAN). */
  unknownEndpoint: string;
  /** Profile for known endpoints and users that name none (and whose group names none). */
  defaultProfile: string;
  profiles: Record<string, AuthorizationProfileConfig>;
  groups: IdentityGroupConfig[];
  endpoints: EndpointConfig[];
  users: UserConfig[];
}

export interface StoreConfig {
  driver: 'sqlite';
  path: string;
  /** `full` fsyncs every group commit; `normal` survives a process crash but not power loss. */
  synchronous: 'full' | 'normal';
  cacheSizeMiB: number;
  /** The write-ahead log is copied into the database once it holds this much, and its file is cut
   * back to this size when reused: the disk space the WAL keeps (plus one transaction). */
  walMaxMiB: number;
  /** Below this much free space on the database's file system the node warns (log, /metrics,
   * /health); 0 turns the warning off. */
  minFreeMiB: number;
  /** Run SQLite on a worker thread, so RADIUS handling and the database each get a core. */
  thread: boolean;
}

export interface ApiConfig {
  host: string;
  /** 443 as ISE. When it is left at the default and cannot be bound (no privilege), 8443 is used. */
  port: number;
  tls: {
    /** HTTPS (default) or plain HTTP. */
    enabled: boolean;
    /** PEM files of a certificate chain and its key; both empty means a self-signed pair is made once in `dir`. */
    certFile: string;
    keyFile: string;
    dir: string;
  };
  /** Admin accounts (scrypt hashes); `openmnt admin ...` edits this file. */
  adminsFile: string;
  /** log2 of scrypt's N for admin password hashes: 17 (OWASP's minimum) by default, 14 to 20. */
  passwordHashCost: number;
  /** Requests whose target or headers exceed these are refused with 414 / 431. */
  maxUrlBytes: number;
  maxHeaderBytes: number;
  /** Failed logins from one source address: slowed after `slowAfter`, locked out after `maxFailures` within `windowSeconds`. */
  lockout: { slowAfter: number; maxFailures: number; windowSeconds: number; lockSeconds: number };
  /**
   * Connections: at most `total` open at once and `perSource` from one address (more are closed at
   * once); a connection must finish its TLS handshake, and send its request headers, within
   * `handshakeSeconds` / `headersSeconds`, and an idle kept-alive one is closed after `idleSeconds`.
   */
  connections: { total: number; perSource: number; handshakeSeconds: number; headersSeconds: number; idleSeconds: number };
  /** The browser console's sign-in: a session ends after `idleMinutes` without a request, and
   * `absoluteHours` after sign-in whatever happens. */
  console: { idleMinutes: number; absoluteHours: number };
}

export interface FailureReasonConfig {
  code: number;
  cause?: string;
  resolution?: string;
}

export interface WebhookConfig {
  url: string;
  /** `whsec_` + base64 of the key (Standard Webhooks). */
  secret: string;
}

export interface CoaConfig {
  /** RFC 5080 retransmission: first wait, doubling, at most `maxAttempts` sends and `maxTotalMs` overall. */
  initialTimeoutMs: number;
  maxTimeoutMs: number;
  maxAttempts: number;
  maxTotalMs: number;
  /** Source sockets; each carries up to 256 outstanding identifiers. */
  sockets: number;
  /** Bulk pacing: per NAS and overall (0 = no limit on the rate). */
  perNasInFlight: number;
  perNasPerSecond: number;
  globalInFlight: number;
  globalPerSecond: number;
  webhooks: WebhookConfig[];
  webhookMaxAttempts: number;
}

export interface Config {
  node: {
    /** Name of this node as it appears in records (`acs_server`, `server`). */
    name: string;
    /** Version's `type_of_node` (an integer in the 1.0.4 schema). */
    typeOfNode: number;
  };
  api: ApiConfig;
  mnt: {
    /** Failure reasons edited by the operator: replaces cause / resolution of a known code, or adds one. */
    failureReasons: FailureReasonConfig[];
  };
  coa: CoaConfig;
  radius: {
    auth: ListenerConfig;
    accounting: ListenerConfig;
    /** RFC 5080 §2.2.2 duplicate detection window. */
    duplicateWindowSeconds: number;
    receiveBufferBytes: number;
    /** Group commit: at most this many packets per transaction. */
    maxBatch: number;
    /** FreeRADIUS-format dictionary files read at start and on reload (e.g. /usr/share/freeradius/dictionary). */
    dictionaries: string[];
    clients: NasClientConfig[];
  };
  auth: AuthConfig;
  store: StoreConfig;
  /** RADIUS proxy to the site's AAA (802.1X): home servers, pools, routes. Empty: no proxying. */
  proxy: ProxyConfig;
  sessions: {
    /** Interim interval assumed when a session announced none. */
    defaultInterimSeconds: number;
    /** A session with no update for this many interim intervals is closed as stale. */
    staleAfterIntervals: number;
    /** A session that was authenticated but never saw accounting is closed after this long. */
    authOnlyTimeoutSeconds: number;
    sweepIntervalSeconds: number;
  };
  retention: {
    /** Records and closed sessions older than this many days are pruned. */
    days: number;
    pruneIntervalMinutes: number;
  };
  log: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    /** Remote syslog collectors that get every authentication and accounting record in ISE's format. */
    syslog: SyslogTarget[];
  };
}

/**
 * Where the node keeps its data: `./data` when started by hand, the state directory systemd gives a
 * service (`StateDirectory=openmnt` → `$STATE_DIRECTORY`, i.e. /var/lib/openmnt) when run as one.
 */
function dataDir(env: NodeJS.ProcessEnv): string {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  return state !== undefined && state !== '' ? state : 'data';
}

/**
 * The configuration file used when none is named: `$OPENMNT_CONFIG`, else `openmnt.yaml` in the
 * configuration directory systemd gives a service (`ConfigurationDirectory=openmnt` →
 * /etc/openmnt), else `./openmnt.yaml` when present; none means built-in defaults.
 */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OPENMNT_CONFIG) return env.OPENMNT_CONFIG;
  const etc = env.CONFIGURATION_DIRECTORY?.split(':')[0];
  if (etc) return join(etc, 'openmnt.yaml');
  return existsSync('openmnt.yaml') ? 'openmnt.yaml' : undefined;
}

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data = dataDir(env);
  return {
    node: { name: 'openmnt', typeOfNode: 1 },
    api: {
      host: '0.0.0.0',
      port: 443,
      tls: { enabled: true, certFile: '', keyFile: '', dir: join(data, 'tls') },
      adminsFile: join(data, 'admins.json'),
      passwordHashCost: 17,
      maxUrlBytes: 8192,
      maxHeaderBytes: 16384,
      lockout: { slowAfter: 3, maxFailures: 10, windowSeconds: 300, lockSeconds: 900 },
      connections: { total: 2048, perSource: 128, handshakeSeconds: 10, headersSeconds: 20, idleSeconds: 65 },
      console: { idleMinutes: 30, absoluteHours: 8 },
    },
    mnt: { failureReasons: [] },
    coa: {
      initialTimeoutMs: 2000,
      maxTimeoutMs: 16000,
      maxAttempts: 5,
      maxTotalMs: 30000,
      sockets: 4,
      perNasInFlight: 50,
      perNasPerSecond: 0,
      globalInFlight: 1000,
      globalPerSecond: 0,
      webhooks: [],
      webhookMaxAttempts: 8,
    },
    radius: {
      auth: { host: '0.0.0.0', port: 1812 },
      accounting: { host: '0.0.0.0', port: 1813 },
      duplicateWindowSeconds: 5,
      receiveBufferBytes: 4 * 1024 * 1024,
      maxBatch: 1000,
      dictionaries: [],
      clients: [],
    },
    auth: {
      unknownEndpoint: 'reject',
      defaultProfile: 'PermitAccess',
      profiles: { PermitAccess: {}, DenyAccess: { deny: true } },
      groups: [],
      endpoints: [],
      users: [],
    },
    store: { driver: 'sqlite', path: join(data, 'openmnt.db'), synchronous: 'full', cacheSizeMiB: 64, walMaxMiB: 16, minFreeMiB: 1024, thread: true },
    proxy: emptyProxyConfig(),
    sessions: {
      defaultInterimSeconds: 600,
      staleAfterIntervals: 3,
      authOnlyTimeoutSeconds: 3600,
      sweepIntervalSeconds: 60,
    },
    retention: { days: 30, pruneIntervalMinutes: 60 },
    log: { level: 'info', syslog: [] },
  };
}

/** The demo client used when no configuration names any NAS, so the quick start works as is. */
export const DEMO_CLIENT: NasClientConfig = {
  name: 'demo-localhost',
  address: '127.0.0.1',
  secret: 'testing123',
  vendor: 'cisco',
  coaPort: 3799,
  requireMessageAuthenticator: false,
  deviceGroups: [],
};

const CLIENT_DEFAULTS: Omit<NasClientConfig, 'name' | 'address' | 'secret'> = {
  vendor: 'cisco',
  coaPort: 3799,
  requireMessageAuthenticator: false,
  deviceGroups: [],
};

export interface LoadOptions {
  /** Path of the YAML file; absent means defaults plus environment only. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadOptions = {}): Config {
  let fromFile: unknown = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (cause) {
      throw new OpenMntError('CONFIG_NOT_FOUND', `cannot read configuration file ${options.file}`, { cause });
    }
    try {
      fromFile = parseYaml(text) ?? {};
    } catch (cause) {
      throw new OpenMntError('CONFIG_INVALID', `${options.file} is not valid YAML: ${(cause as Error).message}`);
    }
  }
  const merged = mergeInto(defaultConfig(options.env ?? process.env), fromFile, '');
  applyEnvironment(merged, options.env ?? process.env);
  return validate(merged as unknown as Config);
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges `source` into `target`, refusing keys the defaults do not know (typos). Maps whose
 * keys are the operator's own names (`auth.profiles`) accept any key. */
function mergeInto(target: Plain | Config, source: unknown, path: string): Plain {
  const t = target as Plain;
  if (!isPlain(source)) {
    throw new OpenMntError('CONFIG_INVALID', `${path || 'configuration'} must be a mapping`);
  }
  for (const [key, value] of Object.entries(source)) {
    const here = path ? `${path}.${key}` : key;
    const current = t[key];
    if (!(key in t)) throw new OpenMntError('CONFIG_INVALID', `unknown setting ${here}`);
    if (FREE_MAPS.has(here)) {
      if (!isPlain(value)) invalid(here, 'a mapping');
      t[key] = { ...(current as Plain), ...value };
    } else if (isPlain(current)) {
      t[key] = mergeInto(current, value, here);
    } else {
      t[key] = value;
    }
  }
  return t;
}

const FREE_MAPS = new Set(['auth.profiles']);

function invalid(path: string, expected: string): never {
  throw new OpenMntError('CONFIG_INVALID', `${path} must be ${expected}`);
}

function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function applyEnvironment(config: Plain, env: NodeJS.ProcessEnv): void {
  const walk = (node: Plain, prefix: string, path: string) => {
    for (const [key, value] of Object.entries(node)) {
      const name = `${prefix}${envSegment(key)}`;
      const here = path ? `${path}.${key}` : key;
      if (isPlain(value)) {
        if (!FREE_MAPS.has(here)) walk(value, `${name}__`, here);
        continue;
      }
      const raw = env[name];
      if (raw === undefined || Array.isArray(value)) continue;
      if (typeof value === 'number') {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) invalid(`${here} (from ${name})`, 'a number');
        node[key] = n;
      } else if (typeof value === 'boolean') {
        if (!['true', 'false', '1', '0'].includes(raw)) invalid(`${here} (from ${name})`, 'true or false');
        node[key] = raw === 'true' || raw === '1';
      } else {
        node[key] = raw;
      }
    }
  };
  walk(config, 'OPENMNT_', '');
}

function port(value: unknown, path: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    invalid(path, 'a port number 0-65535');
  }
  return value as number;
}

/** A second entry with the same key is refused, naming both places. */
function unique(keys: readonly string[], path: string, key: string): void {
  const first = new Map<string, number>();
  keys.forEach((k, i) => {
    const earlier = first.get(k);
    if (earlier !== undefined) invalid(`${path}[${i}].${key}`, `different from ${path}[${earlier}].${key} (both are ${k})`);
    first.set(k, i);
  });
}

function positive(value: unknown, path: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) invalid(path, `a number ≥ ${min}`);
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') invalid(path, 'a non-empty string');
  return value;
}

function address(value: unknown, path: string): string {
  const s = typeof value === 'number' ? String(value) : text(value, path);
  const [ip, bits, extra] = s.split('/');
  const family = isIP(ip ?? '');
  const max = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
    invalid(path, 'an IP address or CIDR block');
  }
  return s;
}

function list<T>(value: unknown, path: string, each: (item: Plain, path: string) => T): T[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) invalid(path, 'a list');
  return value.map((item, i) => {
    if (!isPlain(item)) invalid(`${path}[${i}]`, 'a mapping');
    return each(item, `${path}[${i}]`);
  });
}

function validate(config: Config): Config {
  text(config.node.name, 'node.name');
  if (!Number.isInteger(config.node.typeOfNode)) invalid('node.typeOfNode', 'an integer');
  text(config.api.host, 'api.host');
  port(config.api.port, 'api.port');
  if (typeof config.api.tls.enabled !== 'boolean') invalid('api.tls.enabled', 'true or false');
  if ((config.api.tls.certFile === '') !== (config.api.tls.keyFile === '')) {
    invalid('api.tls.certFile and api.tls.keyFile', 'both set or both empty');
  }
  text(config.api.tls.dir, 'api.tls.dir');
  text(config.api.adminsFile, 'api.adminsFile');
  if (!Number.isInteger(config.api.passwordHashCost) || config.api.passwordHashCost < 14 || config.api.passwordHashCost > 20) {
    invalid('api.passwordHashCost', 'a whole number from 14 to 20 (log2 of scrypt N; 17 is the recommended minimum)');
  }
  positive(config.api.maxUrlBytes, 'api.maxUrlBytes', 256);
  positive(config.api.maxHeaderBytes, 'api.maxHeaderBytes', 1024);
  for (const key of ['slowAfter', 'maxFailures', 'windowSeconds', 'lockSeconds'] as const) {
    positive(config.api.lockout[key], `api.lockout.${key}`);
  }
  for (const key of ['total', 'perSource', 'handshakeSeconds', 'headersSeconds', 'idleSeconds'] as const) {
    positive(config.api.connections[key], `api.connections.${key}`);
  }
  positive(config.api.console.idleMinutes, 'api.console.idleMinutes');
  positive(config.api.console.absoluteHours, 'api.console.absoluteHours');
  if (config.api.connections.perSource > config.api.connections.total) invalid('api.connections.perSource', 'at most api.connections.total');
  // A request as a whole may take 300 s (a verified CoA waits for the endpoint); its headers cannot take longer.
  if (config.api.connections.headersSeconds > 300) invalid('api.connections.headersSeconds', 'at most 300');
  config.mnt.failureReasons = list(config.mnt.failureReasons, 'mnt.failureReasons', (r, p) => {
    if (!Number.isInteger(r.code) || (r.code as number) < 0) invalid(`${p}.code`, 'a non-negative integer');
    if (r.cause !== undefined) text(r.cause, `${p}.cause`);
    if (r.resolution !== undefined) text(r.resolution, `${p}.resolution`);
    return r as unknown as FailureReasonConfig;
  });
  for (const key of ['initialTimeoutMs', 'maxTimeoutMs', 'maxAttempts', 'maxTotalMs', 'sockets', 'perNasInFlight', 'globalInFlight', 'webhookMaxAttempts'] as const) {
    positive(config.coa[key], `coa.${key}`);
  }
  positive(config.coa.perNasPerSecond, 'coa.perNasPerSecond', 0);
  positive(config.coa.globalPerSecond, 'coa.globalPerSecond', 0);
  config.coa.webhooks = list(config.coa.webhooks, 'coa.webhooks', (w, p) => {
    const url = text(w.url, `${p}.url`);
    if (!/^https?:\/\//.test(url)) invalid(`${p}.url`, 'an http:// or https:// URL');
    if (typeof w.secret !== 'string' || !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(w.secret)) invalid(`${p}.secret`, 'whsec_ followed by base64 (16+ characters)');
    return w as unknown as WebhookConfig;
  });
  for (const key of ['auth', 'accounting'] as const) {
    text(config.radius[key].host, `radius.${key}.host`);
    port(config.radius[key].port, `radius.${key}.port`);
  }
  positive(config.radius.duplicateWindowSeconds, 'radius.duplicateWindowSeconds', 0);
  positive(config.radius.receiveBufferBytes, 'radius.receiveBufferBytes', 65536);
  positive(config.radius.maxBatch, 'radius.maxBatch');
  if (!Array.isArray(config.radius.dictionaries) || config.radius.dictionaries.some((d) => typeof d !== 'string' || d === '')) {
    invalid('radius.dictionaries', 'a list of dictionary file names');
  }
  config.radius.clients = list(config.radius.clients, 'radius.clients', (c, p) => {
    for (const key of Object.keys(c)) {
      if (!['name', 'address', 'secret', ...Object.keys(CLIENT_DEFAULTS)].includes(key)) {
        invalid(`${p}.${key}`, 'one of name, address, secret, vendor, coaPort, requireMessageAuthenticator, deviceGroups');
      }
    }
    const client = { ...CLIENT_DEFAULTS, ...c } as NasClientConfig;
    client.address = address(client.address, `${p}.address`);
    client.secret = typeof client.secret === 'number' ? String(client.secret) : text(client.secret, `${p}.secret`);
    client.name = client.name === undefined ? client.address : text(client.name, `${p}.name`);
    client.vendor = text(client.vendor, `${p}.vendor`).toLowerCase();
    // A misspelt vendor would otherwise get the plain RFC 5176 forms and fail every CoA at the NAS.
    if (!(client.vendor in RECIPES)) invalid(`${p}.vendor`, `one of ${Object.keys(RECIPES).join(', ')}`);
    port(client.coaPort, `${p}.coaPort`);
    if (typeof client.requireMessageAuthenticator !== 'boolean') invalid(`${p}.requireMessageAuthenticator`, 'true or false');
    if (!Array.isArray(client.deviceGroups)) invalid(`${p}.deviceGroups`, 'a list of strings');
    return client;
  });
  unique(config.radius.clients.map((c) => c.name), 'radius.clients', 'name');
  unique(config.radius.clients.map((c) => c.address), 'radius.clients', 'address');
  const auth = config.auth;
  for (const [name, raw] of Object.entries(auth.profiles as Record<string, unknown>)) {
    if (!isPlain(raw)) invalid(`auth.profiles.${name}`, 'a mapping');
    const profile = raw as AuthorizationProfileConfig;
    if (profile.vlan !== undefined) profile.vlan = String(profile.vlan);
    const sgt: unknown = profile.sgt;
    if (sgt !== undefined && !(typeof sgt === 'number' && Number.isInteger(sgt) && sgt >= 0 && sgt < 65536)) {
      invalid(`auth.profiles.${name}.sgt`, 'a security group tag 0-65535');
    }
    if (profile.sessionTimeout !== undefined) positive(profile.sessionTimeout, `auth.profiles.${name}.sessionTimeout`);
    if (profile.terminationAction !== undefined && !['default', 'radius-request'].includes(profile.terminationAction)) {
      invalid(`auth.profiles.${name}.terminationAction`, 'default or radius-request');
    }
  }
  const knownProfile = (name: unknown, path: string) => {
    if (name !== undefined && !(typeof name === 'string' && name in auth.profiles)) {
      invalid(path, `the name of a profile in auth.profiles (${Object.keys(auth.profiles).join(', ')})`);
    }
  };
  if (auth.unknownEndpoint !== 'reject') knownProfile(auth.unknownEndpoint, 'auth.unknownEndpoint');
  knownProfile(auth.defaultProfile, 'auth.defaultProfile');
  auth.groups = list(auth.groups, 'auth.groups', (g, p) => {
    text(g.name, `${p}.name`);
    knownProfile(g.profile, `${p}.profile`);
    return g as unknown as IdentityGroupConfig;
  });
  unique(auth.groups.map((g) => g.name), 'auth.groups', 'name');
  const groupNames = auth.groups.map((g) => g.name);
  const knownGroup = (name: unknown, path: string) => {
    if (name !== undefined && !(typeof name === 'string' && groupNames.includes(name))) {
      invalid(path, groupNames.length === 0 ? 'the name of a group in auth.groups (none is defined)' : `the name of a group in auth.groups (${groupNames.join(', ')})`);
    }
  };
  auth.endpoints = list(auth.endpoints, 'auth.endpoints', (e, p) => {
    if (normalizeMac(text(e.mac, `${p}.mac`)) === null) invalid(`${p}.mac`, 'a MAC address (AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or 12 hex digits)');
    knownGroup(e.group, `${p}.group`);
    knownProfile(e.profile, `${p}.profile`);
    return e as unknown as EndpointConfig;
  });
  unique(auth.endpoints.map((e) => normalizeMac(e.mac)!), 'auth.endpoints', 'mac');
  auth.users = list(auth.users, 'auth.users', (u, p) => {
    text(u.name, `${p}.name`);
    u.password = typeof u.password === 'number' ? String(u.password) : text(u.password, `${p}.password`);
    knownGroup(u.group, `${p}.group`);
    knownProfile(u.profile, `${p}.profile`);
    return u as unknown as UserConfig;
  });
  unique(auth.users.map((u) => u.name), 'auth.users', 'name');
  config.proxy = parseProxyConfig(config.proxy);
  if (config.store.driver !== 'sqlite') invalid('store.driver', 'sqlite');
  text(config.store.path, 'store.path');
  if (!['full', 'normal'].includes(config.store.synchronous)) invalid('store.synchronous', 'full or normal');
  positive(config.store.cacheSizeMiB, 'store.cacheSizeMiB');
  positive(config.store.walMaxMiB, 'store.walMaxMiB');
  positive(config.store.minFreeMiB, 'store.minFreeMiB', 0);
  if (typeof config.store.thread !== 'boolean') invalid('store.thread', 'true or false');
  positive(config.sessions.defaultInterimSeconds, 'sessions.defaultInterimSeconds');
  positive(config.sessions.staleAfterIntervals, 'sessions.staleAfterIntervals');
  positive(config.sessions.authOnlyTimeoutSeconds, 'sessions.authOnlyTimeoutSeconds');
  positive(config.sessions.sweepIntervalSeconds, 'sessions.sweepIntervalSeconds');
  positive(config.retention.days, 'retention.days');
  positive(config.retention.pruneIntervalMinutes, 'retention.pruneIntervalMinutes');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.log.level)) {
    invalid('log.level', 'one of fatal, error, warn, info, debug, trace, silent');
  }
  config.log.syslog = list(config.log.syslog, 'log.syslog', (t, p) => {
    const allowed = ['host', 'port', 'transport', 'header', 'facility', 'maxLength', 'caFile', 'rejectUnauthorized'];
    for (const key of Object.keys(t)) if (!allowed.includes(key)) invalid(`${p}.${key}`, `one of ${allowed.join(', ')}`);
    const target = { transport: 'udp', header: 'ise', facility: 22, maxLength: 8192, caFile: '', rejectUnauthorized: true, ...t } as SyslogTarget;
    text(target.host, `${p}.host`);
    port(target.port, `${p}.port`);
    if (target.port === 0) invalid(`${p}.port`, 'a port number 1-65535');
    if (!['udp', 'tcp', 'tls'].includes(target.transport)) invalid(`${p}.transport`, 'udp, tcp or tls');
    if (!['ise', 'rfc5424'].includes(target.header)) invalid(`${p}.header`, 'ise (RFC 3164 style, as ISE sends) or rfc5424');
    if (!Number.isInteger(target.facility) || target.facility < 0 || target.facility > 23) invalid(`${p}.facility`, 'a facility number 0-23 (local6 is 22)');
    positive(target.maxLength, `${p}.maxLength`, 480);
    if (typeof target.caFile !== 'string') invalid(`${p}.caFile`, 'a file name');
    if (typeof target.rejectUnauthorized !== 'boolean') invalid(`${p}.rejectUnauthorized`, 'true or false');
    return target;
  });
  return config;
}
