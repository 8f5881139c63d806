/**
 * The MnT REST API over HTTP(S): size limits, `/health` and `/metrics`, HTTP Basic against the
 * admin accounts with lock-out, role checks, then the call. Every failure is one OpenMntError code
 * mapped to a status and an ISE-style `mnt-rest-result` body (or its JSON twin).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { OpenMntError, isOpenMntError, type ErrorCode } from '../errors.js';
import type { CoaAction, CoaService } from '../coa/types.js';
import type { JobRunner, JobSelector, JobSpec, Pacing } from '../coa/jobs.js';
import { jobListQuery, jobResultQuery } from '../coa/job-queries.js';
import type { Store } from '../store/index.js';
import { failureReasonCatalogue, FAILURE_REASONS, type FailureReason } from '../auth/index.js';
import { AdminDirectory, parseBasicAuthorization, roleAllows, type Admin } from './admins.js';
import { integerArgument, ipArgument, macArgument, parseCall, type ParsedCall } from './calls.js';
import { LoginGuard } from './guard.js';
import { MetricsRegistry } from './metrics.js';
import { loadTlsCredentials } from './tls.js';
import {
  XML_HEADER,
  acctStatusFields,
  activeSessionFields,
  attr,
  authStatusFields,
  failureReasonFields,
  isCurrent,
  jsonObject,
  legacySessionParameterFields,
  restResultFields,
  sessionDetailFields,
  sessionParameterFields,
  xmlDocument,
  xmlElement,
  xmlFields,
  type Field,
  type RestResult,
} from './views.js';

export const PRODUCT_NAME = 'Cisco Identity Services Engine';
/** The ISE release whose MnT API this node answers like (clients read it to pick call shapes). */
export const EMULATED_VERSION = '3.2.0.542';
const XML_TYPE = 'application/xml;charset=UTF-8';
const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_BODY = 64 * 1024;
const MAX_JOB_BODY = 8 * 1024 * 1024;
const MAX_PAGE_SIZE = 100_000;
const CHUNK = 64 * 1024;
/** Sessions read from the store at a time while a list streams. */
const LIST_PAGE = 2000;

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
}

type Format = 'xml' | 'json';

