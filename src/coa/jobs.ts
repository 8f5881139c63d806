/**
 * Bulk CoA jobs: select sessions (by NAS, user, identity group, authorization profile, policy, a
 * MAC list, or a combination), optionally just count them (dry run), then act on each endpoint
 * once, asynchronously, paced per NAS and overall so that no switch is flooded: at most
 * `perNasInFlight` outstanding per NAS and `globalInFlight` in all, and, when set, no more than
 * `perNasPerSecond` / `globalPerSecond` started per second. A job can be cancelled (endpoints not
 * yet started are skipped).
 *
 * A job lives in the store: its summary from the start, its per-endpoint results written in
 * batches as endpoints complete. Memory holds only running jobs, and of each only its counters,
 * the endpoints not yet started and the results not yet written, so a node that runs job after
 * job of 100,000 endpoints does not grow; a finished job is read back from the store, and its
 * results a page at a time. Retention prunes finished jobs with the rest of the history.
 *
 * One node (SQLite): a job that was running when its node stopped is not resumed but marked
 * `interrupted`: its endpoints not yet started were held only in memory, the sessions it selected
 * may have changed or ended since, and a reauth or port bounce replayed hours later, unasked, on
 * thousands of endpoints is worse than none. What it did up to its last batch is kept; to finish
 * the work an admin starts a new job with the same selector.
 *
 * Several nodes (PostgreSQL, `store.cluster`): the job and the targets it selected are saved
 * together, and the job is leased to the node that runs it, which renews the lease a few times
 * within `coa.jobLeaseSeconds`. Another node that finds a lease expired takes the job over and
 * resumes it from its recorded results: a target with a result is never sent again. A target in
 * flight, or whose result was not yet written (up to FLUSH_AFTER_MS), when its node died is sent
 * again by the node that resumes. A node that stops gracefully writes what it has and releases
 * its leases, so another node resumes at once: with other nodes running, an operator restarting
 * one (an upgrade, a reboot) expects the job to go on, not to find it half done. The rule above
 * still holds where it matters: a job whose lease ran out more than RESUME_WITHIN_MS ago (every
 * node was down) is marked `interrupted`, not replayed late. A node that has not managed to renew
 * its leases for a whole lease (its database unreachable) stops its jobs' sending, since another
 * node may be resuming them; and each write of results checks, in its transaction, that the node
 * still holds the job, so a node taken over records nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CoaConfig } from '../config.js';
import { OpenMntError, isOpenMntError } from '../errors.js';
import type { CoaJobRecord, CoaJobResultRecord, CoaJobUpdate, JobLeases, NewCoaJobResult, SessionQuery, Store } from '../store/index.js';
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

/** `unreachable`: not sent, because its NAS left the job's first requests unanswered. */
export type JobOutcome = CoaOutcome | 'refused' | 'cancelled' | 'unreachable';

export const JOB_OUTCOMES: readonly JobOutcome[] = ['ack', 'nak', 'timeout', 'refused', 'cancelled', 'unreachable'];

export interface JobResult {
  mac: string;
  nasIp: string;
  outcome: JobOutcome;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
  detail: string | null;
  verified?: boolean;
}

/** `interrupted`: it was running when its node stopped and no node resumed it (see above). */
export type JobState = 'running' | 'done' | 'cancelled' | 'interrupted';

/** A selector as a job's summary shows it: a MAC list by its length (it may hold 100,000). */
export type JobSelectorSummary = Omit<JobSelector, 'macs'> & { macCount?: number };

