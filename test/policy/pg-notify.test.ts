/**
 * Policy change notification on PostgreSQL (LISTEN / NOTIFY): a node whose revision poll is off
 * still takes a change committed through another node, so it is the notification that brings it.
 * How long that took is printed, not asserted (a loaded machine decides it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { defaultConfig } from '../../src/config.js';
import { PolicyService, seedFromConfig, type CompiledPolicy } from '../../src/policy/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';

const skip = await needPostgres();

describe('policy changes announced between nodes on PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let stores: PostgresStore[] = [];
  const services: PolicyService[] = [];

  before(async () => {
    db = await createTestDatabase();
    stores = [await openPostgresStore({ url: db.url, poolSize: 2 }), await openPostgresStore({ url: db.url, poolSize: 2 })];
  });
  after(async () => {
    for (const s of services) s.close();
    for (const s of stores) await s.close();
    await db?.drop();
  });

  test('a change through one node is compiled on the other with no poll at all', async () => {
    const config = defaultConfig();
    config.auth.groups = [{ name: 'Lab' }];
    const logger = createLogger('silent');
    const mac = '00:00:5E:00:53:0A';
    let resolveSeen: (p: CompiledPolicy) => void;
    const seen = new Promise<CompiledPolicy>((resolve) => (resolveSeen = resolve));
    const there = await PolicyService.open({ store: stores[0]!, logger, pollMs: 0 }, seedFromConfig(config));
    services.push(there);
    const here = await PolicyService.open(
      { store: stores[1]!, logger, pollMs: 0, onPolicy: (_s, compiled) => void (compiled.decide({ userName: '00005e00530a', password: 'x', chap: null, serviceType: 10, callingStationId: mac, eap: false }).identityGroup === 'Lab' && resolveSeen(compiled)) },
      seedFromConfig(config),
    );
    services.push(here);
    const at = performance.now();
    await there.apply([{ kind: 'endpoints', key: mac, data: { mac, group: 'Lab', description: '', profile: null, attributes: {} } }], { admin: 'ops', source: 'node A' });
    const compiled = await seen;
    console.log(`policy change through node A compiled on node B (poll off) after ${(performance.now() - at).toFixed(1)} ms`);
    assert.equal(compiled.revision, there.revision);
    assert.equal(here.get('endpoints', mac)?.version, 1);
  });
});
