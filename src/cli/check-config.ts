/**
 * `openmnt check-config`: loads the configuration exactly as `serve` would (file, then environment
 * overrides), and prints the effective result with every secret masked, or the first problem with
 * the path of the setting at fault. Meant for `ExecStartPre` and for a change review.
 */
import { stringify } from 'yaml';
import { defaultConfigFile, loadConfig, type Config } from '../config.js';
import { configJsonSchema } from '../config-schema.js';
import { isOpenMntError } from '../errors.js';

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

export function checkConfig(values: { config?: string | undefined; quiet?: boolean | undefined }): number {
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

/** `openmnt config-schema`: the JSON Schema of openmnt.yaml, from the same schema the loader checks with. */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
