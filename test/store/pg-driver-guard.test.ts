/**
 * The postgres driver, as installed (scripts/patch-postgres-driver.mjs):
 * - when the connection a transaction holds is cut, the transaction fails with CONNECTION_CLOSED and
 *   the process lives on. Unguarded, the driver's deferred write of the ROLLBACK on the closed
 *   socket threw where nothing could catch it, and a node's store thread ended during a failover;
 * - when the primary dies, a pool told `target_session_attrs=primary` never answers from the hot
 *   standby, and writes go to the old primary once it is back. Unmended, the dead backend's error
 *   was raised on the next connection (to the standby) and the server check was skipped: the pool
 *   stayed on the standby and every write failed there, the primary back or not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { ADMIN_URL, needPostgres } from '../helpers/postgres.js';
import { needPgCluster, startPrimary, startStandby } from '../helpers/pg-cluster.js';
import { tcpCut } from '../helpers/tcp-cut.js';

const skip = await needPostgres();

test('a transaction whose connection is cut fails with CONNECTION_CLOSED; nothing escapes to the process', { skip }, async () => {
  const target = new URL(ADMIN_URL);
  const relay = await tcpCut(Number(target.port || 5432), target.hostname);
  const url = new URL(ADMIN_URL);
  url.port = String(relay.port);
  let closed: () => void = () => undefined;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined, connect_timeout: 2, onclose: () => closed() });
  const escaped: unknown[] = [];
  const onUncaught = (error: unknown) => escaped.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    const outcome = await sql
      .begin(async (tx) => {
        await tx.unsafe('SELECT 1');
        relay.cut();
        // The driver has seen its connection close before the next statement is written.
        await connectionClosed;
        await tx.unsafe('SELECT 2');
      })
      .then(
        () => 'committed',
        (error: { code?: string }) => error.code ?? String(error),
      );
    // The driver defers small writes with setImmediate: two more turns of the loop run any (which,
    // unguarded, throws there).
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(escaped, [], 'no exception escaped the driver');
    assert.equal(outcome, 'CONNECTION_CLOSED');
  } finally {
    process.off('uncaughtException', onUncaught);
    await sql.end({ timeout: 1 }).catch(() => undefined);
    await relay.close();
  }
});

const clusterSkip = needPgCluster();

test('target_session_attrs=primary: no answer from the standby while the primary is down; writes reach the primary once it is back', { skip: clusterSkip, timeout: 120_000 }, async () => {
  const primary = await startPrimary();
  const standby = await startStandby(primary);
  const sql = postgres(`postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres`, {
    max: 2,
    target_session_attrs: 'primary',
    connect_timeout: 2,
    onnotice: () => undefined,
  });
  /** Which server answered (port, in recovery), or the error's code; a query still waiting after 1.5 s counts as unanswered. */
  const ask = () =>
    Promise.race([
      sql.unsafe('SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery').then(([row]) => ({ port: row!.port as number, recovery: row!.recovery as boolean })),
      new Promise<string>((resolve) => setTimeout(() => resolve('unanswered'), 1500)),
    ]).catch((error: { code?: string }) => `error ${error.code ?? String(error)}`);
  try {
    await sql.unsafe('CREATE TABLE probe (x int)');
    assert.deepEqual(await Promise.all([ask(), ask()]), [{ port: primary.port, recovery: false }, { port: primary.port, recovery: false }]);
    primary.kill();
    // The pool's connections meet the dead server (reset, or FATAL 57P01 from its backends), then
    // look for another: the standby is there, in recovery, and must be refused each time.
    const during: unknown[] = [];
    for (let round = 0; round < 6; round++) during.push(...(await Promise.all([ask(), ask()])));
    const fromStandby = during.filter((a) => typeof a === 'object' && (a as { port: number }).port === standby.port);
    assert.deepEqual(fromStandby, [], `answers during the outage: ${JSON.stringify(during)}`);
    primary.start();
    let written: unknown = null;
    for (let attempt = 0; attempt < 40 && written === null; attempt++) {
      written = await sql
        .unsafe('INSERT INTO probe VALUES (1) RETURNING inet_server_port() AS port')
        .then(([row]) => row!.port as number)
        .catch((error: { code?: string }) => {
          // A write that reached the standby fails with 25006: that is the defect, not a wait.
          assert.notEqual(error.code, '25006', 'a write went to the standby');
          if (process.env.DEBUG_TEST) console.log('write', error.code, String(error));
          return null;
        });
      if (written === null) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(written, primary.port, 'the write went to the old primary, back');
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    primary.remove();
    standby.remove();
  }
});
