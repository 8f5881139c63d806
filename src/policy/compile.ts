/**
 * The policy compiled for the RADIUS path: a snapshot (plain data) in, an object out whose
 * `decide(facts)` answers an Access-Request from memory alone — a map lookup for the endpoint or
 * user, then the policy sets and their rules in order, first match, each rule a list of
 * precompiled predicates. No store query per packet; a change of the policy compiles a new one.
 *
 * `decide` gives what `AuthPolicy.decide` gave (the handlers and the AuthStatus records read the
 * same fields), plus the policy set and rule that decided, kept as `authzPolicy`
 * (`<policy set> >> <rule>`, as ISE prints a matched authorization rule).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { rejected, type AccessRequestFacts, type AuthDecision } from '../auth/policy.js';
import { STEP } from '../auth/failure-reasons.js';
import type { AuthorizationProfileConfig } from '../config.js';
import { attributeValueName } from '../radius/index.js';
import type { NasClient } from '../radius-server/clients.js';
import { normalizeMac } from '../sessions/mac.js';
import type { AttributeValue, CoaOnChange, Conditions, DeviceDef, PolicySnapshot, ProfileDef } from './model.js';

/** Service-Type Call-Check (RFC 2865 §5.6): Cisco sends it for MAC Authentication Bypass. */
const SERVICE_TYPE_CALL_CHECK = 10;

/** What the rules may look at besides the identity: the NAS and how the endpoint connects. */
export interface RequestContextFacts {
  method: 'mab' | 'pap' | 'chap' | 'dot1x';
  userName: string | null;
  device: { name: string; vendor: string; deviceGroups: readonly string[] } | null;
  nasPortType: string | null;
}

interface Identity {
  group: string;
  attributes: Readonly<Record<string, AttributeValue>>;
  /** The endpoint's or user's own profile, then its group's (null: neither names one). */
  ownProfile: string | null;
  /**
   * A profile assigned to the endpoint or user itself (a static assignment, or an ANC
   * quarantine): it wins over the rules, as an operator who pins or quarantines one expects.
   */
  assigned: string | null;
}

interface Clock {
  minutes: number;
  day: string;
}

type Predicate = (id: Identity, ctx: RequestContextFacts, clock: () => Clock) => boolean;

interface CompiledRule {
  name: string;
  profile: string;
  test: Predicate;
  /** The identity groups it is limited to (null: any): rules are indexed by them. */
  groups: Set<string> | null;
  afterProxy: boolean;
}

interface CompiledSet {
  name: string;
  test: Predicate;
  rules: CompiledRule[];
  /**
   * Per identity group, the rules that can match it, in order: a decision walks these only, not
   * every rule of the set (500 rules over 50 groups: about a dozen per decision).
   */
  byGroup: Map<string, CompiledRule[]>;
}

interface CompiledEndpoint extends Identity {
  mac: string;
}

interface CompiledUser extends Identity {
  /** The group as configured (null: none); `group` holds ISE's default for rules. */
  configuredGroup: string | null;
  disabled: boolean;
  passwordHash: string;
  chap: boolean;
}

/** The outcome of the rules for one identity, before authentication results are added. */
export interface Authorization {
  policySet: string;
  rule: string;
  profileName: string;
  profile: AuthorizationProfileConfig;
  deny: boolean;
}