/** A job's summary: what the list, the progress poll and the start answer show. */
export interface Job {
  id: string;
  state: JobState;
  admin: string;
  action: CoaAction;
  selector: JobSelectorSummary;
  pacing: Pacing;
  total: number;
  completed: number;
  counts: Record<JobOutcome, number>;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface JobListQuery {
  state?: JobState;
  /** The `next` of the previous page. */
  before?: number;
  limit?: number;
}

/** Jobs newest first; `next` is null on the last page. */
export interface JobPage {
  jobs: Job[];
  next: number | null;
}

export interface JobResultQuery {
  outcome?: JobOutcome;
  /** The `next` of the previous page. */
  after?: number;
  limit?: number;
}

/**
 * Results in the order the job recorded them. `next` continues after this page; it is null only
 * once the job has ended and nothing follows, so a running job can be followed with it.
 */
export interface JobResultPage {
  results: JobResult[];
  next: number | null;
}

export const JOB_LIST_LIMIT = { default: 50, max: 1000 } as const;
export const JOB_RESULT_LIMIT = { default: 1000, max: 10_000 } as const;

/** Results are written when this many have gathered, or this long after the first of them. One
 * transaction per batch instead of per endpoint; the wait bounds how far the store lags behind. */
const FLUSH_SIZE = 500;
const FLUSH_AFTER_MS = 250;

/** A job whose lease ran out longer ago than this is not resumed but marked interrupted. */
const RESUME_WITHIN_MS = 10 * 60_000;
/** Renewals per lease: a renewal or two may fail (a slow database) before the lease runs out. */
const RENEWALS_PER_LEASE = 3;

/** Where jobs are leased, when several nodes share the store. */
export interface JobCluster {
  leases: JobLeases;
  /** This run of this node (a restarted node is another owner). */
  owner: string;
  leaseMs: number;
  /** Tests shorten it. */
  resumeWithinMs?: number;
}

/** What memory holds of a running job. */
interface RunningJob {
  /** The summary, updated as endpoints complete. */
  job: Job;
  started: number;
  cancel: boolean;
  /** The node is stopping: start nothing more, record nothing more, save as interrupted (or release it). */
  halt: boolean;
  /** Another node holds the job now: nothing more of this node's is written. */
  lost: boolean;
  /** Results recorded and not yet handed to the store. */
  buffer: NewCoaJobResult[];
  flushTimer: NodeJS.Timeout | null;
  /** The job's store writes, chained so they commit in order. */
  writing: Promise<void>;
  /** Ends the job's run at once (on halt). */
  stop: () => void;
  /** Settles once the job has ended and its summary is saved. */
  ended: Promise<void>;
}

const noCounts = (): Record<JobOutcome, number> => ({ ack: 0, nak: 0, timeout: 0, refused: 0, cancelled: 0, unreachable: 0 });

function view(job: Job): Job {
  return { ...job, counts: { ...job.counts } };
}

function fromRecord(r: CoaJobRecord): Job {
  return {
    id: r.id,
    state: r.state,
    admin: r.admin,
    action: r.action as CoaAction,
    selector: r.selector as JobSelectorSummary,
    pacing: r.pacing as Pacing,
    total: r.total,
    completed: r.completed,
    counts: { ...noCounts(), ...r.counts },
    createdAt: new Date(r.createdAt).toISOString(),
    finishedAt: r.finishedAt === null ? null : new Date(r.finishedAt).toISOString(),
    durationMs: r.durationMs,
  };
}

function fromResultRecord(r: CoaJobResultRecord): JobResult {
  const result: JobResult = {
    mac: r.mac,
    nasIp: r.nasIp,
    outcome: r.outcome as JobOutcome,
    errorCause: r.errorCause,
    errorCauseText: r.errorCauseText,
    attempts: r.attempts,
    rttMs: r.rttMs,
    detail: r.detail,
  };
  if (r.verified !== null) result.verified = r.verified;
  return result;
}

function toResultRecord(r: JobResult): NewCoaJobResult {
  return {
    mac: r.mac,
    nasIp: r.nasIp,
    outcome: r.outcome,
    errorCause: r.errorCause,
    errorCauseText: r.errorCauseText,
    attempts: r.attempts,
    rttMs: r.rttMs,
    detail: r.detail,
    verified: r.verified ?? null,
  };
}

/** Sessions per page when a selector (not a MAC list) is streamed. */
const SELECT_PAGE = 2000;

export interface JobRunnerOptions {
  coa: CoaService;
  store: Store;
  config: CoaConfig;
  logger: Logger;
  /** Set when several nodes share the store: jobs are leased, resumed by another node (see above). */
  cluster?: JobCluster;
}

export class JobRunner {
  readonly #running = new Map<string, RunningJob>();
  readonly #o: JobRunnerOptions;
  #closed = false;
  /** Results that could not be written (the store failed): logged, and counted here. */
  #unsaved = 0;
  #renewTimer: NodeJS.Timeout | null = null;
  #claimTimer: NodeJS.Timeout | null = null;
  /** When the leases were last renewed (performance.now()), or first held. */
  #renewedAt = performance.now();
  #renewing = false;
  #claiming = false;

