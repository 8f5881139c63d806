/**
 * What the node does with each RADIUS request the listeners accept: an Accounting-Request becomes
 * a directory write; an Access-Request is decided by the policy, recorded, and answered with the
 * profile's attributes. Around that, what operators read: a counter per result and failure reason,
 * a log line per failed authentication, and the committed record sent to the syslog collectors.
 *
 * This runs once per packet: the counters are plain numbers read at scrape time, and nothing of the
 * request is kept while its commit is awaited unless a collector needs the record.
 */
import type { Logger } from 'pino';
import { failureReasonText, profileAttributes, type AccessRequestFacts, type AuthDecision } from './auth/index.js';
import type { Authorization } from './policy/compile.js';
import { normalizeMac } from './sessions/mac.js';
import { Code, ciscoAvPair, getAttribute, revealUserPassword, type AttributeInput, type RadiusPacket } from './radius/index.js';
import type { AccessReply, RadiusHandlers, RequestContext } from './radius-server/index.js';
import { toAccountingWrite, toAuthWrite, type SessionDirectory } from './sessions/index.js';
import type { SyslogForwarder } from './syslog/index.js';
import { overrideAccept, type ProxyRoute, type RadiusProxy } from './proxy/index.js';
import { OpenMntError } from './errors.js';

export interface RadiusHandlerOptions {
  directory: SessionDirectory;
  /** This node's name, in records and Class. */
  server: string;
  /**
   * The running policy: read per request, so a configuration reload takes effect at once.
   * `afterProxy`: what overrides a home server's Accept (the endpoint's own assigned profile, or
   * a rule marked afterProxy).
   */
  policy: () => { decide(facts: AccessRequestFacts): AuthDecision; afterProxy?(mac: string, facts: AccessRequestFacts): Authorization | null };
  syslog: SyslogForwarder | null;
  logger: Logger;
  /** The RADIUS proxy: requests it routes go to the site's AAA instead of the local policy. */
  proxy?: () => RadiusProxy | null;
}

/** Decided Access-Requests: `passed`, and failures by ISE failure reason code. */
export interface AuthenticationCounts {
  passed: number;
  failed: Map<number | null, number>;
}

export function radiusHandlers(o: RadiusHandlerOptions): { handlers: RadiusHandlers; counts: AuthenticationCounts } {
  const { directory, server, syslog } = o;
  const counts: AuthenticationCounts = { passed: 0, failed: new Map() };
  const handlers: RadiusHandlers = {
    // Not an async function: nothing of the request stays referenced while the commit is awaited.
    accounting: (request) => {
      const proxy = o.proxy?.() ?? null;
      if (proxy !== null && proxy.forwardsAccounting) {
        const route = proxy.route(request);
        // Committed here first (the NAS is answered then); the copy to the home server follows.
        if (route !== null) return record(request).then((id) => {
          void proxy.forwardAccounting(request, request.datagram, route);
          return id;
        });
      }
      return record(request);
    },
    access: (request) => {
      const proxy = o.proxy?.() ?? null;
      const route = proxy?.route(request) ?? null;
      if (proxy !== null && route !== null) return proxied(proxy, route, request);
      return decideHere(request);
    },
  };

  function record(request: RequestContext): Promise<number> {
    const write = toAccountingWrite(
      { packet: request.packet, nasName: request.client.name, sourceAddress: request.source.address, receivedAt: request.receivedAt },
      server,
    );
    if (syslog === null) return directory.recordAccounting(write);
    // Sent once committed: what a SIEM sees is what the node stored.
    const { record } = write;
    return directory.recordAccounting(write).then((id) => {
      syslog.accounting(record);
      return id;
    });
  }

  /** The proxied exchange: a challenge is relayed as it is; a final answer (or none) is recorded. */
  async function proxied(proxy: RadiusProxy, route: ProxyRoute, request: RequestContext): Promise<AccessReply> {
    const outcome = await proxy.access(request, request.datagram, route);
    if (outcome.kind === 'challenge') return { datagram: outcome.datagram };
    let { decision } = outcome;
    let answer: AccessReply | null = outcome.kind === 'final' ? { datagram: outcome.datagram } : null;
    let replyAttributes: readonly AttributeInput[] = outcome.kind === 'final' ? outcome.answer.attributes : [];
    // Local policy after the proxy: an endpoint with a profile assigned to it here (a quarantine,
    // a static assignment), or a rule marked afterProxy that matches, gives its profile whatever
    // the home server authorized.
    const mac = normalizeMac(textOf(request.packet, 'Calling-Station-Id') ?? '');
    const local = outcome.kind === 'final' && outcome.answer.code === Code.AccessAccept && mac !== null ? (o.policy().afterProxy?.(mac, contextFacts(request)) ?? null) : null;
    if (local !== null && outcome.kind === 'final') {
      const overridden = overrideAccept(outcome.answer, local, ciscoAvPair(request.packet, 'audit-session-id'), server);
      answer = overridden.answer;
      replyAttributes = overridden.attributes;
      decision = {
        ...decision,
        accept: !local.deny,
        failureReasonCode: local.deny ? 15039 : null,
        failureReason: local.deny ? failureReasonText(15039) : null,
        messageCode: local.deny ? 5400 : 5200,
        profileName: local.profileName,
        profile: local.deny ? null : local.profile,
        authzPolicy: `${decision.authzPolicy} >> ${local.rule}`,
      };
    }
    count(decision, request, null);
    const reply = replyAttributes.filter((a) => a.name !== 'Message-Authenticator' && a.name !== 'EAP-Message');
    const write = toAuthWrite(
      { packet: request.packet, nasName: request.client.name, sourceAddress: request.source.address, receivedAt: request.receivedAt, decidedAt: Date.now(), decision, reply },
      server,
    );
    // What only the exchange tells, in ISE's `key=value:!:` form: the home server's share of the
    // response time, and the inner identity when the Accept's User-Name reveals it (PEAP, TTLS).
    const proxyFacts = [`ProxyPool=${route.pool.name}`];
    if (outcome.kind === 'final') {
      proxyFacts.push(`HomeServerResponseTimeMs=${Math.round(outcome.homeMs)}`);
      const inner = outcome.answer.attributes.find((a) => a.name === 'User-Name');
      if (inner !== undefined && String(inner.value) !== write.record.userName) proxyFacts.push(`InnerIdentity=${String(inner.value)}`);
    } else {
      proxyFacts.push(`HomeServersTried=${outcome.tried.join(',')}`);
    }
    write.record.otherAttributes = [write.record.otherAttributes, ...proxyFacts].filter((x) => x !== null && x !== '').join(':!:');
    await directory.recordAuthentication(write);
    syslog?.authentication(write.record);
    if (answer !== null) return answer;
    if (proxy.dropsWithoutHomeServer) throw new OpenMntError('PROXY_NO_HOME_SERVER', `no home server of pool ${route.pool.name} answered (tried ${outcome.kind === 'no-home-server' ? outcome.tried.join(', ') : 'none'})`);
    return { code: Code.AccessReject, attributes: [] };
  }

  function count(decision: AuthDecision, request: RequestContext, facts: AccessRequestFacts | null): void {
    if (decision.accept) {
      counts.passed++;
      return;
    }
    counts.failed.set(decision.failureReasonCode, (counts.failed.get(decision.failureReasonCode) ?? 0) + 1);
    // One line per failed authentication, as a SIEM expects from a RADIUS server (never the password).
    o.logger.info(
      {
        user: facts?.userName ?? textOf(request.packet, 'User-Name'),
        mac: facts?.callingStationId ?? textOf(request.packet, 'Calling-Station-Id'),
        nas: request.client.name,
        nasIp: request.source.address,
        reason: decision.failureReasonCode,
        reasonText: decision.failureReason,
      },
      'authentication failed',
    );
  }

  /** Decided by the local policy. */
  async function decideHere(request: RequestContext): Promise<AccessReply> {
    const facts = accessFacts(request);
    const decision = o.policy().decide(facts);
    count(decision, request, facts);
    const reply: AttributeInput[] = [];
    if (decision.accept) {
      const audit = ciscoAvPair(request.packet, 'audit-session-id');
      if (facts.userName !== null) reply.push({ name: 'User-Name', value: facts.userName });
      reply.push(...profileAttributes(decision.profile ?? {}, audit === undefined ? null : `CACS:${audit}:${server}`));
    }
    const write = toAuthWrite(
      {
        packet: request.packet,
        nasName: request.client.name,
        sourceAddress: request.source.address,
        receivedAt: request.receivedAt,
        decidedAt: Date.now(),
        decision,
        reply,
      },
      server,
    );
    await directory.recordAuthentication(write);
    syslog?.authentication(write.record);
    return { code: decision.accept ? Code.AccessAccept : Code.AccessReject, attributes: reply };
  }

  return { handlers, counts };
}

