/** What the HTTP faces are given by the composition root. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CoaService } from '../coa/types.js';
import type { JobRunner } from '../coa/jobs.js';
import type { Store } from '../store/index.js';
import type { AdminDirectory } from './admins.js';
import type { LoginGuard } from './guard.js';
import type { MetricsRegistry } from './metrics.js';

export interface ApiDependencies {
  config: Config;
  logger: Logger;
  store: Store;
  admins: AdminDirectory;
  guard: LoginGuard;
  metrics: MetricsRegistry;
  coa?: CoaService | undefined;
  jobs?: JobRunner | undefined;
  /** OpenMnT's own version, in the Server header and /health. */
  version: string;
  /** The store's ability to commit, for /health (absent: the health answer only probes a read). */
  storeHealth?: (() => StoreHealth | Promise<StoreHealth>) | undefined;
}

export interface StoreHealth {
  ok: boolean;
  [field: string]: unknown;
}
