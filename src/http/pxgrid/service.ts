/**
 * The pxGrid 2.0 publisher: the control service a consumer calls first (`/pxgrid/control/…`), the
 * session service's REST queries (`/pxgrid/ise/session/…`) and, in pubsub.ts, the WebSocket
 * pubsub service carrying the session topic. Paths, JSON names and the handshake are those of
 * Cisco's pxGrid 2.0 REST/WebSocket interface, so consumers written for ISE (firewalls, SIEMs,
 * Cisco's sample clients) work against this node unchanged: every call is a POST of JSON over
 * HTTPS with HTTP Basic credentials.
 *
 * The handshake: AccountCreate (no credentials; gives a password) → AccountActivate (PENDING until
 * an admin approves, then ENABLED) → ServiceLookup (`com.cisco.ise.session` names the REST base
 * and the pubsub service; `com.cisco.ise.pubsub` names the WebSocket URL) → AccessSecret (the
 * password towards the provider node, i.e. this node) → queries and the WebSocket with
 * `nodeName:secret`.
 *
 * With `pxgrid.clientCaFile`, a consumer may instead present a client certificate of that CA and
 * send its node name with an empty password (what Cisco's samples do when given a certificate):
 * see PxGridAccounts.byCertificate.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { EventBus } from '../../events/bus.js';
import { OpenMntError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import { parseBasicAuthorization } from '../admins.js';
import { JSON_TYPE, readBody, sendJson, write } from '../context.js';
import { HttpError, methodNotAllowed } from '../errors.js';
import type { LoginGuard } from '../guard.js';
import type { MetricsRegistry } from '../metrics.js';
import { ipArgument, macArgument } from '../mnt/calls.js';
import { PxGridAccounts, type CertificateIdentity, type PxGridAccount } from './accounts.js';
import { PxGridPubsub } from './pubsub.js';
import { pxgridSession, pxgridSessionJson } from './session-object.js';

export const PXGRID_PREFIX = '/pxgrid/';
const CONTROL = '/pxgrid/control/';
export const SESSION_REST = '/pxgrid/ise/session';
export const PUBSUB_PATH = '/pxgrid/ise/pubsub';
export const SESSION_SERVICE = 'com.cisco.ise.session';
export const PUBSUB_SERVICE = 'com.cisco.ise.pubsub';
export const SESSION_TOPIC = '/topic/com.cisco.ise.session';
/** The control protocol version AccountActivate reports (that of Cisco's pxGrid 2.0 documentation). */
const CONTROL_VERSION = '2.0.0.2';
const MAX_BODY = 64 * 1024;

export interface PxGridOptions {
  config: Config;
  store: Store;
  bus: EventBus;
  guard: LoginGuard;
  metrics: MetricsRegistry;
  logger: Logger;
}

export class PxGridService {
  readonly accounts: PxGridAccounts;
  readonly pubsub: PxGridPubsub;
  readonly #o: PxGridOptions;
  /** This node's name as a pxGrid provider (`nodeName` in ServiceLookup, the AccessSecret peer). */
  readonly nodeName: string;

  constructor(options: PxGridOptions) {
    this.#o = options;
    this.accounts = new PxGridAccounts(options.config.pxgrid.accountsFile);
    this.nodeName = options.config.node.name;
    this.pubsub = new PxGridPubsub({ service: this, bus: options.bus, config: options.config, metrics: options.metrics, logger: options.logger });
  }

  /** The metrics label of a path under /pxgrid/. */
  static callName(path: string): string {
    const last = path.split('/').pop() ?? '';
    return /^[A-Za-z]{1,40}$/.test(last) ? `pxgrid/${last}` : 'pxgrid/unknown';
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (req.method !== 'POST') throw methodNotAllowed(path, ['POST'], req.method ?? 'GET');
    const body = await readRequest(req);
    if (path.startsWith(CONTROL)) return this.#control(req, res, path.slice(CONTROL.length), body);
    if (path.startsWith(`${SESSION_REST}/`)) {
      const consumer = await this.authenticate(req, 'provider');
      this.#requireEnabled(consumer);
      return this.#session(res, path.slice(SESSION_REST.length + 1), body);
    }
    throw new OpenMntError('UNKNOWN_CALL', `no pxGrid call has the path ${path}`);
  }

