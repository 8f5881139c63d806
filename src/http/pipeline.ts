/**
 * The HTTP pipeline: one request handler for every face of the node. In order: the size limits,
 * the unauthenticated faces (`/health`, `/metrics`), the browser console (`/`, `/ui/…`: its files
 * and its sign-in), the credentials — HTTP Basic against the admin accounts with lock-out, or the
 * console's session cookie, with its CSRF token on anything that changes state — then the route
 * table the path is mounted under (`/api/v1/` for our JSON API, the three MnT prefixes for ISE's
 * calls). Either kind of credential meets exactly the same role rules. Every failure, wherever
 * thrown, ends in the one error handler at the bottom, which answers in the face's own shape: ISE's
 * `mnt-rest-result` (XML or its JSON twin) for the MnT calls, our JSON error for the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenMntError, isOpenMntError } from '../errors.js';
import { parseBasicAuthorization, roleAllows, type Admin, type Right } from './admins.js';
import { adminRoutes } from './api-v1/admin-accounts.js';
import { coaRoutes, MAX_JOB_BODY } from './api-v1/coa.js';
import { endpointRoutes } from './api-v1/endpoints.js';
import { eventRoutes } from './api-v1/events.js';
import { API_V1_PREFIX, Router, type Route } from './api-v1/router.js';
import { sessionRoutes } from './api-v1/sessions.js';
import { summaryRoutes } from './api-v1/summary.js';
import { consoleViewRoutes } from './api-v1/console-views.js';
import { ConsoleSessions, CSRF_HEADER, csrfMatches, sessionCookieOf, type ConsoleSession } from './ui/console-sessions.js';
import { createUiHandler, isUiPath, UI_SECURITY_HEADERS } from './ui/routes.js';
import { defaultUiDirectory, loadStaticFiles } from './ui/static.js';
import { discardBody, sendJson, send, tooLarge, type Context, type Format } from './context.js';
import type { ApiDependencies } from './deps.js';
import { HttpError, headersOf, methodNotAllowed, statusOf } from './errors.js';
import { parseCall, type ParsedCall } from './mnt/calls.js';
import { mntErrorBody, mntRoutes } from './mnt/routes.js';
import { healthAnswer } from './health.js';
import { transportFloor } from './floor.js';
import { LARGE_BODY_PATHS, policyRoutes } from './api-v1/policy.js';
import { openApiRoute } from './api-v1/openapi.js';
import { PXGRID_PREFIX, PxGridService } from './pxgrid/service.js';
import { pxgridAccountRoutes } from './api-v1/pxgrid-accounts.js';
import { dataConnectRoutes } from './api-v1/dataconnect.js';
import type { NewAdminLoginRecord } from '../store/index.js';

/** Every call but a job post takes at most this much body (the MnT calls take none at all). */
export const MAX_BODY = 64 * 1024;

type Face = 'mnt' | 'api';

/** Who made a request: the admin, and the console session when it came with the cookie. */
interface Caller {
  admin: Admin;
  session: ConsoleSession | null;
}

const SAFE_METHODS = ['GET', 'HEAD'];

function formatOf(req: IncomingMessage): Format {
  const accept = (req.headers.accept ?? '').toLowerCase();
  if (accept === '') return 'xml';
  const json = accept.indexOf('application/json');
  const xml = Math.max(accept.indexOf('application/xml'), accept.indexOf('text/xml'));
  if (json >= 0 && (xml < 0 || json < xml)) return 'json';
  if (xml >= 0 || /(^|[,\s])(\*\/\*|application\/\*|text\/\*)/.test(accept)) return 'xml';
  throw new HttpError(406, 'NOT_ACCEPTABLE', `cannot answer in ${req.headers.accept}: use application/xml or application/json`);
}

/** What the /api/v1 routes tell the pipeline about. */
export interface ApiV1Hooks {
  /** An SSE stream was cut from the live feed (its consumer fell behind). */
  onStreamCut?: () => void;
  /** An admin account was removed: its console sessions end. */
  onAdminRemoved?: (name: string) => void;
}

