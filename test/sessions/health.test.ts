/**
 * Commit health on a clock the test moves: failures logged once a minute per reason with what was
 * left out counted, a recovery said once, a stalled store reported as unable to commit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { OpenMntError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { CommitHealth } from '../../src/sessions/health.js';
import { storeHealthReport } from '../../src/sessions/index.js';
import { openSqliteStore, writeFailureReason, type SqliteStore } from '../../src/store/index.js';

/** A write failure as the store reports it: its SQLite result code as the cause. */
const failure = (sqliteCode: string, message: string) =>
  new OpenMntError('STORE_FAILED', `write failed: ${message}`, { cause: Object.assign(new Error(message), { code: sqliteCode }) });
const diskFull = failure('SQLITE_FULL', 'database or disk is full');
const ioError = failure('SQLITE_IOERR_FSYNC', 'disk I/O error');

describe('commit health', () => {
  let dir: string;
  let store: SqliteStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-health-'));
    store = openSqliteStore({ path: join(dir, 'openmnt.db') });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function watched() {
    const lines: Record<string, unknown>[] = [];
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
    const clock = { now: 1_800_000_000_000 };
    // The probe never fires here: the interval is longer than the test.
    const health = new CommitHealth({ store, logger: createLogger('info', stream), now: () => clock.now, probeIntervalMs: 3_600_000 });
    const flushed = () => new Promise((r) => setImmediate(r));
    return { lines, clock, health, flushed };
  }

  test('failures are logged once a minute per reason, with the count of those left out', async () => {
    const { lines, clock, health, flushed } = watched();
    const start = clock.now;
    for (let i = 0; i < 100; i++) {
      health.failed(diskFull, 3);
      clock.now += 500;
    }
    health.failed(ioError, 1);
    await flushed();
    assert.deepEqual(lines.map((l) => l.reason), ['disk-full', 'io-error'], 'one line per reason');
    assert.equal(lines[0]!.sqliteCode, 'SQLITE_FULL');

    clock.now = start + 61_000;
    health.failed(diskFull, 2);
    await flushed();
    assert.equal(lines.length, 3);
    assert.equal(lines[2]!.reason, 'disk-full');
    assert.equal(lines[2]!.notLogged, 99, 'the failures of the past minute are counted');
    assert.equal(lines[2]!.failures, 101);

    const state = health.state(0, clock.now);
    assert.equal(state.failing, true);
    assert.equal(state.failingSince, start);
    assert.equal(state.failures['disk-full'], 101);
    assert.equal(state.failures['io-error'], 1);
    assert.equal(storeHealthReport(state, null, clock.now).httpStatus, 503);

    clock.now += 9_000;
    health.committed();
    health.failed(diskFull, 1);
    health.committed();
    await flushed();
    const recoveries = lines.filter((l) => l.msg === 'store commits again after failing');
    assert.equal(recoveries.length, 1, 'a second recovery within the minute is not logged');
    assert.equal(recoveries[0]!.failedSeconds, 70);
    assert.equal(recoveries[0]!.failures, 102);
    assert.equal(lines.length, 4, 'the failure between the recoveries is within the minute of the last disk-full line');
    const report = storeHealthReport(health.state(0, clock.now), { freeBytes: 10, low: true }, clock.now);
    assert.equal(report.httpStatus, 200);
    assert.equal(report.fields.writes, 'ok');
    assert.equal(report.fields.writeFailures, 103);
    assert.equal(report.fields.lastCommitAgeSeconds, 0);
    assert.equal(report.fields.diskSpace, 'low');
    health.close();
  });

  test('writes waiting 30 s with nothing committed or failed: the store is stalled, 503', () => {
    const { clock, health } = watched();
    const waitingSince = clock.now;
    clock.now += 29_000;
    assert.equal(storeHealthReport(health.state(5, waitingSince), null, clock.now).fields.writes, 'ok');
    clock.now += 1_000;
    const report = storeHealthReport(health.state(5, waitingSince), null, clock.now);
    assert.equal(report.fields.writes, 'stalled');
    assert.equal(report.fields.commitBacklog, 5);
    assert.equal(report.httpStatus, 503);
    assert.equal(storeHealthReport(health.state(0, waitingSince), null, clock.now).fields.writes, 'ok', 'nothing waiting is an idle store');
    health.close();
  });

  test('the reason of a failure comes from its SQLite result code', () => {
    assert.equal(writeFailureReason(diskFull), 'disk-full');
    assert.equal(writeFailureReason(ioError), 'io-error');
    assert.equal(writeFailureReason(failure('SQLITE_READONLY_DBMOVED', 'moved')), 'read-only');
    assert.equal(writeFailureReason(failure('SQLITE_BUSY', 'locked')), 'busy');
    assert.equal(writeFailureReason(failure('SQLITE_CORRUPT', 'malformed')), 'corrupt');
    assert.equal(writeFailureReason(new OpenMntError('STORE_CLOSED', 'the store is closed')), 'closed');
    assert.equal(writeFailureReason(new Error('something else')), 'other');
  });
});
