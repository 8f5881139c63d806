/**
 * The node's SQLite store copies its WAL into the database from a checkpointing thread of its
 * own, so that no commit pays for a checkpoint (src/store/sqlite/checkpointer-thread.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerStore, openSqliteStore } from '../../src/store/index.js';
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

test('an in-memory store has no checkpointing thread', async () => {
  const store = await new WorkerStore({ path: ':memory:' }).ready();
  assert.equal(await store.checkpointNow(), null);
  await store.close();
});
