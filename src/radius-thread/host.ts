/**
 * The main thread's handle on the RADIUS thread (thread.ts): starts it, asks it for its figures,
 * hands it a reloaded configuration, drains it on close. If the thread dies, `failure` settles:
 * a node that no longer answers NAS must not go on looking healthy.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import { OpenMntError, type ErrorCode } from '../errors.js';
import type { ListenerStats } from '../radius-server/index.js';
import type { IngestReload, IngestSnapshot } from './ingest.js';
import type { HostCall, RadiusThreadData, ThreadMessage } from './protocol.js';
import type { PolicySnapshot } from '../policy/model.js';

type Op = HostCall extends infer C ? (C extends { op: infer O } ? O : never) : never;

export class RadiusThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 1;
  #closing = false;
  #failed: OpenMntError | null = null;
  #onFailure: (error: OpenMntError) => void = () => undefined;
  ports: { auth: number; accounting: number } = { auth: 0, accounting: 0 };

  private constructor(config: Config, writer: MessagePort, logger: Logger, policy?: PolicySnapshot) {
    const data: RadiusThreadData = { config, writer, level: logger.level, ...(policy === undefined ? {} : { policy }) };
    this.#worker = new Worker(new URL('./thread.js', import.meta.url), { workerData: data, transferList: [writer] });
    // The thread's lines go where the main logger's go, as they are (times and fields included).
    const destination = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym];
    this.#worker.on('message', (message: ThreadMessage) => {
      if ('log' in message) {
        destination?.write(message.log);
        return;
      }
      const p = this.#pending.get(message.id);
      if (p === undefined) return;
      this.#pending.delete(message.id);
      if ('error' in message) p.reject(new OpenMntError(message.error.code as ErrorCode, message.error.message));
      else p.resolve(message.result);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(new Error(`exited with code ${code}`));
    });
  }

  /** Starts the thread and its listeners; rejects (the thread ended) when a port cannot be bound. */
  static async start(config: Config, writer: MessagePort, logger: Logger, policy?: PolicySnapshot): Promise<RadiusThread> {
    const thread = new RadiusThread(config, writer, logger, policy);
    try {
      thread.ports = await thread.#call('start');
    } catch (error) {
      await thread.#end();
      throw error;
    }
    return thread;
  }

  /** Called once if the thread fails after start. */
  onFailure(listener: (error: OpenMntError) => void): void {
    this.#onFailure = listener;
    if (this.#failed !== null) listener(this.#failed);
  }

  /** The listeners' counters, the directory's commit state and the thread's delay. `resetDelay`:
   * the delay figures cover the time since the last snapshot that reset them (one per scrape). */
  snapshot(resetDelay = false): Promise<IngestSnapshot> {
    return this.#call('snapshot', { resetDelay });
  }

  /** Per listener: received, answered, duplicates answered, drops by reason. */
  async stats(): Promise<Record<'auth' | 'accounting', ListenerStats>> {
    return (await this.snapshot()).listeners;
  }

  reload(reload: IngestReload): Promise<void> {
    return this.#call('reload', { reload });
  }

  /** Hands a committed policy change to the thread; resolves once it is in force there. */
  setPolicy(snapshot: PolicySnapshot): Promise<void> {
    return this.#call('policy', { snapshot });
  }

  /** Drains: stops receiving, answers what is in flight after its commit, then ends the thread. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#failed === null) await this.#call('close').catch(() => undefined);
    await this.#end();
  }

  async #end(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate();
  }

  #call<T>(op: Op, fields: object = {}): Promise<T> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, op, ...fields });
    });
  }

  #fail(error: Error): void {
    if (this.#failed !== null) return;
    this.#failed = new OpenMntError('RADIUS_THREAD_FAILED', `the RADIUS thread failed: ${error.message}`, { cause: error });
    for (const p of this.#pending.values()) p.reject(this.#failed);
    this.#pending.clear();
    if (!this.#closing) this.#onFailure(this.#failed);
  }
}
