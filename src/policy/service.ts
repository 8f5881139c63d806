/**
 * The running policy of a node: loaded from the store, changed only through `apply`, compiled on
 * every committed change and handed to whoever answers RADIUS through `onPolicy` (at once, on the
 * thread that committed it; a few milliseconds for 100,000 endpoints).
 *
 * A change is checked whole before anything is written: the objects it touches are parsed by the
 * API, then the policy it would leave is validated (every reference resolves) and compiled (every
 * pattern compiles); only then is it written, in one store transaction that also checks each
 * object's version and keeps the audit records. A change that fails any step leaves the stored and
 * the running policy as they were. Changes run one at a time.
 *
 * Another node sharing the store (or a change written by another process) is noticed by polling
 * the revision once a second, which is how a change takes effect everywhere within a second. On
 * an engine that announces changes (PostgreSQL's LISTEN / NOTIFY, `store.cluster`), a committed
 * change is read at once on every node; the poll stays, for a notification lost with a connection.
 */
import type { Logger } from 'pino';
import { OpenMntError, isOpenMntError } from '../errors.js';
import type { NewConfigAuditRecord, PolicyWriteOp, Store } from '../store/index.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { DEFAULT_SETTINGS, POLICY_KINDS, SETTINGS_KEY, masked, validateSnapshot, type PolicyKind, type PolicySettings, type PolicySnapshot, type Versioned } from './model.js';
import { FILE_SEED_KEY, FILE_SEED_KIND, sameData, seedChanges, type SeedObject } from './seed.js';

/** One object to create, replace or (data null) delete. */
export interface PolicyChange {
  kind: PolicyKind;
  key: string;
  data: unknown;
  /** The version the caller read (If-Match); null: it must not exist; undefined: no check. */
  expectVersion?: number | null;
}

export interface ChangeOrigin {
  admin: string;
  source: string | null;
}

export interface AppliedChange {
  kind: PolicyKind;
  key: string;
  operation: 'create' | 'update' | 'delete';
  version: number;
  data: unknown;
}

export interface ApplyResult {
  revision: number;
  dryRun: boolean;
  changes: AppliedChange[];
  /** The compiled policy before and after (for enforcement). */
  before: CompiledPolicy;
  after: CompiledPolicy;
}

type KindMaps = Map<PolicyKind, Map<string, Versioned<unknown>>>;

export interface PolicyServiceOptions {
  store: Store;
  logger: Logger;
  /**
   * Told every new policy, compiled, with its plain snapshot (to post to another thread). A change
   * is answered once the promise it returns settles: when the API says done, RADIUS decides by it.
   */
  onPolicy?: (snapshot: PolicySnapshot, compiled: CompiledPolicy) => void | Promise<void>;
  /** Told every configuration audit record once committed (webhooks). */
  onAudit?: (record: NewConfigAuditRecord & { id: number; revision: number }) => void;
  /** How often the store's revision is compared with ours; 0 turns polling off. */
  pollMs?: number;
}

const SAME_KIND_ORDER: readonly PolicyKind[] = POLICY_KINDS;

export class PolicyService {
  readonly #o: PolicyServiceOptions;
  #maps: KindMaps = new Map();
  #revision = 0;
  #snapshot: PolicySnapshot | null = null;
  #compiled: CompiledPolicy;
  #queue: Promise<unknown> = Promise.resolve();
  #poll: NodeJS.Timeout | null = null;
  #unlisten: (() => Promise<void>) | null = null;

  private constructor(options: PolicyServiceOptions, maps: KindMaps, revision: number) {
    this.#o = options;
    this.#maps = maps;
    this.#revision = revision;
    this.#compiled = compilePolicy(this.snapshot());
  }

