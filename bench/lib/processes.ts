/**
 * The processes a benchmark starts: `openmnt serve` (the real binary) and FreeRADIUS. Every child
 * is registered and killed when the benchmark ends, whether it finishes, fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Code, encodePacket } from '../../src/radius/index.js';
import { freeTcpPort, freeUdpPort } from '../../test/helpers/ports.js';

/** The repository root (this file runs as dist/bench/lib/processes.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const children = new Set<ChildProcess>();
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

const tempDirs = new Set<string>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A fresh directory under the system temp dir, removed when the benchmark exits in any way. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(path);
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      tempDirs.delete(path);
    },
  };
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping children`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  killAll();
  process.exit(1);
});

export interface Child {
  child: ChildProcess;
  pid: number;
  /** The last 64 KiB of stdout and stderr. */
  output(): string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** VmRSS and VmHWM of the process, in bytes. */
  memory(): { rss: number; peak: number };
  /** User + system CPU seconds the process has used so far (all its threads). */
  cpuSeconds(): number;
  /** The same split: in the process itself (user) and in the kernel on its behalf (system). */
  cpuSplit(): { user: number; system: number };
  /** Write-type system calls (write, writev, pwrite…) and the bytes they wrote, so far (/proc/PID/io). */
  writes(): { calls: number; bytes: number };
  /** CPU seconds per thread so far: tid → { name, seconds } (the main thread's tid is the pid). */
  threadCpu(): Map<number, { name: string; seconds: number }>;
}

/** utime + stime (seconds, and each alone) and the command name from a /proc/.../stat line. */
function parseStat(stat: string): { name: string; seconds: number; user: number; system: number } {
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  // Fields after the ")" of the command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]) / CLOCK_TICKS;
  const system = Number(fields[12]) / CLOCK_TICKS;
  return { name, seconds: user + system, user, system };
}

/** CPU seconds (user + system) a process has used so far, by pid. */
export function pidCpuSeconds(pid: number): number {
  return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).seconds;
}

/**
 * Where a process's CPU went during a run, by thread, from two `threadCpu()` readings: the main
 * thread first, then the others grouped by name, busiest first (Node: `node` is a worker thread
 * such as the store's, or a V8 helper; `libuv-worker` the thread pool), as "name [×count] cores".
 */
export function threadCpuLine(
  before: Map<number, { name: string; seconds: number }>,
  after: Map<number, { name: string; seconds: number }>,
  pid: number,
  seconds: number,
): string {
  let main = 0;
  const groups = new Map<string, { count: number; cores: number; busiest: number }>();
  for (const [tid, t] of after) {
    const cores = (t.seconds - (before.get(tid)?.seconds ?? 0)) / seconds;
    if (tid === pid) {
      main = cores;
      continue;
    }
    const g = groups.get(t.name) ?? { count: 0, cores: 0, busiest: 0 };
    g.count++;
    g.cores += cores;
    g.busiest = Math.max(g.busiest, cores);
    groups.set(t.name, g);
  }
  const others = [...groups]
    .filter(([, g]) => g.cores >= 0.01)
    .sort((a, b) => b[1].cores - a[1].cores)
    .map(([name, g]) => (g.count === 1 ? `${name} ${g.cores.toFixed(2)}` : `${name} ×${g.count} ${g.cores.toFixed(2)} (busiest ${g.busiest.toFixed(2)})`));
  return [`main thread ${main.toFixed(2)}`, ...others].join(', ');
}

export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Child {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let tail = '';
  let partial = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-65_536);
    if (onLine) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    output: () => tail,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 60_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const how = await exited;
        clearTimeout(timer);
        return how;
      }
      return exited;
    },
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    cpuSeconds() {
      return parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8')).seconds;
    },
    cpuSplit() {
      const { user, system } = parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
      return { user, system };
    },
    writes() {
      const io = readFileSync(`/proc/${child.pid}/io`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
      return { calls: field('syscw'), bytes: field('wchar') };
    },
    threadCpu() {
      const out = new Map<number, { name: string; seconds: number }>();
      for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
        try {
          out.set(Number(tid), parseStat(readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8')));
        } catch {
          // the thread ended meanwhile
        }
      }
      return out;
    },
  };
}

