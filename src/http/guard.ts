/**
 * Slows down and then locks out a source address that keeps failing to log in.
 *
 * Every attempt is counted from the moment it starts (`begin`), not when its password check ends:
 * otherwise a burst of parallel guesses is all checked before the first failure is on record.
 * An attempt in flight counts as a failure until it is settled.
 *
 * Failures are kept per source address and tagged with the account name they tried. A successful
 * login proves only that this source knows that one account's password, so it clears that
 * source's failures against that account and nothing else: a holder of a read-only account cannot
 * wash away its guesses at a Super Admin by logging in between them.
 *
 * Each existing account also has a count of its failures from every source, which slows down
 * guessing spread over many addresses (it delays, it does not lock: a lock of the account itself
 * would let anyone on the network lock the operators out).
 *
 * Memory is bounded: at most `maxSources` addresses are tracked, the oldest forgotten first;
 * accounts are tracked only when the name exists, so guessed names cost nothing.
 *
 * Several nodes on one database (`shared`): each failure is also recorded there, and before a
 * password is checked (`refresh`) the node adds the source's failures other nodes recorded within
 * the window, and takes up a lock-out another node decided; a lock-out decided here is recorded
 * for the others. So failures spread over the nodes lock the source out on all of them. The
 * per-account slowdown stays each node's own. Calls a node lets in on credentials it verified
 * moments ago read the shared state at most once a second per source (an API client making
 * thousands of calls a second costs one read a second), every time for a source with failures on
 * record here. While the database does not answer, each node counts alone.
 */
import type { LoginFailures } from '../store/index.js';

export interface LoginGuardOptions {
  slowAfter: number;
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
  now?: () => number;
  maxSources?: number;
  /** Several nodes: failures and lock-outs counted across them (see above). */
  shared?: { failures: LoginFailures; node: string };
}

export type Verdict = { allowed: true; delayMs: number } | { allowed: false; retryAfterSeconds: number };

/** An attempt on record: settle it once, with the outcome of the password check. */
export interface LoginAttempt {
  readonly delayMs: number;
  succeeded(): void;
  failed(): void;
}

interface Failure {
  at: number;
  account: string;
}

interface SourceTrack {
  failures: Failure[];
  inFlight: number;
  lockedUntil: number;
  /** Failures other nodes recorded within the window, as of the last refresh. */
  others: number;
}

interface AccountTrack {
  failures: Failure[];
  inFlight: number;
}

const MAX_DELAY_MS = 4000;
/** The longest a sign-in waits for the shared count before going on with the node's own. */
const SHARED_WAIT_MS = 2000;

export class LoginGuard {
  #o: Required<Omit<LoginGuardOptions, 'shared'>> & Pick<LoginGuardOptions, 'shared'>;
  readonly #sources = new Map<string, SourceTrack>();
  readonly #accounts = new Map<string, AccountTrack>();
  /** Several nodes: when each source was last refreshed (oldest first), for callers that accept an age. */
  readonly #refreshed = new Map<string, number>();

  constructor(options: LoginGuardOptions) {
    this.#o = { now: Date.now, maxSources: 100_000, ...options };
  }

  /** New limits (a configuration reload); failures already on record keep counting. */
  configure(options: Omit<LoginGuardOptions, 'now' | 'maxSources' | 'shared'>): void {
    this.#o = { ...this.#o, ...options };
  }

