/**
 * The postgres driver, as installed (scripts/patch-postgres-driver.mjs), when the connection a
 * transaction holds is cut: the transaction fails with CONNECTION_CLOSED and the process lives on.
 * Unguarded, the driver's deferred write of the ROLLBACK on the closed socket threw where nothing
 * could catch it, and a node's store thread ended during a database failover.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { ADMIN_URL, needPostgres } from '../helpers/postgres.js';
import { tcpCut } from '../helpers/tcp-cut.js';

const skip = await needPostgres();

test('a transaction whose connection is cut fails with CONNECTION_CLOSED; nothing escapes to the process', { skip }, async () => {
  const target = new URL(ADMIN_URL);
  const relay = await tcpCut(Number(target.port || 5432), target.hostname);
  const url = new URL(ADMIN_URL);
  url.port = String(relay.port);
  const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined, connect_timeout: 2 });
  const escaped: unknown[] = [];
  const onUncaught = (error: unknown) => escaped.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    const outcome = await sql
      .begin(async (tx) => {
        await tx.unsafe('SELECT 1');
        relay.cut();
        // Let the reset reach the driver: the connection is closed before the next statement.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.unsafe('SELECT 2');
      })
      .then(
        () => 'committed',
        (error: { code?: string }) => error.code ?? String(error),
      );
    // Another turn of the loop or two, for a deferred write to run (and throw, unguarded).
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(escaped, [], 'no exception escaped the driver');
    assert.equal(outcome, 'CONNECTION_CLOSED');
  } finally {
    process.off('uncaughtException', onUncaught);
    await sql.end({ timeout: 1 }).catch(() => undefined);
    await relay.close();
  }
});
