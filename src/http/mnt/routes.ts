/**
 * The MnT calls: one handler per call name, each reading the store (or asking the CoA engine) and
 * answering with the shape from views.ts. Paths were parsed and arguments checked in calls.ts, so
 * a handler only sees valid values.
 */
import { OpenMntError } from '../../errors.js';
import { failureReasonCatalogue, FAILURE_REASONS, type FailureReason } from '../../auth/index.js';
import type { Config } from '../../config.js';
import type { SessionQuery } from '../../store/index.js';
import { paging, send, write, XML_TYPE, JSON_TYPE, type Context } from '../context.js';
import type { ApiDependencies } from '../deps.js';
import { HttpError } from '../errors.js';
import { integerArgument, ipArgument, macArgument, type CallName, type ParsedCall } from './calls.js';
import {
  acctStatusDocument,
  acctStatusFields,
  authStatusDocument,
  authStatusFields,
  failureReasonsDocument,
  fieldsDocument,
  isCurrent,
  legacySessionParameterFields,
  remoteCoaDocument,
  restResultDocument,
  restResultFields,
  sessionDetailDocument,
  sessionDetailFields,
  sessionListEmpty,
  activeSessionMembers,
  sessionListHead,
  sessionListItem,
  sessionListTail,
  sessionParameterFields,
  type RestResult,
} from './views.js';

export const PRODUCT_NAME = 'Cisco Identity Services Engine';
/** The ISE release whose MnT API this node answers like (clients read it to pick call shapes). */
export const EMULATED_VERSION = '3.2.0.542';
const MAX_PAGE_SIZE = 100_000;
/** Bytes gathered before a streamed list is written out. */
const CHUNK = 64 * 1024;
/** Sessions read from the store at a time while a list streams. */
const LIST_PAGE = 1000;
/**
 * ...and while an unpaged JSON list streams as the store's bytes (no JavaScript value a session, so
 * a larger page costs no memory to speak of): 4,000 took a 500,000-session list 1.15–1.36 s where
 * 1,000 took 1.36–1.82 (three runs each, alternating), the reading thread handing over a quarter
 * as many pages. The thread then serves other reads every 7 ms or so instead of every 2.
 */
const TEXT_PAGE = 4000;

type Handler = (ctx: Context, call: ParsedCall) => Promise<void>;

/**
 * Ours, beside `page` and `size`: `?nas=IP&user=NAME&mac=MAC` narrow ActiveList and AuthList in the
 * store, so a client after one switch's sessions is sent those, not the whole list to sift.
 */
