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
    port.postMessage({ id, result: outcome }, movableBuffers(outcome));
  }
}

/**
 * The buffers of a page of bytes (a cursor page whose rows are Uint8Arrays, each owning its whole
 * ArrayBuffer): moved to the other thread instead of copied. Copied, a streamed list's 250 KB
 * pages cost the reading thread a seventh of its time.
 */
function movableBuffers(outcome: unknown): ArrayBuffer[] {
  const rows = (outcome as { rows?: unknown } | null | undefined)?.rows;
  if (!Array.isArray(rows)) return [];
  const buffers: ArrayBuffer[] = [];
  for (const row of rows) {
    if (row instanceof Uint8Array && row.buffer instanceof ArrayBuffer && row.byteOffset === 0 && row.byteLength === row.buffer.byteLength && !buffers.includes(row.buffer)) buffers.push(row.buffer);
  }
  return buffers;
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
