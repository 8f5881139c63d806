import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeMac } from '../../src/sessions/index.js';

test('every common MAC spelling becomes AA:BB:CC:DD:EE:FF', () => {
  for (const spelling of ['0a:1b:2c:3d:4e:5f', '0A-1B-2C-3D-4E-5F', '0a1b.2c3d.4e5f', '0A1B2C3D4E5F', ' 0a:1b:2c:3d:4e:5f ']) {
    assert.equal(normalizeMac(spelling), '0A:1B:2C:3D:4E:5F', spelling);
  }
});

test('anything else is not a MAC', () => {
  for (const bad of ['', '0a:1b:2c:3d:4e', '0a:1b-2c:3d:4e:5f', '0a1b2c3d4e5', 'gg:1b:2c:3d:4e:5f', '0a1b.2c3d.4e5', '10.0.0.1', '0a:1b:2c:3d:4e:5f:60']) {
    assert.equal(normalizeMac(bad), null, bad);
  }
});
