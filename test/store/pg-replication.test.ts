/**
 * The database setting the scale-out documentation gives for failover, shown on real servers: a
 * primary with a hot standby in synchronous replication (`synchronous_standby_names` naming the
 * standby, `synchronous_commit = on`). Every commit the primary acknowledged is on the standby
 * when the primary is killed with SIGKILL, and the promoted standby takes writes. These are the
 * servers (test/helpers/pg-cluster.ts) the node's failover tests run against.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { needPgCluster, startPrimary, startStandby, type PgCluster } from '../helpers/pg-cluster.js';

const skip = needPgCluster();

describe('PostgreSQL streaming replication with a synchronous hot standby', { skip, timeout: 180_000 }, () => {
  let primary: PgCluster;
  let standby: PgCluster;

  before(async () => {
    primary = await startPrimary({ synchronousStandby: 'standby1' });
    standby = await startStandby(primary, 'standby1');
  });
  after(() => {
    standby?.remove();
    primary?.remove();
  });

  test('the standby streams in sync; after SIGKILL of the primary and promotion every acknowledged commit is there and writes go on', () => {
    assert.equal(primary.inRecovery(), false);
    assert.equal(standby.inRecovery(), true);
    // The standby is attached as the synchronous one before anything is written.
    let state = '';
    for (let i = 0; i < 100 && state !== 'sync'; i++) {
      state = primary.psql("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'");
      if (state !== 'sync') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    assert.equal(state, 'sync');

    primary.psql('CREATE TABLE acknowledged (n integer PRIMARY KEY)');
    // Each statement is its own transaction: psql returns only once the commit is acknowledged,
    // which under synchronous replication means the standby has flushed it.
    primary.psqlScript(Array.from({ length: 200 }, (_, i) => `INSERT INTO acknowledged VALUES (${i + 1})`));
    primary.kill();

    standby.promote();
    assert.equal(standby.inRecovery(), false);
    assert.equal(standby.psql('SELECT count(*), max(n) FROM acknowledged'), '200|200');
    standby.psql('INSERT INTO acknowledged VALUES (201)');
    assert.equal(standby.psql('SELECT count(*) FROM acknowledged'), '201');
  });
});
