/**
 * `openmnt db status` and `openmnt db migrate`: the database schema of the node whose
 * configuration is given (the same --config, $OPENMNT_CONFIG and environment overrides as serve),
 * for SQLite and PostgreSQL alike. With `store.migrate: manual` this is how an upgrade's
 * migration is run: once, when the operator says, before the new release's nodes start.
 */
import { isOpenMntError } from '../errors.js';
import { EXIT } from './exit.js';

type Sub = 'status' | 'migrate';

/** A failure in one line: what happened and its stable code, never a stack. */
function failed(sub: Sub, error: unknown): number {
  if (!isOpenMntError(error)) throw error;
  process.stderr.write(`openmnt db ${sub}: ${error.message} (${error.code})\n`);
  return EXIT.failed;
}

export async function runDbCommand(sub: Sub, values: { config?: string | undefined }): Promise<number> {
  const { defaultConfigFile, loadConfig } = await import('../config.js');
  let store;
  try {
    store = loadConfig({ file: values.config || defaultConfigFile() }).store;
  } catch (error) {
    if (!isOpenMntError(error)) throw error;
    process.stderr.write(`openmnt db ${sub}: ${error.message}\n`);
    return EXIT.usage;
  }
  const { migrateSchema, schemaState } = await import('../store/schema-admin.js');
  const out = (lines: [string, string | number][]) => process.stdout.write(lines.map(([k, v]) => `${`${k}:`.padEnd(22)}${v}\n`).join(''));
  if (sub === 'status') {
    let state;
    try {
      state = await schemaState(store);
    } catch (error) {
      return failed(sub, error);
    }
    const { driver, where, version, expected } = state;
    const verdict =
      version === expected
        ? 'current'
        : version < expected
          ? `behind: ${expected - version} migration${expected - version === 1 ? '' : 's'} pending (${store.migrate === 'manual' ? 'store.migrate is manual: run openmnt db migrate' : 'applied by openmnt db migrate, or by the next node that starts'})`
          : 'newer than this OpenMnT';
    out([
      ['store', `${driver} ${where}`],
      ['schema version', version === 0 ? '0 (no schema yet)' : version],
      ['this OpenMnT expects', expected],
      ['state', verdict],
      ['store.migrate', store.migrate],
      // The record tables' day partitions (PostgreSQL): how far back and ahead they reach, and
      // what fell outside every day (rows in default stay until retention deletes them).
      ...(state.partitions ?? []).map((p): [string, string] => [
        p.table,
        `${p.days} day partition${p.days === 1 ? '' : 's'}${p.days > 0 ? ` (${p.oldestDay} to ${p.newestDay})` : ''}` +
          `${p.legacyBefore === null ? '' : `, rows before ${p.legacyBefore} in the legacy partition`}, ${p.defaultRows} row${p.defaultRows === 1 ? '' : 's'} in default`,
      ]),
    ]);
    if (version > expected) {
      process.stderr.write(`openmnt db status: database schema version ${version} is newer than this OpenMnT knows (${expected}): run the release that migrated it (STORE_SCHEMA_NEWER)\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  }
  let outcome;
  try {
    outcome = await migrateSchema(store);
  } catch (error) {
    return failed(sub, error);
  }
  const { driver, where, from, version } = outcome;
  out([
    ['store', `${driver} ${where}`],
    ['from version', from],
    ['to version', version],
    ['state', from === version ? 'already current: nothing to apply' : `migrated: ${version - from} migration${version - from === 1 ? '' : 's'} applied`],
  ]);
  return EXIT.ok;
}
