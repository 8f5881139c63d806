/**
 * Configuration: defaults, then a YAML file, then environment overrides. The result is validated
 * once at start-up against the schema in config-schema.ts; a mistake names the offending path so an
 * operator can fix it without guessing.
 *
 * Environment overrides follow one rule: `OPENMNT_` + the path of the setting, segments joined by
 * `__`, each segment the setting's name in upper snake case. `OPENMNT_RADIUS__AUTH__PORT=11812`
 * sets `radius.auth.port`; `OPENMNT_SESSIONS__STALE_AFTER_INTERVALS=4` sets
 * `sessions.staleAfterIntervals`. Only scalar settings can be overridden this way.
 */
import { emptyProxyConfig, type ProxyConfig } from './proxy/config.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OpenMntError } from './errors.js';
import { configSchema, describeIssue } from './config-schema.js';
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
  /** Further reply attributes by dictionary name (the runtime policy's profiles). */
  reply?: { name: string; value: string | number }[];
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
  /** `sqlite`: the embedded default, one node. `postgres`: a PostgreSQL server that several nodes share. */
  driver: 'sqlite' | 'postgres';
  /** SQLite's database file. */
  path: string;
  /** PostgreSQL: `postgres://user:password@host1[:port][,host2[:port]…]/database`; several hosts
   * are tried in order and only one that accepts writes is used (the primary, after a failover too). */
  url: string;
  /** PostgreSQL: connections of each node's reading pool (its writing thread keeps three more). */
  poolSize: number;
  /** PostgreSQL: encryption of the connection; `verify-full` checks the server's certificate and name against caFile. */
  tls: { mode: 'disable' | 'prefer' | 'require' | 'verify-full'; caFile: string; certFile: string; keyFile: string };
  /** PostgreSQL: how long a connection attempt to one host may take. */
  connectTimeoutSeconds: number;
  /** PostgreSQL: the read-only role DataConnect queries (and reporting tools) log in as, and its password ('' for trust or certificate authentication). */
  dataconnect: { role: string; password: string };
  /** `full` fsyncs every group commit; `normal` survives a process crash but not power loss. */
  synchronous: 'full' | 'normal';
  cacheSizeMiB: number;
  /** The write-ahead log's working size. A thread of its own copies the WAL into the database in
   * the background, more often once the WAL is past this size; under writes that never pause it can
   * grow to four times this before a commit copies the rest itself, and its file is cut back to
   * eight times this when a long read let it grow further (see checkpoint-pace.ts). */
  walMaxMiB: number;
  /** Below this much free space on the database's file system the node warns (log, /metrics,
   * /health); 0 turns the warning off. */
  minFreeMiB: number;
  /** Session events kept in the store's bounded log: how far back a consumer can resume. */
  eventLogSize: number;
  /** `auto`: the node brings the database's schema to its own version at start (the first of
   * several nodes to take the lock does it). `manual`: a node refuses to start on an older schema
   * and says to run `openmnt db migrate`, so an upgrade's migration happens when the operator says. */
  migrate: 'auto' | 'manual';
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

/** A receiver of session events (Standard Webhooks), with what it wants: all given filters must match. */
export interface SessionWebhookConfig extends WebhookConfig {
  /** Event types (`authenticated`, `started`, `updated`, `closed`); empty or absent: all. */
  types: string[];
  /** Only sessions of this NAS IP address, identity group or endpoint MAC. */
  nas?: string;
  group?: string;
  mac?: string;
}

export interface EventsConfig {
  /** Events a live consumer may have waiting (unsent) before it is cut off; it then resumes from its cursor. */
  maxQueuedEvents: number;
  /** An SSE comment line this often keeps proxies from closing an idle stream. */
  keepAliveSeconds: number;
  webhooks: SessionWebhookConfig[];
  webhookMaxAttempts: number;
}

export interface PxGridConfig {
  /** Serve the pxGrid 2.0 control, session and pubsub services under /pxgrid/. */
  enabled: boolean;
  /** pxGrid client accounts (hashed passwords, states); `openmnt pxgrid …` and the API edit them. */
  accountsFile: string;
  /** New client accounts are ENABLED at once instead of PENDING an admin's approval. */
  autoApprove: boolean;
  /** Whether AccountCreate (password accounts made by the client itself) is open. */
  accountCreate: boolean;
  /** STOMP heart-beat the node offers and asks for, in milliseconds (0: none). */
  heartBeatMs: number;
  /**
   * PEM of the CA(s) whose client certificates identify pxGrid consumers ('' : passwords only).
   * Set, the HTTPS port asks every client for a certificate and accepts those without one.
   */
  clientCaFile: string;
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
  /**
   * Several nodes on PostgreSQL: a running bulk job is leased to its node for this long and renewed
   * a few times within it; once a lease runs out (the node died) another node resumes the job.
   */
  jobLeaseSeconds: number;
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
  events: EventsConfig;
  pxgrid: PxGridConfig;
  radius: {
    auth: ListenerConfig;
    accounting: ListenerConfig;
    /** RFC 5080 §2.2.2 duplicate detection window. */
    duplicateWindowSeconds: number;
    receiveBufferBytes: number;
    /** Group commit: at most this many packets per transaction. */
    maxBatch: number;
    clients: NasClientConfig[];
    /** FreeRADIUS-format dictionary files read at start and on reload (e.g. /usr/share/freeradius/dictionary). */
    dictionaries: string[];
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
      jobLeaseSeconds: 15,
    },
    events: { maxQueuedEvents: 10_000, keepAliveSeconds: 15, webhooks: [], webhookMaxAttempts: 8 },
    pxgrid: { enabled: true, accountsFile: join(data, 'pxgrid-accounts.json'), autoApprove: false, accountCreate: true, heartBeatMs: 10_000, clientCaFile: '' },
    radius: {
      auth: { host: '0.0.0.0', port: 1812 },
      accounting: { host: '0.0.0.0', port: 1813 },
      duplicateWindowSeconds: 5,
      receiveBufferBytes: 4 * 1024 * 1024,
      maxBatch: 1000,
      clients: [],
      dictionaries: [],
    },
    auth: {
      unknownEndpoint: 'reject',
      defaultProfile: 'PermitAccess',
      profiles: { PermitAccess: {}, DenyAccess: { deny: true } },
      groups: [],
      endpoints: [],
      users: [],
    },
    store: {
      driver: 'sqlite',
      path: join(data, 'openmnt.db'),
      url: '',
      poolSize: 10,
      tls: { mode: 'prefer', caFile: '', certFile: '', keyFile: '' },
      connectTimeoutSeconds: 10,
      dataconnect: { role: 'dataconnect', password: '' },
      synchronous: 'full',
      cacheSizeMiB: 64,
      walMaxMiB: 16,
      minFreeMiB: 1024,
      eventLogSize: 100_000,
      migrate: 'auto',
      thread: true,
    },
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
  return validate(merged);
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

/** Checks the merged configuration against the schema; the first problem names the setting at fault. */
function validate(merged: unknown): Config {
  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  const [first, ...more] = result.error.issues;
  const others = more.length === 0 ? '' : ` (and ${more.length} more: ${more.slice(0, 3).map(describeIssue).join('; ')}${more.length > 3 ? '; …' : ''})`;
  throw new OpenMntError('CONFIG_INVALID', `${describeIssue(first!)}${others}`);
}
