/**
 * Signed-in browser sessions of the console. A session is a random 256-bit id in an HttpOnly
 * cookie, kept only in this process's memory (a restart signs everyone out, which is the safe
 * failure), with a synchronizer CSRF token: the page learns it from `GET /ui/session` (readable
 * only with the cookie, and same-origin only, since the answer is JSON without CORS) and sends it
 * back in `X-CSRF-Token` on every request that changes something. A forged cross-site request
 * carries the cookie (were SameSite ever bypassed) but cannot know the token.
 *
 * The session holds the admin's name, not its role: the role is read from the admin file on every
 * request, so a demoted or removed admin loses the rights at once, as with HTTP Basic.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'openmnt_console';
export const CSRF_HEADER = 'x-csrf-token';

export interface ConsoleSession {
  /** Hash of the cookie value: the map never holds the bearer secret itself. */
  readonly key: string;
  readonly admin: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface ConsoleSessionOptions {
  idleMs: number;
  absoluteMs: number;
  now?: () => number;
  /** Sessions kept at most: the oldest is forgotten first (memory stays bounded). */
  maxSessions?: number;
}

export type Lookup = { session: ConsoleSession } | { session: null; why: 'unknown' | 'idle' | 'expired' };

export class ConsoleSessions {
  #o: Required<ConsoleSessionOptions>;
  readonly #byKey = new Map<string, ConsoleSession>();

  constructor(options: ConsoleSessionOptions) {
    this.#o = { now: Date.now, maxSessions: 10_000, ...options };
  }

  configure(options: { idleMs: number; absoluteMs: number }): void {
    this.#o = { ...this.#o, ...options };
  }

  /** Opens a session for an admin who just proved its password; returns the cookie value. */
  open(admin: string): { cookie: string; session: ConsoleSession } {
    const cookie = randomBytes(32).toString('base64url');
    const now = this.#o.now();
    const session: ConsoleSession = { key: keyOf(cookie), admin, csrfToken: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    if (this.#byKey.size >= this.#o.maxSessions) this.#byKey.delete(this.#byKey.keys().next().value!);
    this.#byKey.set(session.key, session);
    return { cookie, session };
  }

  /** The live session of a cookie value, refreshed (idle clock restarted), or why there is none. */
  touch(cookie: string): Lookup {
    const key = keyOf(cookie);
    const session = this.#byKey.get(key);
    if (session === undefined) return { session: null, why: 'unknown' };
    const now = this.#o.now();
    if (now - session.createdAt >= this.#o.absoluteMs) {
      this.#byKey.delete(key);
      return { session: null, why: 'expired' };
    }
    if (now - session.lastSeenAt >= this.#o.idleMs) {
      this.#byKey.delete(key);
      return { session: null, why: 'idle' };
    }
    session.lastSeenAt = now;
    return { session };
  }

  close(cookie: string): void {
    this.#byKey.delete(keyOf(cookie));
  }

  /** Ends every session of an admin (its password changed, or the account was removed). */
  closeAdmin(admin: string): void {
    for (const [key, session] of this.#byKey) if (session.admin === admin) this.#byKey.delete(key);
  }

  get size(): number {
    return this.#byKey.size;
  }
}

/** Constant-time comparison of the token a request sent with the session's. */
export function csrfMatches(session: ConsoleSession, sent: string | string[] | undefined): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The console cookie's value from a Cookie header, or null. */
export function sessionCookieOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
    }
  }
  return null;
}

/** Set-Cookie for a session: HttpOnly, SameSite=Strict, Secure whenever the node speaks TLS. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

function keyOf(cookie: string): string {
  return createHash('sha256').update(cookie).digest('base64url');
}
