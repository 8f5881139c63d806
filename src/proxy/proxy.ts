/**
 * OpenMnT as a RADIUS proxy in front of the site's AAA: which requests go to which pool of home
 * servers (by device, by realm, or by default), the exchange with failover across the pool, and
 * what the answer means for the record the node keeps of it (outcome, EAP method, identity, the
 * authorization the home server gave).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { rejected, type AuthDecision } from '../auth/index.js';
import { STEP } from '../auth/failure-reasons.js';
import type { AuthorizationProfileConfig } from '../config.js';
import { OpenMntError } from '../errors.js';
import { Code, ciscoAvPairs, decodePacket, getAttribute, getAttributes, type RadiusPacket } from '../radius/index.js';
import type { RequestContext } from '../radius-server/index.js';
import type { HomePoolConfig, ProxyConfig } from './config.js';
import { Conversations, eapOf, follow, methodName, type Conversation } from './eap.js';
import { HomeServer, candidates, type HomeServerStats } from './home-servers.js';
import { replyForNas, requestForHome } from './relay.js';

export interface ProxyRoute {
  pool: HomePoolConfig;
  /** The User-Name with its realm stripped, when the realm says so. */
  userName?: Buffer;
}

/** What became of a proxied Access-Request. */
export type ProxiedAccess =
  /** A round of a multi-round exchange: relayed to the NAS, nothing recorded yet. */
  | { kind: 'challenge'; datagram: Buffer }
  /** The final answer, relayed to the NAS, and what it means for the record. */
  | { kind: 'final'; datagram: Buffer; answer: RadiusPacket; decision: AuthDecision; homeMs: number }
  /** No home server answered. */
  | { kind: 'no-home-server'; decision: AuthDecision; tried: string[] };

const NO_HOME_SERVER = 11353;
const HOME_REJECTED = 11368;

export class RadiusProxy {
  readonly #config: ProxyConfig;
  readonly #servers = new Map<string, HomeServer>();
  readonly #pools = new Map<string, HomePoolConfig>();
  readonly #conversations = new Conversations();
  readonly #logger: Logger;
  readonly #now: () => number;
  #proxyState = randomBytes(4).readUInt32BE(0);
  readonly counts = { accountingForwarded: 0, accountingNotForwarded: 0 };

  constructor(config: ProxyConfig, logger: Logger, now: () => number = Date.now) {
    this.#config = config;
    this.#logger = logger;
    this.#now = now;
    for (const h of config.homeServers) this.#servers.set(h.name, new HomeServer(h, logger, now));
    for (const p of config.pools) this.#pools.set(p.name, p);
  }

  get enabled(): boolean {
    return this.#servers.size > 0;
  }

  /** `proxy.accounting: proxy`: accounting of routed requests is sent on as well as recorded. */
  get forwardsAccounting(): boolean {
    return this.#config.accounting === 'proxy';
  }

  /** `proxy.onNoHomeServer: drop`: the NAS gets no answer and retries (or fails over itself). */
  get dropsWithoutHomeServer(): boolean {
    return this.#config.onNoHomeServer === 'drop';
  }