/** Every /api/v1 route, the OpenAPI document's own included (it describes this same list). */
export function apiV1Routes(deps: ApiDependencies, hooks: ApiV1Hooks = {}): Route[] {
  const routes: Route[] = [
    ...sessionRoutes(deps.store),
    ...endpointRoutes(deps.store),
    ...summaryRoutes(deps.store, deps.metrics),
    ...coaRoutes(deps.store, deps.jobs, deps.coa),
    ...adminRoutes(deps.admins, (name) => hooks.onAdminRemoved?.(name)),
    ...policyRoutes(deps),
    ...eventRoutes(deps.events, {
      maxQueued: deps.config.events.maxQueuedEvents,
      keepAliveMs: deps.config.events.keepAliveSeconds * 1000,
      onCut: () => hooks.onStreamCut?.(),
    }),
    ...pxgridAccountRoutes(deps.pxgrid),
    ...consoleViewRoutes(deps),
    ...dataConnectRoutes(deps.dataconnect),
  ];
  routes.push(openApiRoute(() => routes));
  return routes;
}

export interface ApiHandlerOptions {
  /** The built console (default: `dist/ui` of this package). */
  uiDirectory?: string;
  /** The clock of console sessions (tests). */
  now?: () => number;
}

export function createApiHandler(deps: ApiDependencies, options: ApiHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger, admins, guard, metrics } = deps;
  const requests = metrics.counter('openmnt_api_requests_total', 'MnT API requests by call and HTTP status.', ['call', 'status']);
  const latency = metrics.histogram('openmnt_api_request_duration_seconds', 'MnT API time to answer, by call.', ['call']);
  const loginFailures = metrics.counter('openmnt_api_login_failures_total', 'Failed API logins, by outcome (wrong credentials, or refused by the lock-out).', ['outcome']);
  const mnt = mntRoutes(deps);
  // Null unless the benchmark started this process with its flag (floor.ts).
  const floor = transportFloor();
  const consoleSessions = new ConsoleSessions({
    idleMs: config.api.console.idleMinutes * 60_000,
    absoluteMs: config.api.console.absoluteHours * 3_600_000,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const streamsCut = metrics.counter('openmnt_event_streams_cut_total', 'Session-event streams cut from the live feed because their consumer fell behind (they resume from the log).', ['kind']);
  const api = new Router(
    apiV1Routes(deps, {
      onStreamCut: () => streamsCut.inc({ kind: 'sse' }),
      onAdminRemoved: (name) => consoleSessions.closeAdmin(name),
    }),
  );
  const ui = createUiHandler({
    files: loadStaticFiles(options.uiDirectory ?? defaultUiDirectory()),
    sessions: consoleSessions,
    secure: config.api.tls.enabled,
    idleMinutes: () => config.api.console.idleMinutes,
    verifyLogin: async (source, name, password) => {
      const admin = await verifyPassword(source, name, password, 'console sign-in failed');
      recordLogin({ at: Date.now(), admin: admin.name, source, interface: 'console', event: 'sign-in', detail: null });
      return admin;
    },
    sessionAdmin: (session) => admins.get(session.admin),
  });

  /** ADMINISTRATOR_LOGINS: console sign-ins and failed logins (an API call's Basic login is every request). */
  function recordLogin(record: NewAdminLoginRecord): void {
    deps.store.recordAdminLogin(record).catch((error: unknown) => logger.error({ err: error }, 'admin login record could not be written'));
  }

  async function authenticate(req: IncomingMessage): Promise<Caller> {
    const source = req.socket.remoteAddress ?? 'unknown';
    const credentials = parseBasicAuthorization(req.headers.authorization);
    if (credentials !== null) return { admin: await verifyPassword(source, credentials.name, credentials.password, 'MnT API login failed'), session: null };
    const cookie = sessionCookieOf(req.headers.cookie);
    if (cookie !== null) {
      const found = consoleSessions.touch(cookie);
      if (found.session !== null) {
        const admin = admins.get(found.session.admin);
        if (admin !== null) return { admin, session: found.session };
        consoleSessions.close(cookie);
      }
      throw new HttpError(401, 'UNAUTHENTICATED', found.session === null && found.why !== 'unknown' ? 'the console session has ended; sign in again' : 'not signed in to the console');
    }
    const verdict = guard.check(source);
    if (!verdict.allowed) throw lockedOut(source, verdict.retryAfterSeconds);
    throw new HttpError(401, 'UNAUTHENTICATED', 'this call needs HTTP Basic credentials of an admin account');
  }

  /**
   * A request made with the console's cookie that changes anything — any method but GET and HEAD,
   * and the MnT CoA and Delete calls, which ISE serves on GET — must carry the session's CSRF token.
   */
  function requireCsrf(req: IncomingMessage, caller: Caller, right: Right | readonly Right[]): void {
    if (caller.session === null) return;
    const readOnly = typeof right === 'string' ? right === 'read' : right.every((r) => r === 'read');
    if (readOnly && SAFE_METHODS.includes(req.method ?? 'GET')) return;
    if (!csrfMatches(caller.session, req.headers[CSRF_HEADER])) {
      throw new HttpError(403, 'FORBIDDEN', 'this request changes state and needs the console\'s CSRF token (X-CSRF-Token)');
    }
  }

  async function verifyPassword(source: string, name: string, password: string, failureLog: string): Promise<Admin> {
    // Only a name that is an account may be remembered or logged: users type passwords into the
    // user field, and an unknown name is as likely to be a password as a typo.
    const credentials = { name, password };
    // A name and password this node verified moments ago are no guess: they are let in from the
    // cache without an attempt on record. Counted as attempts in flight, a client's own concurrent
    // requests (16 keep-alive connections) looked like a burst of guesses and were slowed, then
    // refused with 429. A locked-out source stays locked out, even with the right password.
    const recent = admins.verifiedRecently(name, password);
    if (recent !== null) {
      // Several nodes: a lock-out another node decided holds here too (read at most once a second).
      await guard.refresh(source, 1000);
      const verdict = guard.check(source);
      if (verdict.allowed) {
        guard.proven(source, name);
        return recent;
      }
      loginFailures.inc({ outcome: 'locked-out' });
      throw lockedOut(source, verdict.retryAfterSeconds);
    }
    const known = admins.has(name);
    // Several nodes: the source's failures and lock-out as the others recorded them.
    await guard.refresh(source);
    const started = guard.begin(source, known ? credentials.name : null);
    if (!started.allowed) {
      loginFailures.inc({ outcome: 'locked-out' });
      throw lockedOut(source, started.retryAfterSeconds);
    }
    const { attempt } = started;
    let admin: Admin | null = null;
    try {
      if (attempt.delayMs > 0) await new Promise((r) => setTimeout(r, attempt.delayMs));
      admin = await admins.verify(credentials.name, credentials.password);
    } finally {
      if (admin === null) attempt.failed();
      else attempt.succeeded();
    }
    if (admin === null) {
      loginFailures.inc({ outcome: 'wrong-credentials' });
      logger.warn({ source, admin: known ? credentials.name : '(not an account)' }, failureLog);
      // Bounded by the lock-out above: a source gets a few failures on record, then is refused.
      recordLogin({ at: Date.now(), admin: known ? credentials.name : '(not an account)', source, interface: failureLog.startsWith('console') ? 'console' : 'api', event: 'failed', detail: failureLog });
      throw new HttpError(401, 'UNAUTHENTICATED', 'the user name or password is wrong');
    }
    return admin;
  }

  async function runMnt(req: IncomingMessage, res: ServerResponse, url: URL, format: Format, caller: Caller, call: ParsedCall): Promise<void> {
    const method = req.method ?? 'GET';
    const { admin } = caller;
    if (!call.methods.includes(method)) throw methodNotAllowed(call.name, call.methods, method);
    if (!roleAllows(admin.role, call.right)) {
      const doing = call.right === 'coa' ? 'issue CoA' : call.right === 'write' ? 'change sessions' : 'read';
      throw new HttpError(403, 'FORBIDDEN', `admin '${admin.name}' (${admin.role}) may not ${doing} through ${call.name}`);
    }
    requireCsrf(req, caller, call.right);
    // The MnT calls take no body; one that is sent anyway is read and dropped, within the limit.
    await discardBody(req, MAX_BODY);
    await mnt[call.name]({ req, res, url, method, format, admin }, call);
  }

  async function runApi(req: IncomingMessage, res: ServerResponse, url: URL, found: ReturnType<Router['find']>): Promise<void> {
    const caller = await authenticate(req);
    const { admin } = caller;
    // After the credentials, as on the MnT face: an unknown path is a 404 only to an admin.
    const match = api.match(url.pathname, found);
    const ctx: Context = { req, res, url, method: req.method ?? 'GET', format: 'json', admin };
    const operation = api.operation(match, ctx.method);
    if (operation !== undefined) requireCsrf(req, caller, operation.right);
    // Only operations that read their body do so (with their own limit); anything sent elsewhere is dropped.
    if (operation?.readsBody !== true && operation?.body === undefined) await discardBody(req, MAX_BODY);
    await api.run(ctx, match);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    let callName = 'unknown';
    // Until a path says otherwise, a failure is answered as ISE would.
    let face: Face = 'mnt';
    let format: Format = 'xml';
    let call: ParsedCall | null = null;
    let uiRequest = false;
    res.setHeader('Server', `OpenMnT/${deps.version}`);
    if (floor !== null && floor(req, res)) return;
    res.on('finish', () => {
      requests.inc({ call: callName, status: String(res.statusCode) });
      latency.observe({ call: callName }, Number(process.hrtime.bigint() - started) / 1e9);
    });

    const handle = async () => {
      const target = req.url ?? '/';
      if (Buffer.byteLength(target) > config.api.maxUrlBytes) {
        throw new HttpError(414, 'REQUEST_TOO_LARGE', `the request target is longer than ${config.api.maxUrlBytes} bytes`);
      }
      let url: URL;
      try {
        url = new URL(target, 'http://localhost');
      } catch {
        throw new OpenMntError('INVALID_ARGUMENT', 'the request target is not a valid URL path');
      }
      const path = url.pathname;
      const isJobPost = path === `${API_V1_PREFIX}/coa/jobs` || LARGE_BODY_PATHS.has(path.slice(API_V1_PREFIX.length));
      // A declared length is refused before anything is read; a chunked body is counted as it comes.
      const limit = isJobPost ? MAX_JOB_BODY : MAX_BODY;
      if (!(Number(req.headers['content-length'] ?? 0) <= limit)) throw tooLarge(limit);
      if (path === '/health') {
        callName = 'health';
        face = 'api';
        await discardBody(req, MAX_BODY);
        const answer = await healthAnswer(deps);
        return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store' });
      }
      if (isUiPath(path)) {
        face = 'api';
        uiRequest = true;
        callName = path.startsWith('/ui/assets/') ? 'ui/assets' : path === '/ui/sign-in' ? 'ui/sign-in' : 'ui';
        if (path === '/ui/sign-in') {
          // Its own small body limit is enforced by the sign-in reader.
        } else if (req.method === 'GET' || req.method === 'HEAD') await discardBody(req, MAX_BODY);
        return ui(req, res, url);
      }
      if (path === '/metrics') {
        callName = 'metrics';
        await discardBody(req, MAX_BODY);
        const body = await metrics.render();
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(body);
        return;
      }
      if (path.startsWith(`${API_V1_PREFIX}/`)) {
        face = 'api';
        format = 'json';
        // The route is looked up once: its name labels the metrics, then it runs.
        const found = api.find(path);
        callName = found?.route.name ?? 'api/unknown';
        return runApi(req, res, url, found);
      }
      if (path.startsWith(PXGRID_PREFIX) && deps.pxgrid !== undefined) {
        // pxGrid consumers authenticate with their own accounts (pxgrid/service.ts), not as admins.
        face = 'api';
        format = 'json';
        callName = PxGridService.callName(path);
        return deps.pxgrid.handle(req, res, url);
      }
      face = 'mnt';
      format = formatOf(req);
      // Credentials first, as ISE: without them even a malformed call is a 401.
      const caller = await authenticate(req);
      call = parseCall(path);
      callName = call.name;
      return runMnt(req, res, url, format, caller, call);
    };

    handle().catch((error: unknown) => {
      const failure = isOpenMntError(error) ? error : new OpenMntError('STORE_FAILED', 'internal error');
      if (!isOpenMntError(error)) logger.error({ err: error, call: callName }, 'MnT API call failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = statusOf(failure);
      const headers: Record<string, string> = { ...headersOf(failure) };
      // Not to the console: a browser would answer the challenge with its own password dialog.
      const fromConsole = uiRequest || sessionCookieOf(req.headers.cookie) !== null || req.headers[CSRF_HEADER] !== undefined;
      if (status === 401 && !fromConsole) headers['WWW-Authenticate'] = 'Basic realm="OpenMnT MnT API", charset="UTF-8"';
      if (uiRequest) Object.assign(headers, UI_SECURITY_HEADERS);
      // A body we did not read to its end cannot be skipped over on a kept-alive connection.
      if (!req.complete) headers['Connection'] = 'close';
      if (face === 'mnt') send(res, format, status, mntErrorBody(format, failure, status, call), headers);
      else sendJson(res, status, { error: failure.code, message: failure.message }, headers);
      if (req.complete) req.resume();
    });
  };
}

function lockedOut(source: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'LOCKED_OUT', `too many failed logins from ${source}; try again in ${retryAfterSeconds} s`, { 'Retry-After': String(retryAfterSeconds) });
}
