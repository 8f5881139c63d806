/**
 * The contract between the CoA engine and its callers (the MnT API, bulk jobs, the CLI through the
 * API). The MnT API codes against `CoaService` only; `src/coa/` implements it.
 */

/** ISE's Reauth type segment: 0 default, 1 last, 2 rerun. */
export type ReauthType = 'default' | 'last' | 'rerun';
/** ISE's Disconnect port option: 0 plain Disconnect-Request, 1 bounce the port, 2 shut the port. */
export type DisconnectType = 'default' | 'bounce' | 'shutdown';

export type CoaAction =
  | { action: 'reauth'; type: ReauthType }
  | { action: 'disconnect'; type: DisconnectType };

export interface CoaTarget {
  /** Normalised `AA:BB:CC:DD:EE:FF`. */
  mac: string;
  /** When absent, taken from the endpoint's latest active session. */
  nasIp?: string | null;
  endpointIp?: string | null;
}

export interface CoaRequest {
  target: CoaTarget;
  action: CoaAction;
  /** Who asked: admin name (audit). */
  admin: string;
  /** Where it came from (audit): an MnT call, a bulk job, ... */
  origin: 'mnt-api' | 'job' | 'api';
  jobId?: string | null;
  /** Optional: wait for the endpoint's new authentication or interim update, up to this long. */
  verifyTimeoutMs?: number | null;
}

/** What the NAS did: acknowledged, refused, or never answered within the retransmit budget. */
export type CoaOutcome = 'ack' | 'nak' | 'timeout';

/** What an operator looks at before and after a reauthentication. */
export interface SessionSnapshot {
  state: string;
  vlan: string | null;
  authorizationProfile: string | null;
  authenticatedAt: string | null;
  lastAccountingAt: string | null;
}

/** The cookbook's "CoA with verification", done by the server: did the endpoint come back? */
export interface CoaVerification {
  /** True when a new authentication or accounting update arrived within the wait. */
  verified: boolean;
  waitedMs: number;
  before: SessionSnapshot | null;
  after: SessionSnapshot | null;
}

export interface CoaResult {
  outcome: CoaOutcome;
  action: CoaAction;
  mac: string;
  nasIp: string;
  nasPort: number;
  sessionId: number | null;
  auditSessionId: string | null;
  /** RFC 5176 Error-Cause of a NAK (or an ACK that carries one), number and words. */
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  /** From first send to the reply; null on timeout. */
  rttMs: number | null;
  /** Audit record id. */
  auditId: number | null;
  /** Present when verification was asked for and the NAS acknowledged. */
  verification?: CoaVerification;
}

export interface CoaService {
  /**
   * Sends one CoA and resolves with what the NAS answered. Rejects with OpenMntError
   * `SESSION_NOT_FOUND` when the endpoint has no active session and no NAS was given,
   * `COA_NO_NAS` when the session has no NAS on record, `COA_NAS_UNKNOWN` when the NAS is
   * not a configured client.
   */
  send(request: CoaRequest): Promise<CoaResult>;
}
