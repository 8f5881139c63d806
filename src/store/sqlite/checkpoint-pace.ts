/**
 * How often the checkpointing thread (checkpointer-thread.ts) copies the WAL into the database,
 * and the bound at which the writer copies it by itself.
 *
 * The WAL starts over from its beginning only when the writer begins a transaction and finds every
 * frame copied. Under a steady stream of commits (1,000 Starts a second, one commit each) it never
 * does: each background pass copies what had committed when it began, and the commits made during
 * the pass are left for the next one. The WAL then grows to the bound, where one commit copies the
 * rest and syncs the database file before the log can start over, and the commits behind it wait.
 * The wait is the copy of whatever the passes left, and its fsync: so while the WAL holds more than
 * walMaxMiB the passes come ten times as often, and little is left.
 */

/** Milliseconds between passes while the WAL holds less than walMaxMiB, or has reached the bound. */
export const CHECKPOINT_INTERVAL_MS = 200;
/** Milliseconds between passes while it holds more (it is not starting over by itself). */
export const CATCH_UP_INTERVAL_MS = 20;
/** With background checkpoints, the writer checkpoints by itself once the WAL holds this many times walMaxMiB. */
export const BACKGROUND_CHECKPOINT_BOUND = 4;

/** Frames (pages) of a WAL of `bytes`, counted as SQLite's wal_autocheckpoint counts them. */
export function walFrames(bytes: number, pageSize: number): number {
  return Math.max(1, Math.floor(bytes / pageSize));
}

/**
 * When the next pass is due, after one that found `logFrames` frames in the WAL of a store whose
 * walMaxMiB is `walMaxFrames` frames. At the bound the passes slow down again: the writer's own
 * checkpoint is due there, and only one checkpoint may run at a time, so a pass at that moment
 * would make the writer's fail (SQLITE_BUSY, no wait) and the WAL grow past the bound.
 */
export function nextPassInMs(logFrames: number, walMaxFrames: number): number {
  return logFrames > walMaxFrames && logFrames < BACKGROUND_CHECKPOINT_BOUND * walMaxFrames ? CATCH_UP_INTERVAL_MS : CHECKPOINT_INTERVAL_MS;
}
