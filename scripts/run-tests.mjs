// Runs every compiled test file with the node test runner. Node 20 has no glob support in
// `node --test`, so the file list is gathered here. Extra arguments are passed through
// (e.g. `npm test -- --test-name-pattern=codec`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = testFiles('dist/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