  constructor(options: JobRunnerOptions) {
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

  /**
   * At start-up, before any job starts: a job the store still has as running belongs to an
   * earlier run of the node and is marked interrupted. Returns how many.
   */
  async markInterrupted(): Promise<number> {
    const cluster = this.#o.cluster;
    // Several nodes: the running jobs of the others are theirs (they are resumed when a lease runs
    // out); only a job no node owns (saved before leases existed) cannot be resumed.
    const n = cluster === undefined ? await this.#o.store.interruptJobs(Date.now()) : await cluster.leases.interruptUnowned(Date.now());
    if (n > 0) this.#o.logger.warn({ jobs: n }, 'CoA jobs that were running when the node stopped are marked interrupted, not resumed');
    return n;
  }

  /**
   * Several nodes: starts renewing this node's leases and looking for jobs whose lease ran out
   * (once now, then twice a lease). Nothing to do with one node.
   */
  startLeases(): void {
    const cluster = this.#o.cluster;
    if (cluster === undefined || this.#closed || this.#renewTimer !== null) return;
    this.#renewedAt = performance.now();
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(50, Math.floor(cluster.leaseMs / RENEWALS_PER_LEASE)));
    this.#claimTimer = setInterval(() => void this.#claim(), Math.max(50, Math.floor(cluster.leaseMs / 2)));
    void this.#claim();
  }

  /** Extends the leases of the jobs running here; stops those another node has taken over. */
  async #renew(): Promise<void> {
    const cluster = this.#o.cluster!;
    if (this.#renewing || this.#closed) return;
    this.#renewing = true;
    const asked = performance.now();
    const mine = [...this.#running.values()].filter((r) => r.job.state === 'running' && !r.lost && !r.halt);
    try {
      if (mine.length === 0) {
        this.#renewedAt = asked;
        return;
      }
      const { held, cancelRequested } = await cluster.leases.renew(cluster.owner, mine.map((r) => r.job.id), cluster.leaseMs);
      this.#renewedAt = asked;
      const kept = new Set(held);
      for (const id of cancelRequested) {
        const r = this.#running.get(id);
        if (r !== undefined) r.cancel = true;
      }
      for (const r of mine) if (!kept.has(r.job.id)) this.#lose(r, 'another node holds the job now');
    } catch (err) {
      this.#o.logger.error({ err }, 'CoA job leases could not be renewed');
      // A whole lease without a renewal: another node may be resuming these jobs by now.
      if (performance.now() - this.#renewedAt >= cluster.leaseMs) {
        for (const r of mine) this.#lose(r, 'its lease could not be renewed for a whole lease');
      }
    } finally {
      this.#renewing = false;
    }
  }

  /** Stops a job here without writing anything more of it: another node goes on with it. */
  #lose(running: RunningJob, why: string): void {
    if (running.lost) return;
    running.lost = true;
    running.halt = true;
    running.stop();
    this.#o.logger.warn({ job: running.job.id, why }, 'CoA job given up on this node');
  }

  /**
   * Takes over one job whose lease ran out, if there is one: one per look, so that the jobs of a
   * node that died spread over the nodes that look.
   */
  async #claim(): Promise<void> {
    const cluster = this.#o.cluster!;
    if (this.#claiming || this.#closed) return;
    this.#claiming = true;
    try {
      const { claimed, interrupted } = await cluster.leases.claimExpired(cluster.owner, cluster.leaseMs, cluster.resumeWithinMs ?? RESUME_WITHIN_MS);
      if (interrupted > 0) this.#o.logger.warn({ jobs: interrupted }, 'CoA jobs left without a node for too long are marked interrupted, not resumed');
      if (claimed !== null && !this.#closed) await this.#resume(claimed.record, claimed.verifyTimeoutMs, claimed.cancelRequested, claimed.previousOwner);
    } catch (err) {
      this.#o.logger.error({ err }, 'looking for CoA jobs to take over failed');
    } finally {
      this.#claiming = false;
    }
  }

  /** Runs a job taken over from another node: the targets without a result, counts as recorded. */
  async #resume(record: CoaJobRecord, verifyTimeoutMs: number | null, cancel: boolean, from: string | null): Promise<void> {
    const pending = await this.#o.cluster!.leases.pending(record.id);
    const job = fromRecord(record);
    // As recorded: the results kept and the targets left make the whole (they are written together).
    job.total = job.completed + pending.length;
    const running = this.#runningOf(job);
    running.cancel = cancel;
    // The duration counts from the job's creation, whichever node ran it.
    running.started = performance.now() - (Date.now() - record.createdAt);
    this.#running.set(job.id, running);
    this.#o.logger.info({ job: job.id, from, completed: job.completed, pending: pending.length }, 'CoA job taken over from another node');
    running.ended = this.#run(running, pending, verifyTimeoutMs);
  }

  #runningOf(job: Job): RunningJob {
    return {
      job,
      started: performance.now(),
      cancel: false,
      halt: false,
      lost: false,
      buffer: [],
      flushTimer: null,
      writing: Promise.resolve(),
      stop: () => undefined,
      ended: Promise.resolve(),
    };
  }

