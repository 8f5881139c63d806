/**
 * `GET /health`, for load balancers and monitoring: 200 while the node can serve and commit, 503
 * otherwise. A read that answers is not enough: a store on a full disk still reads, so the answer
 * also carries what the session directory knows about its commits.
 */
import type { ApiDependencies } from './deps.js';

export async function healthAnswer(deps: ApiDependencies): Promise<{ status: number; body: Record<string, unknown> }> {
  let readable = true;
  let sessions: number | null = null;
  try {
    sessions = await deps.store.countActive();
  } catch {
    readable = false;
  }
  const writes = await deps.storeHealth?.();
  const ok = readable && (writes === undefined || writes.ok);
  const body = {
    status: ok ? 'ok' : 'degraded',
    store: ok ? 'ok' : 'failing',
    // Which engine, and whether a read of it answers now (a PostgreSQL server out of reach fails both ways).
    storeDriver: deps.config.store.driver,
    storeReadable: readable,
    activeSessions: sessions,
    ...writes?.fields,
    uptimeSeconds: Math.round(process.uptime()),
    version: deps.version,
  };
  return { status: ok ? 200 : 503, body };
}
