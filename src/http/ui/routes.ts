/**
 * The console's own paths: `/` sends a browser to `/ui/`; `/ui/…` serves the built app; and the
 * sign-in face: `POST /ui/sign-in` (a form's username and password, checked exactly as HTTP Basic
 * is, lock-out included) opens a cookie session, `GET /ui/session` tells the page who is signed in
 * and its CSRF token, `POST /ui/sign-out` ends the session. Everything else the console does goes
 * through the documented `/api/v1` and MnT calls, authenticated by the cookie.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenMntError } from '../../errors.js';
import { ROLE_NAMES, roleAllows, type Admin } from '../admins.js';
import { readBody, sendJson } from '../context.js';
import { HttpError, methodNotAllowed } from '../errors.js';
import { clearedSessionCookie, csrfMatches, sessionCookie, sessionCookieOf, type ConsoleSession, type ConsoleSessions } from './console-sessions.js';
import type { StaticFile } from './static.js';

/** Every console page: scripts and styles only from this origin, never framed, no referrer. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const SIGN_IN_BODY = 4096;

export interface UiOptions {
  files: Map<string, StaticFile>;
  sessions: ConsoleSessions;
  /** Whether the node speaks TLS (the cookie is then marked Secure). */
  secure: boolean;
  idleMinutes: () => number;
  /** The password check of the API (lock-out included); throws 401 or 429. */
  verifyLogin: (source: string, name: string, password: string) => Promise<Admin>;
  /** The admin of a live console session (role read afresh), or null. */
  sessionAdmin: (session: ConsoleSession) => Admin | null;
}

export function isUiPath(path: string): boolean {
  return path === '/' || path === '/ui' || path.startsWith('/ui/');
}

export function createUiHandler(o: UiOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const method = (req: IncomingMessage) => req.method ?? 'GET';

  function whoAmI(admin: Admin, session: ConsoleSession) {
    return {
      admin: admin.name,
      role: admin.role,
      roleName: ROLE_NAMES[admin.role],
      // What the server will allow, so the page hides what would be refused (the server still checks).
      may: {
        read: roleAllows(admin.role, 'read'),
        coa: roleAllows(admin.role, 'coa'),
        write: roleAllows(admin.role, 'write'),
        policy: roleAllows(admin.role, 'policy'),
        admins: roleAllows(admin.role, 'admins'),
      },
      // A delegated admin's groups: the only endpoints the console shows it (the server enforces it).
      ...(admin.role === 'delegated-admin' ? { groups: admin.groups ?? [] } : {}),
      csrfToken: session.csrfToken,
      idleMinutes: o.idleMinutes(),
    };
  }

  /** A cross-site form post carries the browser's Origin: refuse one that is not this node. */
  function sameOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      host = '';
    }
    if (host !== req.headers.host) throw new HttpError(403, 'FORBIDDEN', 'a sign-in must come from the console itself');
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    sameOrigin(req);
    const body = (await readBody(req, SIGN_IN_BODY)).toString('utf8');
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    let name: unknown;
    let password: unknown;
    if (type.startsWith('application/json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new OpenMntError('INVALID_ARGUMENT', 'the body is not valid JSON');
      }
      ({ username: name, password } = (parsed ?? {}) as Record<string, unknown>);
    } else if (type.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body);
      name = form.get('username');
      password = form.get('password');
    } else {
      throw new HttpError(415, 'INVALID_ARGUMENT', 'sign in with a form (application/x-www-form-urlencoded) or JSON');
    }
    if (typeof name !== 'string' || name === '' || typeof password !== 'string') {
      throw new OpenMntError('INVALID_ARGUMENT', 'sign-in needs a username and a password');
    }
    const admin = await o.verifyLogin(req.socket.remoteAddress ?? 'unknown', name, password);
    const { cookie, session } = o.sessions.open(admin.name);
    const headers = { 'Set-Cookie': sessionCookie(cookie, o.secure), 'Cache-Control': 'no-store' };
    if (type.startsWith('application/json')) return sendJson(res, 200, whoAmI(admin, session), headers);
    // A plain form post (no script): back to the app, which now finds its session.
    res.writeHead(303, { ...headers, Location: '/ui/' });
    res.end();
  }

  function current(req: IncomingMessage): { admin: Admin; session: ConsoleSession; cookie: string } {
    const cookie = sessionCookieOf(req.headers.cookie);
    if (cookie === null) throw new HttpError(401, 'UNAUTHENTICATED', 'not signed in');
    const found = o.sessions.touch(cookie);
    if (found.session === null) {
      throw new HttpError(401, 'UNAUTHENTICATED', found.why === 'idle' ? 'the session ended after a time without use; sign in again' : found.why === 'expired' ? 'the session reached its time limit; sign in again' : 'not signed in');
    }
    const admin = o.sessionAdmin(found.session);
    if (admin === null) {
      o.sessions.close(cookie);
      throw new HttpError(401, 'UNAUTHENTICATED', 'the account of this session no longer exists');
    }
    return { admin, session: found.session, cookie };
  }

  function serveFile(req: IncomingMessage, res: ServerResponse, file: StaticFile, extra: Record<string, string> = {}): void {
    const headers: Record<string, string> = { 'Content-Type': file.type, 'Cache-Control': file.cacheControl, ETag: file.etag, Vary: 'Accept-Encoding', ...UI_SECURITY_HEADERS, ...extra };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = file.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip! : file.body;
    res.writeHead(200, { ...headers, 'Content-Length': String(body.length), ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
    res.end(method(req) === 'HEAD' ? undefined : body);
  }

  return async (req, res, url) => {
    const path = url.pathname;
    const m = method(req);
    if (path === '/' || path === '/ui') {
      if (m !== 'GET' && m !== 'HEAD') throw methodNotAllowed(path, ['GET', 'HEAD'], m);
      res.writeHead(302, { Location: '/ui/', 'Content-Length': '0' });
      res.end();
      return;
    }
    if (path === '/ui/sign-in') {
      if (m !== 'POST') throw methodNotAllowed(path, ['POST'], m);
      return signIn(req, res);
    }
    if (path === '/ui/session') {
      if (m !== 'GET') throw methodNotAllowed(path, ['GET'], m);
      const { admin, session } = current(req);
      return sendJson(res, 200, whoAmI(admin, session), { 'Cache-Control': 'no-store' });
    }
    if (path === '/ui/sign-out') {
      if (m !== 'POST') throw methodNotAllowed(path, ['POST'], m);
      const { session, cookie } = current(req);
      if (!csrfMatches(session, req.headers['x-csrf-token'])) throw new HttpError(403, 'FORBIDDEN', 'this request needs the console\'s CSRF token (X-CSRF-Token)');
      o.sessions.close(cookie);
      res.writeHead(204, { 'Set-Cookie': clearedSessionCookie(o.secure), 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (m !== 'GET' && m !== 'HEAD') throw methodNotAllowed(path, ['GET', 'HEAD'], m);
    const index = o.files.get('/ui/index.html');
    if (index === undefined) throw new HttpError(503, 'UNAVAILABLE', 'the console is not built on this node: run npm run build');
    const file = path === '/ui/' ? index : o.files.get(path);
    if (file === undefined) throw new OpenMntError('NOT_FOUND', `no console file ${path}`);
    serveFile(req, res, file);
  };
}
