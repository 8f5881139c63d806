/**
 * Enforcement on change: after a policy change, the live sessions it may affect are evaluated
 * again against the new rules, and where the authorization profile an endpoint would now get
 * differs from the one its session holds, the CoA chosen by `coaOnChange` (its group's, else the
 * global one) is sent through the CoA engine. One endpoint: the CoA is awaited and what the NAS
 * answered (ACK, NAK with Error-Cause, timeout) goes back in the API answer. Several: a paced bulk
 * job per action, whose id goes back instead. Offline endpoints have nothing to act on.
 */
import type { Logger } from 'pino';
import type { JobRunner } from '../coa/jobs.js';
import type { CoaAction, CoaService } from '../coa/types.js';
import { OpenMntError } from '../errors.js';
import type { Session, Store } from '../store/index.js';
import type { Authorization, CompiledPolicy, RequestContextFacts } from './compile.js';
import type { CoaOnChange } from './model.js';

export interface EndpointEnforcement {
  mac: string;
  online: boolean;
  /** The profile the live session holds and the one the rules give now. */
  currentProfile?: string | null;
  newProfile?: string | null;
  action: CoaOnChange | 'unchanged';
  /** What the NAS answered; absent when nothing was sent. */
  outcome?: 'ack' | 'nak' | 'timeout' | 'refused';
  nasIp?: string;
  errorCause?: number | null;
  errorCauseText?: string | null;
  attempts?: number;
  rttMs?: number | null;
  detail?: string;
}

export interface Enforcement {
  /** Sessions evaluated again, and those whose profile differs. */
  evaluated: number;
  changed: number;
  /** One endpoint: what happened to it. */
  endpoint?: EndpointEnforcement;
  /** Several: the jobs started, one per action. */
  jobs?: { action: CoaOnChange; id: string; total: number }[];
  /** Why nothing was sent (a delegated admin's change, CoA not running). */
  skipped?: string;
}

export interface EnforcerOptions {
  store: Store;
  coa?: CoaService | undefined;
  jobs?: JobRunner | undefined;
  logger: Logger;
}

const ACTIONS: Record<Exclude<CoaOnChange, 'none'>, CoaAction> = {
  reauth: { action: 'reauth', type: 'default' },
  disconnect: { action: 'disconnect', type: 'default' },
  bounce: { action: 'disconnect', type: 'bounce' },
};

export function coaActionOf(action: Exclude<CoaOnChange, 'none'>): CoaAction {
  return ACTIONS[action];
}

/** Sessions evaluated between two yields to the event loop (RADIUS shares this thread). */
const SLICE = 2000;

export class Enforcer {
  readonly #o: EnforcerOptions;

  constructor(options: EnforcerOptions) {
    this.#o = options;
  }

  /** What the policy gives a live session now, by how it authenticated (null: rejected). */
  static evaluate(policy: CompiledPolicy, session: Session): Authorization | null {
    const method = session.authenticationMethod;
    if (method !== 'mab' && method !== 'pap' && method !== 'chap') return null;
    const ctx: RequestContextFacts = {
      method,
      userName: session.userName ?? null,
      device: policy.device(session.networkDeviceName ?? session.nasIp) ?? policy.device(session.nasIp),
      nasPortType: session.nasPortType ?? null,
    };
    if (method === 'mab') return policy.authorizeEndpoint(session.callingStationId, ctx);
    return session.userName ? policy.authorizeUser(session.userName, ctx) : null;
  }

  /** The profile name a session would hold after the policy: a rejection counts as none. */
  static profileOf(a: Authorization | null): string | null {
    return a === null ? null : a.profileName;
  }

  /**
   * Evaluates the live sessions of `macs` (or, with 'all', every live session: a rule, profile,
   * group or setting changed) against `after` and acts where the profile differs.
   */
  async afterChange(after: CompiledPolicy, scope: readonly string[] | 'all', admin: string, groupOf: (mac: string) => string | null): Promise<Enforcement> {
    const changed: { mac: string; nasIp: string; session: Session; now: Authorization | null; action: CoaOnChange }[] = [];
    let evaluated = 0;
    const consider = (session: Session) => {
      if (session.selectedAuthzProfile === undefined || session.authenticationMethod === null || session.authenticationMethod === undefined) return;
      evaluated++;
      const now = Enforcer.evaluate(after, session);
      if (Enforcer.profileOf(now) === (session.selectedAuthzProfile ?? null)) return;
      changed.push({ mac: session.callingStationId, nasIp: session.nasIp, session, now, action: after.coaOnChange(groupOf(session.callingStationId)) });
    };
    if (scope === 'all') {
      let n = 0;
      for await (const session of this.#o.store.iterateSessions({ scope: 'active' })) {
        consider(session);
        if (++n % SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } else {
      for (const mac of scope) {
        const session = await this.#o.store.findLatestSession({ mac, scope: 'active' });
        if (session !== null) consider(session);
      }
    }
    if (scope !== 'all' && scope.length === 1) {
      const mac = scope[0]!;
      const one = changed[0];
      if (one === undefined) {
        return { evaluated, changed: 0, endpoint: { mac, online: evaluated > 0, action: 'unchanged' } };
      }
      const endpoint: EndpointEnforcement = { mac, online: true, currentProfile: one.session.selectedAuthzProfile ?? null, newProfile: Enforcer.profileOf(one.now), action: one.action, nasIp: one.nasIp };
      if (one.action === 'none') return { evaluated, changed: 1, endpoint };
      if (this.#o.coa === undefined) return { evaluated, changed: 1, endpoint, skipped: 'CoA is not running on this node' };
      try {
        const result = await this.#o.coa.send({ target: { mac, nasIp: one.nasIp }, action: ACTIONS[one.action], admin, origin: 'api' });
        Object.assign(endpoint, { outcome: result.outcome, errorCause: result.errorCause, errorCauseText: result.errorCauseText, attempts: result.attempts, rttMs: result.rttMs });
      } catch (error) {
        if (!(error instanceof OpenMntError)) throw error;
        Object.assign(endpoint, { outcome: 'refused', detail: `${error.code}: ${error.message}` });
      }
      return { evaluated, changed: 1, endpoint };
    }
    const byAction = new Map<Exclude<CoaOnChange, 'none'>, string[]>();
    for (const c of changed) {
      if (c.action === 'none') continue;
      const list = byAction.get(c.action) ?? [];
      list.push(c.mac);
      byAction.set(c.action, list);
    }
    const report: Enforcement = { evaluated, changed: changed.length, jobs: [] };
    if (byAction.size === 0) return report;
    if (this.#o.jobs === undefined) return { ...report, skipped: 'CoA jobs are not running on this node' };
    for (const [action, macs] of byAction) {
      const job = await this.#o.jobs.start({ selector: { macs }, action: ACTIONS[action] }, admin);
      report.jobs!.push({ action, id: job.id, total: job.total });
    }
    this.#o.logger.info({ changed: changed.length, jobs: report.jobs }, 'policy change enforced on live sessions');
    return report;
  }
}
