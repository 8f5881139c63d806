/**
 * The configuration file's schema, written once with zod: it validates the effective configuration
 * at start-up (and on SIGHUP, and in `openmnt check-config`), and the JSON Schema editors use
 * (`openmnt config-schema`, `openmnt.schema.json`) is generated from it, so the two cannot drift.
 *
 * Every rule carries its own words: a failure reads `<path> must be <expectation>`, e.g.
 * `log.syslog[0].transport must be udp, tcp or tls`, the shape operators already know.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { RECIPES } from './coa/recipes.js';
import { isOpenMntError } from './errors.js';
import { parseProxyConfig } from './proxy/parse.js';
import { normalizeMac } from './sessions/mac.js';

/** The NAS vendors whose CoA recipes exist (src/coa/recipes.ts); anything else would get the wrong packets. */
export const KNOWN_VENDORS: readonly string[] = Object.keys(RECIPES);

const MAC_SPELLINGS = 'a MAC address (AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or 12 hex digits)';

// ---- leaves: each names what it expects, in the words of the error message ------------------------

const text = (what = 'a non-empty string') => z.string({ error: what }).min(1, { error: what });
const bool = () => z.boolean({ error: 'true or false' });
const port = (what = 'a port number 0-65535', min = 0) => z.number({ error: what }).int({ error: what }).min(min, { error: what }).max(65535, { error: what });
const atLeast = (min: number) => z.number({ error: `a number ≥ ${min}` }).min(min, { error: `a number ≥ ${min}` });
const wholeRange = (min: number, max: number, what: string) => z.number({ error: what }).int({ error: what }).min(min, { error: what }).max(max, { error: what });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what: string) => z.enum(values, { error: what });
/** YAML reads `secret: 1234` and `vlan: 20` as numbers; the node wants their text. */
const textOrNumber = (what: string) => z.union([text(what), z.number()], { error: what }).transform(String);
/** An empty YAML list (`clients:` with nothing under it) is null: it means none. */
const list = <T extends z.ZodType>(item: T, what = 'a list') => z.array(item, { error: what }).nullable().transform((v) => v ?? []);

/** A strict mapping: a key it does not know is refused, naming the keys it does. */
function mapping<S extends z.ZodRawShape>(shape: S, description?: string) {
  const known = Object.keys(shape).join(', ');
  const schema = z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? known : 'a mapping') });
  return description === undefined ? schema : schema.meta({ description });
}

/** A single address or a CIDR block, IPv4 or IPv6. */
const addressOrBlock = z
  .union([z.string(), z.number()], { error: 'an IP address or CIDR block' })
  .transform(String)
  .refine(
    (s) => {
      const [ip, bits, extra] = s.split('/');
      const family = isIP(ip ?? '');
      return family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
    },
    { error: 'an IP address or CIDR block' },
  );