class HttpFailure extends OpenMntError {
  readonly status: number;
  constructor(status: number, code: ErrorCode, message: string) {
    super(code, message);
    this.status = status;
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  COA_NO_NAS: 400,
  COA_NAS_UNKNOWN: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_CALL: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TOO_LARGE: 413,
  LOCKED_OUT: 429,
  SESSION_NOT_FOUND: 500,
  UNAVAILABLE: 503,
};

/** How ISE words each failure (cpm-code, description, resource-type), so SDK error handling works. */
function restResult(error: OpenMntError, status: number, call: ParsedCall | null): RestResult {
  const resourceType = call?.name.startsWith('CoA/') ? 'CoAResult' : 'RESTSDStatus';
  const base = {
    httpCode: status,
    cpmCode: 34110,
    description: 'Server has encountered error while processing the REST request',
    requestedOperation: 'Get By Type',
    resourceId: '',
    resourceName: call?.name ?? '',
    resourceType,
    status: status >= 500 ? 'SERVER_ERROR' : 'CLIENT_ERROR',
  } as const;
  if (error.code === 'SESSION_NOT_FOUND') {
    return { ...base, internalErrorInfo: `Error in generating XML output. Error message = ${error.message}` };
  }
  return { ...base, internalErrorInfo: error.message };
}

function formatOf(req: IncomingMessage): Format {
  const accept = (req.headers.accept ?? '').toLowerCase();
  if (accept === '') return 'xml';
  const json = accept.indexOf('application/json');
  const xml = Math.max(accept.indexOf('application/xml'), accept.indexOf('text/xml'));
  if (json >= 0 && (xml < 0 || json < xml)) return 'json';
  if (xml >= 0 || /(^|[,\s])(\*\/\*|application\/\*|text\/\*)/.test(accept)) return 'xml';
  throw new HttpFailure(406, 'NOT_ACCEPTABLE', `cannot answer in ${req.headers.accept}: use application/xml or application/json`);
}

function send(res: ServerResponse, format: Format, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': format === 'json' ? JSON_TYPE : XML_TYPE, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendFields(res: ServerResponse, format: Format, root: string, fields: readonly Field[], attributes: Record<string, string | number> = {}, status = 200): void {
  if (format === 'json') {
    send(res, format, status, JSON.stringify({ ...attributes, ...jsonObject(fields) }));
  } else {
    send(res, format, status, xmlDocument(root, fields, Object.entries(attributes).map(([k, v]) => attr(k, v)).join('')));
  }
}

/** Writes with backpressure; resolves false when the client went away. */
function write(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

function paging(url: URL): { offset: number; size: number } | null {
  const page = url.searchParams.get('page');
  const size = url.searchParams.get('size');
  if (page === null && size === null) return null;
  const number = (value: string | null, name: string, fallback: number, max: number) => {
    if (value === null) return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${value}' is not valid: a whole number from 1 to ${max}`);
    }
    return Number(value);
  };
  const p = number(page, 'page', 1, 1_000_000_000);
  const s = number(size, 'size', 100, MAX_PAGE_SIZE);
  return { offset: (p - 1) * s, size: s };
}

export function createApiHandler(deps: ApiDependencies): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger, store, admins, guard, metrics } = deps;
  const requests = metrics.counter('openmnt_api_requests_total', 'MnT API requests by call and HTTP status.', ['call', 'status']);
  const latency = metrics.histogram('openmnt_api_request_duration_seconds', 'MnT API time to answer, by call.', ['call']);
  const catalogue = failureCatalogue(config);

  async function authenticate(req: IncomingMessage): Promise<Admin> {
    const source = req.socket.remoteAddress ?? 'unknown';
    const verdict = guard.check(source);
    if (!verdict.allowed) {
      throw Object.assign(new HttpFailure(429, 'LOCKED_OUT', `too many failed logins from ${source}; try again in ${verdict.retryAfterSeconds} s`), {
        retryAfter: verdict.retryAfterSeconds,
      });
    }
    const credentials = parseBasicAuthorization(req.headers.authorization);
    if (credentials === null) throw new HttpFailure(401, 'UNAUTHENTICATED', 'this call needs HTTP Basic credentials of an admin account');
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    const admin = await admins.verify(credentials.name, credentials.password);
    if (admin === null) {
      guard.recordFailure(source);
      logger.warn({ source, admin: credentials.name }, 'MnT API login failed');
      throw new HttpFailure(401, 'UNAUTHENTICATED', 'the user name or password is wrong');
    }
    guard.recordSuccess(source);
    return admin;
  }

  async function run(call: ParsedCall, url: URL, format: Format, admin: Admin, res: ServerResponse): Promise<void> {
    const args = call.args;
    const current = isCurrent(call.prefix);
    switch (call.name) {
      case 'Session/ActiveCount':
        return sendFields(res, format, 'sessionCount', [['count', await store.countActive()]]);
      case 'Session/PostureCount':
      case 'Session/ProfilerCount':
        // No posture or profiler service feeds this node: none of its sessions carry such data.
        return sendFields(res, format, 'sessionCount', [['count', 0]]);
      case 'Session/ActiveList':
      case 'Session/AuthList': {
        const query = args.kind === 'timeRange' ? { startedFrom: args.from ?? undefined, startedTo: args.to ?? undefined } : {};
        return streamSessions(res, format, current ? 'activeList' : 'activeSessionList', query, call, url);
      }
      case 'Session/MACAddress':
      case 'Session/UserName':
      case 'Session/IPAddress':
      case 'Session/EndPointIPAddress': {
        const session = await lookupSession(call);
        return sendFields(res, format, 'sessionParameters', current ? sessionParameterFields(session) : legacySessionParameterFields(session));
      }
      case 'Session/Active/SessionID': {
        if (args.kind !== 'sessionId') break;
        const session = await store.findLatestSession({ auditSessionId: args.auditSessionId });
        if (session === null) throw notFound(args.auditSessionId);
        const fields = sessionDetailFields(session);
        if (format === 'json') return send(res, format, 200, JSON.stringify({ noOfActiveSession: 1, activeSession: [jsonObject(fields)] }));
        return send(res, format, 200, XML_HEADER + `<activeSessionList noOfActiveSession="1">\n${xmlElement('activeSession', fields, 1)}</activeSessionList>\n`);
      }
      case 'AuthStatus/MACAddress':
      case 'AuthStatus/UserName': {
        if (args.kind !== 'authStatus') break;
        const since = Date.now() - args.seconds * 1000;
        const limit = args.latestOnly ? 1 : args.records;
        const records =
          'mac' in args.key
            ? await store.authRecordsByMac({ mac: args.key.mac, since, limit })
            : await store.authRecordsByUser({ userName: args.key.userName, since, limit });
        const key = 'mac' in args.key ? args.key.mac : args.key.userName;
        const elements = records.map((r) => authStatusFields(r, args.attributes));
        if (format === 'json') return send(res, format, 200, JSON.stringify({ key, authStatusElements: elements.map(jsonObject) }));
        const inner = elements.length === 0 ? '' : elements.map((f) => xmlElement('authStatusElements', f, 2)).join('');
        const list = inner === '' ? `    <authStatusList${attr('key', key)}/>\n` : `    <authStatusList${attr('key', key)}>\n${inner}    </authStatusList>\n`;
        return send(res, format, 200, `${XML_HEADER}<authStatusOutputList>\n${list}</authStatusOutputList>\n`);
      }
      case 'AcctStatus/MACAddress': {
        if (args.kind !== 'acctStatus') break;
        const records = await store.accountingRecordsByMac({ mac: args.mac, since: Date.now() - args.seconds * 1000, limit: 500 });
        const elements = records.map(acctStatusFields);
        if (format === 'json') return send(res, format, 200, JSON.stringify({ macAddress: args.mac, acctStatusElements: elements.map(jsonObject) }));
        const inner = elements.map((f) => xmlElement('acctStatusElements', f, 2)).join('');
        const list = inner === '' ? `    <acctStatusList${attr('macAddress', args.mac)}/>\n` : `    <acctStatusList${attr('macAddress', args.mac)}>\n${inner}    </acctStatusList>\n`;
        return send(res, format, 200, `${XML_HEADER}<acctStatusOutputList>\n${list}</acctStatusOutputList>\n`);
      }
      case 'Version':
        return sendFields(res, format, 'product', [['version', EMULATED_VERSION], ['type_of_node', config.node.typeOfNode]], { name: PRODUCT_NAME });
      case 'FailureReasons': {
        if (format === 'json') {
          return send(res, format, 200, JSON.stringify({ failureReason: catalogue.map((r) => ({ id: String(r.id), ...jsonObject(failureReasonFields(r)) })) }));
        }
        const body = catalogue.map((r) => xmlElement('failureReason', failureReasonFields(r), 1, attr('id', r.id))).join('');
        return send(res, format, 200, `${XML_HEADER}<failureReasonList>\n${body}</failureReasonList>\n`);
      }
      case 'Session/Delete/All':
      case 'Session/Delete/MACAddress':
      case 'Session/Delete/SessionID': {
        const filter = args.kind === 'mac' ? { mac: args.mac } : args.kind === 'text' ? { auditSessionId: args.value } : { all: true };
        const closed = await store.closeSessions(filter, 'admin', Date.now());
        logger.info({ admin: admin.name, call: call.name, closed }, 'sessions deleted through the MnT API');
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
        return sendFields(res, format, 'mnt-rest-result', restResultFields(result), {});
      }
      case 'CoA/Reauth':
      case 'CoA/Disconnect': {
        if (args.kind !== 'coa') break;
        if (deps.coa === undefined) throw new HttpFailure(503, 'UNAVAILABLE', 'the CoA engine is not running on this node');
        const action = call.name === 'CoA/Reauth' ? ({ action: 'reauth', type: args.reauth } as const) : ({ action: 'disconnect', type: args.disconnect } as const);
        // `?verify=N` (ours): after an ACK, wait up to N seconds for the endpoint to come back.
        const verify = url.searchParams.get('verify');
        const verifyTimeoutMs = verify === null ? null : integerArgument(verify, 'query parameter verify (seconds)', 1, 300) * 1000;
        const result = await deps.coa.send({
          target: { mac: args.mac, nasIp: args.nasIp, endpointIp: args.endpointIp },
          action,
          admin: admin.name,
          origin: 'mnt-api',
          verifyTimeoutMs,
        });
        const ok = result.outcome === 'ack';
        if (format === 'json') {
          return send(res, format, 200, JSON.stringify({ requestType: action.action, results: ok, ...result }));
        }
        return send(res, format, 200, `${XML_HEADER}<remoteCoA requestType="${action.action}">\n    <results>${ok}</results>\n</remoteCoA>\n`);
      }
    }
    throw new OpenMntError('UNKNOWN_CALL', `no handler for ${call.name}`);
  }

  /** OpenMnT's own JSON API beside the MnT calls: what ISE has no call for. */
  async function runOurs(req: IncomingMessage, url: URL, admin: Admin, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const allow = (methods: string[]) => {
      if (!methods.includes(method)) throw Object.assign(new HttpFailure(405, 'METHOD_NOT_ALLOWED', `${url.pathname} answers ${methods.join(', ')}`), { allow: methods.join(', ') });
    };
    const right = (r: 'read' | 'coa') => {
      if (!roleAllows(admin.role, r)) throw new HttpFailure(403, 'FORBIDDEN', `admin '${admin.name}' (${admin.role}) may not ${r === 'coa' ? 'run CoA jobs' : 'read this'}`);
    };
    if (url.pathname === '/api/v1/coa/jobs' || url.pathname.startsWith('/api/v1/coa/jobs/')) {
      const jobs = deps.jobs;
      if (jobs === undefined) throw new HttpFailure(503, 'UNAVAILABLE', 'CoA jobs are not running on this node');
      const id = url.pathname.slice('/api/v1/coa/jobs/'.length);
      if (url.pathname === '/api/v1/coa/jobs') {
        allow(['GET', 'POST']);
        if (method === 'GET') {
          right('read');
          req.resume();
          return send(res, 'json', 200, JSON.stringify(await jobs.list(jobListQuery(url.searchParams))));
        }
        right('coa');
        const spec = parseJobSpec(await readJson(req, MAX_JOB_BODY));
        if (spec.dryRun) {
          const targets = await jobs.select(spec.selector);
          return send(res, 'json', 200, JSON.stringify({ dryRun: true, count: targets.length, endpoints: targets }));
        }
        const job = await jobs.start(spec, admin.name);
        return send(res, 'json', 202, JSON.stringify(job), { Location: `/api/v1/coa/jobs/${job.id}` });
      }
      if (id.endsWith('/results')) {
        allow(['GET']);
        req.resume();
        right('read');
        return send(res, 'json', 200, JSON.stringify(await jobs.results(id.slice(0, -'/results'.length), jobResultQuery(url.searchParams))));
      }
      allow(['GET', 'DELETE']);
      req.resume();
      if (method === 'DELETE') {
        right('coa');
        return send(res, 'json', 200, JSON.stringify(await jobs.cancel(id)));
      }
      right('read');
      return send(res, 'json', 200, JSON.stringify(await jobs.get(id)));
    }
    if (url.pathname !== '/api/v1/coa/audit') throw new OpenMntError('UNKNOWN_CALL', `no call has the path ${url.pathname}`);
    allow(['GET']);
    req.resume();
    const q = url.searchParams;
    const text = (name: string) => q.get(name) ?? undefined;
    const oneOf = (name: string, allowed: readonly string[]) => {
      const v = text(name);
      if (v !== undefined && !allowed.includes(v)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: one of ${allowed.join(', ')}`);
      return v;
    };
    const time = (name: string) => {
      const v = text(name);
      if (v === undefined) return undefined;
      const ms = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
      if (!Number.isFinite(ms)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: epoch milliseconds or an ISO 8601 time`);
      return ms;
    };
    const limitText = text('limit') ?? '100';
    const limit = integerArgument(limitText, 'query parameter limit', 1, 10_000);
    const before = text('before');
    const records = await store.coaAudit({
      mac: text('mac') === undefined ? undefined : macArgument(text('mac')!, 'query parameter mac'),
      nasIp: text('nas') === undefined ? undefined : ipArgument(text('nas')!, 'query parameter nas'),
      admin: text('admin'),
      outcome: oneOf('outcome', ['ack', 'nak', 'timeout', 'refused']),
      action: oneOf('action', ['reauth', 'disconnect']),
      jobId: text('job'),
      since: time('since'),
      until: time('until'),
      beforeId: before === undefined ? undefined : integerArgument(before, 'query parameter before', 1, Number.MAX_SAFE_INTEGER),
      limit,
    });
    const next = records.length === limit ? records[records.length - 1]!.id : null;
    send(res, 'json', 200, JSON.stringify({ records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })), next }));
  }

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

  async function streamSessions(
    res: ServerResponse,
    format: Format,
    root: string,
    query: { startedFrom?: number; startedTo?: number },
    call: ParsedCall,
    url: URL,
  ): Promise<void> {
    const page = paging(url);
    const total = await store.countSessions(query);
    const count = page === null ? total : Math.max(0, Math.min(page.size, total - page.offset));
    const headers: Record<string, string> = { 'Content-Type': format === 'json' ? JSON_TYPE : XML_TYPE, 'X-Total-Count': String(total) };
    res.writeHead(200, headers);
    if (count === 0) {
      res.end(format === 'json' ? JSON.stringify({ noOfActiveSession: 0, activeSession: [] }) : `${XML_HEADER}<${root} noOfActiveSession="0"/>\n`);
      return;
    }
    let buffer = format === 'json' ? `{"noOfActiveSession":${count},"activeSession":[` : `${XML_HEADER}<${root} noOfActiveSession="${count}">\n`;
    let skip = page?.offset ?? 0;
    let written = 0;
    for await (const rows of store.listSessionPages(query, LIST_PAGE)) {
      for (const session of rows) {
        if (skip > 0) {
          skip--;
          continue;
        }
        if (written === count) break;
        const fields = activeSessionFields(session, call.prefix);
        if (format === 'json') buffer += (written === 0 ? '' : ',') + JSON.stringify(jsonObject(fields));
        else buffer += `    <activeSession>\n${xmlFields(fields, 2).join('')}    </activeSession>\n`;
        written++;
        if (buffer.length >= CHUNK) {
          if (!(await write(res, buffer))) return;
          buffer = '';
        }
      }
      if (written === count) break;
    }
    buffer += format === 'json' ? ']}' : `</${root}>\n`;
    res.end(buffer);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    let callName = 'unknown';
    let format: Format = 'xml';
    let call: ParsedCall | null = null;
    res.setHeader('Server', `OpenMnT/${deps.version}`);
    res.on('finish', () => {
      requests.inc({ call: callName, status: String(res.statusCode) });
      latency.observe({ call: callName }, Number(process.hrtime.bigint() - started) / 1e9);
    });

    const handle = async () => {
      const target = req.url ?? '/';
      if (Buffer.byteLength(target) > config.api.maxUrlBytes) {
        throw new HttpFailure(414, 'REQUEST_TOO_LARGE', `the request target is longer than ${config.api.maxUrlBytes} bytes`);
      }
      let url: URL;
      try {
        url = new URL(target, 'http://localhost');
      } catch {
        throw new OpenMntError('INVALID_ARGUMENT', 'the request target is not a valid URL path');
      }
      // A job may list many MACs; everything else takes no body worth the name.
      const maxBody = url.pathname === '/api/v1/coa/jobs' ? MAX_JOB_BODY : MAX_BODY;
      const length = Number(req.headers['content-length'] ?? 0);
      if (!(length <= maxBody)) throw new HttpFailure(413, 'REQUEST_TOO_LARGE', `this call takes no body larger than ${maxBody} bytes`);
      if (url.pathname === '/health') {
        callName = 'health';
        return health(res);
      }
      if (url.pathname === '/metrics') {
        callName = 'metrics';
        const body = await metrics.render();
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(body);
        return;
      }
      if (url.pathname.startsWith('/api/v1/')) {
        format = 'json';
        const admin = await authenticate(req);
        callName = ourCallName(url.pathname);
        return runOurs(req, url, admin, res);
      }
      format = formatOf(req);
      const admin = await authenticate(req);
      call = parseCall(url.pathname);
      callName = call.name;
      if (!call.methods.includes(req.method ?? '')) {
        throw Object.assign(new HttpFailure(405, 'METHOD_NOT_ALLOWED', `${call.name} answers ${call.methods.join(', ')}, not ${req.method}`), {
          allow: call.methods.join(', '),
        });
      }
      if (!roleAllows(admin.role, call.right)) {
        throw new HttpFailure(403, 'FORBIDDEN', `admin '${admin.name}' (${admin.role}) may not ${call.right === 'coa' ? 'issue CoA' : call.right === 'write' ? 'change sessions' : 'read'} through ${call.name}`);
      }
      req.resume();
      await run(call, url, format, admin, res);
    };

    handle().catch((error: unknown) => {
      const failure = isOpenMntError(error) ? error : new OpenMntError('STORE_FAILED', 'internal error');
      if (!isOpenMntError(error)) logger.error({ err: error, call: callName }, 'MnT API call failed');
      const status = failure instanceof HttpFailure ? failure.status : (STATUS[failure.code] ?? 500);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="OpenMnT MnT API", charset="UTF-8"';
      const extra = failure as { retryAfter?: number; allow?: string };
      if (extra.retryAfter !== undefined) headers['Retry-After'] = String(extra.retryAfter);
      if (extra.allow !== undefined) headers['Allow'] = extra.allow;
      const body = restResult(failure, status, call);
      if (format === 'json') {
        send(res, 'json', status, JSON.stringify({ error: failure.code, message: failure.message, ...jsonObject(restResultFields(body)) }), headers);
      } else {
        send(res, 'xml', status, xmlDocument('mnt-rest-result', restResultFields(body)), headers);
      }
      req.resume();
    });
  };

  async function health(res: ServerResponse): Promise<void> {
    let storeOk = true;
    let sessions: number | null = null;
    try {
      sessions = await store.countActive();
    } catch {
      storeOk = false;
    }
    const body = JSON.stringify({ status: storeOk ? 'ok' : 'degraded', store: storeOk ? 'ok' : 'failing', activeSessions: sessions, uptimeSeconds: Math.round(process.uptime()), version: deps.version });
    res.writeHead(storeOk ? 200 : 503, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
    res.end(body);
  }
}