  /**
   * Loads the stored policy; a store that never held one is seeded from the file first. After
   * that the file wins only for what changed in it since it was last applied (at a start or a
   * SIGHUP): those objects are applied as one audited change. Everything else is the store's.
   */
  static async open(options: PolicyServiceOptions, seed: SeedObject[]): Promise<PolicyService> {
    let rows = await options.store.loadPolicy();
    if (rows.revision === 0 && rows.objects.length === 0) {
      const at = Date.now();
      try {
        await options.store.writePolicy(
          [...seed.map((s) => ({ kind: s.kind, key: s.key, data: s.data, expectVersion: null })), { kind: FILE_SEED_KIND, key: FILE_SEED_KEY, data: seed, expectVersion: null }],
          seed.map((s) => ({ at, admin: 'seed', source: 'configuration file', kind: s.kind, key: s.key, operation: 'create' as const, before: null, after: masked(s.kind, s.data) })),
        );
        options.logger.info({ objects: seed.length }, 'policy seeded from the configuration file (auth, radius.clients); from now on the stored policy is the one used');
      } catch (error) {
        // Nodes sharing one database, started together: another one seeded it first. Its seed is
        // the stored policy now; this node's file changes, if any, follow below as for any start.
        if (!isOpenMntError(error, 'ALREADY_EXISTS')) throw error;
        options.logger.info('policy already seeded by another node sharing the store');
      }
      rows = await options.store.loadPolicy();
    }
    const service = new PolicyService(options, mapsOf(rows.objects), rows.revision);
    await service.applyFile(seed, 'start').catch((error: unknown) => {
      // A start is not refused for it: the stored policy runs, and the log says why the file's
      // changes were not taken (e.g. it removes a group that endpoints made through the API use).
      options.logger.warn({ reason: (error as Error).message }, 'the configuration file\'s policy changes were not applied; the stored policy is used');
    });
    const changes = options.store.cluster?.policyChanges;
    if (changes !== undefined) {
      service.#unlisten = await changes.listen(() => void service.#refresh('notification')).catch((error: unknown) => {
        options.logger.warn({ err: error }, 'policy changes are not announced to this node; it reads the revision once a second');
        return null;
      });
    }
    const pollMs = options.pollMs ?? 1000;
    if (pollMs > 0) {
      service.#poll = setInterval(() => void service.#refresh('poll'), pollMs);
      service.#poll.unref();
    }
    return service;
  }

  /**
   * Applies what changed in the file's policy sections since they were last applied, as one
   * audited change (admin `configuration file`); returns how many objects it changed.
   */
  async applyFile(seed: SeedObject[], source: 'start' | 'SIGHUP'): Promise<number> {
    const stored = this.#maps.get(FILE_SEED_KIND)?.get(FILE_SEED_KEY);
    const previous = (stored?.data as SeedObject[] | undefined) ?? [];
    const changes = seedChanges(previous, seed, (kind, key) => this.get(kind, key) !== undefined);
    if (changes.length === 0 && stored !== undefined && sameData(previous, seed)) return 0;
    await this.apply([...changes, { kind: FILE_SEED_KIND, key: FILE_SEED_KEY, data: seed }], { admin: 'configuration file', source });
    if (changes.length > 0) this.#o.logger.info({ changed: changes.map((c) => `${c.kind}/${c.key}`), source }, 'configuration file policy changes applied');
    return changes.length;
  }

  get revision(): number {
    return this.#revision;
  }

  get compiled(): CompiledPolicy {
    return this.#compiled;
  }

  get settings(): PolicySettings {
    return (this.#maps.get('settings')?.get(SETTINGS_KEY)?.data as PolicySettings | undefined) ?? DEFAULT_SETTINGS;
  }

  /** The policy as plain data (structured-clone-able), cached until the next change. */
  snapshot(): PolicySnapshot {
    this.#snapshot ??= snapshotOf(this.#maps, this.#revision);
    return this.#snapshot;
  }

  get(kind: PolicyKind, key: string): Versioned<unknown> | undefined {
    return this.#maps.get(kind)?.get(key);
  }

  /** Objects of a kind in key order. */
  list(kind: PolicyKind): { key: string; version: number; data: unknown }[] {
    const map = this.#maps.get(kind);
    if (map === undefined) return [];
    return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, v]) => ({ key, version: v.version, data: v.data }));
  }

  /** Checks, writes and puts in force a change; with `dryRun`, only checks and tells what it would do. */
  apply(changes: PolicyChange[], origin: ChangeOrigin, options: { dryRun?: boolean } = {}): Promise<ApplyResult> {
    const run = this.#queue.then(() => this.#apply(changes, origin, options.dryRun === true));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(changes: PolicyChange[], origin: ChangeOrigin, dryRun: boolean): Promise<ApplyResult> {
    const before = this.#compiled;
    const next: KindMaps = new Map(this.#maps);
    const copied = new Set<PolicyKind>();
    const applied: AppliedChange[] = [];
    const audit: NewConfigAuditRecord[] = [];
    const ops: PolicyWriteOp[] = [];
    const seen = new Set<string>();
    const at = Date.now();
    for (const change of changes) {
      const id = `${change.kind}\u0000${change.key}`;
      if (seen.has(id)) throw new OpenMntError('INVALID_ARGUMENT', `${change.kind} '${change.key}' is given twice in one change`);
      seen.add(id);
      if (!copied.has(change.kind)) {
        next.set(change.kind, new Map(next.get(change.kind) ?? []));
        copied.add(change.kind);
      }
      const map = next.get(change.kind)!;
      const current = map.get(change.key);
      if (change.expectVersion !== undefined) {
        const found = current?.version ?? null;
        if (change.expectVersion === null && found !== null) throw new OpenMntError('ALREADY_EXISTS', `${singular(change.kind)} '${change.key}' already exists`);
        if (change.expectVersion !== null && found === null) throw new OpenMntError('NOT_FOUND', `${singular(change.kind)} '${change.key}' does not exist`);
        if (change.expectVersion !== null && found !== change.expectVersion) {
          throw new OpenMntError('PRECONDITION_FAILED', `${singular(change.kind)} '${change.key}' was changed since it was read (it is at version ${found}, the request was for ${change.expectVersion})`);
        }
      }
      if (change.data === null && current === undefined) throw new OpenMntError('NOT_FOUND', `${singular(change.kind)} '${change.key}' does not exist`);
      const operation = change.data === null ? 'delete' : current === undefined ? 'create' : 'update';
      const version = change.data === null ? 0 : (current?.version ?? 0) + 1;
      if (change.data === null) map.delete(change.key);
      else map.set(change.key, { version, data: change.data });
      // What the store checks again inside its transaction: the version this change started from.
      ops.push({ kind: change.kind, key: change.key, data: change.data, expectVersion: current?.version ?? null });
      if (change.kind !== FILE_SEED_KIND) audit.push({ at, admin: origin.admin, source: origin.source, kind: change.kind, key: change.key, operation, before: current === undefined ? null : masked(change.kind, current.data), after: masked(change.kind, change.data) });
      if (change.kind !== FILE_SEED_KIND) applied.push({ kind: change.kind, key: change.key, operation, version, data: change.data });
    }
    const snapshot = snapshotOf(next, this.#revision + 1);
    validateSnapshot(snapshot);
    let after: CompiledPolicy;
    try {
      after = compilePolicy(snapshot);
    } catch (error) {
      throw new OpenMntError('INVALID_ARGUMENT', `the policy does not compile: ${(error as Error).message}`);
    }
    if (dryRun) return { revision: this.#revision, dryRun: true, changes: applied, before, after };
    const written = await this.#o.store.writePolicy(ops, audit);
    snapshot.revision = written.revision;
    this.#maps = next;
    this.#revision = written.revision;
    this.#snapshot = snapshot;
    this.#compiled = compilePolicy(snapshot);
    await this.#o.onPolicy?.(snapshot, this.#compiled);
    audit.forEach((record, i) => this.#o.onAudit?.({ ...record, id: written.auditIds[i]!, revision: written.revision }));
    return { revision: written.revision, dryRun: false, changes: applied, before, after: this.#compiled };
  }

  /** Reloads when the store holds a newer revision than ours (written by another node). */
  async #refresh(via: 'poll' | 'notification'): Promise<void> {
    try {
      const revision = await this.#o.store.policyRevision();
      if (revision <= this.#revision) return;
      await (this.#queue = this.#queue.then(async () => {
        const rows = await this.#o.store.loadPolicy();
        if (rows.revision <= this.#revision) return;
        this.#maps = mapsOf(rows.objects);
        this.#revision = rows.revision;
        this.#snapshot = null;
        this.#compiled = compilePolicy(this.snapshot());
        await this.#o.onPolicy?.(this.snapshot(), this.#compiled);
        this.#o.logger.info({ revision: rows.revision, via }, 'policy changed in the store: reloaded');
      }).catch((error: unknown) => this.#o.logger.warn({ err: error }, 'policy reload failed; the running policy stays')));
    } catch {
      // A store that cannot answer now is reported by /health; the running policy stays.
    }
  }

  close(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
    void this.#unlisten?.().catch(() => undefined);
    this.#unlisten = null;
  }
}

function singular(kind: PolicyKind): string {
  return kind === 'policySets' ? 'policy set' : kind === 'settings' ? 'settings' : kind.slice(0, -1);
}

function mapsOf(objects: { kind: string; key: string; version: number; data: unknown }[]): KindMaps {
  const maps: KindMaps = new Map([...SAME_KIND_ORDER, FILE_SEED_KIND].map((k) => [k, new Map()]));
  for (const o of objects) maps.get(o.kind as PolicyKind)?.set(o.key, { version: o.version, data: o.data });
  return maps;
}

function snapshotOf(maps: KindMaps, revision: number): PolicySnapshot {
  const values = <T>(kind: PolicyKind) => [...(maps.get(kind)?.values() ?? [])] as Versioned<T>[];
  return {
    revision,
    settings: (maps.get('settings')?.get(SETTINGS_KEY)?.data as PolicySettings | undefined) ?? DEFAULT_SETTINGS,
    devices: values('devices'),
    groups: values('groups'),
    endpoints: values('endpoints'),
    attributes: values('attributes'),
    profiles: values('profiles'),
    policySets: values('policySets'),
    rules: values('rules'),
    users: values('users'),
  };
}
