/**
 * The policy in the store, over the worker-thread store `openmnt serve` uses: a write is all or
 * nothing with its version checks (the stale one refused with its code across the thread), the
 * audit kept with it; and a change written by another node sharing the database is picked up by a
 * running PolicyService through its revision poll.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { PolicyService, seedFromConfig, type CompiledPolicy } from '../../src/policy/index.js';
import { defaultConfig } from '../../src/config.js';
import { startStore, type Store } from '../../src/store/index.js';
import { isOpenMntError } from '../../src/errors.js';

describe('policy in the store', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-policy-store-'));
    store = await startStore({ driver: 'sqlite', path: join(dir, 'openmnt.db'), synchronous: 'normal', thread: true });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a write is all or nothing: one stale version refuses the whole change, audit included', async () => {
    const audit = (key: string) => ({ at: 1, admin: 'ops', source: '127.0.0.1', kind: 'groups', key, operation: 'create' as const, before: null, after: { name: key } });
    const first = await store.writePolicy([{ kind: 'groups', key: 'A', data: { name: 'A' }, expectVersion: null }], [audit('A')]);
    assert.deepEqual(first.versions, [1]);
    await assert.rejects(
      store.writePolicy(
        [
          { kind: 'groups', key: 'B', data: { name: 'B' }, expectVersion: null },
          { kind: 'groups', key: 'A', data: { name: 'A', description: 'x' }, expectVersion: 7 },
        ],
        [audit('B')],
      ),
      (error) => isOpenMntError(error, 'PRECONDITION_FAILED'),
    );
    const rows = await store.loadPolicy();
    assert.equal(rows.revision, first.revision);
    assert.deepEqual(rows.objects.map((o) => o.key), ['A']);
    assert.deepEqual((await store.configAudit({ limit: 10 })).map((r) => r.key), ['A']);
    await assert.rejects(store.writePolicy([{ kind: 'groups', key: 'A', data: { name: 'A' }, expectVersion: null }], []), (error) => isOpenMntError(error, 'ALREADY_EXISTS'));
  });
});

describe('a change written by another node', () => {
  let dir: string;
  let stores: Store[];
  const services: PolicyService[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-policy-nodes-'));
    const options = { driver: 'sqlite' as const, path: join(dir, 'shared.db'), synchronous: 'normal' as const, thread: true };
    stores = [await startStore(options), await startStore(options)];
  });
  after(async () => {
    for (const s of services) s.close();
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('is compiled and in force on this node by the next revision poll (once a second)', async () => {
    const config = defaultConfig();
    config.auth.groups = [{ name: 'Lab' }];
    const logger = createLogger('silent');
    let resolveSeen: (p: CompiledPolicy) => void;
    const seen = new Promise<CompiledPolicy>((resolve) => (resolveSeen = resolve));
    const here = await PolicyService.open({ store: stores[0]!, logger, onPolicy: (_s, compiled) => resolveSeen(compiled) }, seedFromConfig(config));
    services.push(here);
    const there = await PolicyService.open({ store: stores[1]!, logger, pollMs: 0 }, seedFromConfig(config));
    services.push(there);
    await there.apply([{ kind: 'endpoints', key: '00:00:5E:00:53:09', data: { mac: '00:00:5E:00:53:09', group: 'Lab', description: '', profile: null, attributes: {} } }], { admin: 'ops', source: 'other node' });
    const compiled = await seen;
    assert.equal(compiled.revision, there.revision);
    assert.equal(here.get('endpoints', '00:00:5E:00:53:09')?.version, 1);
    const decision = compiled.decide({ userName: '00005e005309', password: 'x', chap: null, serviceType: 10, callingStationId: '00-00-5E-00-53-09', eap: false });
    assert.equal(decision.identityGroup, 'Lab');
  });
});
