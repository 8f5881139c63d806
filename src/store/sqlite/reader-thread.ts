/**
 * The SQLite store's reading thread. Every read of the API (lookups, counts, streamed lists, the
 * selection of bulk jobs) runs here over a read-only connection of its own, so that neither the
 * main thread, which answers RADIUS, nor the writing thread, whose commits RADIUS answers wait
 * for, ever waits behind one. WAL lets this connection read beside the writer; each query sees
 * every transaction committed before it started.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { READER_NICE, lowerThisThread } from '../../thread-priority.js';
import { Cursors } from '../cursors.js';
import { openSqliteStore, type SqliteStoreOptions } from './store.js';
import { answer, callStoreMethod, type Call } from '../thread-protocol.js';

// When the cores are busy, RADIUS answers and the commits they wait for go first (thread-priority.ts).
lowerThisThread(READER_NICE);
const options = workerData as SqliteStoreOptions & { holdReads?: Int32Array };
const store = openSqliteStore({ ...options, readonly: true });
const cursors = new Cursors(store);
const port = parentPort!;


async function handle(call: Call): Promise<unknown> {
  const cursor = cursors.answer(call.method, call.args);
  if (cursor !== undefined) return cursor;
  switch (call.method) {
    case 'ping':
      return null;
    case 'close':
      return store.close();
    default:
      // Any store method: the connection is read-only, so one that writes fails instead of writing.
      return callStoreMethod(store, call);
  }
}

port.on('message', (call: Call) => {
  // Tests hold this thread (element 0 set to 1) to keep a read in progress for as long as they
  // need, without timing; element 1 counts the reads that found it held. Element 2, when there is
  // one and it is above 0, lets that many more reads pass before the hold applies (a test lets a
  // streamed list read its first page, then holds it between pages).
  const hold = options.holdReads;
  if (hold !== undefined && Atomics.load(hold, 0) === 1 && hold.length > 2 && Atomics.load(hold, 2) > 0) {
    Atomics.sub(hold, 2, 1);
  } else if (hold !== undefined && Atomics.load(hold, 0) === 1) {
    Atomics.add(hold, 1, 1);
    Atomics.notify(hold, 1);
    while (Atomics.load(hold, 0) === 1) Atomics.wait(hold, 0, 1);
  }
  void answer(port, call.id, () => handle(call));
});
