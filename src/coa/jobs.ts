/**
 * Bulk CoA jobs: select sessions (by NAS, user, identity group, authorization profile, policy, a
 * MAC list, or a combination), optionally just count them (dry run), then act on each endpoint
 * once, asynchronously, paced per NAS and overall so that no switch is flooded: at most
 * `perNasInFlight` outstanding per NAS and `globalInFlight` in all, and, when set, no more than
 * `perNasPerSecond` / `globalPerSecond` started per second. Progress and per-endpoint results are
 * kept with the job; a job can be cancelled (endpoints not yet started are skipped).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CoaConfig } from '../config.js';
import { OpenMntError, isOpenMntError } from '../errors.js';
import type { SessionQuery, Store } from '../store/index.js';
import type { CoaAction, CoaOutcome, CoaService } from './types.js';

export interface JobSelector {
  nasIp?: string;
  userName?: string;
  identityGroup?: string;
  authzProfile?: string;
  policy?: string;
  macs?: string[];
}

export interface Pacing {
  perNasInFlight: number;
  perNasPerSecond: number;
  globalInFlight: number;
  globalPerSecond: number;
}

export interface JobSpec {
  selector: JobSelector;
  action: CoaAction;
  pacing?: Partial<Pacing>;
  verifyTimeoutMs?: number | null;
}

export interface JobTarget {
  mac: string;
  nasIp: string;
}

export interface JobResult {
  mac: string;
  nasIp: string;
  /** `unreachable`: not sent, because its NAS left the job's first requests unanswered. */
  outcome: CoaOutcome | 'refused' | 'cancelled' | 'unreachable';
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
  detail: string | null;
  verified?: boolean;
}

export interface Job {
  id: string;
  state: 'running' | 'done' | 'cancelled';
  admin: string;
  action: CoaAction;
  selector: JobSelector;
  pacing: Pacing;
  total: number;
  completed: number;
  counts: Record<JobResult['outcome'], number>;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  results: JobResult[];
}

/** Sessions per page when a selector (not a MAC list) is streamed. */
const SELECT_PAGE = 2000;

export class JobRunner {
  readonly #jobs = new Map<string, Job & { cancel: boolean }>();
  readonly #o: { coa: CoaService; store: Store; config: CoaConfig; logger: Logger };

  constructor(options: { coa: CoaService; store: Store; config: CoaConfig; logger: Logger }) {
    this.#o = options;
  }

  /** The endpoints a selector names, each once (the latest session of a MAC decides its NAS). */
  async select(selector: JobSelector): Promise<JobTarget[]> {
    const query: SessionQuery = {
      nasIp: selector.nasIp,
      userName: selector.userName,
      identityGroup: selector.identityGroup,
      selectedAuthzProfile: selector.authzProfile,
      authzPolicy: selector.policy,
    };
    const filtered = Object.values(query).some((v) => v !== undefined);
    if (!filtered && (selector.macs === undefined || selector.macs.length === 0)) {
      throw new OpenMntError('INVALID_ARGUMENT', 'a job needs a selector: nasIp, userName, identityGroup, authzProfile, policy or macs');
    }
    if (selector.macs !== undefined && selector.macs.length > 0) {
      // One batched lookup on the store's reading thread (a few hundred queries for 100,000
      // MACs), answered in the list's order, each MAC once: nothing here walks the list again.
      const found = await this.#o.store.latestSessionsByMacs(selector.macs, query);
      return found.map(({ mac, nasIp }) => ({ mac, nasIp }));
    }
    // Summaries carry the MAC and NAS, all a target needs: a fraction of a whole session to read
    // and to pass between threads.
    const targets = new Map<string, JobTarget>();
    for await (const page of this.#o.store.listSessionPages(query, SELECT_PAGE)) {
      for (const s of page) {
        if (!targets.has(s.callingStationId)) targets.set(s.callingStationId, { mac: s.callingStationId, nasIp: s.nasIp });
      }
    }
    return [...targets.values()];
  }

  /** Starts a job in the background and returns it at once (progress is read with `get`). */
  async start(spec: JobSpec, admin: string): Promise<Job> {
    const targets = await this.select(spec.selector);
    const c = this.#o.config;
    const pacing: Pacing = {
      perNasInFlight: spec.pacing?.perNasInFlight ?? c.perNasInFlight,
      perNasPerSecond: spec.pacing?.perNasPerSecond ?? c.perNasPerSecond,
      globalInFlight: spec.pacing?.globalInFlight ?? c.globalInFlight,
      globalPerSecond: spec.pacing?.globalPerSecond ?? c.globalPerSecond,
    };
    const job = {
      id: randomUUID(),
      state: 'running' as Job['state'],
      admin,
      action: spec.action,
      selector: spec.selector,
      pacing,
      total: targets.length,
      completed: 0,
      counts: { ack: 0, nak: 0, timeout: 0, refused: 0, cancelled: 0, unreachable: 0 },
      createdAt: new Date().toISOString(),
      finishedAt: null as string | null,
      durationMs: null as number | null,
      results: [] as JobResult[],
      cancel: false,
    };
    this.#jobs.set(job.id, job);
    this.#o.logger.info({ job: job.id, admin, action: spec.action, total: job.total, pacing }, 'CoA job started');
    void this.#run(job, targets, spec.verifyTimeoutMs ?? null);
    return this.#view(job);
  }

  get(id: string): Job {
    const job = this.#jobs.get(id);
    if (job === undefined) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
    return this.#view(job);
  }