function listFilters(url: URL): Pick<SessionQuery, 'nasIp' | 'userName' | 'mac'> {
  const one = (name: string): string | undefined => {
    const values = url.searchParams.getAll(name);
    if (values.length > 1) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} is given more than once`);
    return values[0];
  };
  const nas = one('nas');
  const user = one('user');
  const mac = one('mac');
  if (user === '') throw new OpenMntError('INVALID_ARGUMENT', "query parameter user '' is not valid: a user name");
  return {
    ...(nas === undefined ? {} : { nasIp: ipArgument(nas, 'query parameter nas') }),
    ...(user === undefined ? {} : { userName: user }),
    ...(mac === undefined ? {} : { mac: macArgument(mac, 'query parameter mac') }),
  };
}

export function notFound(key: string): OpenMntError {
  return new OpenMntError('SESSION_NOT_FOUND', `Session data is not available for ${key}.`);
}

/** The catalogue with the operator's edits (the guide's Failure Reasons Editor, as configuration). */
export function failureCatalogue(config: Config): FailureReason[] {
  const known = new Map(FAILURE_REASONS.map((r) => [r.id, r]));
  const edits = config.mnt.failureReasons.map((e) => {
    const base = known.get(e.code);
    return {
      id: e.code,
      title: base?.title ?? 'Operator-defined failure reason',
      cause: e.cause ?? base?.cause ?? '',
      resolution: e.resolution ?? base?.resolution ?? '',
    };
  });
  return failureReasonCatalogue(edits);
}

/** How ISE words each failure (cpm-code, description, resource-type), so SDK error handling works. */
export function errorResult(error: OpenMntError, status: number, call: ParsedCall | null): RestResult {
  const base = {
    httpCode: status,
    cpmCode: 34110,
    description: 'Server has encountered error while processing the REST request',
    requestedOperation: 'Get By Type',
    resourceId: '',
    resourceName: call?.name ?? '',
    resourceType: call?.name.startsWith('CoA/') ? 'CoAResult' : 'RESTSDStatus',
    status: status >= 500 ? 'SERVER_ERROR' : 'CLIENT_ERROR',
  } as const;
  if (error.code === 'SESSION_NOT_FOUND') {
    return { ...base, internalErrorInfo: `Error in generating XML output. Error message = ${error.message}` };
  }
  return { ...base, internalErrorInfo: error.message };
}

export function mntErrorBody(format: 'xml' | 'json', error: OpenMntError, status: number, call: ParsedCall | null): string {
  return restResultDocument(format, errorResult(error, status, call), { code: error.code, message: error.message });
}

/** The handler of every MnT call, by name. */
export function mntRoutes(deps: ApiDependencies): Record<CallName, Handler> {
  const { store, config, logger } = deps;
  const catalogue = failureCatalogue(config);

  const count = (value: () => Promise<number>): Handler => async (ctx) => {
    send(ctx.res, ctx.format, 200, fieldsDocument(ctx.format, 'sessionCount', [['count', await value()]]));
  };

  const list: Handler = async (ctx, call) => {
    const args = call.args;
    const range = args.kind === 'timeRange' ? { startedFrom: args.from ?? undefined, startedTo: args.to ?? undefined } : {};
    const query = { ...range, ...listFilters(ctx.url) };
    await streamSessions(ctx, isCurrent(call.prefix) ? 'activeList' : 'activeSessionList', query, call);
  };

  const byKey: Handler = async (ctx, call) => {
    const session = await lookupSession(call);
    const fields = isCurrent(call.prefix) ? sessionParameterFields(session) : legacySessionParameterFields(session);
    send(ctx.res, ctx.format, 200, fieldsDocument(ctx.format, 'sessionParameters', fields));
  };

  const authStatus: Handler = async (ctx, call) => {
    const args = call.args;
    if (args.kind !== 'authStatus') throw unexpected(call);
    const since = Date.now() - args.seconds * 1000;
    const limit = args.latestOnly ? 1 : args.records;
    const records =
      'mac' in args.key
        ? await store.authRecordsByMac({ mac: args.key.mac, since, limit })
        : await store.authRecordsByUser({ userName: args.key.userName, since, limit });
    const key = 'mac' in args.key ? args.key.mac : args.key.userName;
    send(ctx.res, ctx.format, 200, authStatusDocument(ctx.format, key, records.map((r) => authStatusFields(r, args.attributes))));
  };

  const deleteSessions: Handler = async (ctx, call) => {
    const args = call.args;
    const filter = args.kind === 'mac' ? { mac: args.mac } : args.kind === 'text' ? { auditSessionId: args.value } : { all: true };
    const closed = await store.closeSessions(filter, 'admin', Date.now());
    logger.info({ admin: ctx.admin.name, call: call.name, closed }, 'sessions deleted through the MnT API');
    const result: RestResult = {
      httpCode: 200,
      cpmCode: 52092,
      description: `${closed} session(s) removed from the active directory; their history is kept`,
      internalErrorInfo: '',
      requestedOperation: 'Delete',
      resourceId: '1',
      resourceName: 'MNT_RAD_SESS',
      resourceType: '',
      status: 'SUCCESSFUL',
    };
    send(ctx.res, ctx.format, 200, fieldsDocument(ctx.format, 'mnt-rest-result', restResultFields(result)));
  };

  const coa: Handler = async (ctx, call) => {
    const args = call.args;
    if (args.kind !== 'coa') throw unexpected(call);
    if (deps.coa === undefined) throw new HttpError(503, 'UNAVAILABLE', 'the CoA engine is not running on this node');
    const action = call.name === 'CoA/Reauth' ? ({ action: 'reauth', type: args.reauth } as const) : ({ action: 'disconnect', type: args.disconnect } as const);
    // `?verify=N` (ours): after an ACK, wait up to N seconds for the endpoint to come back.
    const verify = ctx.url.searchParams.get('verify');
    const verifyTimeoutMs = verify === null ? null : integerArgument(verify, 'query parameter verify (seconds)', 1, 300) * 1000;
    const result = await deps.coa.send({
      target: { mac: args.mac, nasIp: args.nasIp, endpointIp: args.endpointIp },
      action,
      admin: ctx.admin.name,
      origin: 'mnt-api',
      verifyTimeoutMs,
    });
    send(ctx.res, ctx.format, 200, remoteCoaDocument(ctx.format, action.action, result.outcome === 'ack', result));
  };

  return {
    'Session/ActiveCount': count(() => store.countActive()),
    // No posture or profiler service feeds this node: none of its sessions carry such data.
    'Session/PostureCount': count(async () => 0),
    'Session/ProfilerCount': count(async () => 0),
    'Session/ActiveList': list,
    'Session/AuthList': list,
    'Session/MACAddress': byKey,
    'Session/UserName': byKey,
    'Session/IPAddress': byKey,
    'Session/EndPointIPAddress': byKey,
    'Session/Active/SessionID': async (ctx, call) => {
      const args = call.args;
      if (args.kind !== 'sessionId') throw unexpected(call);
      const session = await store.findLatestSession({ auditSessionId: args.auditSessionId });
      if (session === null) throw notFound(args.auditSessionId);
      send(ctx.res, ctx.format, 200, sessionDetailDocument(ctx.format, sessionDetailFields(session)));
    },
    'AuthStatus/MACAddress': authStatus,
    'AuthStatus/UserName': authStatus,
    'AcctStatus/MACAddress': async (ctx, call) => {
      const args = call.args;
      if (args.kind !== 'acctStatus') throw unexpected(call);
      const records = await store.accountingRecordsByMac({ mac: args.mac, since: Date.now() - args.seconds * 1000, limit: 500 });
      send(ctx.res, ctx.format, 200, acctStatusDocument(ctx.format, args.mac, records.map(acctStatusFields)));
    },
    Version: async (ctx) => {
      const fields = [['version', EMULATED_VERSION], ['type_of_node', config.node.typeOfNode]] as const;
      send(ctx.res, ctx.format, 200, fieldsDocument(ctx.format, 'product', fields, { name: PRODUCT_NAME }));
    },
    FailureReasons: async (ctx) => send(ctx.res, ctx.format, 200, failureReasonsDocument(ctx.format, catalogue)),
    'Session/Delete/All': deleteSessions,
    'Session/Delete/MACAddress': deleteSessions,
    'Session/Delete/SessionID': deleteSessions,
    'CoA/Reauth': coa,
    'CoA/Disconnect': coa,
  };

  async function lookupSession(call: ParsedCall) {
    const args = call.args;
    let session = null;
    let key = '';
    if (args.kind === 'mac') {
      key = args.mac;
      session = await store.findLatestSession({ mac: args.mac });
    } else if (args.kind === 'text') {
      key = args.value;
      session = await store.findLatestSession({ userName: args.value });
    } else if (args.kind === 'ip') {
      key = args.ip;
      if (call.name === 'Session/IPAddress') session = await store.findLatestSession({ nasIp: args.ip });
      // Scripts pass an endpoint address to IPAddress too; with no NAS of that address, answer by endpoint.
      session ??= await store.findLatestSession({ framedIp: args.ip });
    }
    if (session === null) throw notFound(key);
    return session;
  }

  /** The whole list as ISE sends it, or one page of it (ours), streamed with backpressure. */
  async function streamSessions(ctx: Context, root: string, query: SessionQuery, call: ParsedCall): Promise<void> {
    const { res, format } = ctx;
    const page = paging(ctx.url, MAX_PAGE_SIZE);
    const total = await store.countSessions(query);
    const count = page === null ? total : Math.max(0, Math.min(page.size, total - page.offset));
    res.writeHead(200, { 'Content-Type': format === 'json' ? JSON_TYPE : XML_TYPE, 'X-Total-Count': String(total) });
    if (count === 0) {
      res.end(sessionListEmpty(format, root));
      return;
    }
    if (format === 'json' && page === null && store.listSessionJsonPages !== undefined) {
      // The whole list, written by the store as bytes (its pages are the items, comma-separated):
      // nothing to skip, and at most the count the head announced.
      if (!(await write(res, sessionListHead(format, root, count)))) return;
      let first = true;
      for await (const items of store.listSessionJsonPages({ ...query, limit: count }, TEXT_PAGE, activeSessionMembers(call.prefix))) {
        if (!first && !(await write(res, ','))) return;
        first = false;
        if (!(await write(res, items))) return;
      }
      res.end(sessionListTail(format, root));
      return;
    }
    let buffer = sessionListHead(format, root, count);
    let skip = page?.offset ?? 0;
    let written = 0;
    for await (const rows of store.listSessionPages(query, LIST_PAGE)) {
      for (const session of rows) {
        if (skip > 0) {
          skip--;
          continue;
        }
        if (written === count) break;
        buffer += sessionListItem(format, session, call.prefix, written === 0);
        written++;
        if (buffer.length >= CHUNK) {
          if (!(await write(res, buffer))) return;
          buffer = '';
        }
      }
      if (written === count) break;
    }
    res.end(buffer + sessionListTail(format, root));
  }
}

function unexpected(call: ParsedCall): OpenMntError {
  return new OpenMntError('UNKNOWN_CALL', `no handler for ${call.name} with these arguments`);
}
