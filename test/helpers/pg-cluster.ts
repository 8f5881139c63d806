/**
 * PostgreSQL servers of a test's own, for what the shared server on 5432 cannot show: a primary
 * with a streaming-replication hot standby, a primary killed with SIGKILL, a standby promoted.
 * Each cluster lives in a temporary directory on an ephemeral port (127.0.0.1 only), made with
 * Debian's `initdb`, `pg_basebackup` and `pg_ctl`, run as the `postgres` user when the tests run
 * as root (PostgreSQL refuses to run as root).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './ports.js';
import { needTool } from './tools.js';

/** The newest PostgreSQL installed (Debian keeps each major version under /usr/lib/postgresql). */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(root, versions[0]!, 'bin');
}

/** A test's skip reason when clusters of its own cannot be made (false when they can; under CI, a throw). */
export function needPgCluster(): string | false {
  return postgresBin() === null ? needTool('initdb (PostgreSQL server)', 'postgresql') : needTool('psql', 'postgresql-client');
}

const asRoot = process.getuid?.() === 0;
const postgresUser = (() => {
  if (!asRoot) return null;
  const passwd = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return passwd.status === 0 ? { uid: Number(passwd.stdout.trim()), gid: Number(gid.stdout.trim()) } : null;
})();

/** Runs a PostgreSQL tool, as `postgres` when we are root. Throws with its output when it fails. */
function run(bin: string, tool: string, args: string[], options: { allowFailure?: boolean } = {}): SpawnSyncReturns<string> {
  const command = join(bin, tool);
  const result =
    postgresUser !== null
      ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', cwd: '/tmp' })
      : spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0 && options.allowFailure !== true) throw new Error(`${tool} ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return result;
}

function ownedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (postgresUser !== null) chownSync(dir, postgresUser.uid, postgresUser.gid);
  chmodSync(dir, 0o700);
  return dir;
}

export interface PgCluster {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication). */
  readonly url: string;
  /** Runs SQL with psql; the output rows, `|`-separated, without headers. */
  psql(sql: string, database?: string): string;
  /** Runs statements read from a script, each its own transaction (psql's autocommit), as a client that waits for each commit. */
  psqlScript(statements: string[], database?: string): void;
  /** Whether the server is in recovery (a standby). */
  inRecovery(): boolean;
  promote(): void;
  /** SIGKILL of the postmaster: a crash, nothing flushed or shut down in order. */
  kill(): void;
  /** A fast shutdown (clients disconnected, a checkpoint). */
  stop(): void;
  start(): void;
  log(): string;
  /** Stops it if running and removes its directory. */
  remove(): void;
}

function cluster(bin: string, name: string, dataDir: string, port: number): PgCluster {
  const logFile = join(dataDir, '..', `${name}.log`);
  const self: PgCluster = {
    name,
    port,
    dataDir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    psql(sql, database = 'postgres') {
      const out = spawnSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`psql on ${name}: ${out.stderr}`);
      return out.stdout.trim();
    },
    psqlScript(statements, database = 'postgres') {
      const out = spawnSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1'], { encoding: 'utf8', input: statements.map((x) => `${x};\n`).join('') });
      if (out.status !== 0) throw new Error(`psql on ${name}: ${out.stderr}`);
    },
    inRecovery() {
      return self.psql('SELECT pg_is_in_recovery()') === 't';
    },
    promote() {
      run(bin, 'pg_ctl', ['promote', '-D', dataDir, '-w', '-t', '60']);
    },
    kill() {
      const pidFile = join(dataDir, 'postmaster.pid');
      if (!existsSync(pidFile)) return;
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      // Its children notice the postmaster's death and exit; wait until the port is free.
      for (let i = 0; i < 100 && spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0; i++) spawnSync('sleep', ['0.1']);
    },
    stop() {
      run(bin, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], { allowFailure: true });
    },
    start() {
      run(bin, 'pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port} -k ${join(dataDir, '..')}`]);
    },
    log() {
      return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    },
    remove() {
      if (existsSync(join(dataDir, 'postmaster.pid'))) self.stop();
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    },
  };
  return self;
}

/**
 * A new primary: trust for 127.0.0.1 (normal and replication connections), WAL for streaming
 * replication. With `synchronousStandby`, a commit waits until that standby has flushed it
 * (`synchronous_commit = on`, the setting under which a promotion loses no acknowledged commit).
 */
export async function startPrimary(options: { synchronousStandby?: string } = {}): Promise<PgCluster> {
  const bin = postgresBin();
  if (bin === null) throw new Error('PostgreSQL server binaries (initdb) are not installed: apt-get install -y postgresql');
  const root = ownedDir('openmnt-pg-primary-');
  const dataDir = join(root, 'data');
  run(bin, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freeTcpPort();
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      'wal_level = replica',
      'max_wal_senders = 8',
      'max_replication_slots = 8',
      'hot_standby = on',
      'fsync = on',
      'max_connections = 200',
      options.synchronousStandby === undefined ? '' : `synchronous_standby_names = '${options.synchronousStandby}'`,
      'synchronous_commit = on',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dataDir, 'pg_hba.conf'), ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust', ''].join('\n'));
  const primary = cluster(bin, 'primary', dataDir, port);
  primary.start();
  return primary;
}

/** A hot standby of `primary`, streaming from it as `applicationName` (the name synchronous_standby_names lists). */
export async function startStandby(primary: PgCluster, applicationName = 'standby1'): Promise<PgCluster> {
  const bin = postgresBin()!;
  const root = ownedDir('openmnt-pg-standby-');
  const dataDir = join(root, 'data');
  run(bin, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-X', 'stream', '-R', '--no-sync', '-d', `application_name=${applicationName}`]);
  const port = await freeTcpPort();
  // pg_basebackup copied the primary's settings. Once promoted, this server has no standby of its
  // own: left as copied, synchronous_standby_names would make every commit wait for one forever.
  appendFileSync(join(dataDir, 'postgresql.conf'), "synchronous_standby_names = ''\n");
  if (postgresUser !== null) chownSync(join(dataDir, 'postgresql.conf'), postgresUser.uid, postgresUser.gid);
  const standby = cluster(bin, applicationName, dataDir, port);
  standby.start();
  return standby;
}
