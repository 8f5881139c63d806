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
