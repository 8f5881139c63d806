/** The same store contract with SQLite on its worker thread, as `openmnt serve` runs it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('the store test suite passes against the worker-thread store', () => {
  const run = spawnSync(process.execPath, ['--test', 'dist/test/store/sqlite.test.js'], {
    // Without NODE_TEST_CONTEXT the child reports in plain TAP instead of to this runner.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, OPENMNT_TEST_STORE_THREAD: '1' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stdout.slice(-3000));
  // Every test of the contract ran there and passed (not a count written here, which went stale
  // each time the contract grew).
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? -1);
  assert.ok(count('tests') >= 26, `the whole contract ran (${count('tests')} tests)`);
  assert.equal(count('pass'), count('tests'));
  assert.equal(count('fail'), 0);
});
