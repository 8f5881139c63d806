/**
 * The SQLite store's writing thread. The RADIUS listeners run on the main thread and spend their
 * time on UDP and the codec; SQLite writes happen here, on another core. Messages are method
 * calls on the store, answered in order. Reads go to the reading thread (reader-thread.ts) so a
 * commit that RADIUS answers wait for never queues behind an API query.
 *
 * Writes that queued up while a transaction was running are taken together into the next one
 * (group commit across batches): the main thread hands over what it has as soon as it has it,
 * and the size of each commit follows the load instead of the main thread's guess of when this
 * thread will be free.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Cursors } from './cursors.js';
import { openSqliteStore, type SqliteStoreOptions, type WriteBatch } from './sqlite.js';
import { answer, callStoreMethod, reply, type Call } from './thread-protocol.js';

const store = openSqliteStore(workerData as SqliteStoreOptions);
// Used only for an in-memory database, which no second connection can read: then this thread
// serves the reads too.
const cursors = new Cursors(store);
const port = parentPort!;
// Session events leave after their COMMIT, as a message of their own (not a reply), so the main
// thread hands them to subscribers whichever call produced them: a write, an admin's delete, the
// stale sweep.
store.onLoggedEvents((events) => port.postMessage({ events }));

/** Writes (accounting and auth) at most in one merged transaction, so no commit grows unbounded. */
const MERGE_LIMIT = 8192;

async function handle(call: Call): Promise<unknown> {
  const cursor = cursors.answer(call.method, call.args);
  if (cursor !== undefined) return cursor;
  switch (call.method) {
    default:
      return callStoreMethod(store, call);
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
  calls.forEach((c, i) => reply(port, c.id, outcomes[i]));
  return other;
}

port.on('message', (call: Call) => {
  for (let next: Call | undefined = call; next !== undefined; ) {
    if (next.method === 'write') {
      next = writeQueued(next);
    } else {
      const call = next;
      void answer(port, call.id, () => handle(call));
      next = undefined;
    }
  }
});
