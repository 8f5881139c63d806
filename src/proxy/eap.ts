/**
 * What the proxy can tell of an EAP conversation it relays without taking part: the method (the
 * EAP Type of the requests and responses, RFC 3748 §5), and the outer identity (EAP-Response /
 * Identity). The conversation is followed from one round to the next by the State the home server
 * puts in each Access-Challenge (RFC 2865 §5.24), which the NAS returns in its next request.
 */

/** EAP method types (IANA "EAP Method Types") by number, as ISE names them in AuthStatus. */
export const EAP_METHODS: Readonly<Record<number, string>> = {
  4: 'EAP-MD5',
  6: 'EAP-GTC',
  13: 'EAP-TLS',
  17: 'LEAP',
  21: 'EAP-TTLS',
  25: 'PEAP',
  26: 'EAP-MSCHAPv2',
  43: 'EAP-FAST',
  55: 'TEAP',
};

const IDENTITY = 1;
const NAK = 3;
const REQUEST = 1;
const RESPONSE = 2;

/** The EAP packet in an Access-Request or Access-Challenge: its EAP-Message attributes joined. */
export function eapOf(eapMessages: readonly Buffer[]): { code: number; type: number | null; data: Buffer } | null {
  if (eapMessages.length === 0) return null;
  const eap = eapMessages.length === 1 ? eapMessages[0]! : Buffer.concat(eapMessages);
  if (eap.length < 4) return null;
  const code = eap[0]!;
  const type = (code === REQUEST || code === RESPONSE) && eap.length >= 5 ? eap[4]! : null;
  return { code, type, data: eap.subarray(5) };
}

export interface Conversation {
  /** The method type agreed on so far (the last one that is neither Identity nor Nak). */
  method: number | null;
  outerIdentity: string | null;
  startedAt: number;
}

/** Notes what one EAP packet of the conversation says. */
export function follow(conversation: Conversation, eap: ReturnType<typeof eapOf>): void {
  if (eap === null || eap.type === null) return;
  if (eap.type === IDENTITY) {
    if (eap.code === RESPONSE && conversation.outerIdentity === null) conversation.outerIdentity = eap.data.toString('utf8');
    return;
  }
  if (eap.type !== NAK) conversation.method = eap.type;
}

export function methodName(type: number | null): string {
  if (type === null) return 'EAP';
  return EAP_METHODS[type] ?? `EAP type ${type}`;
}

/**
 * Conversations by the State of their last challenge, forgotten after `ttlMs` (a supplicant that
 * stops answering) and bounded in number, so a flood of half-finished exchanges cannot grow it.
 */
export class Conversations {
  readonly #byState = new Map<string, Conversation & { at: number }>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(ttlMs = 60_000, max = 100_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  /** The conversation a request continues (and forgets that State: each is used once), or a new one. */
  take(state: Buffer | undefined, now: number): Conversation {
    if (state !== undefined) {
      const key = state.toString('hex');
      const found = this.#byState.get(key);
      if (found !== undefined) {
        this.#byState.delete(key);
        if (now - found.at <= this.#ttlMs) return found;
      }
    }
    return { method: null, outerIdentity: null, startedAt: now };
  }

  /** Keeps the conversation under the State of the challenge that continues it. */
  keep(state: Buffer, conversation: Conversation, now: number): void {
    if (this.#byState.size >= this.#max) {
      // The oldest first: Map keeps insertion order.
      for (const [key, c] of this.#byState) {
        if (this.#byState.size < this.#max && now - c.at <= this.#ttlMs) break;
        this.#byState.delete(key);
      }
    }
    this.#byState.set(state.toString('hex'), { ...conversation, at: now });
  }

  get size(): number {
    return this.#byState.size;
  }
}
