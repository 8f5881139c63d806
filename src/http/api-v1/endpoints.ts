/**
 * One endpoint by MAC (`GET /api/v1/endpoints/:mac`) and authentications as a list
 * (`GET /api/v1/authentications`): what the console's endpoint page and Live Logs show.
 *
 * Authentications are read per endpoint (MAC) or per user name: the store keeps them indexed by
 * those keys and by time, and a search over every record of a large site without a key is what
 * operators are refused on other products too. The list answers newest first within a time window.
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
            const q = new QueryReader(ctx.url.searchParams, ['mac', 'user', 'since', 'limit', 'passed']);
            const mac = q.mac('mac');
            const user = q.text('user');
            if ((mac === undefined) === (user === undefined || user === '')) {
              throw new OpenMntError('INVALID_ARGUMENT', 'authentications are listed per endpoint or per user: give mac or user (one of them)');
            }
            const now = Date.now();
            const since = q.time('since') ?? now - DAY_MS;
            if (since < now - AUTH_WINDOW_MS) throw new OpenMntError('INVALID_ARGUMENT', 'query parameter since is more than 10 days back');
            const limit = q.integer('limit', 1, 500) ?? 200;
            const passed = q.boolean('passed');
            const records = mac !== undefined ? await store.authRecordsByMac({ mac, since, limit }) : await store.authRecordsByUser({ userName: user!, since, limit });
            const rows = records.filter((r) => passed === undefined || r.passed === passed).map(authRow);
            sendJson(ctx.res, 200, { authentications: rows }, { 'Cache-Control': 'no-store' });
          },
        },
      },
    },
  ];
}
