/**
 * `/bench-floor/{bytes}` (src/http/floor.ts) is bench:api's transport floor: it exists only in a
 * process started with OPENMNT_BENCH_FLOOR=1. A node started any other way treats the path as any
 * unknown MnT path: credentials first (401), then 404.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLOOR_ENV } from '../../src/http/floor.js';
import { addAdmins, basic, ADMINS } from '../helpers/mnt.js';
import { startTestServer } from '../helpers/server.js';

const floorOf = (port: number, path: string, authorization?: string) =>
  fetch(`http://127.0.0.1:${port}${path}`, { headers: authorization === undefined ? {} : { authorization } });

test('without the flag there is no floor: the path is an unknown MnT call', async () => {
  delete process.env[FLOOR_ENV];
  const server = await startTestServer();
  try {
    await addAdmins(server);
    assert.equal((await floorOf(server.api.port, '/bench-floor/100')).status, 401);
    assert.equal((await floorOf(server.api.port, '/bench-floor/100', basic(ADMINS['mnt-admin']))).status, 404);
  } finally {
    await server.stop();
  }
});

test('with the flag at start: a constant body of the size asked for; anything else goes on as usual', async () => {
  process.env[FLOOR_ENV] = '1';
  const server = await startTestServer();
  delete process.env[FLOOR_ENV];
  try {
    const res = await floorOf(server.api.port, '/bench-floor/1809');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '1809');
    assert.equal(await res.text(), 'x'.repeat(1809));
    assert.equal((await floorOf(server.api.port, '/bench-floor/-1')).status, 401, 'not a size: an unknown path');
    assert.equal((await floorOf(server.api.port, `/bench-floor/${2 ** 21}`)).status, 401, 'over the largest size');
  } finally {
    await server.stop();
  }
});
