import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LookupBatcher } from '../../src/store/postgres/lookup-batch.js';

/** A read that answers each key with its upper case unless the key is 'missing', and records its batches. */
function recorder() {
  const batches: string[][] = [];
  let release: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();
  const read = async (keys: string[]) => {
    batches.push(keys);
    await gate;
    return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]));
  };
  const hold = () => {
    gate = new Promise((resolve) => (release = resolve));
  };
  return { batches, read, hold, release: () => release() };
}

test('lookups made while a statement runs share the next one; each gets its own answer', async () => {
  const r = recorder();
  const batcher = new LookupBatcher(r.read, 1);
  r.hold();
  const first = batcher.get('a');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(r.batches, [['a']], 'a lookup alone goes out at once');
  const later = ['b', 'c', 'b', 'missing'].map((k) => batcher.get(k));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.batches.length, 1, 'nothing more is sent while the first statement runs');
  r.release();
  assert.equal(await first, 'A');
  assert.deepEqual(await Promise.all(later), ['B', 'C', 'B', null]);
  assert.deepEqual(r.batches, [['a'], ['b', 'c', 'missing']], 'one statement for the waiting keys, each key once');
});

test('lookups of one turn of the event loop go together; maxKeys splits a long queue', async () => {
  const r = recorder();
  const batcher = new LookupBatcher(r.read, 1, 2);
  const answers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => batcher.get(k)));
  assert.deepEqual(answers, ['A', 'B', 'C', 'D', 'E']);
  assert.deepEqual(r.batches, [['a', 'b'], ['c', 'd'], ['e']]);
});

test('a failed statement fails the lookups it carried, not those after it', async () => {
  let calls = 0;
  const batcher = new LookupBatcher<string, string>(async (keys) => {
    calls++;
    if (calls === 1) throw new Error('connection lost');
    return new Map(keys.map((k) => [k, k]));
  });
  const failed = Promise.allSettled([batcher.get('a'), batcher.get('b')]);
  await new Promise((resolve) => setImmediate(resolve));
  const after = batcher.get('c');
  const [a, b] = await failed;
  assert.equal(a.status, 'rejected');
  assert.equal(b.status, 'rejected');
  assert.equal((a as PromiseRejectedResult).reason.message, 'connection lost');
  assert.equal(await after, 'c');
});
