/** The bus gathers batches that come close together into one fan-out, losing and reordering nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/events/bus.js';
import type { SessionEvent, Store } from '../../src/store/index.js';

const event = (id: number): SessionEvent => ({ id, type: 'started', at: id, session: {} as SessionEvent['session'] });

async function bus(): Promise<EventBus> {
  const store = { onEvents: () => undefined, eventBounds: async () => ({ first: 0, last: 0 }) } as unknown as Store;
  return new EventBus(store, pino({ level: 'silent' })).start();
}

test('batches of one event each, published back to back, reach a subscriber in fewer fan-outs, every event once and in order', async () => {
  const b = await bus();
  const batches: number[][] = [];
  b.subscribe({ deliver: (events) => batches.push(events.map((e) => e.id)) });
  for (let id = 1; id <= 100; id++) b.publish([event(id)]);
  // The first after a quiet spell goes out at once.
  assert.deepEqual(batches[0], [1]);
  while (batches.flat().length < 100) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches.flat(), Array.from({ length: 100 }, (_, i) => i + 1));
  assert.ok(batches.length < 100, `${batches.length} fan-outs for 100 batches`);
});

test('a large batch goes out at once, even right after another fan-out; flush hands over what waits', async () => {
  const b = await bus();
  const batches: number[][] = [];
  b.subscribe({ deliver: (events) => batches.push(events.map((e) => e.id)) });
  b.publish([event(1)]);
  b.publish(Array.from({ length: 1024 }, (_, i) => event(2 + i)));
  assert.equal(batches.length, 2);
  assert.equal(batches[1]!.length, 1024);
  b.publish([event(2000)]);
  b.flush();
  assert.deepEqual(batches.at(-1), [2000]);
});

test('with nobody subscribed nothing is kept for later, and the newest id still moves', async () => {
  const b = await bus();
  b.publish([event(7)]);
  const got: number[] = [];
  b.subscribe({ deliver: (events) => got.push(...events.map((e) => e.id)) });
  b.flush();
  assert.deepEqual(got, []);
  assert.equal(b.lastId, 7);
});
