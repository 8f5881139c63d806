/**
 * The node's SQLite store copies its WAL into the database from a checkpointing thread of its
 * own, so that no commit pays for a checkpoint (src/store/sqlite/checkpointer-thread.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { WorkerStore, openSqliteStore } from '../../src/store/index.js';
import { BACKGROUND_CHECKPOINT_BOUND, CATCH_UP_INTERVAL_MS, CHECKPOINT_INTERVAL_MS, nextPassInMs, walFrames } from '../../src/store/sqlite/checkpoint-pace.js';
import { starts } from '../helpers/session-writes.js';

test('a second connection checkpoints what the writer committed; the WAL then starts over and every session is kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'directory.db');
  const store = await new WorkerStore({ path, synchronous: 'normal', walMaxMiB: 1 }).ready();
  const writes = starts('ckpt', 6000);
  for (let i = 0; i < writes.length; i += 500) await store.write({ accounting: writes.slice(i, i + 500) });
  const walAfterWrites = statSync(`${path}-wal`).size;
  assert.ok(walAfterWrites > 0, 'the writes went through the WAL');

  const copied = await store.checkpointNow();
  assert.ok(copied !== null, 'a file database has a checkpointing thread');
  assert.equal(copied.busy, 0);
  assert.ok(copied.log > 0, `the WAL holds the last commit's frames (${copied.log})`);
  assert.equal(copied.checkpointed, copied.log, 'every committed frame was copied into the database');

  // Wholly copied, the WAL is reused from its start by the next write (and cut back to walMaxMiB),
  // rather than grown.
  await store.write({ accounting: starts('after', 1) });
  const again = await store.checkpointNow();
  assert.ok(again !== null && again.log > 0 && again.log < copied.log, `the WAL started over: ${again?.log} frames after ${copied.log}`);
  assert.ok(statSync(`${path}-wal`).size <= Math.max(walAfterWrites, 1024 * 1024));

  assert.equal(await store.countActive(), 6001);
  await store.close();
  const reopened = openSqliteStore({ path });
  assert.equal(await reopened.countActive(), 6001, 'every session is in the database file after close');
  await reopened.close();
});

const MiB = 2 ** 20;

/** A threaded store in a directory of its own with walMaxMiB 1, closed and removed after the test. */
async function storeWithSmallWal(t: TestContext): Promise<{ path: string; store: WorkerStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'directory.db');
  const store = await new WorkerStore({ path, synchronous: 'normal', walMaxMiB: 1 }).ready();
  t.after(() => store.close());
  return { path, store };
}

/** Writes batches of Starts until the WAL file holds more than `bytes`; returns its size then. */
async function growWal(store: WorkerStore, path: string, prefix: string, bytes: number): Promise<number> {
  for (let batch = 0; (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) <= bytes; batch++) {
    assert.ok(batch < 1000, 'the WAL grows with writes');
    await store.write({ accounting: starts(`${prefix}-${batch}`, 200) });
  }
  return statSync(`${path}-wal`).size;
}

test('a WAL that starts over within its bound keeps its file size: no commit pays for cutting it back', async (t) => {
  const { path, store } = await storeWithSmallWal(t);
  // Past walMaxMiB, below the four times of it at which the writer would checkpoint by itself.
  const grown = await growWal(store, path, 'steady', 1.5 * MiB);
  assert.ok(grown < 4 * MiB, `the WAL stayed below the writer's own checkpoint (${grown} bytes)`);

  const copied = await store.checkpointNow();
  assert.equal(copied?.checkpointed, copied?.log, 'every frame copied');
  await store.write({ accounting: starts('steady-after', 1) });
  const again = await store.checkpointNow();
  assert.ok(again !== null && again.log < copied!.log, `the WAL started over: ${again?.log} frames after ${copied?.log}`);
  // Cutting the file back to walMaxMiB here took the committing thread 56 ms of ftruncate on this
  // machine; the file is left at the size the writes gave it.
  assert.equal(statSync(`${path}-wal`).size, grown, 'the file was not cut back');
});

test('a WAL grown past twice its bound behind a long read is cut back to eight times walMaxMiB when it starts over', async (t) => {
  const { path, store } = await storeWithSmallWal(t);
  // A read transaction holds the pages of its snapshot: no checkpoint may copy past it.
  const reader = new Database(path, { readonly: true });
  reader.prepare('BEGIN').run();
  reader.prepare('SELECT COUNT(*) FROM sessions_active').get();
  const grown = await growWal(store, path, 'held', 9 * MiB);
  reader.prepare('COMMIT').run();
  reader.close();

  const copied = await store.checkpointNow();
  assert.equal(copied?.checkpointed, copied?.log, 'with the read over, every frame is copied');
  await store.write({ accounting: starts('held-after', 1) });
  const size = statSync(`${path}-wal`).size;
  assert.ok(size <= 8 * MiB && size < grown, `cut back from ${grown} to ${size} bytes`);
  assert.equal(await store.countActive(), (await store.stats()).accountingRecords, 'every Start opened its session');
});

test('past walMaxMiB the WAL is not starting over by itself, and the passes come more often until the writer\'s bound', () => {
  const frames = walFrames(16 * MiB, 4096);
  assert.equal(frames, 4096, 'as wal_autocheckpoint counts: pages');
  assert.equal(nextPassInMs(0, frames), CHECKPOINT_INTERVAL_MS);
  assert.equal(nextPassInMs(frames, frames), CHECKPOINT_INTERVAL_MS);
  assert.equal(nextPassInMs(frames + 1, frames), CATCH_UP_INTERVAL_MS);
  assert.equal(nextPassInMs(BACKGROUND_CHECKPOINT_BOUND * frames - 1, frames), CATCH_UP_INTERVAL_MS);
  // There the writer checkpoints by itself; a pass at the same moment would make it fail.
  assert.equal(nextPassInMs(BACKGROUND_CHECKPOINT_BOUND * frames, frames), CHECKPOINT_INTERVAL_MS);
  assert.ok(CATCH_UP_INTERVAL_MS < CHECKPOINT_INTERVAL_MS);
});

test('an in-memory store has no checkpointing thread', async () => {
  const store = await new WorkerStore({ path: ':memory:' }).ready();
  assert.equal(await store.checkpointNow(), null);
  await store.close();
});
