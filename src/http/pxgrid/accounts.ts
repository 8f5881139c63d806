/**
 * pxGrid client accounts, kept in one JSON file beside the admins file (mode 0600, written
 * atomically), not in the store: like admin accounts they are configuration an operator manages,
 * few and small, read on every pxGrid call from memory, and they must survive a store that is
 * replaced or pruned; the file also holds the key the access secrets are derived from.
 *
 * A client makes its own password account (AccountCreate), then asks to be activated
 * (AccountActivate): the account is PENDING until an admin approves it, or ENABLED at once with
 * `pxgrid.autoApprove`. Passwords are generated here, 128 random bits, so a salted SHA-256 is
 * enough to keep them from being read back out of the file (a slow hash protects guessable
 * passwords; these are not guessable, and every pxGrid call checks one).
 *
 * A consumer with a client certificate that chains to `pxgrid.clientCaFile` needs no password: its
 * first control call makes a certificate account of the node name it gives (PENDING as any other),
 * bound to that certificate's fingerprint, so another certificate of the same CA cannot later
 * speak for it. A renewed certificate means the admin removes the account and approves the new one.
 *
 * AccessSecret: pxGrid gives each consumer a secret per provider node, which the consumer then
 * uses as the Basic password towards that provider. Ours is an HMAC of the two node names under
 * the file's key, so nothing more is stored and it stays valid across restarts.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OpenMntError } from '../../errors.js';

export type AccountState = 'PENDING' | 'ENABLED' | 'DISABLED';

export interface PxGridAccount {
  nodeName: string;
  state: AccountState;
  description: string | null;
  createdAt: string;
  /** When it was approved (or disabled) and by which admin. */
  decidedAt: string | null;
  decidedBy: string | null;
  /** Set for an account a client certificate identifies (it has no password). */
  certificate?: CertificateIdentity;
}

/** What an admin compares with the consumer's certificate before approving it. */
export interface CertificateIdentity {
  subject: string;
  /** SHA-256 of the DER, colon hex (as `openssl x509 -fingerprint -sha256` prints it). */
  fingerprint: string;
}

interface StoredAccount extends PxGridAccount {
  /** `sha256$salt$hash`, base64 parts; absent for a certificate account. */
  hash?: string;
}

interface StoredFile {
  /** base64 of the key access secrets are derived from. */
  secretKey: string;
  accounts: StoredAccount[];
}

/**
 * AccountCreate needs no credentials, so anyone who reaches the port may call it: a bound keeps
 * that from growing the file without end (an admin removes accounts it does not want).
 */
export const MAX_ACCOUNTS = 1000;

const hashOf = (password: string, salt: Buffer) => createHash('sha256').update(salt).update(password).digest();

function checkNodeName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
    throw new OpenMntError('INVALID_ARGUMENT', `nodeName must be 1-64 letters, digits, or . _ @ -`);
  }
  return name;
}

export class PxGridAccounts {
  readonly file: string;
  readonly #accounts = new Map<string, StoredAccount>();
  readonly #secretKey: Buffer;

