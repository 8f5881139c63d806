/**
 * The calling side of a store thread: method calls posted as messages, each answered by id.
 * `StoreChannel` speaks over any message endpoint (the thread's own Worker handle, or a port the
 * thread was handed, which lets another thread — the RADIUS thread — call the writer directly);
 * `StoreThread` also owns the thread. A channel whose thread dies fails every call waiting on it,
 * and every later one, with STORE_FAILED.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { OpenMntError, type ErrorCode } from '../errors.js';
import { sessionEventOf, type LoggedEvent } from './sqlite/events.js';
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

/** What a Worker and a MessagePort have in common, as far as a channel needs. */
interface Endpoint {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

export class StoreChannel {
  readonly #endpoint: Endpoint;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly #role: string;
  #next = 1;
  #closed = false;
  #failure: Error | null = null;
  #onEvents: ((events: SessionEvent[]) => void) | null = null;

  /** `role` names the thread in errors (`writer`, `reader`). */
  constructor(endpoint: Endpoint, role: string) {
    this.#endpoint = endpoint;
    this.#role = role;
    endpoint.on('message', (value) => {
      const reply = value as Reply;
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
  }

  /** Fails what waits and whatever is called later: the thread behind the channel is gone. */
  fail(error: Error): void {
    if (this.#closed || this.#failure !== null) return;
    // A code the thread's error carried across (a schema newer than this release, or one behind it
    // that store.migrate: manual leaves to the operator) stays the code.
    const carried = (error as { code?: unknown }).code;
    const code: ErrorCode = carried === 'STORE_SCHEMA_NEWER' || carried === 'STORE_SCHEMA_OLDER' ? carried : 'STORE_FAILED';
    this.#failure = new OpenMntError(code, `store ${this.#role} thread failed: ${error.message}`, { cause: error });
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
  }

  /** Later calls are refused with STORE_CLOSED (a close that was asked for, not a failure). */
  closed(): void {
    this.#closed = true;
  }

  /** Receives the session events the thread posts after each commit that produced some. */
  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#onEvents = listener;
  }

  /** Why a call would be refused now (the store was closed, or its thread failed), or null. */
  refusal(): Error | null {
    if (this.#closed) return new OpenMntError('STORE_CLOSED', 'the store is closed');
    return this.#failure;
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    const refused = this.refusal();
    if (refused !== null) return Promise.reject(refused);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#endpoint.postMessage({ id, method, args });
    });
  }
}

/** A store thread and the channel to it. */
export class StoreThread {
  readonly #worker: Worker;
  readonly #channel: StoreChannel;
  #closed = false;

  constructor(script: URL, workerData: unknown, role: string) {
    this.#worker = new Worker(script, { workerData });
    this.#channel = new StoreChannel(this.#worker, role);
    this.#worker.on('error', (error) => this.#channel.fail(error));
    this.#worker.on('exit', (code) => {
      if (!this.#closed) this.#channel.fail(new Error(`exited with code ${code}`));
    });
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.#channel.call<T>(method, ...args);
  }

  refusal(): Error | null {
    return this.#channel.refusal();
  }

  /** Receives the session events the thread posts after each commit that produced some. */
  onEvents(listener: (events: SessionEvent[]) => void): void {
    this.#channel.onEvents(listener);
  }

  /**
   * A port on which another thread calls this one as this channel does (same messages, answered on
   * that port). The thread serves it beside its own; when the thread ends, the port closes.
   */
  port(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.#worker.postMessage({ attach: port2 }, [port2]);
    return port1;
  }

  /** Asks the thread to close its database (after the calls queued before), then ends it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.call('close').catch(() => undefined);
    this.#closed = true;
    this.#channel.closed();
    await this.#worker.terminate();
  }
}

/**
 * A channel over a port from `StoreThread.port()`, for use on another thread. The port closes
 * when the store thread ends: what still waits then fails instead of waiting forever.
 */
export function portChannel(port: MessagePort, role: string): StoreChannel {
  const channel = new StoreChannel(port, role);
  port.on('close', () => channel.fail(new Error('its port closed')));
  return channel;
}

/** The error as the store would have thrown it on its own thread, with its SQLite code as the cause. */
function rebuilt(error: { code: ErrorCode; message: string; sqlite?: string }): OpenMntError {
  const cause = error.sqlite === undefined ? undefined : Object.assign(new Error(error.message), { code: error.sqlite });
  return new OpenMntError(error.code, error.message, { cause });
}