  async #control(req: IncomingMessage, res: ServerResponse, call: string, body: Record<string, unknown>): Promise<void> {
    const { config } = this.#o;
    switch (call) {
      case 'AccountCreate': {
        if (!config.pxgrid.accountCreate) throw new HttpError(403, 'FORBIDDEN', 'AccountCreate is turned off on this node (pxgrid.accountCreate)');
        const created = this.accounts.create(body.nodeName);
        this.#o.logger.info({ nodeName: created.nodeName }, 'pxGrid account created, pending approval');
        return sendJson(res, 200, { nodeName: created.nodeName, password: created.password, userName: created.nodeName });
      }
      case 'AccountActivate': {
        const account = await this.authenticate(req, 'account');
        const description = typeof body.description === 'string' ? body.description : null;
        const accountState = this.accounts.activate(account.nodeName, description, config.pxgrid.autoApprove);
        return sendJson(res, 200, { accountState, version: CONTROL_VERSION });
      }
      case 'ServiceLookup': {
        this.#requireEnabled(await this.authenticate(req, 'account'));
        if (typeof body.name !== 'string') throw new OpenMntError('INVALID_ARGUMENT', 'ServiceLookup needs "name", the service to look up');
        return sendJson(res, 200, { services: this.#lookup(req, body.name) });
      }
      case 'AccessSecret': {
        const account = await this.authenticate(req, 'account');
        this.#requireEnabled(account);
        if (typeof body.peerNodeName !== 'string') throw new OpenMntError('INVALID_ARGUMENT', 'AccessSecret needs "peerNodeName"');
        if (body.peerNodeName !== this.nodeName) throw new OpenMntError('NOT_FOUND', `no pxGrid node named '${body.peerNodeName}' here (this node is '${this.nodeName}')`);
        return sendJson(res, 200, { secret: this.accounts.accessSecret(account.nodeName, body.peerNodeName) });
      }
      default:
        throw new OpenMntError('UNKNOWN_CALL', `no pxGrid control call named ${call}`);
    }
  }

  #lookup(req: IncomingMessage, name: string): unknown[] {
    const base = this.#baseUrl(req);
    if (name === SESSION_SERVICE) {
      return [{ name, nodeName: this.nodeName, properties: { restBaseUrl: `${base.https}${SESSION_REST}`, wsPubsubService: PUBSUB_SERVICE, sessionTopic: SESSION_TOPIC } }];
    }
    if (name === PUBSUB_SERVICE) return [{ name, nodeName: this.nodeName, properties: { wsUrl: `${base.wss}${PUBSUB_PATH}` } }];
    // As pxGrid: a service nobody provides is an empty list, not an error.
    return [];
  }

