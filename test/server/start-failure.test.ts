/** A node that cannot start says why in one line and exits; it never stays up half started. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openmnt } from '../helpers/run.js';

describe('openmnt serve on a port that is taken', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-start-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (radiusPort: number, apiPort: number) => {
    const file = join(dir, `openmnt-${radiusPort}-${apiPort}.yaml`);
    writeFileSync(
      file,
      [
        'radius:',
        `  auth: { host: 127.0.0.1, port: ${radiusPort} }`,
        '  accounting: { host: 127.0.0.1, port: 0 }',
        `api: { host: 127.0.0.1, port: ${apiPort}, tls: { enabled: false }, adminsFile: ${join(dir, 'admins.json')} }`,
        `pxgrid: { accountsFile: ${join(dir, 'pxgrid-accounts.json')} }`,
        `store: { path: ${join(dir, 'openmnt.db')} }`,
        'log: { level: silent }',
        '',
      ].join('\n'),
    );
    return file;
  };

  test('a RADIUS port in use: one line naming the port, exit 1', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const port = taken.address().port;
      const r = await openmnt(['serve', '--config', config(port, 0)], {});
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^openmnt serve: cannot listen for RADIUS authentication on UDP 127\\.0\\.0\\.1:${port}: the port is already in use`));
    } finally {
      taken.close();
    }
  });

  test('the API port in use: one line naming it, exit 1, RADIUS let go again', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const r = await openmnt(['serve', '--config', config(0, port)], {});
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr.trim(), new RegExp(`^openmnt serve: cannot listen for the MnT API on TCP 127\\.0\\.0\\.1:${port}: the port is already in use[^\\n]*$`));
    } finally {
      taken.close();
    }
  });
});