  list(): Job[] {
    return [...this.#jobs.values()].map((j) => ({ ...this.#view(j), results: [] }));
  }

  cancel(id: string): Job {
    const job = this.#jobs.get(id);
    if (job === undefined) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
    job.cancel = true;
    return this.#view(job);
  }

  /** Resolves when the job has ended (tests, benchmarks). */
  async wait(id: string): Promise<Job> {
    for (;;) {
      const job = this.get(id);
      if (job.state !== 'running') return job;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #view(job: Job & { cancel: boolean }): Job {
    const { cancel: _cancel, ...rest } = job;
    return { ...rest, counts: { ...rest.counts }, results: [...rest.results] };
  }

  async #run(job: Job & { cancel: boolean }, targets: JobTarget[], verifyTimeoutMs: number | null): Promise<void> {
    const started = performance.now();
    const queues = new Map<string, JobTarget[]>();
    for (const t of targets) {
      const q = queues.get(t.nasIp);
      if (q) q.push(t);
      else queues.set(t.nasIp, [t]);
    }
    const inFlight = new Map<string, number>();
    // A NAS whose requests time out is sent nothing new until it answers; if its whole first wave
    // times out with no answer at all, the rest of its endpoints are not sent (each would wait the
    // whole retransmit budget, and a job over a dead switch would take hours).
    const timeouts = new Map<string, number>();
    const answered = new Set<string>();
    const nextAt = new Map<string, number>();
    let globalInFlight = 0;
    let globalNextAt = 0;
    const p = job.pacing;
    const record = (result: JobResult) => {
      job.results.push(result);
      job.counts[result.outcome]++;
      job.completed++;
    };

    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const pump = () => {
        timer = null;
        const now = performance.now();
        let wakeAt = Number.POSITIVE_INFINITY;
        if (job.cancel) {
          for (const q of queues.values()) for (const t of q.splice(0)) record({ ...t, outcome: 'cancelled', errorCause: null, errorCauseText: null, attempts: 0, rttMs: null, detail: null });
        }
        for (const [nas, q] of queues) {
          const failed = timeouts.get(nas) ?? 0;
          if (answered.has(nas) || failed === 0 || (inFlight.get(nas) ?? 0) > 0) continue;
          const detail = `not sent: ${nas} answered none of the ${failed} requests the job sent it`;
          for (const t of q.splice(0)) record({ ...t, outcome: 'unreachable', errorCause: null, errorCauseText: null, attempts: 0, rttMs: null, detail });
        }
        // Round-robin over the NAS so one big switch does not starve the others.
        let progressed = true;
        while (progressed) {
          progressed = false;
          for (const [nas, q] of queues) {
            if (q.length === 0 || globalInFlight >= p.globalInFlight) continue;
            if ((inFlight.get(nas) ?? 0) >= p.perNasInFlight) continue;
            if ((timeouts.get(nas) ?? 0) > 0 && !answered.has(nas)) continue;
            const nasReady = nextAt.get(nas) ?? 0;
            if (nasReady > now || globalNextAt > now) {
              wakeAt = Math.min(wakeAt, Math.max(nasReady, globalNextAt));
              continue;
            }
            const target = q.shift()!;
            inFlight.set(nas, (inFlight.get(nas) ?? 0) + 1);
            globalInFlight++;
            if (p.perNasPerSecond > 0) nextAt.set(nas, Math.max(now, nasReady) + 1000 / p.perNasPerSecond);
            if (p.globalPerSecond > 0) globalNextAt = Math.max(now, globalNextAt) + 1000 / p.globalPerSecond;
            progressed = true;
            void this.#one(job, target, verifyTimeoutMs).then((result) => {
              if (result.outcome === 'timeout') timeouts.set(nas, (timeouts.get(nas) ?? 0) + 1);
              else if (result.outcome === 'ack' || result.outcome === 'nak') answered.add(nas);
              record(result);
              inFlight.set(nas, inFlight.get(nas)! - 1);
              globalInFlight--;
              if (job.completed === job.total) resolve();
              else if (timer === null) setImmediate(pump);
            });
          }
        }
        if (job.completed === job.total) resolve();
        else if (wakeAt !== Number.POSITIVE_INFINITY && timer === null) timer = setTimeout(pump, Math.max(1, wakeAt - performance.now()));
      };
      pump();
    });

    job.state = job.cancel ? 'cancelled' : 'done';
    job.finishedAt = new Date().toISOString();
    job.durationMs = Math.round(performance.now() - started);
    this.#o.logger.info({ job: job.id, counts: job.counts, durationMs: job.durationMs }, 'CoA job ended');
  }

  async #one(job: Job, target: JobTarget, verifyTimeoutMs: number | null): Promise<JobResult> {
    try {
      const r = await this.#o.coa.send({
        target: { mac: target.mac },
        action: job.action,
        admin: job.admin,
        origin: 'job',
        jobId: job.id,
        verifyTimeoutMs,
      });
      const result: JobResult = { mac: target.mac, nasIp: r.nasIp, outcome: r.outcome, errorCause: r.errorCause, errorCauseText: r.errorCauseText, attempts: r.attempts, rttMs: r.rttMs, detail: null };
      if (r.verification !== undefined) result.verified = r.verification.verified;
      return result;
    } catch (error) {
      const detail = isOpenMntError(error) ? `${error.code}: ${error.message}` : String(error);
      return { ...target, outcome: 'refused', errorCause: null, errorCauseText: null, attempts: 0, rttMs: null, detail };
    }
  }
}
