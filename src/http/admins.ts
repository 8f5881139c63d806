/**
 * Admin accounts and their roles. Accounts live in one JSON file (scrypt hashes, written
 * atomically, mode 0600) that `openmnt admin ...` edits while the server runs; the server notices
 * the change without a restart. Verification is cached for identical credentials, so an API client
 * that sends the same Basic header thousands of times a second costs one scrypt, not thousands.
 */
import { hash, randomBytes, randomInt, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OpenMntError } from '../errors.js';

export type Role = 'super-admin' | 'system-admin' | 'mnt-admin' | 'helpdesk-admin' | 'delegated-admin';
/** The operator roles (what `openmnt admin` lists); a delegated admin is scoped to endpoint groups. */
export const ROLES: readonly Role[] = ['super-admin', 'system-admin', 'mnt-admin', 'helpdesk-admin'];
export const DELEGATED_ROLE: Role = 'delegated-admin';
export const ROLE_NAMES: Record<Role, string> = {
  'super-admin': 'Super Admin',
  'system-admin': 'System Admin',
  'mnt-admin': 'MnT Admin',
  'helpdesk-admin': 'Helpdesk Admin',
  'delegated-admin': 'Delegated Admin',
};

/**
 * `read`: every query; `coa`: CoA calls; `write`: Session/Delete and other changes of the
 * directory; `policy`: changes of the runtime policy; `endpoints`: endpoints of one's own groups
 * (a delegated admin has only this one, and never `coa`); `admins`: the admin accounts themselves
 * (Super Admin only, as on ISE).
 */
export type Right = 'read' | 'coa' | 'write' | 'policy' | 'endpoints' | 'admins';

const RIGHTS: Record<Role, readonly Right[]> = {
  'super-admin': ['read', 'coa', 'write', 'policy', 'endpoints', 'admins'],
  'system-admin': ['read', 'coa', 'write', 'policy', 'endpoints'],
  'mnt-admin': ['read', 'coa', 'write'],
  'helpdesk-admin': ['read'],
  'delegated-admin': ['endpoints'],
};

export function roleAllows(role: Role, right: Right): boolean {
  return RIGHTS[role].includes(right);
}

export function parseRole(text: string): Role {
  const key = text.trim().toLowerCase().replace(/[\s_]+/g, '-');
  const role = [...ROLES, DELEGATED_ROLE].find((r) => r === key);
  if (role === undefined) {
    throw new OpenMntError('INVALID_ARGUMENT', `unknown role '${text}': use one of ${ROLES.join(', ')}`);
  }
  return role;
}

export interface Admin {
  name: string;
  role: Role;
  /** A delegated admin's endpoint groups: the only endpoints it may see or change. */
  groups?: string[];
  createdAt: string;
  passwordChangedAt: string;
}

interface StoredAdmin extends Admin {
  /** `scrypt$N$r$p$salt$hash`, base64 parts: the parameters travel with the hash. */
  hash: string;
}

/**
 * scrypt at OWASP's current minimum: N = 2^17, r = 8, p = 1 (128 MiB and a fraction of a second per
 * hash). The cost is `api.passwordHashCost` (log2 N); a hash made at a lower cost is made again at
 * the current one on the next successful login, since only then is the password at hand.
 */
export const DEFAULT_HASH_COST = 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LENGTH = 32;
const CACHE_MS = 5 * 60_000;
export const MIN_PASSWORD_LENGTH = 8;

