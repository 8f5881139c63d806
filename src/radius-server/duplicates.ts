/**
 * RFC 5080 §2.2.2 duplicate detection: a request with the same source address, source port,
 * Identifier and Request Authenticator as one seen within the window is a retransmission. If we
 * have already answered it we send the same answer again; if we are still working on it we stay
 * silent. Either way it is never processed twice.
 */
export type DuplicateVerdict =
  | { kind: 'new' }
  | { kind: 'in-progress' }
  | { kind: 'answered'; reply: Buffer };

interface Entry {
  authenticator: Buffer;
  reply: Buffer | null;
  expires: number;
}

export class DuplicateCache {
  readonly #windowMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Looks the request up and, when it is new, remembers it as in progress. */
  check(key: string, authenticator: Buffer, now: number): DuplicateVerdict {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expires > now && entry.authenticator.equals(authenticator)) {
      return entry.reply === null ? { kind: 'in-progress' } : { kind: 'answered', reply: entry.reply };
    }
    if (entry !== undefined) this.#entries.delete(key);
    // Re-inserting keeps the map in expiry order, so sweeping can stop at the first live entry.
    this.#entries.set(key, { authenticator: Buffer.from(authenticator), reply: null, expires: now + this.#windowMs });
    return { kind: 'new' };
  }

  answered(key: string, authenticator: Buffer, reply: Buffer): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.authenticator.equals(authenticator)) entry.reply = reply;
  }

  /** Forgets a request that produced no answer, so the NAS's retransmission is processed. */
  forget(key: string, authenticator: Buffer): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.authenticator.equals(authenticator)) this.#entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expires > now) break;
      this.#entries.delete(key);
    }
  }
}