  /** The URLs consumers are sent to: this node as the consumer reached it. */
  #baseUrl(req: IncomingMessage): { https: string; wss: string } {
    const { api } = this.#o.config;
    const host = req.headers.host;
    const authority = host !== undefined && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : `${api.host}:${req.socket.localPort ?? api.port}`;
    return api.tls.enabled ? { https: `https://${authority}`, wss: `wss://${authority}` } : { https: `http://${authority}`, wss: `ws://${authority}` };
  }

  async #session(res: ServerResponse, call: string, body: Record<string, unknown>): Promise<void> {
    const { store } = this.#o;
    switch (call) {
      case 'getSessions': {
        const since = body.startTimestamp;
        let changedFrom: number | undefined;
        if (since !== undefined && since !== null) {
          changedFrom = typeof since === 'string' ? Date.parse(since) : NaN;
          if (!Number.isFinite(changedFrom)) throw new OpenMntError('INVALID_ARGUMENT', `startTimestamp '${String(since)}' is not valid: an ISO 8601 time such as 2026-01-31T10:00:00.000Z`);
        }
        // No start: the whole live directory. With one: whatever changed since, closed sessions
        // included (DISCONNECTED), so a consumer that missed messages can mend its copy.
        const sessions = store.iterateSessions(changedFrom === undefined ? { scope: 'active' } : { scope: 'all', changedFrom });
        return streamSessions(res, sessions);
      }
      case 'getSessionByIpAddress': {
        const ip = ipArgument(String(body.ipAddress ?? ''), 'ipAddress');
        return this.#single(res, await store.findLatestSession({ framedIp: ip, scope: 'all' }));
      }
      case 'getSessionByMacAddress': {
        const mac = macArgument(String(body.macAddress ?? ''), 'macAddress');
        return this.#single(res, await store.findLatestSession({ mac, scope: 'all' }));
      }
      default:
        throw new OpenMntError('UNKNOWN_CALL', `the session service has no call named ${call}`);
    }
  }

  #single(res: ServerResponse, session: Parameters<typeof pxgridSession>[0] | null): void {
    // No such session: an empty answer, as ISE gives (the consumer sees no object).
    if (session === null) {
      res.writeHead(204);
      res.end();
      return;
    }
    sendJson(res, 200, pxgridSession(session));
  }

  /**
   * The pxGrid account of a request's Basic credentials. `account`: the account's own password
   * (control calls). `provider`: the access secret towards this node, or the account's password
   * (the session queries and the WebSocket). Wrong or missing: 401, counted by the lock-out guard
   * as any login is.
   */
  async authenticate(req: IncomingMessage, as: 'account' | 'provider'): Promise<PxGridAccount> {
    const { guard } = this.#o;
    const source = req.socket.remoteAddress ?? 'unknown';
    const credentials = parseBasicAuthorization(req.headers.authorization);
    const certificate = verifiedClientCertificate(req);
    if (certificate !== null && (credentials === null || credentials.password === '')) {
      // A certificate of the trusted CA proves who is calling; no password to guess, so no
      // lock-out step. Control calls may make the account; provider calls need it to exist.
      const nodeName = credentials?.name ?? certificate.commonName;
      const account = this.accounts.byCertificate(nodeName, certificate, as === 'account');
      if (account === null) {
        this.#o.logger.warn({ source, nodeName, fingerprint: certificate.fingerprint }, 'pxGrid login failed: the client certificate is not the account\'s');
        throw new HttpError(401, 'UNAUTHENTICATED', `the client certificate does not identify pxGrid account '${nodeName}'`);
      }
      return account;
    }
    if (credentials === null) {
      const verdict = guard.check(source);
      if (!verdict.allowed) throw lockedOut(source, verdict.retryAfterSeconds);
      throw new HttpError(401, 'UNAUTHENTICATED', 'pxGrid calls need HTTP Basic credentials: nodeName and password (or access secret)');
    }
    const known = this.accounts.get(credentials.name) !== null;
    await guard.refresh(source);
    const started = guard.begin(source, known ? `pxgrid:${credentials.name}` : null);
    if (!started.allowed) throw lockedOut(source, started.retryAfterSeconds);
    const { attempt } = started;
    if (attempt.delayMs > 0) await new Promise((r) => setTimeout(r, attempt.delayMs));
    let account = this.accounts.verify(credentials.name, credentials.password);
    if (account === null && as === 'provider' && this.accounts.checkAccessSecret(credentials.name, this.nodeName, credentials.password)) {
      account = this.accounts.get(credentials.name);
    }
    if (account === null) {
      attempt.failed();
      this.#o.logger.warn({ source, nodeName: known ? credentials.name : '(not an account)' }, 'pxGrid login failed');
      throw new HttpError(401, 'UNAUTHENTICATED', 'the pxGrid node name or password is wrong');
    }
    attempt.succeeded();
    return account;
  }

  #requireEnabled(account: PxGridAccount): void {
    if (account.state !== 'ENABLED') {
      throw new HttpError(403, 'FORBIDDEN', `pxGrid account '${account.nodeName}' is ${account.state}: an admin must approve it first`);
    }
  }

  close(): void {
    this.pubsub.close();
  }
}

/**
 * The client certificate of the request's TLS connection when it chains to the configured CA
 * (the server asks for one only with pxgrid.clientCaFile and admits connections without one).
 */
function verifiedClientCertificate(req: IncomingMessage): (CertificateIdentity & { commonName: string }) | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const peer = socket.getPeerCertificate();
  if (peer === null || peer.raw === undefined) return null;
  const x509 = new X509Certificate(peer.raw);
  const cn = peer.subject?.CN;
  return { subject: x509.subject.split('\n').join(', '), fingerprint: x509.fingerprint256, commonName: (Array.isArray(cn) ? cn[0] : cn) ?? '' };
}

/** The JSON body of a pxGrid call; an empty body is `{}` (AccountActivate may send none). */
async function readRequest(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, MAX_BODY)).toString('utf8').trim();
  if (raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new OpenMntError('INVALID_ARGUMENT', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OpenMntError('INVALID_ARGUMENT', 'the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** `{"sessions": [...]}` written a page at a time, waiting for the socket: the directory may hold millions. */
async function streamSessions(res: ServerResponse, sessions: AsyncIterable<Parameters<typeof pxgridSession>[0]>): Promise<void> {
  res.writeHead(200, { 'Content-Type': JSON_TYPE });
  if (!(await write(res, '{"sessions":['))) return;
  let first = true;
  let chunk = '';
  for await (const s of sessions) {
    chunk += (first ? '' : ',') + pxgridSessionJson(s);
    first = false;
    if (chunk.length > 64 * 1024) {
      if (!(await write(res, chunk))) return;
      chunk = '';
    }
  }
  res.end(`${chunk}]}`);
}

function lockedOut(source: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'LOCKED_OUT', `too many failed logins from ${source}; try again in ${retryAfterSeconds} s`, { 'Retry-After': String(retryAfterSeconds) });
}
