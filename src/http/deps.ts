/** What the HTTP faces are given by the composition root. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CoaService } from '../coa/types.js';
import type { JobRunner } from '../coa/jobs.js';
import type { Store } from '../store/index.js';
import type { StoreHealthReport } from '../sessions/health.js';
import type { EventBus } from '../events/bus.js';
import type { PxGridService } from './pxgrid/service.js';
import type { AdminDirectory } from './admins.js';
import type { LoginGuard } from './guard.js';
import type { MetricsRegistry } from './metrics.js';
import type { PolicyService } from '../policy/service.js';
import type { DataConnect } from '../dataconnect/service.js';

export interface ApiDependencies {
  config: Config;
  logger: Logger;
  store: Store;
  admins: AdminDirectory;
  guard: LoginGuard;
  metrics: MetricsRegistry;
  coa?: CoaService | undefined;
  jobs?: JobRunner | undefined;
  /** The runtime policy (the /api/v1 policy routes); absent on nodes that run none. */
  policy?: PolicyService | undefined;
  /** OpenMnT's own version, in the Server header and /health. */
  version: string;
  /** Whether the store can commit, and what /health reports about it (absent: only a read is tried). */
  storeHealth?: (() => Promise<StoreHealthReport>) | undefined;
  /** Session events (the SSE stream); absent: `/api/v1/events` answers 503. */
  events?: EventBus | undefined;
  /** The pxGrid 2.0 publisher under /pxgrid/ (and its WebSocket); absent: /pxgrid/ is unknown. */
  pxgrid?: PxGridService | undefined;
  /** SQL over the DataConnect views (`POST /api/v1/dc/query`); absent: it answers 503. */
  dataconnect?: DataConnect | undefined;
}
