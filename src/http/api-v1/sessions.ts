/**
 * The session directory as JSON, a page at a time: `GET /api/v1/sessions` for Live Sessions and
 * scripts, `GET /api/v1/sessions/:id` for one session in full.
 *
 * Paging is by cursor. In the store's own order (session id, i.e. the order sessions were first
 * seen) a page is one indexed range read however large the directory, so the first page of
 * 1,000,000 sessions costs what the first page of 100 does. Sorting by another column is done
 * here, on the matching rows, and only when a filter has narrowed them to at most SORT_LIMIT:
 * sorting the whole directory by any column would need an index per column in the store.
 */
import { OpenMntError } from '../../errors.js';
import type { Session, SessionQuery, Store } from '../../store/index.js';
import { sendJson } from '../context.js';
import { QueryReader } from './query.js';
import type { Route } from './router.js';

export const SORT_LIMIT = 10_000;
const MAX_LIMIT = 500;

/** The columns of ISE's Live Sessions, by the name the answer gives them. */
export function sessionRow(s: Session) {
  return {
    id: s.id,
    state: s.state,
    startedAt: iso(s.startedAt),
    updatedAt: iso(s.updatedAt),
    closedAt: iso(s.closedAt),
    closeReason: s.closeReason,
    mac: s.callingStationId,
    userName: s.userName ?? null,
    framedIp: s.framedIp ?? null,
    framedIpv6: s.framedIpv6 ?? null,
    nasIp: s.nasIp,
    nasName: s.networkDeviceName ?? null,
    nasPort: s.nasPort ?? null,
    nasPortId: s.nasPortId ?? null,
    auditSessionId: s.auditSessionId ?? null,
    acctSessionId: s.acctSessionId,
    authenticationMethod: s.authenticationMethod ?? null,
    identityGroup: s.identityGroup ?? null,
    endpointPolicy: s.endpointPolicy ?? null,
    authzProfile: s.selectedAuthzProfile ?? null,
    authzPolicy: s.authzPolicy ?? null,
    vlan: s.vlan ?? null,
    sgt: s.sgt ?? null,
    dacl: s.dacl ?? null,
    server: s.server,
    lastAuthenticationAt: iso(s.authAt ?? null),
    lastAccountingAt: iso(s.acctAt ?? null),
    acctStatusType: s.acctStatusType ?? null,
    sessionSeconds: s.acctSessionTime ?? null,
    inputOctets: s.inputOctets ?? null,
    outputOctets: s.outputOctets ?? null,
  };
}

export type SessionRow = ReturnType<typeof sessionRow>;

const SORTABLE = ['id', 'startedAt', 'updatedAt', 'mac', 'userName', 'framedIp', 'nasIp', 'nasPortId', 'auditSessionId', 'authzProfile', 'identityGroup', 'vlan', 'sgt', 'state'] as const;
type SortKey = (typeof SORTABLE)[number];

const PARAMS = ['scope', 'mac', 'user', 'nas', 'ip', 'audit', 'group', 'profile', 'policy', 'sort', 'limit', 'cursor'];

export function sessionQueryOf(q: QueryReader): SessionQuery {
  // Not `all`: the store pages each table by its own ids, so one cursor cannot walk both.
  const query: SessionQuery = { scope: q.oneOf('scope', ['active', 'closed']) ?? 'active' };
  const mac = q.mac('mac');
  if (mac !== undefined) query.mac = mac;
  const user = q.text('user');
  if (user !== undefined && user !== '') query.userName = user;
  const nas = q.ip('nas');
  if (nas !== undefined) query.nasIp = nas;
  const ip = q.ip('ip');
  if (ip !== undefined) query.framedIp = ip;
  const audit = q.text('audit');
  if (audit !== undefined && audit !== '') query.auditSessionId = audit;
  const group = q.text('group');
  if (group !== undefined && group !== '') query.identityGroup = group;
  const profile = q.text('profile');
  if (profile !== undefined && profile !== '') query.selectedAuthzProfile = profile;
  const policy = q.text('policy');
  if (policy !== undefined && policy !== '') query.authzPolicy = policy;
  return query;
}

