/**
 * The SQLite store's own thread. The RADIUS listeners run on the main thread and spend their time
 * on UDP and the codec; SQLite spends its time here, on the other core. Messages are method calls
 * on the store, answered in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OpenMntError } from '../errors.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Session } from './types.js';

const store = openSqliteStore(workerData as SqliteStoreOptions);
const iterators = new Map<number, AsyncIterator<Session>>();

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

parentPort!.on('message', (call: Call) => {
  handle(call).then(
    (result) => parentPort!.postMessage({ id: call.id, result }),
    (error: unknown) =>
      parentPort!.postMessage({
        id: call.id,
        error: { code: error instanceof OpenMntError ? error.code : 'STORE_FAILED', message: (error as Error).message },
      }),
  );
});
