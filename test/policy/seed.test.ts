import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameData, seedChanges, type SeedObject } from '../../src/policy/seed.js';

test('the file applied again is no change, though the stored copy came back with its keys in another order (PostgreSQL JSONB)', () => {
  const file: SeedObject[] = [{ kind: 'policySets', key: 'Default', data: { name: 'Default', rules: [{ match: { group: 'Staff' }, profile: 'Permit' }], enabled: true } }];
  const stored: SeedObject[] = [{ kind: 'policySets', key: 'Default', data: { enabled: true, rules: [{ profile: 'Permit', match: { group: 'Staff' } }], name: 'Default' } }];
  assert.deepEqual(seedChanges(stored, file, () => true), []);
  assert.equal(sameData(stored, file), true);
});

test('a real change is still one: another value, another array order, a key more or less', () => {
  const base = { name: 'Default', rules: ['a', 'b'], enabled: true };
  assert.equal(sameData(base, { ...base, enabled: false }), false);
  assert.equal(sameData(base, { ...base, rules: ['b', 'a'] }), false, 'arrays keep their order');
  assert.equal(sameData(base, { ...base, extra: 1 }), false);
  assert.equal(sameData({ a: { b: 1, c: 2 } }, { a: { c: 2, b: 1 } }), true, 'nested objects too');
  const file = [{ kind: 'policySets', key: 'Default', data: { ...base, enabled: false } }] satisfies SeedObject[];
  assert.equal(seedChanges([{ kind: 'policySets', key: 'Default', data: base }] satisfies SeedObject[], file, () => true).length, 1);
});