function ourCallName(pathname: string): string {
  if (pathname === '/api/v1/coa/audit') return 'api/coa/audit';
  if (pathname === '/api/v1/coa/jobs') return 'api/coa/jobs';
  if (pathname.startsWith('/api/v1/coa/jobs/')) return pathname.endsWith('/results') ? 'api/coa/jobs/{id}/results' : 'api/coa/jobs/{id}';
  return 'api/unknown';
}

/** Reads a JSON body of at most `limit` bytes. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpFailure(413, 'REQUEST_TOO_LARGE', `the body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new OpenMntError('INVALID_ARGUMENT', 'the body is not valid JSON');
  }
}

const REAUTH: readonly string[] = ['default', 'last', 'rerun'];
const DISCONNECT: readonly string[] = ['default', 'bounce', 'shutdown'];

/** A job request: `{"selector": {...}, "action": "reauth", "type": "default", "dryRun", "pacing", "verifySeconds"}`. */
function parseJobSpec(body: unknown): JobSpec & { dryRun: boolean } {
  const bad = (what: string): never => {
    throw new OpenMntError('INVALID_ARGUMENT', `job: ${what}`);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!['selector', 'action', 'type', 'dryRun', 'pacing', 'verifySeconds'].includes(key)) bad(`unknown field ${key}`);
  const sel = b.selector;
  if (typeof sel !== 'object' || sel === null || Array.isArray(sel)) bad('selector must be an object');
  const s = sel as Record<string, unknown>;
  const selector: JobSelector = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'macs') {
      if (!Array.isArray(value) || value.some((m) => typeof m !== 'string')) bad('selector.macs must be a list of MAC addresses');
      selector.macs = (value as string[]).map((m) => macArgument(m, 'selector.macs entry'));
    } else if (key === 'nasIp') {
      selector.nasIp = ipArgument(String(value), 'selector.nasIp');
    } else if (['userName', 'identityGroup', 'authzProfile', 'policy'].includes(key)) {
      if (typeof value !== 'string' || value === '') bad(`selector.${key} must be a non-empty string`);
      selector[key as 'userName'] = value as string;
    } else {
      bad(`unknown selector ${key} (use nasIp, userName, identityGroup, authzProfile, policy, macs)`);
    }
  }
  const action = b.action;
  const type = b.type ?? 'default';
  if (action !== 'reauth' && action !== 'disconnect') bad('action must be reauth or disconnect');
  const types = action === 'reauth' ? REAUTH : DISCONNECT;
  if (typeof type !== 'string' || !types.includes(type)) bad(`type of ${String(action)} must be one of ${types.join(', ')}`);
  const pacing: Partial<Pacing> = {};
  if (b.pacing !== undefined) {
    if (typeof b.pacing !== 'object' || b.pacing === null) bad('pacing must be an object');
    for (const [key, value] of Object.entries(b.pacing as Record<string, unknown>)) {
      if (!['perNasInFlight', 'perNasPerSecond', 'globalInFlight', 'globalPerSecond'].includes(key)) bad(`unknown pacing ${key}`);
      const min = key.endsWith('InFlight') ? 1 : 0;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 100_000) bad(`pacing.${key} must be a whole number from ${min} to 100000`);
      pacing[key as keyof Pacing] = value as number;
    }
  }
  const verify = b.verifySeconds;
  if (verify !== undefined && (typeof verify !== 'number' || !Number.isInteger(verify) || verify < 1 || verify > 300)) bad('verifySeconds must be a whole number from 1 to 300');
  if (b.dryRun !== undefined && typeof b.dryRun !== 'boolean') bad('dryRun must be true or false');
  return {
    selector,
    action: (action === 'reauth' ? { action, type } : { action, type }) as CoaAction,
    pacing,
    verifyTimeoutMs: verify === undefined ? null : (verify as number) * 1000,
    dryRun: b.dryRun === true,
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

export interface RunningApi {
  port: number;
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts the API on the configured address: HTTPS unless configured otherwise. */
export async function startApiServer(deps: ApiDependencies): Promise<RunningApi> {
  const { config, logger } = deps;
  const handler = createApiHandler(deps);
  const options = { maxHeaderSize: config.api.maxHeaderBytes, keepAliveTimeout: 65_000, requestTimeout: 300_000 };
  let server: Server;
  if (config.api.tls.enabled) {
    const tls = await loadTlsCredentials(config.api.tls, [config.node.name, hostname()]);
    if (tls.generated) logger.info({ dir: config.api.tls.dir, fingerprint: tls.fingerprint }, 'made a self-signed certificate for the MnT API');
    server = createHttpsServer({ ...options, key: tls.key, cert: tls.cert }, handler);
  } else {
    server = createHttpServer(options, handler);
  }
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(config.api.port);
  } catch (error) {
    // 443 needs privilege; an unprivileged quick start falls back to 8443 rather than failing.
    if ((error as NodeJS.ErrnoException).code !== 'EACCES' || config.api.port !== 443) throw error;
    logger.warn('port 443 needs privilege; the MnT API listens on 8443 instead (set api.port to choose)');
    await listen(8443);
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host;
  const url = `${config.api.tls.enabled ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/admin/API/mnt/`;
  logger.info({ url }, 'MnT API ready');
  return {
    port,
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

