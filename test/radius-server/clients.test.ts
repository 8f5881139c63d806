import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuplicateCache, NasClientTable, type NasClient } from '../../src/radius-server/index.js';

const client = (name: string, address: string): NasClient => ({
  name,
  address,
  secret: Buffer.from('s'),
  vendor: 'cisco',
  coaPort: 3799,
  requireMessageAuthenticator: false,
  deviceGroups: [],
});

test('NAS table: exact address, most specific CIDR, IPv6, IPv4-mapped sources', () => {
  const table = new NasClientTable([
    client('campus', '10.0.0.0/8'),
    client('building', '10.1.0.0/16'),
    client('core', '10.1.2.3'),
    client('v6', '2001:db8::/32'),
    client('all-v4', '0.0.0.0/0'),
  ]);
  assert.equal(table.find('10.1.2.3')?.name, 'core');
  assert.equal(table.find('10.1.9.9')?.name, 'building');
  assert.equal(table.find('10.200.0.1')?.name, 'campus');
  assert.equal(table.find('192.168.1.1')?.name, 'all-v4');
  assert.equal(table.find('::ffff:10.1.2.3')?.name, 'core');
  assert.equal(table.find('2001:db8:1::5')?.name, 'v6');
  assert.equal(table.find('2001:db9::5'), undefined);
  const narrow = new NasClientTable([client('one', '192.0.2.1')]);
  assert.equal(narrow.find('192.0.2.2'), undefined);
});

test('duplicate cache: new, in progress, answered, other authenticator, expiry', () => {
  const cache = new DuplicateCache(5000);
  const a = Buffer.alloc(16, 1);
  const b = Buffer.alloc(16, 2);
  assert.deepEqual(cache.check('k', a, 0), { kind: 'new' });
  assert.deepEqual(cache.check('k', a, 10), { kind: 'in-progress' });
  cache.answered('k', a, Buffer.from('reply'));
  assert.deepEqual(cache.check('k', a, 20), { kind: 'answered', reply: Buffer.from('reply') });
  assert.deepEqual(cache.check('k', b, 30), { kind: 'new' }, 'same identifier, new authenticator: a new request');
  assert.deepEqual(cache.check('k', b, 6000), { kind: 'new' }, 'outside the window');
  cache.sweep(20_000);
  assert.equal(cache.size, 0);
  cache.check('x', a, 0);
  cache.forget('x', a);
  assert.deepEqual(cache.check('x', a, 1), { kind: 'new' }, 'a failed request is processed again');
});