export interface CompiledPolicy {
  readonly revision: number;
  /** The NAS table the listeners and the CoA engine use (`NasClientTable.replace`). */
  readonly clients: NasClient[];
  decide(facts: AccessRequestFacts): AuthDecision;
  /**
   * What a known endpoint (or an unknown MAC) would be authorized with now, in a context: how a
   * change is checked against a live session. Null for an unknown MAC that is rejected.
   */
  authorizeEndpoint(mac: string, ctx: RequestContextFacts): Authorization | null;
  /** The same for an internal user (no password check: the session already passed one). */
  authorizeUser(name: string, ctx: RequestContextFacts): Authorization | null;
  /**
   * What replaces a home server's Accept of a proxied request (802.1X): the profile assigned to
   * the endpoint itself (a static assignment, or an ANC quarantine), else the first rule marked
   * `afterProxy` that matches in the first matching policy set (method `dot1x`; an unknown MAC is
   * in group Unknown); null when neither (the home server's answer stands).
   */
  afterProxy(mac: string, facts: AccessRequestFacts): Authorization | null;
  /** The CoA to send when an endpoint's authorization changes: its group's choice or the global one. */
  coaOnChange(group: string | null): CoaOnChange;
  /** A device's facts for the rules, by its name or by the address it sends from. */
  device(nameOrAddress: string): RequestContextFacts['device'];
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function any<T>(list: readonly T[] | undefined): Set<T> | null {
  return list === undefined || list.length === 0 ? null : new Set(list);
}

/** Each condition given becomes one predicate; a rule holds when all of them do. */
function compileConditions(c: Conditions): Predicate {
  const tests: Predicate[] = [];
  const groups = any(c.identityGroup);
  if (groups) tests.push((id) => groups.has(id.group));
  const attrs = c.attributes === undefined ? [] : Object.entries(c.attributes);
  if (attrs.length > 0) tests.push((id) => attrs.every(([k, v]) => id.attributes[k] === v));
  const names = any(c.deviceName);
  if (names) tests.push((_id, ctx) => ctx.device !== null && names.has(ctx.device.name));
  const deviceGroups = c.deviceGroup;
  if (deviceGroups !== undefined && deviceGroups.length > 0) {
    tests.push((_id, ctx) => ctx.device !== null && ctx.device.deviceGroups.some((g) => deviceGroups.some((want) => g === want || g.startsWith(`${want}#`))));
  }
  const vendors = any(c.deviceVendor);
  if (vendors) tests.push((_id, ctx) => ctx.device !== null && vendors.has(ctx.device.vendor));
  const portTypes = any(c.nasPortType);
  if (portTypes) tests.push((_id, ctx) => ctx.nasPortType !== null && portTypes.has(ctx.nasPortType));
  const methods = any(c.method);
  if (methods) tests.push((_id, ctx) => methods.has(ctx.method));
  if (c.userName !== undefined) {
    const pattern = new RegExp(c.userName);
    tests.push((_id, ctx) => ctx.userName !== null && pattern.test(ctx.userName));
  }
  if (c.timeOfDay !== undefined) {
    const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
    const from = minutes(c.timeOfDay.from);
    const to = minutes(c.timeOfDay.to);
    const days = any(c.timeOfDay.days);
    tests.push((_id, _ctx, clock) => {
      const now = clock();
      if (days && !days.has(now.day)) return false;
      return from <= to ? now.minutes >= from && now.minutes < to : now.minutes >= from || now.minutes < to;
    });
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (id, ctx, clock) => {
    for (const t of tests) if (!t(id, ctx, clock)) return false;
    return true;
  };
}

function toProfileConfig(p: ProfileDef): AuthorizationProfileConfig {
  const { name: _n, description: _d, ...rest } = p;
  return rest;
}

export function deviceClients(devices: readonly DeviceDef[]): NasClient[] {
  return devices.map((d) => ({
    name: d.name,
    address: d.address,
    secret: Buffer.from(d.secret, 'utf8'),
    vendor: d.vendor,
    coaPort: d.coaPort,
    requireMessageAuthenticator: d.requireMessageAuthenticator,
    deviceGroups: d.deviceGroups,
  }));
}

export function compilePolicy(snapshot: PolicySnapshot): CompiledPolicy {
  const settings = snapshot.settings;
  const profiles = new Map(snapshot.profiles.map(({ data }) => [data.name, data]));
  const profileConfigs = new Map([...profiles].map(([n, p]) => [n, toProfileConfig(p)]));
  const groupProfile = new Map(snapshot.groups.map(({ data }) => [data.name, data.profile]));
  const groupCoa = new Map(snapshot.groups.map(({ data }) => [data.name, data.coaOnChange]));
  const endpoints = new Map<string, CompiledEndpoint>();
  for (const { data: e } of snapshot.endpoints) {
    const group = e.group ?? 'Profiled';
    endpoints.set(e.mac, { mac: e.mac, group, attributes: e.attributes, assigned: e.profile, ownProfile: e.profile ?? (e.group ? (groupProfile.get(e.group) ?? null) : null) });
  }
  const users = new Map<string, CompiledUser>();
  for (const { data: u } of snapshot.users) {
    const group = u.group ?? 'Employee';
    users.set(u.name, {
      group,
      configuredGroup: u.group,
      attributes: {},
      assigned: u.profile,
      ownProfile: u.profile ?? (u.group ? (groupProfile.get(u.group) ?? null) : null),
      disabled: u.disabled,
      passwordHash: u.passwordHash,
      chap: u.chap,
    });
  }
  const rulesBySet = new Map<string, CompiledRule[]>();
  const orderedRules = [...snapshot.rules].sort((a, b) => a.data.order - b.data.order || a.data.name.localeCompare(b.data.name));
  for (const { data: r } of orderedRules) {
    const list = rulesBySet.get(r.policySet) ?? [];
    list.push({ name: r.name, profile: r.profile, test: compileConditions(r.conditions), groups: any(r.conditions.identityGroup), afterProxy: r.afterProxy === true });
    rulesBySet.set(r.policySet, list);
  }
  const sets: CompiledSet[] = [...snapshot.policySets]
    .sort((a, b) => (a.data.name === 'Default' ? 1 : 0) - (b.data.name === 'Default' ? 1 : 0) || a.data.order - b.data.order || a.data.name.localeCompare(b.data.name))
    .map(({ data: s }) => ({ name: s.name, test: s.name === 'Default' ? () => true : compileConditions(s.conditions), rules: rulesBySet.get(s.name) ?? [], byGroup: new Map() }));
  // Most sites mark no rule: then a proxied Accept costs one map lookup here, no rule walk.
  const anyAfterProxy = snapshot.rules.some((r) => r.data.afterProxy === true);
  const rulesFor = (set: CompiledSet, group: string): CompiledRule[] => {
    let list = set.byGroup.get(group);
    if (list === undefined) {
      list = set.rules.filter((r) => r.groups === null || r.groups.has(group));
      set.byGroup.set(group, list);
    }
    return list;
  };
  for (const set of sets) for (const g of ['Unknown', 'Profiled', 'Employee', ...groupProfile.keys()]) rulesFor(set, g);
  const clients = deviceClients(snapshot.devices.map((d) => d.data));
  const devicesByName = new Map(snapshot.devices.map(({ data }) => [data.name, data]));
  const devicesByAddress = new Map(snapshot.devices.map(({ data }) => [data.address.toLowerCase(), data]));

  const clockOnce = () => {
    let clock: Clock | null = null;
    return () => {
      if (clock === null) {
        const now = new Date();
        clock = { minutes: now.getHours() * 60 + now.getMinutes(), day: DAY_NAMES[now.getDay()]! };
      }
      return clock;
    };
  };

  /** Policy set first match, then its rules first match; no rule: the identity's own profile. */
  function authorize(id: Identity, ctx: RequestContextFacts, fallbackProfile: string, fallbackRule: string): Authorization {
    const clock = clockOnce();
    let set: CompiledSet | undefined;
    for (const s of sets) {
      if (s.test(id, ctx, clock)) {
        set = s;
        break;
      }
    }
    let ruleName = fallbackRule;
    let profileName = fallbackProfile;
    if (set !== undefined && id.assigned === null) {
      for (const r of rulesFor(set, id.group)) {
        if (r.test(id, ctx, clock)) {
          ruleName = r.name;
          profileName = r.profile;
          break;
        }
      }
    }
    const profile = profileConfigs.get(profileName) ?? {};
    return { policySet: set?.name ?? 'Default', rule: ruleName, profileName, profile, deny: profile.deny === true };
  }

  const unknownIdentity: Identity = { group: 'Unknown', attributes: {}, ownProfile: null, assigned: null };

  function endpointAuthorization(mac: string, ctx: RequestContextFacts): Authorization | null {
    const endpoint = endpoints.get(mac);
    if (endpoint === undefined) {
      if (settings.unknownEndpoint === 'reject') return null;
      return authorize(unknownIdentity, ctx, settings.unknownEndpoint, 'Default');
    }
    return authorize(endpoint, ctx, endpoint.ownProfile ?? settings.defaultProfile, endpoint.group === 'Profiled' ? 'MAB' : `MAB-${endpoint.group}`);
  }

  function userAuthorization(user: CompiledUser, ctx: RequestContextFacts): Authorization {
    return authorize(user, ctx, user.ownProfile ?? settings.defaultProfile, user.group === 'Employee' ? 'Users' : `Users-${user.group}`);
  }

  function contextOf(facts: AccessRequestFacts, method: RequestContextFacts['method']): RequestContextFacts {
    const nas = facts.nas ?? null;
    return {
      method,
      userName: facts.userName,
      device: nas === null ? null : { name: nas.name, vendor: nas.vendor, deviceGroups: nas.deviceGroups },
      nasPortType: portTypeName(facts.nasPortType ?? null),
    };
  }

  function mab(facts: AccessRequestFacts, steps: number[]): AuthDecision {
    steps.push(STEP.detectedHostLookup, STEP.evaluatingServiceSelection, STEP.evaluatingIdentityPolicy, STEP.selectedIdentityStore, STEP.lookingUpEndpoint);
    const mac = normalizeMac(facts.callingStationId ?? '') ?? normalizeMac(facts.userName ?? '');
    const endpoint = mac === null ? undefined : endpoints.get(mac);
    const ctx = contextOf(facts, 'mab');
    if (endpoint === undefined) {
      steps.push(STEP.subjectNotFound);
      if (settings.unknownEndpoint === 'reject') return rejected(steps, 22056, 'mab', 'Lookup', 'Internal Endpoints', null);
      return accept(steps, 'mab', 'Lookup', 'Internal Endpoints', 'Unknown', authorize(unknownIdentity, ctx, settings.unknownEndpoint, 'Default'));
    }
    steps.push(STEP.foundEndpoint, STEP.authenticationPassed);
    return accept(steps, 'mab', 'Lookup', 'Internal Endpoints', endpoint.group, endpointAuthorization(endpoint.mac, ctx)!);
  }

  function user(facts: AccessRequestFacts, steps: number[], method: 'pap' | 'chap', protocol: string): AuthDecision {
    steps.push(STEP.evaluatingServiceSelection, STEP.evaluatingIdentityPolicy, STEP.selectedIdentityStore, STEP.lookingUpUser);
    const u = facts.userName === null ? undefined : users.get(facts.userName);
    if (u === undefined) {
      steps.push(STEP.subjectNotFound);
      return rejected(steps, 22056, method, protocol, 'Internal Users', null);
    }
    steps.push(STEP.foundUser);
    if (u.disabled) return rejected(steps, 24206, method, protocol, 'Internal Users', u.configuredGroup);
    const good = facts.password !== null ? papMatches(facts.password, u.passwordHash) : u.chap && chapMatches(facts.chap!, u.passwordHash.slice('clear$'.length));
    if (!good) {
      steps.push(STEP.wrongPassword);
      return rejected(steps, 22040, method, protocol, 'Internal Users', u.configuredGroup);
    }
    steps.push(STEP.authenticationPassed);
    return accept(steps, method, protocol, 'Internal Users', u.group, userAuthorization(u, contextOf(facts, method)));
  }

  return {
    revision: snapshot.revision,
    clients,
    decide(facts) {
      const steps: number[] = [STEP.receivedAccessRequest, STEP.createdSession];
      if (facts.eap) return rejected(steps, 12321, 'eap', 'EAP', null, null);
      if (facts.serviceType === SERVICE_TYPE_CALL_CHECK) return mab(facts, steps);
      if (facts.password !== null) return user(facts, steps, 'pap', 'PAP_ASCII');
      if (facts.chap !== null) return user(facts, steps, 'chap', 'CHAP');
      return rejected(steps, 12321, 'unknown', 'Unknown', null, null);
    },
    authorizeEndpoint: endpointAuthorization,
    afterProxy(mac, facts) {
      const endpoint = endpoints.get(mac);
      if (endpoint !== undefined && endpoint.assigned !== null) {
        const profile = profileConfigs.get(endpoint.assigned) ?? {};
        return { policySet: 'Proxy', rule: 'Assigned profile', profileName: endpoint.assigned, profile, deny: profile.deny === true };
      }
      if (!anyAfterProxy) return null;
      const id = endpoint ?? unknownIdentity;
      const ctx = contextOf(facts, 'dot1x');
      const clock = clockOnce();
      const set = sets.find((s) => s.test(id, ctx, clock));
      if (set === undefined) return null;
      for (const r of rulesFor(set, id.group)) {
        if (!r.afterProxy || !r.test(id, ctx, clock)) continue;
        const profile = profileConfigs.get(r.profile) ?? {};
        return { policySet: set.name, rule: r.name, profileName: r.profile, profile, deny: profile.deny === true };
      }
      return null;
    },
    authorizeUser(name, ctx) {
      const u = users.get(name);
      return u === undefined || u.disabled ? null : userAuthorization(u, ctx);
    },
    coaOnChange(group) {
      return (group === null ? null : groupCoa.get(group)) ?? settings.coaOnChange;
    },
    device(key) {
      const d = devicesByName.get(key) ?? devicesByAddress.get(key.toLowerCase());
      return d === undefined ? null : { name: d.name, vendor: d.vendor, deviceGroups: d.deviceGroups };
    },
  };
}

function accept(steps: number[], method: string, protocol: string, store: string, group: string, a: Authorization): AuthDecision {
  steps.push(STEP.evaluatingAuthorizationPolicy, STEP.selectedAuthorizationProfile);
  const authzPolicy = `${a.policySet} >> ${a.rule}`;
  if (a.deny) {
    return { ...rejected(steps, 15039, method, protocol, store, group), profileName: a.profileName, profile: a.profile, authzPolicy, policySet: a.policySet, rule: a.rule };
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
    authzPolicy,
    policySet: a.policySet,
    rule: a.rule,
    profileName: a.profileName,
    profile: a.profile,
    executionSteps: steps,
  };
}


/** NAS-Port-Type by its dictionary name, as rules and stored sessions spell it. */
function portTypeName(value: string | null): string | null {
  if (value === null || !/^\d+$/.test(value)) return value;
  return attributeValueName('NAS-Port-Type', Number(value)) ?? value;
}

function papMatches(given: string, stored: string): boolean {
  if (stored.startsWith('clear$')) return sameText(given, stored.slice('clear$'.length));
  const [scheme, salt, hex] = stored.split('$');
  if (scheme !== 'sha256' || salt === undefined || hex === undefined) return false;
  const digest = createHash('sha256').update(salt).update(given, 'utf8').digest();
  const expected = Buffer.from(hex, 'hex');
  return expected.length === digest.length && timingSafeEqual(digest, expected);
}

function sameText(given: string, stored: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(stored, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 1994 §4.1 / RFC 2865 §5.3: the response is MD5(CHAP id + password + challenge). */
function chapMatches(chap: NonNullable<AccessRequestFacts['chap']>, password: string): boolean {
  const expected = createHash('md5').update(Buffer.from([chap.id])).update(password, 'utf8').update(chap.challenge).digest();
  return chap.response.length === 16 && timingSafeEqual(expected, chap.response);
}
