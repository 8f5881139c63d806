/**
 * Two views the console needs that no other call gives, both documented and usable with curl:
 *
 * - `GET /api/v1/groups/:name/endpoints`: a group's Endpoints tab — each endpoint of the runtime
 *   policy's group with its online status (an active session in the directory) and the evidence
 *   for it (its last authentication and last accounting, with when and what). Perform CoA is only
 *   offered on online ones; the server still refuses a CoA for an endpoint that left meanwhile.
 *   A delegated admin may read its own groups only.
 * - `GET /api/v1/summary/history`: the dashboard's last hours, a point a minute (active sessions,
 *   authentications passed and failed), from the activity samples (sessions/activity.ts).
 */
import { OpenMntError } from '../../errors.js';
import type { EndpointDef } from '../../policy/index.js';
import type { Store } from '../../store/index.js';
import { sendJson } from '../context.js';
import type { ApiDependencies } from '../deps.js';
import { HttpError } from '../errors.js';
import { isDelegated, scopeCheck } from './policy.js';
import { QueryReader } from './query.js';
import type { Route } from './router.js';

const DAY_MS = 86_400_000;
/** The evidence looks back as AuthStatus and AcctStatus do: 10 and 5 days. */
const AUTH_LOOKBACK_MS = 10 * DAY_MS;
const ACCT_LOOKBACK_MS = 5 * DAY_MS;
const MAX_PAGE = 500;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** What the tab shows of one endpoint: online or not, and why we think so. */
async function endpointStatus(store: Store, e: EndpointDef, online: boolean, now: number) {
  const [session, auths, accts] = await Promise.all([
    online ? store.findLatestSession({ mac: e.mac, scope: 'active' }) : Promise.resolve(null),
    store.authRecordsByMac({ mac: e.mac, since: now - AUTH_LOOKBACK_MS, limit: 1 }),
    store.accountingRecordsByMac({ mac: e.mac, since: now - ACCT_LOOKBACK_MS, limit: 1 }),
  ]);
  const auth = auths[0];
  const acct = accts[0];
  return {
    mac: e.mac,
    description: e.description,
    profile: e.profile,
    attributes: e.attributes,
    // The session can close between the two reads: it is online only if it is still found.
    online: session !== null,
    session:
      session === null
        ? null
        : { id: session.id, state: session.state, nasIp: session.nasIp, nasName: session.networkDeviceName ?? null, nasPortId: session.nasPortId ?? null, userName: session.userName ?? null, framedIp: session.framedIp ?? null, startedAt: iso(session.startedAt), updatedAt: iso(session.updatedAt) },
    lastAuthentication: auth === undefined ? null : { at: iso(auth.receivedAt), passed: auth.passed, failureReason: auth.failureReason, nasIp: auth.nasIp, authzProfile: auth.selectedAuthzProfile },
    lastAccounting: acct === undefined ? null : { at: iso(acct.receivedAt), statusType: acct.statusType, nasIp: acct.nasIp, terminateCause: acct.terminateCause },
  };
}

export function consoleViewRoutes(deps: ApiDependencies): Route[] {
  const store = deps.store;
  return [
    {
      path: '/groups/:key/endpoints',
      name: 'api/groups/{key}/endpoints',
      methods: {
        GET: {
          right: ['read', 'endpoints'],
          doing: 'read the endpoints of groups',
          handler: async (ctx, p) => {
            const policy = deps.policy;
            if (policy === undefined) throw new HttpError(503, 'UNAVAILABLE', 'the runtime policy is not running on this node');
            const group = p.key!;
            if (isDelegated(ctx.admin)) scopeCheck(ctx.admin, group, `the group ${group}`);
            if (policy.get('groups', group) === undefined) throw new OpenMntError('NOT_FOUND', `no identity group '${group}'`);
            const q = new QueryReader(ctx.url.searchParams, ['status', 'q', 'limit', 'offset']);
            const status = q.oneOf('status', ['online', 'offline'] as const);
            const needle = q.text('q')?.replace(/[^0-9a-f]/gi, '').toUpperCase();
            const limit = q.integer('limit', 1, MAX_PAGE) ?? 100;
            const offset = q.integer('offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
            const members = policy
              .list('endpoints')
              .map((o) => o.data as EndpointDef)
              .filter((e) => e.group === group && (needle === undefined || needle === '' || e.mac.replace(/:/g, '').includes(needle)));
            // Which are online, in a few batched reads however large the group (bulk jobs' lookup).
            const online = new Set((await store.latestSessionsByMacs(members.map((e) => e.mac), { scope: 'active' })).map((l) => l.mac));
            const selected = status === undefined ? members : members.filter((e) => online.has(e.mac) === (status === 'online'));
            const now = Date.now();
            const page = await Promise.all(selected.slice(offset, offset + limit).map((e) => endpointStatus(store, e, online.has(e.mac), now)));
            const next = offset + limit < selected.length ? offset + limit : null;
            sendJson(
              ctx.res,
              200,
              { group, total: selected.length, online: members.filter((e) => online.has(e.mac)).length, members: members.length, offset, endpoints: page, next },
              { 'Cache-Control': 'no-store' },
            );
          },
        },
      },
    },
    {
      path: '/summary/history',
      name: 'api/summary/history',
      methods: {
        GET: {
          right: 'read',
          doing: 'read the summary',
          handler: async (ctx) => {
            const q = new QueryReader(ctx.url.searchParams, ['hours']);
            const hours = q.integer('hours', 1, 24) ?? 24;
            const now = Date.now();
            const [samples, active] = await Promise.all([store.activity(now - hours * 3_600_000), store.countActive()]);
            sendJson(
              ctx.res,
              200,
              {
                hours,
                intervalSeconds: 60,
                points: samples.map((s) => ({ at: iso(s.at), active: s.active, passed: s.passed, failed: s.failed })),
                // The count now, so the chart ends where the dashboard's figure is.
                now: { at: iso(now), active },
              },
              { 'Cache-Control': 'no-store' },
            );
          },
        },
      },
    },
  ];
}
