/**
 * The CoA engine behind the MnT API's CoA calls: finds the endpoint's session, the NAS that holds
 * it and the recipe for that NAS's vendor, sends, and tells what the NAS answered. Every CoA is
 * written to the log as an audit line (who, endpoint, session, NAS, action, outcome, Error-Cause,
 * attempts, round trip).
 */
import { isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import type { CoaConfig } from '../config.js';
import { OpenMntError } from '../errors.js';
import type { AttributeInput } from '../radius/index.js';
import type { NasClientTable } from '../radius-server/index.js';
import type { NewCoaAuditRecord, Session, Store } from '../store/index.js';
import { recipeFor } from './recipes.js';
import { CoaSender } from './sender.js';
import { WebhookDispatcher, type SharedOutbox } from './webhooks.js';
import type { CoaRequest, CoaResult, CoaService, CoaVerification, SessionSnapshot } from './types.js';

export interface CoaEngineOptions {
  config: CoaConfig;
  clients: NasClientTable;
  store: Store;
  logger: Logger;
  /** Overrides of the webhook retry timing (tests). */
  webhookTiming?: { baseDelayMs: number; maxDelayMs: number };
  /** Several nodes: audit webhooks go through the shared outbox (coa/webhooks.ts). */
  webhookOutbox?: SharedOutbox;
  /** Told every audited outcome (for counters). */
  onOutcome?: (action: string, outcome: string) => void;
}

export class CoaEngine implements CoaService {
  readonly sender: CoaSender;
  readonly webhooks: WebhookDispatcher;
  readonly #o: CoaEngineOptions;

  constructor(options: CoaEngineOptions) {
    this.#o = options;
    const c = options.config;
    this.sender = new CoaSender({
      policy: { initialTimeoutMs: c.initialTimeoutMs, maxTimeoutMs: c.maxTimeoutMs, maxAttempts: c.maxAttempts, maxTotalMs: c.maxTotalMs },
      sockets: c.sockets,
    });
    this.webhooks = new WebhookDispatcher({
      receivers: c.webhooks,
      maxAttempts: c.webhookMaxAttempts,
      logger: options.logger,
      ...options.webhookTiming,
      ...(options.webhookOutbox === undefined ? {} : { outbox: { ...options.webhookOutbox, channel: 'coa' } }),
    });
  }

  async send(request: CoaRequest): Promise<CoaResult> {
    try {
      return await this.#send(request);
    } catch (error) {
      // A CoA that could not even be sent is audited too: who tried, on what, and why it failed.
      if (error instanceof OpenMntError) {
        await this.#audit(request, {
          nasIp: request.target.nasIp ?? null,
          nasPort: null,
          sessionId: null,
          auditSessionId: null,
          outcome: 'refused',
          errorCause: null,
          errorCauseText: null,
          attempts: 0,
          rttMs: null,
          detail: `${error.code}: ${error.message}`,
        });
      }
      throw error;
    }
  }

  async #audit(request: CoaRequest, fields: Omit<NewCoaAuditRecord, 'at' | 'admin' | 'origin' | 'jobId' | 'mac' | 'action' | 'actionType'>): Promise<number> {
    const record: NewCoaAuditRecord = {
      at: Date.now(),
      admin: request.admin,
      origin: request.origin,
      jobId: request.jobId ?? null,
      mac: request.target.mac,
      action: request.action.action,
      actionType: request.action.type,
      ...fields,
    };
    this.#o.logger.info({ audit: 'coa', ...record }, `CoA ${record.action}/${record.actionType} ${record.mac} via ${record.nasIp ?? '-'}: ${record.outcome}`);
    this.#o.onOutcome?.(record.action, record.outcome);
    const id = await this.#o.store.recordCoa(record);
    this.webhooks.publish('coa.audit', { id, ...record, at: new Date(record.at).toISOString() });
    return id;
  }

  async #send(request: CoaRequest): Promise<CoaResult> {
    const { mac } = request.target;
    const session = await this.#o.store.findLatestSession({ mac });
    // The NAS that holds the session is where the CoA must go; an address from the path is used
    // only when the directory knows no session (scripts put a PSN or NAS address in various slots).
    const nasIp = session?.nasIp ?? request.target.nasIp ?? null;
    if (session === null && nasIp === null) throw new OpenMntError('SESSION_NOT_FOUND', `Session data is not available for ${mac}.`);
    if (nasIp === null || nasIp === '') {
      throw new OpenMntError('COA_NO_NAS', `No NAS_IP_ADDRESS associated with the calling station id ${mac}. This CoA request can not be delivered.`);
    }
    const client = this.#o.clients.find(nasIp);
    if (client === undefined) {
      throw new OpenMntError('COA_NAS_UNKNOWN', `the NAS ${nasIp} of ${mac} is not a configured RADIUS client, so there is no shared secret to sign a CoA with`);
    }
    const recipe = recipeFor(client.vendor, request.action);
    const attributes: AttributeInput[] = [...identification(mac, nasIp, session, recipe.auditSessionId), ...recipe.attributes];
    attributes.push({ name: 'Event-Timestamp', value: Math.floor(Date.now() / 1000) });
    const reply = await this.sender.send({ code: recipe.code, attributes, nas: { address: nasIp, port: client.coaPort, secret: client.secret } });
    const result: CoaResult = {
      outcome: reply.outcome,
      action: request.action,
      mac,
      nasIp,
      nasPort: client.coaPort,
      sessionId: session?.id ?? null,
      auditSessionId: session?.auditSessionId ?? null,
      errorCause: reply.errorCause,
      errorCauseText: reply.errorCauseText,
      attempts: reply.attempts,
      rttMs: reply.rttMs === null ? null : Math.round(reply.rttMs * 100) / 100,
      auditId: null,
    };
    if (reply.outcome === 'ack' && request.verifyTimeoutMs) {
      result.verification = await this.#verify(mac, session, request.verifyTimeoutMs);
    }
    result.auditId = await this.#audit(request, {
      nasIp,
      nasPort: client.coaPort,
      sessionId: result.sessionId,
      auditSessionId: result.auditSessionId,
      outcome: result.outcome,
      errorCause: result.errorCause,
      errorCauseText: result.errorCauseText,
      attempts: result.attempts,
      rttMs: result.rttMs,
      detail: result.verification === undefined ? null : `verification: ${result.verification.verified ? 'endpoint came back' : 'no new authentication or accounting'} after ${result.verification.waitedMs} ms`,
    });
    return result;
  }

  /** Waits for the endpoint's next authentication or accounting update, polling the directory. */
  async #verify(mac: string, before: Session | null, timeoutMs: number): Promise<CoaVerification> {
    const started = Date.now();
    const mark = (s: Session | null) => Math.max(s?.authAt ?? 0, s?.acctAt ?? 0, s?.updatedAt ?? 0);
    const since = Math.max(mark(before), started - 1);
    let after: Session | null = null;
    for (;;) {
      after = await this.#o.store.findLatestSession({ mac });
      if (after !== null && mark(after) > since) break;
      if (Date.now() - started >= timeoutMs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      verified: after !== null && mark(after) > since,
      waitedMs: Date.now() - started,
      before: snapshot(before),
      after: snapshot(after),
    };
  }

  async close(): Promise<void> {
    await this.sender.close();
    await this.webhooks.close();
  }
}

function snapshot(s: Session | null): SessionSnapshot | null {
  if (s === null) return null;
  const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);
  return {
    state: s.state,
    vlan: s.vlan ?? null,
    authorizationProfile: s.selectedAuthzProfile ?? null,
    authenticatedAt: iso(s.authAt),
    lastAccountingAt: iso(s.acctAt),
  };
}

/** RFC 5176 §3: the attributes that tell the NAS which session is meant. */
function identification(mac: string, nasIp: string, session: Session | null, cisco: boolean): AttributeInput[] {
  const out: AttributeInput[] = [];
  if (isIPv4(nasIp)) out.push({ name: 'NAS-IP-Address', value: nasIp });
  else out.push({ name: 'NAS-IPv6-Address', value: nasIp });
  // The NAS matches Calling-Station-Id as it sent it (e.g. `00-11-22-33-44-55`), not our spelling.
  out.push({ name: 'Calling-Station-Id', value: session?.origCallingStationId ?? mac });
  if (session !== null && session.acctSessionId !== '') out.push({ name: 'Acct-Session-Id', value: session.acctSessionId });
  if (cisco && session?.auditSessionId) out.push({ name: 'Cisco-AVPair', value: `audit-session-id=${session.auditSessionId}` });
  return out;
}
