/**
 * With nobody subscribed, the node's writing thread keeps session events to the log instead of
 * posting every commit's batch to the main thread; a subscriber that arrives later starts after
 * the newest committed event, and from then on gets every batch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/events/bus.js';
import { WorkerStore, type SessionEvent } from '../../src/store/index.js';
import { starts } from '../helpers/session-writes.js';

test('events committed while nobody listens stay in the log only; a later subscriber starts after them and misses nothing after', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-demand-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await new WorkerStore({ path: join(dir, 'directory.db') }).ready();
  t.after(() => store.close());

  // A listener that never states its demand gets every batch (the store contract as before).
  const direct: SessionEvent[] = [];
  store.onEvents((events) => direct.push(...events));
  await store.write({ accounting: starts('direct', 3) });
  await waitFor(() => direct.length === 3);

  const bus = await new EventBus(store, pino({ level: 'silent' })).start();
  let handed = 0;
  const countHanded = (events: SessionEvent[]) => (handed += events.length);
  store.onEvents((events) => {
    countHanded(events);
    bus.publish(events);
  });
  store.setEventDemand(0);

  await store.write({ accounting: starts('unheard', 5) });
  // The write's answer comes after its commit and after the post that would carry its events.
  await store.write({ accounting: starts('unheard-2', 1) });
  const bounds = await store.eventBounds();
  assert.equal(bounds.last, 9, 'all nine events are in the log');
  assert.equal(handed, 0, 'none was posted while nobody listened');
  assert.equal(bus.lastId, 9, 'the bus still knows the newest committed id');

  const received: SessionEvent[] = [];
  bus.subscribe({ deliver: (events) => received.push(...events) });
  assert.equal(bus.lastId, 9, 'a subscriber arriving now starts after the unheard events');
  await store.write({ accounting: starts('heard', 4) });
  await waitFor(() => received.length === 4);
  assert.deepEqual(
    received.map((e) => e.id),
    [10, 11, 12, 13],
  );
  assert.deepEqual(
    (await store.readEvents(0, 100)).map((e) => e.id),
    Array.from({ length: 13 }, (_, i) => i + 1),
    'the log holds every event, heard or not',
  );
});

/** Waits for a message from the writing thread (no timing: the suite's own timeout bounds it). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
