/** Words both engines use when a node under `store.migrate: manual` meets a schema behind its own. */
import { OpenMntError } from '../errors.js';

export function schemaOlder(current: number, expected: number): OpenMntError {
  return new OpenMntError(
    'STORE_SCHEMA_OLDER',
    `database schema version ${current} is older than this OpenMnT expects (${expected}) and store.migrate is manual: run \`openmnt db migrate\` (with this node's --config) first`,
  );
}