function scrypt(password: string, salt: Buffer, keyLength: number, options: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>): Promise<Buffer> {
  // scrypt needs 128 × N × r bytes; twice that leaves room and still refuses a runaway N.
  const maxmem = 256 * options.N * options.r;
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** cost;
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r: SCRYPT_R, p: SCRYPT_P });
  return `scrypt$${N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether a stored hash was made with weaker parameters than `cost` asks for now. */
function weakerThan(stored: string, cost: number): boolean {
  const [, n, r, p] = stored.split('$');
  return Number(n) < 2 ** cost || Number(r) !== SCRYPT_R || Number(p) !== SCRYPT_P;
}

async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || hash === undefined || salt === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
    throw new OpenMntError('INVALID_ARGUMENT', `admin name '${name}' is not valid: 1-64 letters, digits, or . _ @ -`);
  }
}

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new OpenMntError('INVALID_ARGUMENT', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

/** A random password that is easy to copy: 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  for (let i = 0; i < 20; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export class AdminDirectory {
  readonly file: string;
  #admins = new Map<string, StoredAdmin>();
  #mtimeMs = -1;
  #checkedAt = 0;
  /** HMAC of `name\0password` under a per-process key → admin name and expiry. */
  #verified = new Map<string, { name: string; until: number }>();
  readonly #cacheKey = randomBytes(32).toString('base64');
  readonly #dummyHash: Promise<string>;
  readonly #cost: number;

  private constructor(file: string, cost: number) {
    this.file = file;
    this.#cost = cost;
    // At the current cost, so that an unknown name takes as long to refuse as a wrong password.
    this.#dummyHash = hashPassword(randomBytes(16).toString('hex'), cost);
    this.#dummyHash.catch(() => undefined);
    this.#reload(true);
  }

  /** `cost`: log2 of scrypt's N for new hashes (api.passwordHashCost). */
  static open(file: string, options: { cost?: number } = {}): AdminDirectory {
    return new AdminDirectory(file, options.cost ?? DEFAULT_HASH_COST);
  }

  /** Re-reads the file when it changed (checked at most once a second unless forced). */
  #reload(force = false): void {
    const now = Date.now();
    if (!force && now - this.#checkedAt < 1000) return;
    this.#checkedAt = now;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.file).mtimeMs;
    } catch {
      if (this.#mtimeMs !== 0) this.#verified.clear();
      this.#admins.clear();
      this.#mtimeMs = 0;
      return;
    }
    if (mtimeMs === this.#mtimeMs && !force) return;
    let parsed: { admins?: StoredAdmin[] };
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { admins?: StoredAdmin[] };
    } catch (cause) {
      throw new OpenMntError('CONFIG_INVALID', `admin file ${this.file} cannot be read: ${(cause as Error).message}`);
    }
    this.#admins = new Map((parsed.admins ?? []).map((a) => [a.name, a]));
    this.#mtimeMs = mtimeMs;
    this.#verified.clear();
  }

  #save(): void {
    // Usually the data directory, which `openmnt admin` may create before the server ever ran.
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ admins: [...this.#admins.values()] }, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, this.file);
    this.#verified.clear();
    this.#mtimeMs = statSync(this.file).mtimeMs;
  }

  list(): Admin[] {
    this.#reload(true);
    return [...this.#admins.values()].map(({ hash: _hash, ...admin }) => admin).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Whether an account of this name exists (so a log line may name it: a mistyped password may not). */
  has(name: string): boolean {
    this.#reload();
    return this.#admins.has(name);
  }

  /** The account of this name as the file says now (a changed role applies at once), or null. */
  get(name: string): Admin | null {
    this.#reload();
    const admin = this.#admins.get(name);
    return admin === undefined ? null : strip(admin);
  }

  isEmpty(): boolean {
    this.#reload(true);
    return this.#admins.size === 0;
  }

  /**
   * The account, when this same name and password passed `verify` within the cache's lifetime
   * (and the file has not changed since): no password check, no wait. Null otherwise.
   */
  verifiedRecently(name: string, password: string): Admin | null {
    this.#reload();
    const cached = this.#verified.get(this.#cacheKeyOf(name, password));
    if (cached === undefined || cached.until <= Date.now()) return null;
    const admin = this.#admins.get(cached.name);
    return admin === undefined ? null : strip(admin);
  }

  #cacheKeyOf(name: string, password: string): string {
    // A digest keyed by this process's random secret, so no password is kept in the clear. The
    // one-shot hash, not an HMAC object: this runs on every API request (an HMAC was 2 % of one).
    return hash('sha256', `${this.#cacheKey}\0${name}\0${password}`, 'base64');
  }

  async verify(name: string, password: string): Promise<Admin | null> {
    const recent = this.verifiedRecently(name, password);
    if (recent !== null) return recent;
    const key = this.#cacheKeyOf(name, password);
    const now = Date.now();
    const admin = this.#admins.get(name);
    // An unknown name costs a scrypt too, so response time does not tell which names exist.
    const ok = await checkPassword(password, admin?.hash ?? (await this.#dummyHash));
    if (!ok || admin === undefined) return null;
    if (weakerThan(admin.hash, this.#cost)) await this.#upgrade(name, password);
    if (this.#verified.size > 10_000) this.#verified.clear();
    this.#verified.set(key, { name, until: now + CACHE_MS });
    return strip(admin);
  }

  /** Makes the hash of a just-proven password again at the current cost, and saves it. */
  async #upgrade(name: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.#cost);
    this.#reload(true);
    const admin = this.#admins.get(name);
    // Changed meanwhile (a new password, or removed): that change wins.
    if (admin === undefined || !(await checkPassword(password, admin.hash))) return;
    admin.hash = hash;
    this.#save();
  }

  async add(name: string, password: string, role: Role, groups: string[] = []): Promise<Admin> {
    checkName(name);
    if (role === DELEGATED_ROLE && groups.length === 0) throw new OpenMntError('INVALID_ARGUMENT', 'a delegated admin needs the endpoint groups it may manage');
    checkPasswordStrength(password);
    this.#reload(true);
    if (this.#admins.has(name)) throw new OpenMntError('ALREADY_EXISTS', `admin '${name}' already exists`);
    const now = new Date().toISOString();
    const admin: StoredAdmin = { name, role, ...(role === DELEGATED_ROLE ? { groups } : {}), createdAt: now, passwordChangedAt: now, hash: await hashPassword(password, this.#cost) };
    this.#admins.set(name, admin);
    this.#save();
    return strip(admin);
  }

  async passwd(name: string, password: string): Promise<void> {
    checkPasswordStrength(password);
    this.#reload(true);
    const admin = this.#admins.get(name);
    if (admin === undefined) throw new OpenMntError('NOT_FOUND', `no admin named '${name}'`);
    admin.hash = await hashPassword(password, this.#cost);
    admin.passwordChangedAt = new Date().toISOString();
    this.#save();
  }

  async remove(name: string): Promise<void> {
    this.#reload(true);
    const admin = this.#admins.get(name);
    if (admin === undefined) throw new OpenMntError('NOT_FOUND', `no admin named '${name}'`);
    const supers = [...this.#admins.values()].filter((a) => a.role === 'super-admin');
    if (admin.role === 'super-admin' && supers.length === 1) {
      throw new OpenMntError('INVALID_ARGUMENT', `'${name}' is the last Super Admin; add another before removing it`);
    }
    this.#admins.delete(name);
    this.#save();
  }

  /** With no admin at all, creates `admin` (Super Admin) with a random password and returns it once. */
  async ensureInitialAdmin(): Promise<{ name: string; password: string } | null> {
    if (!this.isEmpty()) return null;
    const password = generatePassword();
    await this.add('admin', password, 'super-admin');
    return { name: 'admin', password };
  }
}

function strip({ hash: _hash, ...admin }: StoredAdmin): Admin {
  return admin;
}

/** RFC 7617 Basic credentials, or null when the header is absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): { name: string; password: string } | null {
  if (header === undefined) return null;
  const m = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
