/**
 * The SQLite store's own thread. The RADIUS listeners run on the main thread and spend their time
 * on UDP and the codec; SQLite spends its time here, on the other core. Messages are method calls
 * on the store, answered in order.
 *
 * Writes that queued up while a transaction was running are taken together into the next one
 * (group commit across batches): the main thread hands over what it has as soon as it has it,
 * and the size of each commit follows the load instead of the main thread's guess of when this
 * thread will be free.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { OpenMntError } from '../errors.js';
import { sqliteCodeOf } from './failure.js';
import { openSqliteStore, type SqliteStoreOptions, type WriteBatch } from './sqlite.js';
import type { Session } from './types.js';

const store = openSqliteStore(workerData as SqliteStoreOptions);
const iterators = new Map<number, AsyncIterator<Session>>();
const port = parentPort!;

/** Writes (accounting and auth) at most in one merged transaction, so no commit grows unbounded. */
const MERGE_LIMIT = 8192;

interface Call {
  id: number;
  method: string;
  args: unknown[];
}

async function handle(call: Call): Promise<unknown> {
  switch (call.method) {
    case 'iterOpen': {
      const [key, query] = call.args as [number, Parameters<typeof store.iterateSessions>[0]];
      iterators.set(key, store.iterateSessions(query)[Symbol.asyncIterator]());
      return null;
    }
    case 'iterNext': {
      const [key, max] = call.args as [number, number];
      const it = iterators.get(key);
      const rows: Session[] = [];
      while (it && rows.length < max) {
        const next = await it.next();
        if (next.done) {
          iterators.delete(key);
          return { rows, done: true };
        }
        rows.push(next.value);
      }
      return { rows, done: it === undefined };
    }
    case 'iterClose':
      await iterators.get(call.args[0] as number)?.return?.();
      iterators.delete(call.args[0] as number);
      return null;
    default: {
      const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[call.method];
      if (typeof fn !== 'function') throw new OpenMntError('STORE_FAILED', `no store method ${call.method}`);
      return fn.apply(store, call.args);
    }
  }
}

function reply(id: number, outcome: unknown): void {
  if (outcome instanceof Error) {
    const code = outcome instanceof OpenMntError ? outcome.code : 'STORE_FAILED';
    port.postMessage({ id, error: { code, message: outcome.message, sqlite: sqliteCodeOf(outcome) } });
  } else {
    port.postMessage({ id, result: outcome });
  }
}

const writesIn = (call: Call) => {
  const batch = call.args[0] as WriteBatch;
  return (batch.accounting?.length ?? 0) + (batch.auth?.length ?? 0);
};

/**
 * Commits `first` together with the writes queued behind it; returns the first other call found
 * in the queue, which must be handled next to keep the order.
 */
function writeQueued(first: Call): Call | undefined {
  const calls = [first];
  let writes = writesIn(first);
  let other: Call | undefined;
  while (writes < MERGE_LIMIT) {
    const queued = receiveMessageOnPort(port);
    if (queued === undefined) break;
    const call = queued.message as Call;
    if (call.method !== 'write') {
      other = call;
      break;
    }
    calls.push(call);
    writes += writesIn(call);
  }
  let outcomes: unknown[];
  try {
    outcomes = store.writeBatches(calls.map((c) => c.args[0] as WriteBatch));
  } catch (error) {
    outcomes = calls.map(() => error);
  }
  calls.forEach((c, i) => reply(c.id, outcomes[i]));
  return other;
}

port.on('message', (call: Call) => {
  for (let next: Call | undefined = call; next !== undefined; ) {
    if (next.method === 'write') {
      next = writeQueued(next);
    } else {
      const { id } = next;
      handle(next).then(
        (result) => reply(id, result),
        (error: unknown) => reply(id, error instanceof Error ? error : new Error(String(error))),
      );
      next = undefined;
    }
  }
});
