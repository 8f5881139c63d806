/** The messages between the main thread and a store thread (see thread-channel.ts): the thread side. */
import type { MessagePort } from 'node:worker_threads';
import { OpenMntError } from '../errors.js';
import { engineCodeOf } from './failure.js';

/** One store method call; answered with the same `id`. */
export interface Call {
  id: number;
  method: string;
  args: unknown[];
}

/**
 * Posts the result of call `id`, or its error as a code and message (errors do not cross threads
 * whole), with the engine's code behind it (SQLite's result code, PostgreSQL's SQLSTATE), which
 * names why a write failed.
 */
export function reply(port: MessagePort, id: number, outcome: unknown): void {
  if (outcome instanceof Error) {
    const code = outcome instanceof OpenMntError ? outcome.code : 'STORE_FAILED';
    port.postMessage({ id, error: { code, message: outcome.message, sqlite: engineCodeOf(outcome) } });
  } else {
    port.postMessage({ id, result: outcome });
  }
}

/** Runs `work` and posts its outcome, whether a result or an error. */
export function answer(port: MessagePort, id: number, work: () => Promise<unknown>): Promise<void> {
  return work().then(
    (result) => reply(port, id, result),
    (error: unknown) => reply(port, id, error instanceof Error ? error : new Error(String(error))),
  );
}

/** Calls the store method the message names; a name the store does not have is refused. */
export function callStoreMethod(store: object, call: Call): Promise<unknown> {
  const fn = (store as Record<string, unknown>)[call.method];
  if (typeof fn !== 'function') throw new OpenMntError('STORE_FAILED', `no store method ${call.method}`);
  return (fn as (...args: unknown[]) => Promise<unknown>).apply(store, call.args);
}
