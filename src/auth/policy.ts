/**
 * The authentication and authorization decision for MAB, PAP and CHAP, from the endpoints, users,
 * identity groups and authorization profiles of the configuration. Pure: facts in, decision out.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthConfig, AuthorizationProfileConfig } from '../config.js';
import type { AttributeInput } from '../radius/index.js';
import { normalizeMac } from '../sessions/mac.js';
import { STEP, failureReasonText } from './failure-reasons.js';

/** Service-Type Call-Check (RFC 2865 §5.6): Cisco sends it for MAC Authentication Bypass. */
const SERVICE_TYPE_CALL_CHECK = 10;

export interface AccessRequestFacts {
  userName: string | null;
  /** The PAP password, already revealed with the shared secret. */
  password: string | null;
  chap: { id: number; response: Buffer; challenge: Buffer } | null;
  serviceType: number | null;
  callingStationId: string | null;
  eap: boolean;
  /** The NAS the request came from, for rules on device name, group and vendor. */
  nas?: { name: string; vendor: string; deviceGroups: readonly string[] } | null;
  /** NAS-Port-Type as the dictionary names it (`Ethernet`, `Wireless-802.11`, …). */
  nasPortType?: string | null;
}

export interface AuthDecision {
  accept: boolean;
  failureReasonCode: number | null;
  failureReason: string | null;
  /** ISE's audit message code: 5200 passed, 5400 failed. */
  messageCode: number;
  identityGroup: string | null;
  authenticationMethod: string; // mab | pap | chap | eap
  authenticationProtocol: string; // Lookup | PAP_ASCII | CHAP | EAP
  identityStore: string | null;
  authzPolicy: string | null;
  /** The policy set and the rule that decided (the compiled runtime policy sets them). */
  policySet?: string | null;
  rule?: string | null;
  profileName: string | null;
  profile: AuthorizationProfileConfig | null;
  executionSteps: number[];
}

interface Identity {
  group: string | undefined;
  profile: string | undefined;
}

export class AuthPolicy {
  readonly #config: AuthConfig;
  readonly #endpoints = new Map<string, Identity>();
  readonly #users = new Map<string, Identity & { password: string; disabled: boolean }>();
  readonly #groupProfiles = new Map<string, string | undefined>();

  constructor(config: AuthConfig) {
    this.#config = config;
    for (const g of config.groups) this.#groupProfiles.set(g.name, g.profile);
    for (const e of config.endpoints) {
      const mac = normalizeMac(e.mac);
      if (mac) this.#endpoints.set(mac, { group: e.group, profile: e.profile });
    }
    for (const u of config.users) {
      this.#users.set(u.name, { group: u.group, profile: u.profile, password: u.password, disabled: u.disabled === true });
    }
  }

  decide(facts: AccessRequestFacts): AuthDecision {
    const steps: number[] = [STEP.receivedAccessRequest, STEP.createdSession];
    if (facts.eap) {
      return rejected(steps, 12321, 'eap', 'EAP', null, null);
    }
    if (facts.serviceType === SERVICE_TYPE_CALL_CHECK) return this.#mab(facts, steps);
    if (facts.password !== null) return this.#user(facts, steps, 'pap', 'PAP_ASCII');
    if (facts.chap !== null) return this.#user(facts, steps, 'chap', 'CHAP');
    return rejected(steps, 12321, 'unknown', 'Unknown', null, null);
  }

