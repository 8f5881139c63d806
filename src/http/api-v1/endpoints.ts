/**
 * One endpoint by MAC (`GET /api/v1/endpoints/:mac`) and authentications as a list
 * (`GET /api/v1/authentications`): what the console's endpoint page and Live Logs show.
 *
 * Authentications are read per endpoint (MAC), per user name, or across every endpoint within a
 * time window (Live Logs without a MAC: read backwards along the time index, filtered by result,
 * NAS and failure reason, a page at a time). The list answers newest first.
 */
import { OpenMntError } from '../../errors.js';
import type { AccountingRecord, AuthRecord, Store } from '../../store/index.js';
import { sendJson } from '../context.js';
import { sessionRow } from './sessions.js';
import { QueryReader } from './query.js';
import type { Route } from './router.js';
import { macArgument } from '../mnt/calls.js';

const DAY_MS = 86_400_000;
/** As AuthStatus: at most ten days back, at most 500 records. */
const AUTH_WINDOW_MS = 10 * DAY_MS;
const ACCT_WINDOW_MS = 5 * DAY_MS;

export function authRow(r: AuthRecord) {
  return {
    id: r.id,
    at: new Date(r.receivedAt).toISOString(),
    passed: r.passed,
    failureReasonCode: r.failureReasonCode,
    failureReason: r.failureReason,
    userName: r.userName,
    mac: r.callingStationId,
    nasIp: r.nasIp,
    nasName: r.networkDeviceName,
    nasPortId: r.nasPortId,
    auditSessionId: r.auditSessionId,
    framedIp: r.framedIp,
    identityGroup: r.identityGroup,
    authenticationMethod: r.authenticationMethod,
    authenticationProtocol: r.authenticationProtocol,
    identityStore: r.identityStore,
    authzProfile: r.selectedAuthzProfile,
    authzPolicy: r.authzPolicy,
    messageCode: r.messageCode,
    response: r.response,
    executionSteps: r.executionSteps,
    otherAttributes: r.otherAttributes,
    responseTimeMs: r.responseTimeMs,
    server: r.server,
  };
}

function acctRow(r: AccountingRecord) {
  return {
    id: r.id,
    at: new Date(r.receivedAt).toISOString(),
    statusType: r.statusType,
    nasIp: r.nasIp,
    acctSessionId: r.acctSessionId,
    userName: r.userName,
    framedIp: r.framedIp,
    sessionSeconds: r.sessionTime,
    inputOctets: r.inputOctets,
    outputOctets: r.outputOctets,
    terminateCause: r.terminateCause,
  };
}

/** `before` is the `next` of the previous page: `<receivedAt ms>.<id>` of its last record. */
async function recentAuthentications(
  store: Store,
  o: { since: number; until: number | undefined; passed: boolean | undefined; nasIp: string | undefined; reason: number | undefined; limit: number; before: string | undefined },
) {
  let before: { at: number; id: number } | undefined;
  if (o.before !== undefined) {
    const m = /^(\d{1,15})\.(\d{1,15})$/.exec(o.before);
    if (m === null) throw new OpenMntError('INVALID_ARGUMENT', `query parameter before '${o.before}' is not valid: pass back the next of the previous page`);
    before = { at: Number(m[1]), id: Number(m[2]) };
  }
  const records = await store.recentAuthRecords({ since: o.since, until: o.until, before, passed: o.passed, nasIp: o.nasIp, failureReasonCode: o.reason, limit: o.limit });
  const last = records.at(-1);
  return { authentications: records.map(authRow), next: records.length === o.limit && last !== undefined ? `${last.receivedAt}.${last.id}` : null };
}

export function endpointRoutes(store: Store): Route[] {
  return [
    {
      // The endpoint's activity (sessions, authentications, accounting, CoA audit): the endpoint
      // itself, as the runtime policy keeps it, is /endpoints/:key (policy.ts).
      path: '/endpoints/:mac/activity',
      name: 'api/endpoints/{mac}/activity',
      methods: {
        GET: {
          right: 'read',
          doing: 'read endpoints',
          handler: async (ctx, p) => {
            const mac = macArgument(p.mac!, 'the MAC address');
            const now = Date.now();
            const sessions = [];
            for await (const s of store.iterateSessions({ scope: 'all', mac, limit: 100 })) sessions.push(sessionRow(s));
            // Active ones first, then the most recent.
            sessions.sort((a, b) => Number(b.state !== 'closed') - Number(a.state !== 'closed') || (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''));
            const [authentications, accounting, audit] = await Promise.all([
              store.authRecordsByMac({ mac, since: now - AUTH_WINDOW_MS, limit: 200 }),
              store.accountingRecordsByMac({ mac, since: now - ACCT_WINDOW_MS, limit: 200 }),
              store.coaAudit({ mac, limit: 100 }),
            ]);
            sendJson(
              ctx.res,
              200,
              {
                mac,
                online: sessions.some((s) => s.state !== 'closed'),
                sessions,
                authentications: authentications.map(authRow),
                accounting: accounting.map(acctRow),
                audit: audit.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
              },
              { 'Cache-Control': 'no-store' },
            );
          },
        },
      },
    },
    {
      path: '/authentications',
      name: 'api/authentications',
      methods: {
        GET: {
          right: 'read',
          doing: 'read authentications',
          handler: async (ctx) => {
            const q = new QueryReader(ctx.url.searchParams, ['mac', 'user', 'since', 'until', 'limit', 'passed', 'nas', 'reason', 'before']);
            const mac = q.mac('mac');
            const user = q.text('user');
            if (mac !== undefined && user !== undefined && user !== '') {
              throw new OpenMntError('INVALID_ARGUMENT', 'authentications are listed per endpoint, per user or across every endpoint: give mac or user, not both');
            }
            const now = Date.now();
            const since = q.time('since') ?? now - DAY_MS;
            if (since < now - AUTH_WINDOW_MS) throw new OpenMntError('INVALID_ARGUMENT', 'query parameter since is more than 10 days back');
            const limit = q.integer('limit', 1, 500) ?? 200;
            const passed = q.boolean('passed');
            const until = q.time('until');
            const nasIp = q.ip('nas');
            const reason = q.integer('reason', 1, 99_999);
            if (mac === undefined && (user === undefined || user === '')) {
              // Across every endpoint (Live Logs without a key): a time window, filters, keyset paging.
              const recent = await recentAuthentications(store, { since, until, passed, nasIp, reason, limit, before: q.text('before') });
              return sendJson(ctx.res, 200, recent, { 'Cache-Control': 'no-store' });
            }
            if (q.text('before') !== undefined) throw new OpenMntError('INVALID_ARGUMENT', 'query parameter before pages the list across every endpoint (without mac or user)');
            const records = mac !== undefined ? await store.authRecordsByMac({ mac, since, limit }) : await store.authRecordsByUser({ userName: user!, since, limit });
            const rows = records
              .filter((r) => (passed === undefined || r.passed === passed) && (until === undefined || r.receivedAt <= until) && (nasIp === undefined || r.nasIp === nasIp) && (reason === undefined || r.failureReasonCode === reason))
              .map(authRow);
            sendJson(ctx.res, 200, { authentications: rows }, { 'Cache-Control': 'no-store' });
          },
        },
      },
    },
  ];
}
