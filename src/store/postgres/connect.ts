/**
 * Connecting to PostgreSQL with the `postgres` driver: the URL may name several hosts
 * (`postgres://db1,db2:5433/openmnt`), tried in order; unless the URL says otherwise only a
 * server that is not a standby is taken (`target_session_attrs=primary`), so after a standby is
 * promoted the next connection finds the new primary by itself.
 *
 * Why not `read-write`: this driver decides it from `default_transaction_read_only` alone, which
 * a hot standby of PostgreSQL 14 or newer reports as off, so it would take the standby and every
 * write there would fail, even after the old primary came back. `primary` looks at
 * `in_hot_standby`, the setting that tells a standby (the failover test found this).
 */
import { readFileSync } from 'node:fs';
import postgres, { type Sql } from 'postgres';
import { OpenMntError } from '../../errors.js';

/** How the connection is encrypted. `verify-full`: the server's certificate and name are checked. */
export type PgTlsMode = 'disable' | 'prefer' | 'require' | 'verify-full';

export interface PgTlsOptions {
  mode: PgTlsMode;
  /** PEM file of the CA that signed the server's certificate (verify-full). */
  caFile?: string;
  /** PEM files of a client certificate and its key, for certificate authentication. */
  certFile?: string;
  keyFile?: string;
}

export interface PgConnectOptions {
  /** `postgres://user:password@host1[:port],host2[:port]/database?…` */
  url: string;
  /** Connections of this pool (each thread that talks to the database has its own pool). */
  poolSize?: number;
  tls?: PgTlsOptions;
  connectTimeoutSeconds?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Another user than the URL's (DataConnect's read-only role), and its password. */
  username?: string;
  password?: string;
  /** Dates and timestamps as the server's text, not Date objects (which read a zoneless timestamp in the process's zone). */
  textTimestamps?: boolean;
  /** false: no named prepared statements (statements that are each run once, as DataConnect's). */
  prepare?: boolean;
  /** Which server of several to take, when the URL does not say (default primary: see above). */
  targetSessionAttrs?: 'read-write' | 'primary';
}

/** int8 (bigint, count(*)) as a JavaScript number: epoch milliseconds and ids stay far below 2^53. */
const BIGINT_AS_NUMBER = {
  to: 20,
  from: [20],
  serialize: (x: unknown) => String(x),
  parse: (x: string) => Number(x),
};

/** date, timestamp and timestamptz as the server prints them. */
const TIMESTAMPS_AS_TEXT = {
  to: 1184,
  from: [1082, 1114, 1184],
  serialize: (x: unknown) => String(x),
  parse: (x: string) => x,
};

function readPem(file: string | undefined, what: string): string | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new OpenMntError('START_FAILED', `cannot read the PostgreSQL ${what} ${file}: ${(cause as Error).message}`, { cause });
  }
}

function sslOption(tls: PgTlsOptions | undefined): postgres.Options<Record<string, postgres.PostgresType>>['ssl'] {
  if (tls === undefined) return undefined; // the URL's sslmode, if any, decides
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'prefer':
      return 'prefer';
    case 'require':
      return 'require';
    case 'verify-full':
      return { rejectUnauthorized: true, ca: readPem(tls.caFile, 'CA file'), cert: readPem(tls.certFile, 'certificate file'), key: readPem(tls.keyFile, 'key file') };
  }
}

/** The URL without its password, for logs and errors. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export function connectPostgres(options: PgConnectOptions): Sql {
  const { url } = options;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new OpenMntError('CONFIG_INVALID', `store.url must be a postgres:// URL, not ${redactedUrl(url)}`);
  }
  const query = url.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)) : new URLSearchParams();
  // Another user: the URL's credentials are not sent for it (its password may be empty: trust, cert).
  return postgres(options.username === undefined ? url : url.replace(/\/\/[^/@]*@/, '//'), {
    max: options.poolSize ?? 10,
    ssl: sslOption(options.tls),
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    // Named prepared statements, made once per connection for each SQL text.
    prepare: options.prepare ?? true,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? 'openmnt' },
    ...(query.has('target_session_attrs') ? {} : { target_session_attrs: options.targetSessionAttrs ?? ('primary' as const) }),
    types: { bigint: BIGINT_AS_NUMBER, ...(options.textTimestamps ? { timestamps: TIMESTAMPS_AS_TEXT } : {}) },
    ...(options.username === undefined ? {} : { username: options.username, password: options.password ?? '' }),
  });
}

/**
 * The option that makes `unsafe()` use a named prepared statement (it does not by default, unlike
 * the tagged template): without it the driver sends Parse + Describe and waits for the answer
 * before Bind + Execute, so each statement costs two round trips and a parse and plan on the
 * server, and statements issued together in a transaction go out one round trip after another
 * instead of pipelined. For SQL texts of a small fixed set only: each connection keeps every text
 * it prepared. (`prepare: false` on the pool, as DataConnect's, still wins.)
 */
export const PREPARED = { prepare: true } as const;

/** Wraps a driver error as STORE_FAILED, its cause carrying `PG_` + SQLSTATE (or errno) for failure.ts. */
export function pgFailure(what: string, cause: unknown): OpenMntError {
  if (cause instanceof OpenMntError) return cause;
  const e = cause as { code?: unknown; message?: string; errno?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errno === 'string' ? e.errno : 'UNKNOWN';
  const named = Object.assign(new Error(e?.message ?? String(cause)), { code: `PG_${code}`, cause });
  return new OpenMntError('STORE_FAILED', `${what} failed: ${e?.message ?? String(cause)}`, { cause: named });
}

/** Runs `work`; a failure comes out as pgFailure names it (an OpenMntError as it is). */
export async function pgAttempt<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    throw pgFailure(what, cause);
  }
}

/** The database's clock in epoch milliseconds: the one every node reads a lease or a due time with. */
export const PG_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** SQLSTATEs after which the same transaction, run again, can succeed. */
export function isRetryable(cause: unknown): boolean {
  const code = (cause as { code?: unknown })?.code;
  // serialization_failure, deadlock_detected, unique_violation (a row another node inserted first).
  return code === '40001' || code === '40P01' || code === '23505';
}
