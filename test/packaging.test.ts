/**
 * The ways OpenMnT is installed: the npm package, the systemd unit and the container image. Each is
 * checked with the tool that would reject it: npm's own file list, `systemd-analyze verify` and
 * `security`, and a Dockerfile validator (no image is built: this machine has no Docker daemon).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { validate } from 'dockerfile-utils';
import { openmnt } from './helpers/run.js';
import { needTool } from './helpers/tools.js';

test('npm pack: the binary, the compiled sources, the example configuration, its JSON Schema and the man page; no tests, no benchmarks', () => {
  // --ignore-scripts: prepack would rebuild dist/ under the other tests' feet.
  const out = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const files = (JSON.parse(out.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const needed of ['bin/openmnt.js', 'dist/src/cli/main.js', 'dist/src/server.js', 'dist/src/store/sqlite/reader-thread.js', 'dist/src/store/sqlite/checkpointer-thread.js', 'dist/ui/index.html', 'openmnt.example.yaml', 'openmnt.schema.json', 'man/openmnt.1', 'package.json', 'README.md']) {
    assert.ok(files.includes(needed), `${needed} is packed`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.startsWith('src/')), 'nothing but the build');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.equal(pkg.scripts.prepack, 'npm run build');
  assert.equal(pkg.bin.openmnt, 'bin/openmnt.js');
});

test('systemd unit: verifies, runs unprivileged with only CAP_NET_BIND_SERVICE, checks its configuration first', { skip: needTool('systemd-analyze', 'systemd') }, () => {
  const unit = readFileSync('packaging/openmnt.service', 'utf8');
  for (const line of ['User=openmnt', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'StateDirectory=openmnt', 'ConfigurationDirectory=openmnt', 'Restart=on-failure', 'ExecStartPre=/usr/bin/openmnt check-config --quiet', 'ExecReload=/bin/kill -HUP $MAINPID']) {
    assert.ok(unit.split('\n').includes(line), line);
  }
  // verify wants the binary where the unit names it: point a copy at this checkout's.
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-unit-'));
  try {
    const copy = join(dir, 'openmnt.service');
    writeFileSync(copy, unit.replaceAll('/usr/bin/openmnt', resolve('bin/openmnt.js')));
    const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.split('\n').filter((l) => l.includes('openmnt.service')).join('\n'), '', 'no complaint about the unit');
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', copy], { encoding: 'utf8' });
    const exposure = /Overall exposure level for openmnt\.service: ([\d.]+)/.exec(security.stdout);
    assert.ok(exposure !== null, security.stdout + security.stderr);
    assert.ok(Number(exposure[1]) <= 5, `exposure ${exposure[1]} (systemd calls ≤ 5 "OK")`);
    // And a broken unit is refused, so the check above can fail.
    writeFileSync(copy, unit.replace('ExecStart=/usr/bin/openmnt serve', 'ExecStart=openmnt-nowhere serve'));
    assert.notEqual(spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' }).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('as a service, the configuration and data default to the directories systemd gives it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-fhs-'));
  try {
    const etc = join(dir, 'etc');
    const state = join(dir, 'state');
    mkdirSync(etc);
    writeFileSync(join(etc, 'openmnt.yaml'), 'node: { name: edge-9 }\n');
    const r = await openmnt(['check-config'], { CONFIGURATION_DIRECTORY: etc, STATE_DIRECTORY: state });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^# ${join(etc, 'openmnt.yaml')}: valid`));
    assert.match(r.stdout, /name: edge-9/);
    assert.match(r.stdout, new RegExp(`path: ${join(state, 'openmnt.db')}`));
    assert.match(r.stdout, new RegExp(`adminsFile: ${join(state, 'admins.json')}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Dockerfile: valid, two stages, the runtime stage unprivileged with a health check; every file it copies exists', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  assert.deepEqual(
    validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
    [],
  );
  assert.ok(validate('FROM node:20\nCOPY\n').length > 0, 'the validator does reject a broken file');
  const stages = text.split('\n').filter((l) => l.startsWith('FROM '));
  assert.equal(stages.length, 2);
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  assert.match(runtime, /^USER openmnt$/m);
  assert.match(runtime, /^HEALTHCHECK /m);
  assert.doesNotMatch(runtime, /^USER root$/m);
  for (const line of text.split('\n').filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
    const sources = line.split(/\s+/).slice(1, -1);
    for (const source of sources) assert.ok(existsSync(source), `${source} (${line}) exists`);
  }
});