  /**
   * The pool a request goes to, or null to decide it here: a route naming its device or one of
   * its device groups, else a realm of its User-Name, else the default pool.
   */
  route(request: RequestContext): ProxyRoute | null {
    if (!this.enabled) return null;
    const { client } = request;
    for (const r of this.#config.routes) {
      if (r.devices.includes(client.name) || r.deviceGroups.some((g) => client.deviceGroups.includes(g))) return { pool: this.#pools.get(r.pool)! };
    }
    const user = getAttribute(request.packet, 'User-Name');
    const name = user !== undefined && Buffer.isBuffer(user.value) ? user.value.toString('utf8') : typeof user?.value === 'string' ? user.value : null;
    if (name !== null) {
      for (const realm of this.#config.realms) {
        const stripped = realmMatch(name, realm.name, realm.format);
        if (stripped !== null) return { pool: this.#pools.get(realm.pool)!, userName: realm.strip ? Buffer.from(stripped, 'utf8') : undefined };
      }
    }
    return this.#config.defaultPool === null ? null : { pool: this.#pools.get(this.#config.defaultPool)! };
  }

  /** Relays an Access-Request (one round of it) through the pool, trying its servers in turn. */
  async access(request: RequestContext, datagram: Buffer, route: ProxyRoute): Promise<ProxiedAccess> {
    const now = this.#now();
    const state = getAttribute(request.packet, 'State');
    const conversation = this.#conversations.take(state !== undefined && Buffer.isBuffer(state.value) ? state.value : undefined, now);
    const eapMessages = getAttributes(request.packet, 'EAP-Message').map((a) => a.value as Buffer);
    follow(conversation, eapOf(eapMessages));
    const eap = eapMessages.length > 0;
    const tried: string[] = [];
    for (const server of candidates(route.pool, this.#servers)) {
      tried.push(server.config.name);
      const proxyState = this.#nextProxyState();
      const sentAt = performance.now();
      let answer: Buffer;
      try {
        answer = await server.exchange('auth', (identifier) =>
          requestForHome(datagram, { nasSecret: request.client.secret, homeSecret: server.secret, identifier, proxyState, userName: route.userName }),
        );
      } catch (error) {
        if (error instanceof OpenMntError && error.code === 'PROXY_NO_HOME_SERVER') continue;
        throw error;
      }
      const homeMs = performance.now() - sentAt;
      let forNas: Buffer;
      try {
        forNas = replyForNas(answer, {
          homeSecret: server.secret,
          nasSecret: request.client.secret,
          requestAuthenticator: request.packet.authenticator,
          identifier: request.packet.identifier,
          proxyState,
        });
      } catch (error) {
        // A forged or damaged answer is no answer: the next server is tried.
        server.badAnswer();
        this.#logger.warn({ homeServer: server.config.name, reason: error instanceof Error ? error.message : String(error) }, 'home server answer refused');
        continue;
      }
      server.answered();
      const packet = decodePacket(forNas);
      if (packet.code === Code.AccessChallenge) {
        follow(conversation, eapOf(getAttributes(packet, 'EAP-Message').map((a) => a.value as Buffer)));
        const next = getAttribute(packet, 'State');
        if (next !== undefined && Buffer.isBuffer(next.value)) this.#conversations.keep(next.value, conversation, now);
        return { kind: 'challenge', datagram: forNas };
      }
      if (packet.code !== Code.AccessAccept && packet.code !== Code.AccessReject) {
        server.badAnswer();
        continue;
      }
      return { kind: 'final', datagram: forNas, answer: packet, homeMs, decision: proxiedDecision(packet, conversation, eap, server.config.name, route.pool.name) };
    }
    this.#logger.warn({ pool: route.pool.name, tried }, 'no home server of the pool answered');
    return { kind: 'no-home-server', tried, decision: noHomeServerDecision(conversation, eap, route.pool.name) };
  }

  /** Sends a committed Accounting-Request on to the pool (proxy mode), trying its servers in turn. */
  async forwardAccounting(request: RequestContext, datagram: Buffer, route: ProxyRoute): Promise<boolean> {
    for (const server of candidates(route.pool, this.#servers)) {
      const proxyState = this.#nextProxyState();
      let sent: Buffer | null = null;
      try {
        const answer = await server.exchange('accounting', (identifier) => {
          sent = requestForHome(datagram, { nasSecret: request.client.secret, homeSecret: server.secret, identifier, proxyState, userName: route.userName });
          return sent;
        });
        replyForNas(answer, {
          homeSecret: server.secret,
          nasSecret: request.client.secret,
          requestAuthenticator: request.packet.authenticator,
          homeRequestAuthenticator: (sent as Buffer | null)!.subarray(4, 20),
          identifier: request.packet.identifier,
          proxyState,
        });
        server.answered();
        this.counts.accountingForwarded++;
        return true;
      } catch (error) {
        if (error instanceof OpenMntError && error.code === 'RADIUS_BAD_AUTHENTICATOR') server.badAnswer();
      }
    }
    this.counts.accountingNotForwarded++;
    return false;
  }

  homeServers(): HomeServerStats[] {
    return [...this.#servers.values()].map((s) => s.snapshot());
  }

  close(): void {
    for (const s of this.#servers.values()) s.close();
  }

  #nextProxyState(): Buffer {
    this.#proxyState = (this.#proxyState + 1) >>> 0;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.#proxyState);
    return b;
  }
}

/** The user part when `name` carries `realm` in the given format, else null. */
export function realmMatch(name: string, realm: string, format: 'suffix' | 'prefix'): string | null {
  const r = realm.toLowerCase();
  if (format === 'suffix') {
    const at = name.lastIndexOf('@');
    return at >= 0 && name.slice(at + 1).toLowerCase() === r ? name.slice(0, at) : null;
  }
  const sep = name.search(/[\\/]/);
  return sep >= 0 && name.slice(0, sep).toLowerCase() === r ? name.slice(sep + 1) : null;
}

/** The authorization an Accept carries, in the terms of an authorization profile. */
export function profileFromAnswer(answer: RadiusPacket): AuthorizationProfileConfig {
  const profile: AuthorizationProfileConfig = {};
  const text = (name: string) => {
    const a = getAttribute(answer, name);
    return a === undefined ? undefined : Buffer.isBuffer(a.value) ? a.value.toString('utf8') : String(a.value);
  };
  const vlan = text('Tunnel-Private-Group-Id');
  if (vlan !== undefined) profile.vlan = vlan;
  const filterId = text('Filter-Id');
  if (filterId !== undefined) profile.filterId = filterId;
  for (const pair of ciscoAvPairs(answer)) {
    const [key, ...rest] = pair.split('=');
    const value = rest.join('=');
    if (key === 'ACS:CiscoSecure-Defined-ACL') profile.dacl = value.replace(/^#ACSACL#-IP-/, '');
    if (key === 'cts:security-group-tag') profile.sgt = parseInt(value.split('-')[0]!, 16);
  }
  const timeout = getAttribute(answer, 'Session-Timeout');
  if (timeout !== undefined && typeof timeout.value === 'number') profile.sessionTimeout = timeout.value;
  return profile;
}

function proxiedDecision(answer: RadiusPacket, conversation: Conversation, eap: boolean, server: string, pool: string): AuthDecision {
  const method = eap ? 'dot1x' : 'pap';
  const protocol = eap ? methodName(conversation.method) : 'PAP_ASCII';
  if (answer.code !== Code.AccessAccept) return { ...rejected([STEP.receivedAccessRequest], HOME_REJECTED, method, protocol, server, null), authzPolicy: `proxy:${pool}` };
  return {
    accept: true,
    failureReasonCode: null,
    failureReason: null,
    messageCode: 5200,
    identityGroup: null,
    authenticationMethod: method,
    authenticationProtocol: protocol,
    identityStore: server,
    authzPolicy: `proxy:${pool}`,
    profileName: null,
    profile: profileFromAnswer(answer),
    executionSteps: [STEP.receivedAccessRequest, STEP.returnedAccessAccept],
  };
}

function noHomeServerDecision(conversation: Conversation, eap: boolean, pool: string): AuthDecision {
  const decision = rejected([STEP.receivedAccessRequest], NO_HOME_SERVER, eap ? 'dot1x' : 'pap', eap ? methodName(conversation.method) : 'PAP_ASCII', null, null);
  return { ...decision, authzPolicy: `proxy:${pool}` };
}
