/**
 * The main thread's side of one store thread: method calls posted as messages, each answered by
 * id. A thread that dies fails every call waiting on it, and every later one, with STORE_FAILED.
 */
import { Worker } from 'node:worker_threads';
import { OpenMntError, type ErrorCode } from '../errors.js';
import { sessionEventOf, type LoggedEvent } from './sqlite-events.js';
import type { SessionEvent } from './types.js';

interface Reply {
  /** Absent on a message the thread sends of its own accord (see `onEvents`). */
  id?: number;
  /** Session events committed by the writing thread. */
  events?: LoggedEvent[];
  result?: unknown;
  /** `sqlite`: the SQLite result code behind the error. */
  error?: { code: ErrorCode; message: string; sqlite?: string };
}

export class StoreThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly #role: string;
  #next = 1;
  #closed = false;
  #failure: Error | null = null;
  #onEvents: ((events: SessionEvent[]) => void) | null = null;

  /** `role` names the thread in errors (`writer`, `reader`). */
  constructor(script: URL, workerData: unknown, role: string) {
    this.#role = role;
    this.#worker = new Worker(script, { workerData });
    this.#worker.on('message', (reply: Reply) => {
      if (reply.events !== undefined) {
        this.#onEvents?.(reply.events.map(sessionEventOf));
        return;
      }
      if (reply.id === undefined) return;
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      if (reply.error) p.reject(rebuilt(reply.error));
      else p.resolve(reply.result);
    });
    const fail = (error: Error) => {
      this.#failure = new OpenMntError('STORE_FAILED', `store ${this.#role} thread failed: ${error.message}`, { cause: error });
      for (const p of this.#pending.values()) p.reject(this.#failure);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`exited with code ${code}`));
    });
  }

  /** Receives the session events the thread posts after each commit that produced some. */
  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#onEvents = listener;
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new OpenMntError('STORE_CLOSED', 'the store is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args });
    });
  }

  /** Asks the thread to close its database (after the calls queued before), then ends it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.call('close').catch(() => undefined);
    this.#closed = true;
    await this.#worker.terminate();
  }
}

/** The error as the store would have thrown it on its own thread, with its SQLite code as the cause. */
function rebuilt(error: { code: ErrorCode; message: string; sqlite?: string }): OpenMntError {
  const cause = error.sqlite === undefined ? undefined : Object.assign(new Error(error.message), { code: error.sqlite });
  return new OpenMntError(error.code, error.message, { cause });
}