  #mab(facts: AccessRequestFacts, steps: number[]): AuthDecision {
    steps.push(STEP.detectedHostLookup, STEP.evaluatingServiceSelection, STEP.evaluatingIdentityPolicy, STEP.selectedIdentityStore, STEP.lookingUpEndpoint);
    const mac = normalizeMac(facts.callingStationId ?? '') ?? normalizeMac(facts.userName ?? '');
    const endpoint = mac ? this.#endpoints.get(mac) : undefined;
    if (endpoint === undefined) {
      if (this.#config.unknownEndpoint === 'reject') {
        steps.push(STEP.subjectNotFound);
        return rejected(steps, 22056, 'mab', 'Lookup', 'Internal Endpoints', null);
      }
      steps.push(STEP.subjectNotFound);
      return this.#authorize(steps, 'mab', 'Lookup', 'Internal Endpoints', 'Unknown', this.#config.unknownEndpoint, 'Default');
    }
    steps.push(STEP.foundEndpoint, STEP.authenticationPassed);
    const group = endpoint.group ?? 'Profiled';
    return this.#authorize(steps, 'mab', 'Lookup', 'Internal Endpoints', group, this.#profileFor(endpoint), ruleName(endpoint, 'MAB'));
  }

  #user(facts: AccessRequestFacts, steps: number[], method: string, protocol: string): AuthDecision {
    steps.push(STEP.evaluatingServiceSelection, STEP.evaluatingIdentityPolicy, STEP.selectedIdentityStore, STEP.lookingUpUser);
    const user = facts.userName === null ? undefined : this.#users.get(facts.userName);
    if (user === undefined) {
      steps.push(STEP.subjectNotFound);
      return rejected(steps, 22056, method, protocol, 'Internal Users', null);
    }
    steps.push(STEP.foundUser);
    if (user.disabled) return rejected(steps, 24206, method, protocol, 'Internal Users', user.group ?? null);
    const good = facts.password !== null ? samePassword(facts.password, user.password) : chapMatches(facts.chap!, user.password);
    if (!good) {
      steps.push(STEP.wrongPassword);
      return rejected(steps, 22040, method, protocol, 'Internal Users', user.group ?? null);
    }
    steps.push(STEP.authenticationPassed);
    const group = user.group ?? 'Employee';
    return this.#authorize(steps, method, protocol, 'Internal Users', group, this.#profileFor(user), ruleName(user, 'Users'));
  }

  #profileFor(identity: Identity): string {
    return identity.profile ?? (identity.group ? this.#groupProfiles.get(identity.group) : undefined) ?? this.#config.defaultProfile;
  }

  #authorize(
    steps: number[],
    method: string,
    protocol: string,
    store: string,
    group: string,
    profileName: string,
    policy: string,
  ): AuthDecision {
    steps.push(STEP.evaluatingAuthorizationPolicy, STEP.selectedAuthorizationProfile);
    const profile = this.#config.profiles[profileName] ?? {};
    if (profile.deny) {
      return { ...rejected(steps, 15039, method, protocol, store, group), profileName, profile, authzPolicy: policy };
    }
    steps.push(STEP.returnedAccessAccept);
    return {
      accept: true,
      failureReasonCode: null,
      failureReason: null,
      messageCode: 5200,
      identityGroup: group,
      authenticationMethod: method,
      authenticationProtocol: protocol,
      identityStore: store,
      authzPolicy: policy,
      profileName,
      profile,
      executionSteps: steps,
    };
  }

}

function ruleName(identity: Identity, fallback: string): string {
  return identity.group ? `${fallback}-${identity.group}` : fallback;
}

function samePassword(given: string, stored: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(stored, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 1994 §4.1 / RFC 2865 §5.3: the response is MD5(CHAP id + password + challenge). */
function chapMatches(chap: NonNullable<AccessRequestFacts['chap']>, password: string): boolean {
  const expected = createHash('md5').update(Buffer.from([chap.id])).update(password, 'utf8').update(chap.challenge).digest();
  return chap.response.length === 16 && timingSafeEqual(expected, chap.response);
}

/**
 * The reply attributes that carry an authorization profile: VLAN through the RFC 2868 tunnel
 * attributes (tag 1, as ISE sends them), Filter-Id, a downloadable ACL name and the Cisco TrustSec
 * tag through Cisco-AVPair, Session-Timeout and Termination-Action.
 */
export function profileAttributes(profile: AuthorizationProfileConfig, classValue: string | null): AttributeInput[] {
  const out: AttributeInput[] = [];
  if (classValue !== null) out.push({ name: 'Class', value: Buffer.from(classValue, 'utf8') });
  if (profile.vlan !== undefined) {
    out.push({ name: 'Tunnel-Type', value: 13, tag: 1 });
    out.push({ name: 'Tunnel-Medium-Type', value: 6, tag: 1 });
    out.push({ name: 'Tunnel-Private-Group-ID', value: profile.vlan, tag: 1 });
  }
  if (profile.filterId !== undefined) out.push({ name: 'Filter-Id', value: profile.filterId });
  if (profile.dacl !== undefined) out.push({ name: 'Cisco-AVPair', value: `ACS:CiscoSecure-Defined-ACL=${profile.dacl}` });
  if (profile.sgt !== undefined) {
    out.push({ name: 'Cisco-AVPair', value: `cts:security-group-tag=${profile.sgt.toString(16).padStart(4, '0')}-00` });
  }
  if (profile.sessionTimeout !== undefined) out.push({ name: 'Session-Timeout', value: profile.sessionTimeout });
  if (profile.terminationAction !== undefined) {
    out.push({ name: 'Termination-Action', value: profile.terminationAction === 'radius-request' ? 1 : 0 });
  }
  // Any further reply attribute a profile names by its dictionary name (checked when saved).
  if (profile.reply !== undefined) for (const a of profile.reply) out.push({ name: a.name, value: a.value });
  return out;
}

/**
 * A rejection as every decider records it (the local policies and the proxy): the ISE failure
 * reason with its text, message code 5400, step 11003 appended to `steps`.
 */
export function rejected(steps: number[], reason: number, method: string, protocol: string, store: string | null, group: string | null): AuthDecision {
  steps.push(STEP.returnedAccessReject);
  return {
    accept: false,
    failureReasonCode: reason,
    failureReason: failureReasonText(reason),
    messageCode: 5400,
    identityGroup: group,
    authenticationMethod: method,
    authenticationProtocol: protocol,
    identityStore: store,
    authzPolicy: null,
    policySet: null,
    rule: null,
    profileName: null,
    profile: null,
    executionSteps: steps,
  };
}