function parseSort(text: string | undefined): { key: SortKey; descending: boolean } {
  if (text === undefined || text === '') return { key: 'id', descending: false };
  const descending = text.startsWith('-');
  const key = (descending ? text.slice(1) : text) as SortKey;
  if (!SORTABLE.includes(key)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter sort '${text}' is not valid: one of ${SORTABLE.join(', ')}, with - before it for descending`);
  return { key, descending };
}

/** `a<id>` after a session id (store order) or `o<n>` an offset into a sorted selection. */
function parseCursor(text: string | undefined, sorted: boolean): number {
  if (text === undefined || text === '') return 0;
  const m = /^([ao])(\d{1,15})$/.exec(text);
  if (m === null || (m[1] === 'o') !== sorted) throw new OpenMntError('INVALID_ARGUMENT', `query parameter cursor '${text}' is not valid: pass back the next of the previous page with the same sort`);
  return Number(m[2]);
}

export function sessionRoutes(store: Store): Route[] {
  return [
    {
      path: '/sessions',
      name: 'api/sessions',
      methods: {
        GET: {
          right: 'read',
          doing: 'read sessions',
          handler: async (ctx) => {
            const q = new QueryReader(ctx.url.searchParams, PARAMS);
            const query = sessionQueryOf(q);
            const limit = q.integer('limit', 1, MAX_LIMIT) ?? 50;
            const sort = parseSort(q.text('sort'));
            const total = await store.countSessions(query);
            if (sort.key === 'id' && !sort.descending) {
              const afterId = parseCursor(q.text('cursor'), false);
              const rows: SessionRow[] = [];
              for await (const s of store.iterateSessions({ ...query, afterId, limit })) rows.push(sessionRow(s));
              const next = rows.length === limit ? `a${rows[rows.length - 1]!.id}` : null;
              return sendJson(ctx.res, 200, { total, sort: 'id', sessions: rows, next }, { 'Cache-Control': 'no-store' });
            }
            if (total > SORT_LIMIT) {
              throw new OpenMntError('INVALID_ARGUMENT', `sorting by ${sort.descending ? '-' : ''}${sort.key} needs a filter that leaves at most ${SORT_LIMIT} sessions (${total} match); without one the list comes in the order sessions were first seen`);
            }
            const offset = parseCursor(q.text('cursor'), true);
            const all: SessionRow[] = [];
            for await (const s of store.iterateSessions({ ...query, limit: SORT_LIMIT })) all.push(sessionRow(s));
            all.sort(comparing(sort.key, sort.descending));
            const rows = all.slice(offset, offset + limit);
            const next = offset + limit < all.length ? `o${offset + limit}` : null;
            sendJson(ctx.res, 200, { total, sort: `${sort.descending ? '-' : ''}${sort.key}`, sessions: rows, next }, { 'Cache-Control': 'no-store' });
          },
        },
      },
    },
    {
      path: '/sessions/:id',
      name: 'api/sessions/{id}',
      methods: {
        GET: {
          right: 'read',
          doing: 'read sessions',
          handler: async (ctx, p) => {
            if (!/^\d{1,15}$/.test(p.id!)) throw new OpenMntError('INVALID_ARGUMENT', `session id '${p.id}' is not valid: a whole number`);
            const session = await store.getSession(Number(p.id));
            if (session === null) throw new OpenMntError('NOT_FOUND', `no session has the id ${p.id}`);
            sendJson(ctx.res, 200, { ...sessionRow(session), detail: session }, { 'Cache-Control': 'no-store' });
          },
        },
      },
    },
  ];
}

function comparing(key: SortKey, descending: boolean): (a: SessionRow, b: SessionRow) => number {
  const sign = descending ? -1 : 1;
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    // Empty values last in either direction: they are the least useful rows to see first.
    if (x === null || x === undefined) return y === null || y === undefined ? a.id - b.id : 1;
    if (y === null || y === undefined) return -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
    return order === 0 ? a.id - b.id : sign * order;
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
