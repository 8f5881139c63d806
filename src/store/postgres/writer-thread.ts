/**
 * The PostgreSQL store's writing thread: the same messages as SQLite's (sqlite/worker-thread.ts),
 * so the RADIUS thread writes over its port without knowing the engine. The writes that queued up
 * on a port while its transactions were in flight go together into the next one (group commit:
 * one round of COMMIT for all of them, the size of each following the load). Two transactions may
 * be in flight (TRANSACTIONS), so writes may be answered in another order than they came; any
 * other call is answered after every write before it.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { answer, callStoreMethod, reply, type Call } from '../thread-protocol.js';
import { openPostgresStore, type PostgresStoreOptions, type WriteBatch } from './store.js';

const store = await openPostgresStore(workerData as PostgresStoreOptions);
// Session events leave after their COMMIT, always to the main thread (where subscribers are).
store.onLoggedEvents((events) => parentPort!.postMessage({ events }));

/** Writes (accounting and auth) at most in one merged transaction, so no commit grows unbounded. */
const MERGE_LIMIT = 8192;
/**
 * Write transactions of one port at once. Two: the next one reads and plans while the one before
 * waits for its COMMIT to reach the disk (and the standby), instead of the node and the server
 * taking turns. Measured with bench:pg-rlm-sql (one node, accounting): 5,864–6,250 requests/s
 * against 4,592–5,407 with one, the machine 91–93 % busy instead of 77–82 %; three were no better.
 * Ordering is kept by the endpoint locks (see below) and the active-count row, which every
 * transaction updates last, as between nodes.
 */
const TRANSACTIONS = 2;

type Message = Call | { attach: MessagePort };

const writesIn = (call: Call) => {
  const batch = call.args[0] as WriteBatch;
  return (batch.accounting?.length ?? 0) + (batch.auth?.length ?? 0);
};

function serve(port: MessagePort): void {
  const queue: Call[] = [];
  let pumping = false;
  /** Write transactions of this port in flight. */
  let running = 0;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (queue.length > 0) {
      if (queue[0]!.method === 'write') {
        if (running >= TRANSACTIONS) break; // a transaction's end pumps again
        const calls: Call[] = [];
        let writes = 0;
        while (queue.length > 0 && queue[0]!.method === 'write' && writes < MERGE_LIMIT) {
          const call = queue.shift()!;
          calls.push(call);
          writes += writesIn(call);
        }
        running++;
        let locked: () => void = () => undefined;
        const holdsLocks = new Promise<void>((resolve) => (locked = resolve));
        void store
          .writeBatches(
            calls.map((c) => c.args[0] as WriteBatch),
            () => locked(),
          )
          .then(
            (outcomes) => calls.forEach((c, i) => reply(port, c.id, outcomes[i])),
            (error: unknown) => calls.forEach((c) => reply(port, c.id, error)),
          )
          .finally(() => {
            running--;
            locked();
            void pump();
          });
        // The next transaction starts once this one holds its endpoints' locks: one of its writes
        // for an endpoint this one has then waits for this commit, so each endpoint's writes are
        // still applied in the order they arrived. Not when this one fails and is tried again
        // (each batch alone after a failed group, or after a deadlock): the next may commit
        // first. None of this one's writes has been answered then, and a NAS sends a session's
        // next packet after the answer to the one before, so that next packet is not in it.
        await holdsLocks;
      } else {
        // Any other call waits until every write before it has committed, as it always did.
        if (running > 0) break;
        const call = queue.shift()!;
        await answer(port, call.id, async () => (call.method === 'ping' ? null : callStoreMethod(store, call)));
      }
    }
    pumping = false;
  };
  port.on('message', (message: Message) => {
    if ('attach' in message) {
      serve(message.attach);
      return;
    }
    queue.push(message);
    void pump();
  });
}

serve(parentPort as unknown as MessagePort);
