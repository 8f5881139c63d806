/** `openmnt serve` as a real child process, for durability tests and benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface NodeProcess {
  child: ChildProcess;
  ports: { auth: number; accounting: number };
  /** The MnT API, when the process was started with `{ api: true }`. */
  api?: { port: number; url: string };
  /** Resident set size of the process in bytes. */
  rss(): number;
  /** Resolves with the first JSON log line from now on whose `msg` is `msg`. */
  nextLog(msg: string): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process has ended. */
  exitCode(): Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** Also wait for the MnT API to listen (its port is then in `api`). */
  api?: boolean;
}

export function startNodeProcess(env: Record<string, string>, args: string[] = [], options: StartOptions = {}): Promise<NodeProcess> {
  // Without a configuration file, the admin accounts and the TLS pair go beside the test's database
  // (or in a directory of their own), never into the working directory's data/.
  const own: Record<string, string> = {};
  if (!args.includes('--config')) {
    const dir = env.OPENMNT_STORE__PATH ? dirname(env.OPENMNT_STORE__PATH) : mkdtempSync(join(tmpdir(), 'openmnt-node-'));
    own.OPENMNT_API__ADMINS_FILE = join(dir, 'admins.json');
    own.OPENMNT_PXGRID__ACCOUNTS_FILE = join(dir, 'pxgrid-accounts.json');
    own.OPENMNT_API__TLS__DIR = join(dir, 'tls');
  }
  const child = spawn(process.execPath, ['bin/openmnt.js', 'serve', ...args], {
    env: {
      ...process.env,
      OPENMNT_CONFIG: '',
      OPENMNT_RADIUS__AUTH__HOST: '127.0.0.1',
      OPENMNT_RADIUS__AUTH__PORT: '0',
      OPENMNT_RADIUS__ACCOUNTING__HOST: '127.0.0.1',
      OPENMNT_RADIUS__ACCOUNTING__PORT: '0',
      OPENMNT_API__HOST: '127.0.0.1',
      OPENMNT_API__PORT: '0',
      // The lowest cost the node accepts (the default, 2^17, makes each first start slower).
      OPENMNT_API__PASSWORD_HASH_COST: '14',
      ...own,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logWaiters: { msg: string; resolve: (entry: Record<string, unknown>) => void }[] = [];
  return new Promise((resolve, reject) => {
    const ports: Partial<NodeProcess['ports']> = {};
    let api: NodeProcess['api'];
    // The last line of a start: every part runs and the signal handlers are in place.
    let serving = false;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // A deadline against a node that never comes up, not a measure: three nodes starting at once
    // on a busy pair of cores took more than 30 s.
    const timer = setTimeout(() => reject(new Error(`node did not start in 120 s: ${stderr}`)), 120_000);
    child.once('exit', (code) => reject(new Error(`node exited early with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg: string; listener?: 'auth' | 'accounting'; port?: number; url?: string };
      for (let i = logWaiters.length - 1; i >= 0; i--) {
        if (logWaiters[i]!.msg === entry.msg) logWaiters.splice(i, 1)[0]!.resolve(entry);
      }
      if (entry.msg === 'RADIUS listener ready' && entry.listener && entry.port) ports[entry.listener] = entry.port;
      if (entry.msg === 'MnT API ready' && entry.url) api = { url: entry.url, port: Number(new URL(entry.url).port) };
      if (entry.msg === 'OpenMnT serving') serving = true;
      if (serving && ports.auth && ports.accounting && (api || !options.api)) {
        clearTimeout(timer);
        resolve({
          child,
          ports: ports as NodeProcess['ports'],
          ...(api ? { api } : {}),
          rss() {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
          },
          nextLog(msg) {
            return new Promise((resolve) => logWaiters.push({ msg, resolve }));
          },
          exitCode: () => exited,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
      }
    });
  });
}

/** A node's `/health` over its API (HTTPS, the node's self-signed certificate): status and body. */
export function nodeHealth(node: NodeProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${new URL(node.api!.url).origin}/health`, { rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` every 100 ms until it returns a value (not undefined); fails after `seconds`, a generous bound. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, seconds = 60): Promise<T> {
  for (let i = 0; i < seconds * 10; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened within ${seconds} s: ${what}`);
}