  constructor(file: string) {
    this.file = file;
    let parsed: StoredFile | null = null;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as StoredFile;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new OpenMntError('CONFIG_INVALID', `pxGrid account file ${file} cannot be read: ${(cause as Error).message}`);
      }
    }
    this.#secretKey = parsed === null ? randomBytes(32) : Buffer.from(parsed.secretKey, 'base64');
    for (const a of parsed?.accounts ?? []) this.#accounts.set(a.nodeName, a);
    if (parsed === null) this.#save();
  }

  #save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    const content: StoredFile = { secretKey: this.#secretKey.toString('base64'), accounts: [...this.#accounts.values()] };
    writeFileSync(temp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, this.file);
  }

  list(): PxGridAccount[] {
    return [...this.#accounts.values()].map(strip).sort((a, b) => a.nodeName.localeCompare(b.nodeName));
  }

  get(nodeName: string): PxGridAccount | null {
    const a = this.#accounts.get(nodeName);
    return a === undefined ? null : strip(a);
  }

  /** AccountCreate: a new password account, PENDING; the password is returned this once. */
  create(nodeName: unknown): { nodeName: string; password: string } {
    const name = checkNodeName(nodeName);
    if (this.#accounts.has(name)) throw new OpenMntError('ALREADY_EXISTS', `a pxGrid account named '${name}' already exists`);
    if (this.#accounts.size >= MAX_ACCOUNTS) throw new OpenMntError('FORBIDDEN', `this node keeps at most ${MAX_ACCOUNTS} pxGrid accounts: remove some first`);
    const password = randomBytes(16).toString('base64url');
    const salt = randomBytes(16);
    this.#accounts.set(name, {
      nodeName: name,
      state: 'PENDING',
      description: null,
      createdAt: new Date().toISOString(),
      decidedAt: null,
      decidedBy: null,
      hash: `sha256$${salt.toString('base64')}$${hashOf(password, salt).toString('base64')}`,
    });
    this.#save();
    return { nodeName: name, password };
  }

  /**
   * The account a verified client certificate speaks for: `nodeName`'s certificate account when
   * the fingerprint is the one it was made with; made now (PENDING) when no account has that name
   * and `create`; null otherwise (another certificate, a password account, or not made).
   */
  byCertificate(nodeName: unknown, certificate: CertificateIdentity, create: boolean): PxGridAccount | null {
    const name = checkNodeName(nodeName);
    const a = this.#accounts.get(name);
    if (a !== undefined) return a.certificate?.fingerprint === certificate.fingerprint ? strip(a) : null;
    if (!create) return null;
    if (this.#accounts.size >= MAX_ACCOUNTS) throw new OpenMntError('FORBIDDEN', `this node keeps at most ${MAX_ACCOUNTS} pxGrid accounts: remove some first`);
    const made: StoredAccount = {
      nodeName: name,
      state: 'PENDING',
      description: null,
      createdAt: new Date().toISOString(),
      decidedAt: null,
      decidedBy: null,
      certificate: { subject: certificate.subject, fingerprint: certificate.fingerprint },
    };
    this.#accounts.set(name, made);
    this.#save();
    return strip(made);
  }

  /** The account whose password this is, or null. */
  verify(nodeName: string, password: string): PxGridAccount | null {
    const a = this.#accounts.get(nodeName);
    if (a?.hash === undefined) return null;
    const [, salt, hash] = a.hash.split('$');
    const expected = Buffer.from(hash ?? '', 'base64');
    const offered = hashOf(password, Buffer.from(salt ?? '', 'base64'));
    return expected.length === offered.length && timingSafeEqual(expected, offered) ? strip(a) : null;
  }

  /** AccountActivate: records the client's description; with auto-approval a PENDING account is enabled. */
  activate(nodeName: string, description: string | null, autoApprove: boolean): AccountState {
    const a = this.#accounts.get(nodeName);
    if (a === undefined) throw new OpenMntError('NOT_FOUND', `no pxGrid account named '${nodeName}'`);
    let changed = false;
    if (description !== null && description !== a.description) {
      a.description = description.slice(0, 256);
      changed = true;
    }
    if (a.state === 'PENDING' && autoApprove) {
      a.state = 'ENABLED';
      a.decidedAt = new Date().toISOString();
      a.decidedBy = '(auto-approve)';
      changed = true;
    }
    if (changed) this.#save();
    return a.state;
  }

  /** An admin approves (ENABLED) or disables (DISABLED) an account. */
  decide(nodeName: string, state: 'ENABLED' | 'DISABLED', admin: string): PxGridAccount {
    const a = this.#accounts.get(nodeName);
    if (a === undefined) throw new OpenMntError('NOT_FOUND', `no pxGrid account named '${nodeName}'`);
    a.state = state;
    a.decidedAt = new Date().toISOString();
    a.decidedBy = admin;
    this.#save();
    return strip(a);
  }

  remove(nodeName: string): void {
    if (!this.#accounts.delete(nodeName)) throw new OpenMntError('NOT_FOUND', `no pxGrid account named '${nodeName}'`);
    this.#save();
  }

  /** The secret between consumer `nodeName` and provider `peerNodeName` (AccessSecret). */
  accessSecret(nodeName: string, peerNodeName: string): string {
    return createHmac('sha256', this.#secretKey).update(`${nodeName}\0${peerNodeName}`).digest('base64url').slice(0, 22);
  }

  /** Whether `secret` is the access secret of `nodeName` towards `peerNodeName`. */
  checkAccessSecret(nodeName: string, peerNodeName: string, secret: string): boolean {
    const expected = Buffer.from(this.accessSecret(nodeName, peerNodeName));
    const offered = Buffer.from(secret);
    return expected.length === offered.length && timingSafeEqual(expected, offered);
  }
}

function strip({ hash: _hash, ...account }: StoredAccount): PxGridAccount {
  return account;
}