function textOf(packet: RadiusPacket, name: string): string | null {
  const a = getAttribute(packet, name);
  return a === undefined ? null : Buffer.isBuffer(a.value) ? a.value.toString('utf8') : String(a.value);
}

/** What the policy needs from an Access-Request, with the PAP password revealed. */
/**
 * What rules may test of a request besides its credentials: all a proxied Accept is checked with
 * (the home server did the authentication; nothing here reveals the User-Password).
 */
function contextFacts(request: RequestContext, password: string | null = null, chap: AccessRequestFacts['chap'] = null): AccessRequestFacts {
  const { packet, client } = request;
  const serviceType = getAttribute(packet, 'Service-Type');
  return {
    userName: textOf(packet, 'User-Name'),
    password,
    chap,
    serviceType: serviceType !== undefined && typeof serviceType.value === 'number' ? serviceType.value : null,
    callingStationId: textOf(packet, 'Calling-Station-Id'),
    eap: getAttribute(packet, 'EAP-Message') !== undefined,
    nas: client,
    nasPortType: textOf(packet, 'NAS-Port-Type'),
  };
}

function accessFacts(request: RequestContext): AccessRequestFacts {
  const { packet, client } = request;
  const hidden = getAttribute(packet, 'User-Password');
  const chap = getAttribute(packet, 'CHAP-Password');
  const challenge = getAttribute(packet, 'CHAP-Challenge');
  // The credentials, then the rest as a proxied request has it (one object per request).
  return contextFacts(
    request,
    hidden !== undefined && Buffer.isBuffer(hidden.value) ? safeReveal(hidden.value, client.secret, packet.authenticator) : null,
    chap !== undefined && Buffer.isBuffer(chap.value) && chap.value.length === 17
      ? {
          id: chap.value[0]!,
          response: chap.value.subarray(1),
          // RFC 2865 §5.3: without CHAP-Challenge, the Request Authenticator is the challenge.
          challenge: challenge !== undefined && Buffer.isBuffer(challenge.value) ? challenge.value : packet.authenticator,
        }
      : null,
  );
}

/** A User-Password of impossible length cannot be revealed; it then matches no password. */
function safeReveal(hidden: Buffer, secret: Buffer, authenticator: Buffer): string | null {
  try {
    return revealUserPassword(hidden, secret, authenticator);
  } catch {
    return '\u0000invalid';
  }
}
