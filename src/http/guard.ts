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
 */
export interface LoginGuardOptions {
  slowAfter: number;
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
  now?: () => number;
  maxSources?: number;
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
}

interface AccountTrack {
  failures: Failure[];
  inFlight: number;
}

const MAX_DELAY_MS = 4000;

export class LoginGuard {
  #o: Required<LoginGuardOptions>;
  readonly #sources = new Map<string, SourceTrack>();
  readonly #accounts = new Map<string, AccountTrack>();

  constructor(options: LoginGuardOptions) {
    this.#o = { now: Date.now, maxSources: 100_000, ...options };
  }

  /** New limits (a configuration reload); failures already on record keep counting. */
  configure(options: Omit<LoginGuardOptions, 'now' | 'maxSources'>): void {
    this.#o = { ...this.#o, ...options };
  }

  /** What a new attempt from `source` would meet, without recording one. */
  check(source: string): Verdict {
    const track = this.#sources.get(source);
    if (track === undefined) return { allowed: true, delayMs: 0 };
    const now = this.#o.now();
    if (track.lockedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((track.lockedUntil - now) / 1000) };
    return { allowed: true, delayMs: this.#delay(this.#recent(track.failures, now) + track.inFlight) };
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
    const pending = this.#recent(track.failures, now) + track.inFlight;
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
        },
        failed: () => {
          if (!settle()) return;
          const at = this.#o.now();
          track.failures.push({ at, account: name });
          accountTrack?.failures.push({ at, account: name });
          if (this.#recent(track.failures, at) >= this.#o.maxFailures) {
            track.lockedUntil = at + this.#o.lockSeconds * 1000;
            track.failures = [];
          }
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
    if (track.failures.length === 0 && track.inFlight === 0 && track.lockedUntil <= this.#o.now()) this.#sources.delete(source);
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
      track = { failures: [], inFlight: 0, lockedUntil: 0 };
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