  /** Starts a job in the background and returns its summary at once (progress is read with `get`). */
  async start(spec: JobSpec, admin: string): Promise<Job> {
    if (this.#closed) throw new OpenMntError('UNAVAILABLE', 'CoA jobs are stopping on this node');
    const targets = await this.select(spec.selector);
    const c = this.#o.config;
    const pacing: Pacing = {
      perNasInFlight: spec.pacing?.perNasInFlight ?? c.perNasInFlight,
      perNasPerSecond: spec.pacing?.perNasPerSecond ?? c.perNasPerSecond,
      globalInFlight: spec.pacing?.globalInFlight ?? c.globalInFlight,
      globalPerSecond: spec.pacing?.globalPerSecond ?? c.globalPerSecond,
    };
    const { macs, ...filters } = spec.selector;
    const createdAt = Date.now();
    const job: Job = {
      id: randomUUID(),
      state: 'running',
      admin,
      action: spec.action,
      selector: macs === undefined ? filters : { ...filters, macCount: macs.length },
      pacing,
      total: targets.length,
      completed: 0,
      counts: noCounts(),
      createdAt: new Date(createdAt).toISOString(),
      finishedAt: null,
      durationMs: null,
    };
    const cluster = this.#o.cluster;
    if (cluster === undefined) await this.#o.store.saveJob({ ...job, createdAt, finishedAt: null });
    else await cluster.leases.create({ ...job, createdAt, finishedAt: null }, targets, spec.verifyTimeoutMs ?? null, cluster.owner, cluster.leaseMs);
    const running = this.#runningOf(job);
    this.#running.set(job.id, running);
    this.#o.logger.info({ job: job.id, admin, action: spec.action, total: job.total, pacing }, 'CoA job started');
    running.ended = this.#run(running, targets, spec.verifyTimeoutMs ?? null);
    return view(job);
  }

  /** A job's summary: live while it runs, from the store once it has ended. */
  async get(id: string): Promise<Job> {
    const running = this.#running.get(id);
    if (running !== undefined) return view(running.job);
    const record = await this.#o.store.getJob(id);
    if (record === null) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
    return fromRecord(record);
  }

  /** Job summaries, newest first, a page at a time. */
  async list(query: JobListQuery = {}): Promise<JobPage> {
    const limit = query.limit ?? JOB_LIST_LIMIT.default;
    const records = await this.#o.store.listJobs({ state: query.state, beforeSeq: query.before, limit });
    const jobs = records.map((r) => {
      const running = this.#running.get(r.id);
      return running === undefined ? fromRecord(r) : view(running.job);
    });
    return { jobs, next: records.length === limit ? records[records.length - 1]!.seq : null };
  }

  /** A job's per-endpoint results, a page at a time, optionally of one outcome. */
  async results(id: string, query: JobResultQuery = {}): Promise<JobResultPage> {
    const limit = query.limit ?? JOB_RESULT_LIMIT.default;
    const running = this.#running.get(id);
    // What a running job has recorded so far is written first, so the page shows it.
    let elsewhere = false;
    if (running !== undefined) await this.#flush(running);
    else {
      const record = await this.#o.store.getJob(id);
      if (record === null) throw new OpenMntError('NOT_FOUND', `no CoA job ${id}`);
      // Running on another node: more follows.
      elsewhere = record.state === 'running';
    }
    const records = await this.#o.store.jobResults({ jobId: id, outcome: query.outcome, afterId: query.after, limit });
    const last = records.length > 0 ? records[records.length - 1]!.id : (query.after ?? 0);
    return { results: records.map(fromResultRecord), next: running !== undefined || elsewhere || records.length === limit ? last : null };
  }

  /** Cancels a running job (endpoints not yet started are skipped); an ended job is answered as it is. */
  async cancel(id: string): Promise<Job> {
    const running = this.#running.get(id);
    if (running === undefined) {
      // Running on another node: it cancels at its next renewal.
      if (this.#o.cluster !== undefined) await this.#o.cluster.leases.requestCancel(id);
      return this.get(id);
    }
    running.cancel = true;
    return view(running.job);
  }

  /** Resolves when the job has ended and is saved (tests, benchmarks). */
  async wait(id: string): Promise<Job> {
    await this.#running.get(id)?.ended;
    return this.get(id);
  }

  /** What memory holds: running jobs and their results not yet written (metrics, tests). */
  held(): { jobs: number; bufferedResults: number; unsavedResults: number } {
    let bufferedResults = 0;
    for (const r of this.#running.values()) bufferedResults += r.buffer.length;
    return { jobs: this.#running.size, bufferedResults, unsavedResults: this.#unsaved };
  }

  /**
   * For shutdown: running jobs start nothing more and are saved with what they have recorded, as
   * interrupted (one node) or released for another node to resume (several); CoAs already sent
   * are not waited for (their audit records still tell; a resuming node sends them again). New
   * jobs are refused from now on.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#renewTimer !== null) clearInterval(this.#renewTimer);
    if (this.#claimTimer !== null) clearInterval(this.#claimTimer);
    this.#renewTimer = this.#claimTimer = null;
    const running = [...this.#running.values()];
    for (const r of running) {
      r.halt = true;
      r.stop();
    }
    await Promise.all(running.map((r) => r.ended));
  }

  /**
   * Hands the buffered results and the job's progress (plus `final`, when it ends) to the store
   * in one write, after the job's earlier writes. Resolves with whether it was saved; a failed
   * write is logged and its results counted as unsaved, never thrown into the job.
   */
  #flush(running: RunningJob, final?: CoaJobUpdate, release = false): Promise<boolean> {
    if (running.flushTimer !== null) {
      clearTimeout(running.flushTimer);
      running.flushTimer = null;
    }
    const { job } = running;
    const results = running.buffer;
    if (results.length === 0 && final === undefined && !release) return running.writing.then(() => true);
    running.buffer = [];
    const update: CoaJobUpdate = { completed: job.completed, counts: { ...job.counts }, ...final };
    const cluster = this.#o.cluster;
    const append = async (): Promise<boolean> => {
      // Another node holds the job: what this node did since is not recorded (it resumes from the store).
      if (running.lost) return false;
      if (cluster === undefined) {
        await this.#o.store.appendJobResults(job.id, results, update);
        return true;
      }
      const held = await cluster.leases.append(cluster.owner, job.id, results, update, release);
      if (!held) this.#lose(running, 'another node holds the job now');
      return held;
    };
    const saved = running.writing.then(() =>
      append().then(
        (held) => held,
        (err: unknown) => {
          this.#unsaved += results.length;
          this.#o.logger.error({ err, job: job.id, results: results.length }, 'CoA job results could not be saved');
          return false;
        },
      ),
    );
    running.writing = saved.then(() => undefined);
    return saved;
  }

  async #run(running: RunningJob, targets: JobTarget[], verifyTimeoutMs: number | null): Promise<void> {
    const { job } = running;
    const queues = new Map<string, JobTarget[]>();
    for (const t of targets) {
      const q = queues.get(t.nasIp);
      if (q) q.push(t);
      else queues.set(t.nasIp, [t]);
    }
    // The queues are the pending work from here on; the list is not kept beside them.
    targets = [];
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
      job.counts[result.outcome]++;
      job.completed++;
      running.buffer.push(toResultRecord(result));
      if (running.buffer.length >= FLUSH_SIZE) void this.#flush(running);
      else running.flushTimer ??= setTimeout(() => void this.#flush(running), FLUSH_AFTER_MS);
    };

    await new Promise<void>((resolve) => {
      running.stop = resolve;
      let timer: NodeJS.Timeout | null = null;
      const pump = () => {
        timer = null;
        if (running.halt) return;
        const now = performance.now();
        let wakeAt = Number.POSITIVE_INFINITY;
        if (running.cancel) {
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
              if (running.halt) return;
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

    if (running.lost) {
      // Another node goes on with it; its summary is the store's from now on.
      if (running.flushTimer !== null) clearTimeout(running.flushTimer);
      this.#running.delete(job.id);
      return;
    }
    if (running.halt && job.completed < job.total && this.#o.cluster !== undefined) {
      // The node stops: what is recorded is written and the lease released, so another node resumes.
      const released = await this.#flush(running, undefined, true);
      this.#running.delete(job.id);
      this.#o.logger.info({ job: job.id, completed: job.completed, total: job.total, released }, 'CoA job released for another node to resume');
      return;
    }
    const finishedAt = Date.now();
    job.state = running.halt && job.completed < job.total ? 'interrupted' : running.cancel ? 'cancelled' : 'done';
    job.finishedAt = new Date(finishedAt).toISOString();
    job.durationMs = Math.round(performance.now() - running.started);
    const saved = await this.#flush(running, { state: job.state, finishedAt, durationMs: job.durationMs });
    // Once saved, the store answers for the job; unsaved, memory keeps its summary (not its
    // results) so that it is not reported running for ever.
    if (saved || running.lost) this.#running.delete(job.id);
    this.#o.logger.info({ job: job.id, state: job.state, counts: job.counts, durationMs: job.durationMs, saved }, 'CoA job ended');
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