/**
 * Sends `datagram` to 127.0.0.1:port every `everyMs` (the identical bytes: a retransmission) until an
 * answer comes back; resolves with the time waited and the answer, or rejects after `timeoutMs` or
 * when `gone` settles first (the server died).
 */
export async function untilAnswered(
  port: number,
  datagram: Buffer,
  options: { timeoutMs: number; everyMs?: number; gone?: Promise<unknown> },
): Promise<{ ms: number; reply: Buffer }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const started = performance.now();
  try {
    return await new Promise<{ ms: number; reply: Buffer }>((resolve, reject) => {
      const send = () => socket.send(datagram, port, '127.0.0.1');
      const every = setInterval(send, options.everyMs ?? 20);
      const timeout = setTimeout(() => finish(new Error(`no answer on 127.0.0.1:${port} within ${options.timeoutMs} ms`)), options.timeoutMs);
      const finish = (outcome: { ms: number; reply: Buffer } | Error) => {
        clearInterval(every);
        clearTimeout(timeout);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      socket.on('message', (reply) => finish({ ms: performance.now() - started, reply }));
      void options.gone?.then(() => finish(new Error('the server exited before answering')));
      send();
    });
  } finally {
    socket.close();
  }
}

/** RFC 5997 Status-Server, answered by both OpenMnT listeners without touching the store. */
export function statusServer(secret: string): Buffer {
  return encodePacket({ code: Code.StatusServer, identifier: 0, attributes: [] }, { secret, messageAuthenticator: true });
}

export interface OpenMnt extends Child {
  ports: { auth: number; accounting: number };
  apiPort: number;
  /** ms from spawn until a Status-Server on the accounting port was answered. */
  readyAfterMs: number;
}

export interface OpenMntOptions {
  env?: Record<string, string>;
  /** Arguments after `serve`, e.g. ['--config', file]. */
  args?: string[];
  /** Node options before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  ports?: { auth: number; accounting: number };
  /** Probe for readiness with this datagram instead of a Status-Server (sent to the accounting port). */
  probe?: Buffer;
  secret?: string;
  /** TCP port of the MnT API (default: a free one); its admins file and TLS directory go in `dir`. */
  apiPort?: number;
  dir?: string;
}

/** `node bin/openmnt.js serve` on 127.0.0.1; resolves once the accounting listener answers. */
export async function startOpenMnt(o: OpenMntOptions = {}): Promise<OpenMnt> {
  const ports = o.ports ?? { auth: await freeUdpPort(), accounting: await freeUdpPort() };
  const apiPort = o.apiPort ?? (await freeTcpPort());
  const dir = o.dir ?? tempDir('openmnt-api-').path;
  const spawnedAt = performance.now();
  const child = startChild(process.execPath, [...(o.nodeArgs ?? []), 'bin/openmnt.js', 'serve', ...(o.args ?? [])], {
    ...process.env,
    OPENMNT_CONFIG: '',
    OPENMNT_RADIUS__AUTH__HOST: '127.0.0.1',
    OPENMNT_RADIUS__AUTH__PORT: String(ports.auth),
    OPENMNT_RADIUS__ACCOUNTING__HOST: '127.0.0.1',
    OPENMNT_RADIUS__ACCOUNTING__PORT: String(ports.accounting),
    OPENMNT_LOG__LEVEL: 'warn',
    OPENMNT_API__HOST: '127.0.0.1',
    OPENMNT_API__PORT: String(apiPort),
    OPENMNT_API__ADMINS_FILE: join(dir, 'admins.json'),
    OPENMNT_PXGRID__ACCOUNTS_FILE: join(dir, 'pxgrid-accounts.json'),
    OPENMNT_API__TLS__DIR: join(dir, 'tls'),
    ...o.env,
  });
  try {
    await untilAnswered(ports.accounting, o.probe ?? statusServer(o.secret ?? 'testing123'), { timeoutMs: 60_000, gone: child.exited });
  } catch (error) {
    await child.stop('SIGKILL');
    throw new Error(`openmnt serve did not come up: ${(error as Error).message}\n${child.output()}`);
  }
  return { ...child, ports, apiPort, readyAfterMs: performance.now() - spawnedAt };
}
