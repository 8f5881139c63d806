/**
 * `openmnt check-config`: loads the configuration exactly as `serve` would (file, then environment
 * overrides), and prints the effective result with every secret masked, or the first problem with
 * the path of the setting at fault. Meant for `ExecStartPre` and for a change review.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { defaultConfigFile, loadConfig, type Config } from '../config.js';
import { isOpenMntError } from '../errors.js';

export const CHECK_CONFIG_HELP = `Usage: openmnt check-config [--config FILE] [--quiet]

Validates the configuration serve would use and prints it as YAML with secrets masked.
  -c, --config FILE   the file to check (default as for serve)
  -q, --quiet         print nothing when it is valid
Exit codes: 0 valid, 2 invalid or unreadable
`;

const MASK = '********';

/** The configuration with shared secrets, user passwords and webhook secrets replaced. */
export function maskSecrets(config: Config): Config {
  const copy = structuredClone(config);
  for (const client of copy.radius.clients) client.secret = MASK;
  for (const user of copy.auth.users) user.password = MASK;
  for (const hook of copy.coa.webhooks) hook.secret = MASK;
  for (const hook of copy.events.webhooks) hook.secret = MASK;
  return copy;
}

export function checkConfig(argv: string[]): number {
  let values: { config?: string | undefined; quiet?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`openmnt check-config: ${(error as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(CHECK_CONFIG_HELP);
    return 0;
  }
  const file = values.config || defaultConfigFile();
  let config: Config;
  try {
    config = loadConfig({ file });
  } catch (error) {
    if (!isOpenMntError(error)) throw error;
    process.stderr.write(`openmnt check-config: ${error.message}\n`);
    return 2;
  }
  if (!values.quiet) {
    process.stdout.write(`# ${file === undefined ? 'built-in defaults' : file}: valid (environment overrides applied, secrets masked)\n`);
    process.stdout.write(stringify(maskSecrets(config)));
  }
  return 0;
}
