/** The bus: stream sinks take what one turn of the event loop published as one batch, in order; the others each batch at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, type EventSink } from '../../src/events/bus.js';
import { createLogger } from '../../src/logger.js';
import type { SessionEvent, Store } from '../../src/store/index.js';

const event = (id: number) => ({ id, type: 'started', at: id, session: { id } }) as unknown as SessionEvent;

test('batches of one turn reach a perTurn sink merged and in order, the others one by one and at once', async () => {
  const bus = new EventBus({} as Store, createLogger('silent'));
  const perTurn: number[][] = [];
  const atOnce: number[][] = [];
  const record = (into: number[][]): EventSink => ({ deliver: (events) => into.push(events.map((e) => e.id)) });
  bus.subscribe(record(perTurn), { perTurn: true });
  bus.subscribe(record(atOnce));
  bus.publish([event(1), event(2)]);
  bus.publish([]);
  bus.publish([event(3)]);
  assert.deepEqual(atOnce, [[1, 2], [3]]);
  assert.deepEqual(perTurn, [], 'nothing before the turn ends');
  assert.equal(bus.lastId, 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(perTurn, [[1, 2, 3]]);
  bus.publish([event(4)]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(perTurn, [[1, 2, 3], [4]]);
});

test('an unsubscribed perTurn sink gets nothing more, and a failing sink keeps nothing from the others', async () => {
  const bus = new EventBus({} as Store, createLogger('silent'));
  const got: number[] = [];
  const off = bus.subscribe({ deliver: (events) => got.push(...events.map((e) => e.id)) }, { perTurn: true });
  const broken: EventSink = {
    deliver: () => {
      throw new Error('broken consumer');
    },
  };
  bus.subscribe(broken, { perTurn: true });
  const other: number[] = [];
  bus.subscribe({ deliver: (events) => other.push(...events.map((e) => e.id)) }, { perTurn: true });
  bus.publish([event(1)]);
  await new Promise((resolve) => setImmediate(resolve));
  off();
  bus.publish([event(2)]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(got, [1]);
  assert.deepEqual(other, [1, 2]);
});
