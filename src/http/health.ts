/**
 * `GET /health`, for load balancers and monitoring: 200 while the node can serve and commit, 503
 * otherwise. A read that answers is not enough: a store on a full disk still reads, so the answer
 * also carries what the session directory knows about its commits.
 */
import type { ApiDependencies } from './deps.js';

/**
 * How long a read of /health may take before the store counts as unreadable. With PostgreSQL a
 * read waits, rather than fails, while no host of the URL is a primary (between a primary's crash
 * and a standby's promotion the driver keeps trying the hosts): /health must answer meanwhile.
 */
const READ_BOUND_MS = 3000;

function bounded<T>(read: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer in time')), READ_BOUND_MS);
  });
  read.catch(() => undefined); // a read that fails after the bound is not an unhandled rejection
  return Promise.race([read, late]).finally(() => clearTimeout(timer));
}

export async function healthAnswer(deps: ApiDependencies): Promise<{ status: number; body: Record<string, unknown> }> {
  let readable = true;
  let sessions: number | null = null;
  try {
    sessions = await bounded(deps.store.countActive());
  } catch {
    readable = false;
  }
  // PostgreSQL: which server the node reads from now (the promoted one after a failover), or null
  // while none answers; and whether that server is a standby still in recovery (never with the
  // default target_session_attrs=primary: only where a site's URL asks for a standby).
  const server = deps.store.databaseServer === undefined ? undefined : await bounded(deps.store.databaseServer()).catch(() => null);
  const writes = await deps.storeHealth?.();
  const ok = readable && (writes === undefined || writes.ok);
  const body = {
    status: ok ? 'ok' : 'degraded',
    store: ok ? 'ok' : 'failing',
    // Which engine, and whether a read of it answers now (a PostgreSQL server out of reach fails both ways).
    storeDriver: deps.config.store.driver,
    storeReadable: readable,
    ...(server === undefined ? {} : { storeServer: server?.address ?? null, storeServerInRecovery: server?.inRecovery ?? null, storeSchemaVersion: server?.schemaVersion ?? null }),
    activeSessions: sessions,
    ...writes?.fields,
    uptimeSeconds: Math.round(process.uptime()),
    version: deps.version,
  };
  return { status: ok ? 200 : 503, body };
}
