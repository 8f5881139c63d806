/**
 * DataConnect on SQLite, the engine below service.ts: each query runs in a child process
 * (sqlite-child.ts) on a read-only connection of its own to the store's file.
 *
 * Children are started when first needed and kept for the next query; at most `concurrency` run
 * at once, and a few more queries may wait for one. A query past its time limit is stopped by
 * ending its child (SIGKILL): the statement cannot run on, and the node, whose threads never wait
 * on it, keeps ingesting. The next query starts a fresh child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { OpenMntError, type ErrorCode } from '../errors.js';
import type { DcEngine, QueryRequest, QueryResult } from './engine.js';
import type { EngineInfo } from './sqlite-engine.js';

export interface SqliteRunnerOptions {
  /** The SQLite file of the store. */
  path: string;
  nodeName: string;
  version: string;
  failureReasons: { code: string; cause: string }[];
  /** Queries running at once. */
  concurrency: number;
  /** Queries waiting for a free child at most; more are answered 503. */
  maxWaiting: number;
  logger: Logger;
}

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  nextId: number;
  pending: Map<number, { resolve: (r: QueryResult) => void; reject: (e: OpenMntError) => void }>;
}

const CHILD = fileURLToPath(new URL('./sqlite-child.js', import.meta.url));

export class SqliteRunner implements DcEngine {
  readonly #o: SqliteRunnerOptions;
  readonly #children = new Set<Child>();
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(options: SqliteRunnerOptions) {
    this.#o = options;
  }

  async run(request: QueryRequest, timeoutMs: number): Promise<QueryResult> {
    if (this.#closed) throw new OpenMntError('UNAVAILABLE', 'DataConnect is stopping');
    const child = await this.#acquire();
    try {
      try {
        await child.ready;
      } catch (error) {
        this.#discard(child);
        throw error;
      }
      return await new Promise<QueryResult>((resolve, reject) => {
        const id = child.nextId++;
        const timer = setTimeout(() => {
          child.pending.delete(id);
          // The statement cannot be interrupted in place: its process goes, and with it the query.
          this.#discard(child);
          reject(new OpenMntError('DC_TIMEOUT', `the query ran longer than ${timeoutMs / 1000} s and was stopped; narrow it (a time bound, FETCH FIRST n ROWS ONLY)`));
        }, timeoutMs);
        child.pending.set(id, {
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.process.send({ id, request });
      });
    } finally {
      this.#release(child);
    }
  }

  async #acquire(): Promise<Child> {
    for (;;) {
      for (const child of this.#children) {
        if (!child.busy) {
          child.busy = true;
          return child;
        }
      }
      if (this.#children.size < this.#o.concurrency) {
        const child = this.#spawn();
        child.busy = true;
        return child;
      }
      if (this.#waiting.length >= this.#o.maxWaiting) throw new OpenMntError('UNAVAILABLE', 'too many DataConnect queries at once; try again shortly');
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(child: Child): void {
    child.busy = false;
    this.#waiting.shift()?.();
  }

  #spawn(): Child {
    const process = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [] });
    const pending: Child['pending'] = new Map();
    let stderr = '';
    process.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const ready = new Promise<void>((resolve, reject) => {
      process.on('message', (m: { ready?: boolean; id?: number; result?: QueryResult; error?: { code: ErrorCode; message: string } }) => {
        if (m.ready === true) return resolve();
        if (m.ready === false) return reject(new OpenMntError(m.error!.code, m.error!.message));
        const waiter = pending.get(m.id!);
        if (waiter === undefined) return;
        pending.delete(m.id!);
        if (m.error !== undefined) waiter.reject(new OpenMntError(m.error.code, m.error.message));
        else waiter.resolve(m.result!);
      });
    });
    ready.catch(() => undefined);
    const child: Child = { process, ready, busy: false, nextId: 1, pending };
    process.on('exit', (code, signal) => {
      this.#children.delete(child);
      const failure = new OpenMntError('UNAVAILABLE', `the DataConnect process ended (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`);
      for (const w of pending.values()) w.reject(failure);
      pending.clear();
    });
    process.on('error', (error) => this.#o.logger.error({ err: error }, 'DataConnect process failed'));
    const info: EngineInfo = {
      path: this.#o.path,
      nodeName: this.#o.nodeName,
      version: this.#o.version,
      failureReasons: this.#o.failureReasons,
      heapLimitBytes: 256 * 1024 * 1024,
    };
    process.send({ init: info });
    this.#children.add(child);
    return child;
  }

  #discard(child: Child): void {
    this.#children.delete(child);
    child.process.kill('SIGKILL');
  }

  /** The number of query processes alive (tests). */
  get processes(): number {
    return this.#children.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const exits = [...this.#children].map((c) => new Promise<void>((resolve) => (c.process.exitCode !== null || c.process.signalCode !== null ? resolve() : c.process.once('exit', () => resolve()))));
    for (const c of this.#children) c.process.kill('SIGKILL');
    await Promise.all(exits);
    for (const w of this.#waiting.splice(0)) w();
  }
}