/** JSON Schema has no case-insensitive flag: `cisco` becomes `[cC][iI]…`, so `Cisco` is accepted as the loader accepts it. */
function anyCase(words: readonly string[]): RegExp {
  const letters = (w: string) => [...w].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^(${words.map(letters).join('|')})$`);
}

const vendor = z
  .string({ error: `one of ${KNOWN_VENDORS.join(', ')}` })
  // A misspelt vendor would otherwise get the plain RFC 5176 forms and fail every CoA at the NAS.
  .regex(anyCase(KNOWN_VENDORS), { error: `one of ${KNOWN_VENDORS.join(', ')}` })
  .transform((s) => s.toLowerCase())
  .meta({ description: `How CoA is spoken to this NAS: ${KNOWN_VENDORS.join(', ')}`, examples: [...KNOWN_VENDORS] });

const mac = z
  // YAML reads an all-digit bare MAC (001122334455) as a number and drops its leading zeros.
  .string({ error: (issue) => (typeof issue.input === 'number' ? `${MAC_SPELLINGS} in quotes (YAML read this one as the number ${issue.input})` : MAC_SPELLINGS) })
  .refine((s) => normalizeMac(s) !== null, { error: MAC_SPELLINGS })
  .meta({ description: 'Any common spelling: AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or 12 hex digits', pattern: '^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{4}\\.){2}[0-9A-Fa-f]{4}$|^[0-9A-Fa-f]{12}$' });

// ---- sections ------------------------------------------------------------------------------------

const listener = () => mapping({ host: text(), port: port() });

const nasClient = mapping({
  name: text().optional().meta({ description: 'Shown as the device name in records; defaults to the address' }),
  address: addressOrBlock.meta({ description: 'A single address or a CIDR block (IPv4 or IPv6); the most specific match wins' }),
  secret: textOrNumber('a non-empty string').meta({ description: 'RADIUS shared secret' }),
  vendor: vendor.default('cisco'),
  coaPort: port().default(3799).meta({ description: 'UDP port the NAS takes CoA on (RFC 5176: 3799; older Cisco: 1700)' }),
  requireMessageAuthenticator: bool().default(false).meta({ description: 'Drop Access-Requests without Message-Authenticator (BlastRADIUS mitigation)' }),
  deviceGroups: z.array(z.string(), { error: 'a list of strings' }).default([]).meta({ description: 'Network device groups as ISE prints them, e.g. Location#All Locations#Building-1' }),
}).transform((c) => ({ ...c, name: c.name ?? c.address }));

const profile = mapping({
  vlan: textOrNumber('a VLAN name or number').optional().meta({ description: 'VLAN through the tunnel attributes' }),
  filterId: text().optional(),
  dacl: text().optional().meta({ description: 'Downloadable ACL name' }),
  sgt: wholeRange(0, 65535, 'a security group tag 0-65535').optional().meta({ description: 'Cisco TrustSec security group tag' }),
  sessionTimeout: atLeast(1).optional(),
  terminationAction: oneOf(['default', 'radius-request'], 'default or radius-request').optional(),
  deny: bool().optional().meta({ description: "Reject instead of accept (ISE's DenyAccess)" }),
});

const syslogTarget = mapping({
  host: text(),
  port: port('a port number 1-65535', 1),
  transport: oneOf(['udp', 'tcp', 'tls'], 'udp, tcp or tls').default('udp'),
  header: oneOf(['ise', 'rfc5424'], 'ise (RFC 3164 style, as ISE sends) or rfc5424').default('ise'),
  facility: wholeRange(0, 23, 'a facility number 0-23 (local6 is 22)').default(22),
  maxLength: atLeast(480).default(8192).meta({ description: 'Longer messages are cut into numbered segments, as ISE does' }),
  caFile: z.string({ error: 'a file name' }).default('').meta({ description: "TLS: PEM of the collector's CA (empty: the system's)" }),
  rejectUnauthorized: bool().default(true),
});

const positiveFields = <K extends string>(keys: readonly K[], min = 1) => Object.fromEntries(keys.map((k) => [k, atLeast(min)])) as Record<K, ReturnType<typeof atLeast>>;

const SECTIONS = {
  node: mapping(
    {
      name: text().meta({ description: 'Shown as acs_server / server in session and authentication records' }),
      typeOfNode: z.number({ error: 'an integer' }).int({ error: 'an integer' }).meta({ description: 'What the MnT call Version answers as type_of_node' }),
    },
    'This node as the MnT API names it',
  ),
  api: mapping(
    {
      host: text(),
      port: port().meta({ description: '443 as ISE; 8443 when 443 is left as the default and cannot be bound' }),
      tls: mapping({
        enabled: bool().meta({ description: 'HTTPS unless false' }),
        certFile: z.string({ error: 'a file name' }).meta({ description: 'PEM certificate chain; empty with keyFile empty: a self-signed pair is made once in dir' }),
        keyFile: z.string({ error: 'a file name' }),
        dir: text(),
      }),
      adminsFile: text().meta({ description: 'Admin accounts (scrypt hashes); openmnt admin edits it' }),
      passwordHashCost: wholeRange(14, 20, 'a whole number from 14 to 20 (log2 of scrypt N; 17 is the recommended minimum)'),
      maxUrlBytes: atLeast(256),
      maxHeaderBytes: atLeast(1024),
      lockout: mapping(positiveFields(['slowAfter', 'maxFailures', 'windowSeconds', 'lockSeconds'] as const), 'Failed logins from one source address: slowed, then locked out'),
      console: mapping(positiveFields(['idleMinutes', 'absoluteHours'] as const), 'The browser console: its sign-in session ends after this long idle, and after this long in all'),
      connections: mapping({
        ...positiveFields(['total', 'perSource', 'handshakeSeconds', 'idleSeconds'] as const),
        // A request as a whole may take 300 s (a verified CoA waits for the endpoint); its headers cannot take longer.
        headersSeconds: atLeast(1).max(300, { error: 'at most 300' }),
      }),
    },
    'The MnT REST API (HTTPS)',
  ),
  mnt: mapping({
    failureReasons: list(
      mapping({ code: wholeRange(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer'), cause: text().optional(), resolution: text().optional() }),
    ).meta({ description: 'Failure reasons edited by the operator: replaces cause / resolution of a known code, or adds one' }),
  }),
  coa: mapping(
    {
      ...positiveFields(['initialTimeoutMs', 'maxTimeoutMs', 'maxAttempts', 'maxTotalMs', 'sockets', 'perNasInFlight', 'globalInFlight', 'webhookMaxAttempts'] as const),
      ...positiveFields(['perNasPerSecond', 'globalPerSecond'] as const, 0),
      jobLeaseSeconds: atLeast(1).meta({ description: 'Several nodes on PostgreSQL: how long a running bulk job stays with its node without a renewal before another node resumes it' }),
      webhooks: list(
        mapping({
          url: text().regex(/^https?:\/\//, { error: 'an http:// or https:// URL' }),
          secret: z.string({ error: 'whsec_ followed by base64 (16+ characters)' }).regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, { error: 'whsec_ followed by base64 (16+ characters)' }),
        }),
      ),
    },
    'Change of Authorization: retransmission (RFC 5080), pacing of bulk jobs, audit webhooks',
  ),
  events: mapping(
    {
      maxQueuedEvents: atLeast(10).meta({ description: 'Events a live consumer may have waiting before it is cut off (it then resumes from its cursor)' }),
      keepAliveSeconds: atLeast(1),
      webhookMaxAttempts: atLeast(1),
      webhooks: list(
        mapping({
          url: text().regex(/^https?:\/\//, { error: 'an http:// or https:// URL' }),
          secret: z.string({ error: 'whsec_ followed by base64 (16+ characters)' }).regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, { error: 'whsec_ followed by base64 (16+ characters)' }),
          types: list(oneOf(['authenticated', 'started', 'updated', 'closed'], 'one of authenticated, started, updated, closed')),
          nas: addressOrBlock.optional(),
          group: text().optional(),
          // Compared with sessions' MACs, which are kept normalised.
          mac: mac.transform((v) => normalizeMac(v)!).optional(),
        }),
      ).meta({ description: 'Receivers of session events (Standard Webhooks), each with the event types and filters it wants' }),
    },
    'Session events: the SSE stream, pxGrid and session webhooks',
  ),
  pxgrid: mapping(
    {
      enabled: bool().meta({ description: 'Serve the pxGrid 2.0 control, session and pubsub services under /pxgrid/' }),
      accountsFile: text().meta({ description: 'pxGrid client accounts (hashed passwords, states)' }),
      autoApprove: bool().meta({ description: 'New client accounts are enabled at once instead of pending approval' }),
      accountCreate: bool(),
      heartBeatMs: atLeast(0),
      clientCaFile: z
        .string({ error: 'a file name' })
        .meta({ description: 'PEM of the CA whose client certificates identify pxGrid consumers (empty: passwords only); needs api.tls' }),
    },
    'pxGrid 2.0 publisher',
  ),
  radius: mapping(
    {
      auth: listener(),
      accounting: listener(),
      duplicateWindowSeconds: atLeast(0),
      receiveBufferBytes: atLeast(65536),
      maxBatch: atLeast(1),
      clients: list(nasClient).meta({ description: 'The NAS devices allowed to send RADIUS; none: the demo NAS 127.0.0.1 / testing123' }),
      dictionaries: z
        .array(text('a dictionary file name'), { error: 'a list of dictionary file names' })
        .meta({ description: 'FreeRADIUS-format dictionary files read at start and on reload (e.g. /usr/share/freeradius/dictionary)' }),
    },
    'RADIUS listeners and the NAS client table',
  ),
  auth: mapping(
    {
      unknownEndpoint: text().meta({ description: 'MAB for an unlisted MAC: reject, or the name of a profile' }),
      defaultProfile: text(),
      profiles: z.record(z.string(), profile, { error: 'a mapping' }).meta({ description: 'Authorization profiles by name' }),
      groups: list(mapping({ name: text(), profile: z.string().optional() })),
      endpoints: list(mapping({ mac, group: z.string().optional(), profile: z.string().optional(), description: z.string().optional() })),
      users: list(mapping({ name: text(), password: textOrNumber('a non-empty string'), group: z.string().optional(), profile: z.string().optional(), disabled: bool().optional() })),
    },
    'MAB, PAP and CHAP: endpoints, users, identity groups, authorization profiles',
  ),
  store: mapping({
    driver: oneOf(['sqlite', 'postgres'], 'sqlite or postgres').meta({ description: 'sqlite: the embedded default (one node); postgres: a PostgreSQL server several nodes share' }),
    path: text().meta({ description: "SQLite's database file" }),
    url: z
      .string({ error: 'a postgres:// URL' })
      .refine((s) => s === '' || /^postgres(ql)?:\/\/./.test(s), { error: 'a postgres:// URL' })
      .meta({ description: 'PostgreSQL: postgres://user:password@host1[:port][,host2[:port]...]/database; hosts are tried in order, only one that accepts writes is used' }),
    poolSize: wholeRange(1, 1000, 'a whole number 1-1000').meta({ description: "PostgreSQL: connections of each node's reading pool" }),
    tls: mapping({
      mode: oneOf(['disable', 'prefer', 'require', 'verify-full'], 'disable, prefer, require or verify-full'),
      caFile: z.string({ error: 'a file path' }),
      certFile: z.string({ error: 'a file path' }),
      keyFile: z.string({ error: 'a file path' }),
    }).meta({ description: 'PostgreSQL: encryption of the connection; verify-full checks the server certificate and name against caFile' }),
    connectTimeoutSeconds: atLeast(1),
    dataconnect: mapping({
      role: z
        .string({ error: 'a role name' })
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'a role name: lower-case letters, digits and _' }),
      password: z.string({ error: 'a password' }),
    }).meta({ description: 'PostgreSQL: the read-only role DataConnect queries and reporting tools log in as, and its password (empty for trust or certificate authentication)' }),
    synchronous: oneOf(['full', 'normal'], 'full or normal').meta({ description: 'full fsyncs every group commit; normal survives a process crash but not power loss' }),
    cacheSizeMiB: atLeast(1),
    walMaxMiB: atLeast(1),
    minFreeMiB: atLeast(0),
    eventLogSize: atLeast(100).meta({ description: 'Session events kept in the store: how far back a stream consumer can resume' }),
    migrate: oneOf(['auto', 'manual'], 'auto or manual').meta({ description: 'auto: a node brings the schema to its version at start; manual: it refuses an older schema until openmnt db migrate is run' }),
    thread: bool(),
  }),
  // The proxy section keeps its own parser (src/proxy/parse.ts), whose messages already name the
  // setting in full; here it runs in the schema's place, and editors see an open mapping.
  proxy: z
    .unknown()
    .transform((raw, ctx) => {
      try {
        return parseProxyConfig(raw);
      } catch (error) {
        if (!isOpenMntError(error)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message, params: { complete: true } });
        return z.NEVER;
      }
    })
    .meta({ description: "RADIUS proxy to the site's AAA (802.1X): homeServers, pools, routes, realms, defaultPool, accounting (proxy | record), onNoHomeServer (reject | drop)" }),
  sessions: mapping(positiveFields(['defaultInterimSeconds', 'staleAfterIntervals', 'authOnlyTimeoutSeconds', 'sweepIntervalSeconds'] as const)),
  retention: mapping(positiveFields(['days', 'pruneIntervalMinutes'] as const)),
  log: mapping({
    level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'one of fatal, error, warn, info, debug, trace, silent'),
    syslog: list(syslogTarget).meta({ description: "Remote syslog collectors that get every authentication and accounting record in ISE's format" }),
  }),
};

type Effective = z.output<z.ZodObject<typeof SECTIONS>>;

/** Rules that relate settings to each other: each issue is placed at the setting to change. */
function crossChecks(config: Effective, ctx: z.RefinementCtx): void {
  const fail = (path: (string | number)[], expected: string, subject?: string) =>
    ctx.addIssue({ code: 'custom', path, message: expected, ...(subject === undefined ? {} : { params: { subject } }) });
  if ((config.api.tls.certFile === '') !== (config.api.tls.keyFile === '')) fail(['api', 'tls', 'certFile'], 'both set or both empty', 'api.tls.certFile and api.tls.keyFile');
  if (config.pxgrid.clientCaFile !== '' && !config.api.tls.enabled) fail(['pxgrid', 'clientCaFile'], 'empty while api.tls.enabled is false (client certificates need TLS)');
  if (config.api.connections.perSource > config.api.connections.total) fail(['api', 'connections', 'perSource'], 'at most api.connections.total');
  /** A second entry with the same key is refused, naming both places. */
  const unique = (keys: readonly string[], section: string[], key: string) => {
    const first = new Map<string, number>();
    keys.forEach((k, i) => {
      const earlier = first.get(k);
      if (earlier !== undefined) fail([...section, i, key], `different from ${section.join('.')}[${earlier}].${key} (both are ${k})`);
      else first.set(k, i);
    });
  };
  if (config.store.driver === 'postgres' && config.store.url === '') fail(['store', 'url'], 'a postgres:// URL with store.driver: postgres');
  unique(config.radius.clients.map((c) => c.name), ['radius', 'clients'], 'name');
  unique(config.radius.clients.map((c) => c.address), ['radius', 'clients'], 'address');

  const auth = config.auth;
  const profiles = Object.keys(auth.profiles);
  const knownProfile = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !profiles.includes(name)) fail(path, `the name of a profile in auth.profiles (${profiles.join(', ')})`);
  };
  if (auth.unknownEndpoint !== 'reject') knownProfile(auth.unknownEndpoint, ['auth', 'unknownEndpoint']);
  knownProfile(auth.defaultProfile, ['auth', 'defaultProfile']);
  auth.groups.forEach((g, i) => knownProfile(g.profile, ['auth', 'groups', i, 'profile']));
  unique(auth.groups.map((g) => g.name), ['auth', 'groups'], 'name');
  const groups = auth.groups.map((g) => g.name);
  const knownGroup = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !groups.includes(name)) {
      fail(path, groups.length === 0 ? 'the name of a group in auth.groups (none is defined)' : `the name of a group in auth.groups (${groups.join(', ')})`);
    }
  };
  auth.endpoints.forEach((e, i) => {
    knownGroup(e.group, ['auth', 'endpoints', i, 'group']);
    knownProfile(e.profile, ['auth', 'endpoints', i, 'profile']);
  });
  unique(auth.endpoints.map((e) => normalizeMac(e.mac)!), ['auth', 'endpoints'], 'mac');
  auth.users.forEach((u, i) => {
    knownGroup(u.group, ['auth', 'users', i, 'group']);
    knownProfile(u.profile, ['auth', 'users', i, 'profile']);
  });
  unique(auth.users.map((u) => u.name), ['auth', 'users'], 'name');
}

/** The effective configuration (defaults, file and environment merged): every setting present. */
export const configSchema = z.strictObject(SECTIONS).superRefine(crossChecks);

/** `radius.clients[0].address` from zod's path. */
export function settingPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** One issue in the loader's words: `<path> must be <expectation>`, or `unknown setting <path>`. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = [...issue.path, issue.keys[0]!];
    // Inside a list entry the keys it takes are named; a section's stray key reads as the loader's own words.
    return issue.path.some((p) => typeof p === 'number') ? `${settingPath(where)} must be one of ${issue.message}` : `unknown setting ${settingPath(where)}`;
  }
  const params = (issue as { params?: { subject?: string; complete?: boolean } }).params;
  if (params?.complete) return issue.message;
  const subject = params?.subject;
  return `${subject ?? (settingPath(issue.path) || 'configuration')} must be ${issue.message}`;
}

/** Every setting optional: the shape of a file, whose gaps the defaults fill. List entries keep their required keys. */
function optionalThroughout(schema: z.ZodObject): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const inner = field instanceof z.ZodObject ? optionalThroughout(field) : field;
    const meta = z.globalRegistry.get(field);
    shape[key] = (meta === undefined ? inner : inner.meta(meta)).optional();
  }
  return z.strictObject(shape);
}

/** The JSON Schema of openmnt.yaml for editors (draft-07, which YAML and JSON language servers read). */
export function configJsonSchema(): Record<string, unknown> {
  const file = optionalThroughout(z.strictObject(SECTIONS)).meta({
    title: 'OpenMnT configuration (openmnt.yaml)',
    description: 'Every setting is optional: defaults fill the rest. Environment overrides: OPENMNT_ + the path in upper snake case joined by __.',
  });
  return z.toJSONSchema(file, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
}
