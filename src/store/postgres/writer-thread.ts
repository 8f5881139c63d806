/**
 * The PostgreSQL store's writing thread: the same messages as SQLite's (sqlite/worker-thread.ts),
 * so the RADIUS thread writes over its port without knowing the engine. Each port's calls are
 * answered in their order; the writes that queued up on a port while its last transaction was
 * in flight go together into the next one (group commit: one round of COMMIT for all of them,
 * the size of each following the load).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { answer, callStoreMethod, reply, type Call } from '../thread-protocol.js';
import { openPostgresStore, type PostgresStoreOptions, type WriteBatch } from './store.js';

const store = await openPostgresStore(workerData as PostgresStoreOptions);
// Session events leave after their COMMIT, always to the main thread (where subscribers are).
store.onLoggedEvents((events) => parentPort!.postMessage({ events }));

/** Writes (accounting and auth) at most in one merged transaction, so no commit grows unbounded. */
const MERGE_LIMIT = 8192;

type Message = Call | { attach: MessagePort };

const writesIn = (call: Call) => {
  const batch = call.args[0] as WriteBatch;
  return (batch.accounting?.length ?? 0) + (batch.auth?.length ?? 0);
};

function serve(port: MessagePort): void {
  const queue: Call[] = [];
  let busy = false;
  const pump = async () => {
    busy = true;
    while (queue.length > 0) {
      if (queue[0]!.method === 'write') {
        const calls: Call[] = [];
        let writes = 0;
        while (queue.length > 0 && queue[0]!.method === 'write' && writes < MERGE_LIMIT) {
          const call = queue.shift()!;
          calls.push(call);
          writes += writesIn(call);
        }
        let outcomes: unknown[];
        try {
          outcomes = await store.writeBatches(calls.map((c) => c.args[0] as WriteBatch));
        } catch (error) {
          outcomes = calls.map(() => error);
        }
        calls.forEach((c, i) => reply(port, c.id, outcomes[i]));
      } else {
        const call = queue.shift()!;
        await answer(port, call.id, async () => (call.method === 'ping' ? null : callStoreMethod(store, call)));
      }
    }
    busy = false;
  };
  port.on('message', (message: Message) => {
    if ('attach' in message) {
      serve(message.attach);
      return;
    }
    queue.push(message);
    if (!busy) void pump();
  });
}

serve(parentPort as unknown as MessagePort);