  /**
   * Several nodes: takes up what the others recorded of `source` (their failures within the
   * window, a lock-out) before an attempt is begun. Nothing to do with one node.
   */
  async refresh(source: string, maxAgeMs = 0): Promise<void> {
    const shared = this.#o.shared;
    if (shared === undefined) return;
    const now = this.#o.now();
    const last = this.#refreshed.get(source);
    // A source with failures on record here is read every time: a lock-out decided elsewhere
    // since must hold here at once. Only a source this node has nothing against may wait.
    const suspect = this.#sources.get(source);
    const quiet = suspect === undefined || (suspect.failures.length === 0 && suspect.others === 0);
    if (quiet && last !== undefined && now - last < maxAgeMs) return;
    this.#refreshed.delete(source);
    if (this.#refreshed.size >= this.#o.maxSources) this.#refreshed.delete(this.#refreshed.keys().next().value!);
    this.#refreshed.set(source, now);
    const state = await this.#shared(shared.failures.state(source, shared.node, this.#o.windowSeconds * 1000));
    if (state === null) return;
    if (state.others === 0 && state.lockedForMs === 0) {
      const known = this.#sources.get(source);
      if (known !== undefined) known.others = 0;
      return;
    }
    const track = this.#source(source);
    track.others = state.others;
    if (state.lockedForMs > 0) track.lockedUntil = Math.max(track.lockedUntil, this.#o.now() + state.lockedForMs);
  }

  /** A shared call, bounded in time; null when it failed or took too long (the node then counts alone). */
  async #shared<T>(call: Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), SHARED_WAIT_MS)));
    try {
      return await Promise.race([call.catch(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #lock(source: string, track: SourceTrack, at: number): void {
    track.lockedUntil = at + this.#o.lockSeconds * 1000;
    track.failures = [];
    track.others = 0;
    const shared = this.#o.shared;
    if (shared !== undefined) void this.#shared(shared.failures.lock(source, this.#o.lockSeconds * 1000));
  }

  /** What a new attempt from `source` would meet, without recording one. */
  check(source: string): Verdict {
    const track = this.#sources.get(source);
    if (track === undefined) return { allowed: true, delayMs: 0 };
    const now = this.#o.now();
    if (track.lockedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((track.lockedUntil - now) / 1000) };
    return { allowed: true, delayMs: this.#delay(this.#recent(track.failures, now) + track.others + track.inFlight) };
  }

  /**
   * Records the start of an attempt from `source` at `account` (null when the name is not an
   * account), or refuses it: when the source is locked, or when the attempts already in flight
   * would take it to the lock-out limit.
   */
  begin(source: string, account: string | null): { allowed: true; attempt: LoginAttempt } | { allowed: false; retryAfterSeconds: number } {
    const now = this.#o.now();
    const track = this.#source(source);
    if (track.lockedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((track.lockedUntil - now) / 1000) };
    const pending = this.#recent(track.failures, now) + track.others + track.inFlight;
    if (pending >= this.#o.maxFailures) {
      // Enough guesses are already on their way to lock this source: refuse the rest of the burst.
      return { allowed: false, retryAfterSeconds: this.#o.lockSeconds };
    }
    const accountTrack = account === null ? null : this.#account(account);
    const accountPending = accountTrack === null ? 0 : this.#recent(accountTrack.failures, now) + accountTrack.inFlight;
    track.inFlight++;
    if (accountTrack !== null) accountTrack.inFlight++;
    const delayMs = Math.max(this.#delay(pending), this.#delay(accountPending));
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      track.inFlight--;
      if (accountTrack !== null) accountTrack.inFlight--;
      return true;
    };
    const name = account ?? '';
    return {
      allowed: true,
      attempt: {
        delayMs,
        succeeded: () => {
          if (!settle()) return;
          this.#forgetFailures(source, track, name);
          const shared = this.#o.shared;
          if (shared !== undefined) void this.#shared(shared.failures.forget(source, name));
        },
        failed: () => {
          if (!settle()) return;
          const at = this.#o.now();
          track.failures.push({ at, account: name });
          accountTrack?.failures.push({ at, account: name });
          if (this.#recent(track.failures, at) + track.others >= this.#o.maxFailures) {
            this.#lock(source, track, at);
            return;
          }
          const shared = this.#o.shared;
          if (shared === undefined) return;
          // On record for the other nodes; their count, as of now, comes back with it.
          void this.#shared(shared.failures.failed(source, name, shared.node, this.#o.windowSeconds * 1000)).then((others) => {
            if (others === null || track.lockedUntil > this.#o.now()) return;
            track.others = others;
            if (this.#recent(track.failures, this.#o.now()) + others >= this.#o.maxFailures) this.#lock(source, track, this.#o.now());
          });
        },
      },
    };
  }

  /**
   * A login whose password was proven moments ago (remembered, so no attempt was begun): it clears
   * that source's failures against that account, as a checked success does.
   */
  proven(source: string, account: string): void {
    const track = this.#sources.get(source);
    if (track !== undefined) this.#forgetFailures(source, track, account);
  }

  #forgetFailures(source: string, track: SourceTrack, account: string): void {
    track.failures = track.failures.filter((f) => f.account !== account);
    if (track.failures.length === 0 && track.others === 0 && track.inFlight === 0 && track.lockedUntil <= this.#o.now()) this.#sources.delete(source);
  }

  #delay(failures: number): number {
    const over = failures - this.#o.slowAfter;
    // Each failure past the threshold doubles the wait, from a quarter second up to 4 s.
    return over < 0 ? 0 : Math.min(MAX_DELAY_MS, 250 * 2 ** over);
  }

  #source(source: string): SourceTrack {
    let track = this.#sources.get(source);
    if (track === undefined) {
      if (this.#sources.size >= this.#o.maxSources) this.#evictOne();
      track = { failures: [], inFlight: 0, lockedUntil: 0, others: 0 };
      this.#sources.set(source, track);
    }
    return track;
  }

  /** Forgets the oldest source that has nothing in flight (an attempt in flight keeps its entry). */
  #evictOne(): void {
    for (const [key, track] of this.#sources) {
      if (track.inFlight === 0) {
        this.#sources.delete(key);
        return;
      }
    }
  }

  #account(name: string): AccountTrack {
    let track = this.#accounts.get(name);
    if (track === undefined) {
      track = { failures: [], inFlight: 0 };
      this.#accounts.set(name, track);
    }
    return track;
  }

  /** Forgets the failures that left the window (they are in time order) and counts the rest. */
  #recent(failures: Failure[], now: number): number {
    const since = now - this.#o.windowSeconds * 1000;
    while (failures.length > 0 && failures[0]!.at <= since) failures.shift();
    return failures.length;
  }
}
