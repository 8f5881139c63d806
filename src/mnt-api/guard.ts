/**
 * Slows down and then locks out a source address that keeps failing to log in. Memory is bounded:
 * at most `maxSources` addresses are tracked, the oldest forgotten first.
 */
export interface LoginGuardOptions {
  slowAfter: number;
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
  now?: () => number;
  maxSources?: number;
}

interface Track {
  failures: number[];
  lockedUntil: number;
}

export class LoginGuard {
  readonly #o: Required<LoginGuardOptions>;
  readonly #sources = new Map<string, Track>();

  constructor(options: LoginGuardOptions) {
    this.#o = { now: Date.now, maxSources: 100_000, ...options };
  }

  check(source: string): { allowed: true; delayMs: number } | { allowed: false; retryAfterSeconds: number } {
    const track = this.#sources.get(source);
    if (track === undefined) return { allowed: true, delayMs: 0 };
    const now = this.#o.now();
    if (track.lockedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((track.lockedUntil - now) / 1000) };
    const recent = this.#recent(track, now);
    const over = recent - this.#o.slowAfter;
    // Each failure past the threshold doubles the wait, from a quarter second up to 4 s.
    return { allowed: true, delayMs: over < 0 ? 0 : Math.min(4000, 250 * 2 ** over) };
  }

  recordFailure(source: string): void {
    const now = this.#o.now();
    let track = this.#sources.get(source);
    if (track === undefined) {
      if (this.#sources.size >= this.#o.maxSources) this.#sources.delete(this.#sources.keys().next().value!);
      track = { failures: [], lockedUntil: 0 };
      this.#sources.set(source, track);
    }
    track.failures.push(now);
    if (this.#recent(track, now) >= this.#o.maxFailures) {
      track.lockedUntil = now + this.#o.lockSeconds * 1000;
      track.failures = [];
    }
  }

  recordSuccess(source: string): void {
    const track = this.#sources.get(source);
    if (track !== undefined && track.lockedUntil <= this.#o.now()) this.#sources.delete(source);
  }

  #recent(track: Track, now: number): number {
    const since = now - this.#o.windowSeconds * 1000;
    track.failures = track.failures.filter((t) => t > since);
    return track.failures.length;
  }
}
