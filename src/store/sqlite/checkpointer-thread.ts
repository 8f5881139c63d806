/**
 * The SQLite store's checkpointing thread. A WAL database copies its log into the main file
 * (a checkpoint) and syncs that file before the log can be reused. Left to SQLite's automatic
 * checkpoint, that work runs inside the COMMIT that crosses the threshold, on the writing thread:
 * the commit, and every RADIUS answer and session event behind it, waits for a 16 MiB copy and an
 * fsync (tens to hundreds of milliseconds on ordinary disks; bench/commit-tail.ts shows it).
 *
 * Here a connection of its own copies what has committed, often and in the background, with
 * PASSIVE checkpoints: they take no lock a writer needs, so commits go on beside them. The log
 * starts over from its beginning when the writer begins a transaction and finds it wholly copied.
 * The writing connection keeps an automatic checkpoint only as a bound, at four times walMaxMiB,
 * for when it never finds the log wholly copied (a writer that never pauses, or a long read that
 * holds old pages): then one commit pays for the rest of the copy. How often the passes come, and
 * why more often past walMaxMiB, is in checkpoint-pace.ts.
 */
import Database from 'better-sqlite3';
import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { READER_NICE, lowerThisThread } from '../../thread-priority.js';
import { reply, type Call } from '../thread-protocol.js';
import { CHECKPOINT_INTERVAL_MS, nextPassInMs, walFrames } from './checkpoint-pace.js';

export interface CheckpointerData {
  path: string;
  synchronous?: 'normal' | 'full';
  /** The store's walMaxMiB: past it, the passes come more often (checkpoint-pace.ts). */
  walMaxMiB: number;
}

/** What one PASSIVE checkpoint reported: frames in the log, frames copied to the database. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

// Copying pages can wait behind RADIUS and the commits it waits for (thread-priority.ts).
lowerThisThread(READER_NICE);
const data = workerData as CheckpointerData;
const db = new Database(data.path);
// The checkpoint syncs the database file before the log may be reused; with synchronous = OFF it
// would not, and a power loss could then lose what the reused log held.
db.pragma(`synchronous = ${data.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
// Never wait: a checkpoint that finds another one running simply comes back next time.
db.pragma('busy_timeout = 0');

function checkpoint(): CheckpointResult {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
  return result!;
}

const walMaxFrames = walFrames(data.walMaxMiB * 2 ** 20, db.pragma('page_size', { simple: true }) as number);
// The database file, to sync what the passes copied (below); syncing needs no write access.
const databaseFile = openSync(data.path, 'r');

/**
 * A pass syncs the database file only when no commit came while it copied (SQLite: the copy must
 * have reached the newest frame), which under steady writes is never. The pages it copied then
 * wait in the page cache, and the commit that starts the WAL over at the bound synced them all:
 * 1,000–1,800 scattered pages, 30–50 ms on this machine's disk (about 0.03 ms a page), with every
 * answer behind it waiting. With synchronous = NORMAL they are synced here after each pass, on
 * this thread, and leave that commit only what came since the last pass (Accounting-Response p99
 * at 1,000 Starts/s with 200,000 sessions: 29–35 → 4–8 ms). Not with FULL: there every commit
 * syncs the WAL, and a sync of the database file beside it (10–75 ms a pass) holds those commits
 * at the disk (p99 17–82 ms in seven runs, 14–24 in eight without, though a later one reached 73).
 */
const syncAfterPass = data.synchronous === 'normal';
/** What the last synced pass reported: a pass that finds the WAL as it was copied nothing new. */
let synced = { log: 0, checkpointed: 0 };
function syncCopiedPages(result: CheckpointResult): void {
  if (!syncAfterPass || result.checkpointed === 0) return;
  if (result.log === synced.log && result.checkpointed === synced.checkpointed) return;
  fdatasyncSync(databaseFile);
  synced = { log: result.log, checkpointed: result.checkpointed };
}

let timer: NodeJS.Timeout | null = setTimeout(function pass() {
  let logFrames = 0;
  try {
    const result = checkpoint();
    syncCopiedPages(result);
    logFrames = result.log;
  } catch {
    // SQLITE_BUSY (another checkpoint), a database being closed, or a failed sync (the writer's
    // own checkpoint syncs the file again before the WAL starts over): the next turn tries again.
  }
  timer = setTimeout(pass, nextPassInMs(logFrames, walMaxFrames));
}, CHECKPOINT_INTERVAL_MS);

// Spoken as a store thread (thread-channel.ts): `checkpoint` runs one now (tests), `close` ends it.
parentPort!.on('message', (call: Call) => {
  let outcome: unknown;
  try {
    if (call.method === 'close') {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      db.close();
      closeSync(databaseFile);
      outcome = null;
    } else if (call.method === 'checkpoint') {
      outcome = checkpoint();
    } else {
      outcome = new Error(`no checkpointer method ${call.method}`);
    }
  } catch (error) {
    outcome = error;
  }
  reply(parentPort!, call.id, outcome);
});
