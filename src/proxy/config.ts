/** The `proxy:` section: home servers, pools, and how requests are routed to them. */

export interface HomeServerConfig {
  name: string;
  address: string;
  authPort: number;
  accountingPort: number;
  secret: string;
  /** How long an answer may take before the next server of the pool is tried. */
  responseTimeoutSeconds: number;
  /** A server that answered nothing for this long while asked is dead (zombie until then). */
  zombiePeriodSeconds: number;
  /** Without status checks, a dead server is tried again after this long. */
  reviveIntervalSeconds: number;
  /** `status-server`: a zombie or dead server is probed (RFC 5997) and comes back when it answers. */
  statusCheck: 'status-server' | 'none';
  checkIntervalSeconds: number;
  /** Status-Server answers in a row that bring a server back. */
  answersToAlive: number;
}

export interface HomePoolConfig {
  name: string;
  /** `fail-over`: the first live server in order; `load-balance`: the live one with the fewest requests in flight. */
  type: 'fail-over' | 'load-balance';
  homeServers: string[];
}

export interface RealmConfig {
  /** Matched case-insensitively against the User-Name's realm. */
  name: string;
  /** `suffix`: user@realm; `prefix`: REALM\user or REALM/user. */
  format: 'suffix' | 'prefix';
  /** Send the User-Name without its realm. */
  strip: boolean;
  pool: string;
}

export interface ProxyRouteConfig {
  /** NAS client names and network device groups whose requests go to `pool` (any of them matches). */
  devices: string[];
  deviceGroups: string[];
  pool: string;
}

export interface ProxyConfig {
  homeServers: HomeServerConfig[];
  pools: HomePoolConfig[];
  /** First match wins: routes by device, then realms, then `defaultPool`; none: decided locally. */
  routes: ProxyRouteConfig[];
  realms: RealmConfig[];
  defaultPool: string | null;
  /** `proxy`: accounting goes to the pool too (and is recorded); `record`: recorded here only. */
  accounting: 'proxy' | 'record';
  /** When no home server answers: `reject` the request (recorded), or `drop` it so the NAS retries. */
  onNoHomeServer: 'reject' | 'drop';
}

export const HOME_SERVER_DEFAULTS = {
  authPort: 1812,
  accountingPort: 1813,
  responseTimeoutSeconds: 5,
  zombiePeriodSeconds: 40,
  reviveIntervalSeconds: 120,
  statusCheck: 'status-server',
  checkIntervalSeconds: 30,
  answersToAlive: 3,
} as const;

export function emptyProxyConfig(): ProxyConfig {
  return { homeServers: [], pools: [], routes: [], realms: [], defaultPool: null, accounting: 'record', onNoHomeServer: 'reject' };
}
