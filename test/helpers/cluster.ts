/**
 * What the tests of several nodes on one PostgreSQL share: each node's environment (its name, the
 * database, its own TLS pair and pxGrid accounts, the admin accounts file they all read) and the
 * admins added to that file with the real `openmnt admin add`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The environment of node `name` on the database at `url`, its files under `dir`. */
export function clusterNodeEnv(dir: string, url: string, name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENMNT_NODE__NAME: name,
    OPENMNT_STORE__DRIVER: 'postgres',
    OPENMNT_STORE__URL: url,
    OPENMNT_STORE__POOL_SIZE: '3',
    // Admin accounts are still a file per node (issue #15): here one file every node reads.
    OPENMNT_API__ADMINS_FILE: join(dir, 'admins.json'),
    OPENMNT_API__TLS__DIR: join(dir, `tls-${name}`),
    OPENMNT_PXGRID__ACCOUNTS_FILE: join(dir, `pxgrid-${name}.json`),
    ...extra,
  };
}

/** Adds an admin to the nodes' shared accounts file, as an operator would. */
export function addClusterAdmin(dir: string, name: string, role: string, password: string): void {
  const add = spawnSync(process.execPath, ['bin/openmnt.js', 'admin', 'add', name, '--role', role], {
    input: `${password}\n`,
    encoding: 'utf8',
    env: { ...process.env, OPENMNT_CONFIG: '', OPENMNT_API__ADMINS_FILE: join(dir, 'admins.json'), OPENMNT_API__PASSWORD_HASH_COST: '14' },
  });
  assert.equal(add.status, 0, add.stderr);
}
