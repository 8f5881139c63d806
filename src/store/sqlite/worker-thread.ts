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
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { Cursors } from '../cursors.js';
import { openSqliteStore, type SqliteStoreOptions, type WriteBatch } from './store.js';
import { answer, callStoreMethod, reply, type Call } from '../thread-protocol.js';

const store = openSqliteStore(workerData as SqliteStoreOptions);
// Used only for an in-memory database, which no second connection can read: then this thread
// serves the reads too.
const cursors = new Cursors(store);

/** A store method call, or a port to serve beside this one (see serve). */
type Message = Call | { attach: MessagePort };
// Session events leave after their COMMIT, as a message of their own (not a reply), always to the
// main thread (where subscribers are), whichever port's call produced them: a RADIUS write, an
// admin's delete, the stale sweep.
store.onLoggedEvents((events) => parentPort!.postMessage({ events }));

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
 * Commits `first` together with the writes queued behind it on the same port; returns the first
 * other call found in that queue, which must be handled next to keep the order.
 */
function writeQueued(port: MessagePort, first: Call): Message | undefined {
  const calls = [first];
  let writes = writesIn(first);
  let other: Message | undefined;
  while (writes < MERGE_LIMIT) {
    const queued = receiveMessageOnPort(port);
    if (queued === undefined) break;
    const call = queued.message as Message;
    if ('attach' in call || call.method !== 'write') {
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

/**
 * Serves the calls of one port in their order. The main thread calls on the thread's own port; the
 * RADIUS thread, whose writes are nearly all of them, on a port of its own (`attach`), so its
 * commits never pass through the main thread. Calls of different ports have no order between them;
 * each caller waits for its own answers, as it would from any other connection to the database.
 */
function serve(port: MessagePort): void {
  port.on('message', (message: Message) => {
    for (let next: Message | undefined = message; next !== undefined; ) {
      if ('attach' in next) {
        serve(next.attach);
        next = undefined;
      } else if (next.method === 'write') {
        next = writeQueued(port, next);
      } else {
        const call = next;
        void answer(port, call.id, () => handle(call));
        next = undefined;
      }
    }
  });
}

serve(parentPort!);
