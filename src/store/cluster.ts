/**
 * What several nodes on one database share beyond the Store contract: state that one process
 * kept for itself until the nodes became several. Only an engine that several nodes can share
 * (PostgreSQL) offers it; with SQLite there is one node and each part keeps today's local state.
 *
 * Leases are timed by the database's clock, never a node's: nodes whose clocks disagree still
 * agree on whether a lease has expired.
 */
import type { CoaJobRecord, CoaJobUpdate, NewCoaJob, NewCoaJobResult } from './types.js';

/** An endpoint a bulk job acts on, as selected when the job started. */
export interface LeasedJobTarget {
  mac: string;
  nasIp: string;
}

/** A running job this node has just taken over, and what it needs to go on. */
export interface ClaimedJob {
  record: CoaJobRecord;
  verifyTimeoutMs: number | null;
  /** An admin asked (on any node) to cancel it. */
  cancelRequested: boolean;
  /** The node that held it before (its lease expired or was released). */
  previousOwner: string | null;
}

/**
 * Bulk CoA jobs owned by one node at a time: the owner renews a lease; a job whose lease expired
 * is taken over by another node and resumed from the targets that have no result yet.
 */
export interface JobLeases {
  /** Saves a new job, leased to `owner` for `leaseMs`, with the targets it selected (one transaction). */
  create(job: NewCoaJob, targets: readonly LeasedJobTarget[], verifyTimeoutMs: number | null, owner: string, leaseMs: number): Promise<void>;

  /**
   * Extends the leases `owner` holds on `ids`. Answers the ids still held (a job missing was taken
   * over by another node: its owner must stop it) and, of those, the ones an admin asked to cancel.
   */
  renew(owner: string, ids: readonly string[], leaseMs: number): Promise<{ held: string[]; cancelRequested: string[] }>;

  /**
   * Appends results and progress, only while `owner` still holds the job; false (nothing written)
   * once it does not. An update that ends the job (a state other than `running`) gives the lease
   * up and forgets the targets; `release` gives it up for another node to resume at once.
   */
  append(owner: string, id: string, results: readonly NewCoaJobResult[], update: CoaJobUpdate, release?: boolean): Promise<boolean>;

  /**
   * Takes over one running job whose lease expired at most `resumeWithinMs` ago, for `leaseMs`;
   * running jobs whose lease expired longer ago than that are marked `interrupted` instead (a
   * reauth replayed long after, unasked, is worse than none). Concurrent callers never take the
   * same job.
   */
  claimExpired(owner: string, leaseMs: number, resumeWithinMs: number): Promise<{ claimed: ClaimedJob | null; interrupted: number }>;

  /** A job's targets that have no result recorded, in their selection order. */
  pending(id: string): Promise<LeasedJobTarget[]>;

  /** Asks the owner of a running job to cancel it (seen at its next renewal). False: not running. */
  requestCancel(id: string): Promise<boolean>;

  /** Marks running jobs that no node owns (saved before leases existed) interrupted; returns how many. */
  interruptUnowned(at: number): Promise<number>;
}

/** A webhook message as the outbox keeps it until it is delivered or given up. */
export interface OutboxMessage {
  id: number;
  /** The `webhook-id` receivers see: the same on every attempt, whichever node makes it. */
  messageId: string;
  /** Which configured receiver it is for (see coa/webhooks.ts receiverKey). */
  receiver: string;
  url: string;
  type: string;
  body: string;
  /** Attempts made, this one included. */
  attempts: number;
}

export type NewOutboxMessage = Omit<OutboxMessage, 'id' | 'attempts'>;

/**
 * Webhook messages of all the nodes, each attempted by one node at a time: an attempt holds a
 * lease on its message; a message whose attempt failed waits for its next time and is then taken
 * by whichever node looks first; a message whose node died is taken once the lease runs out.
 */
export interface WebhookOutbox {
  /** Keeps new messages, their first attempt leased to `owner` at once; answers their ids in order. */
  add(owner: string, leaseMs: number, messages: readonly NewOutboxMessage[]): Promise<number[]>;

  /** Leases up to `limit` messages for `receivers` that are due and not under an attempt; counts the attempt. */
  claim(owner: string, receivers: readonly string[], limit: number, leaseMs: number): Promise<OutboxMessage[]>;

  /** Delivered, failed for good, or its receiver is gone: the message leaves the outbox. */
  remove(owner: string, id: number): Promise<void>;

  /** The attempt failed: the message is due again in `delayMs`, for any node. */
  retryLater(owner: string, id: number, delayMs: number): Promise<void>;

  /** Messages kept for `receivers` (tests, drain). */
  count(receivers: readonly string[]): Promise<number>;
}

/**
 * Failed sign-ins per source address, counted across the nodes (http/guard.ts keeps its own
 * count of a node's attempts and adds the others' from here). Times are the database's clock.
 */
export interface LoginFailures {
  /** The failures of `source` other nodes recorded within `windowMs`, and how long it stays locked out (0: not). */
  state(source: string, node: string, windowMs: number): Promise<{ others: number; lockedForMs: number }>;

  /** Records a failure of `node`; answers the failures other nodes recorded within `windowMs`. */
  failed(source: string, account: string, node: string, windowMs: number): Promise<number>;

  /** Locks `source` out for `lockMs` on every node (a longer lock already on record stays); its failures are cleared. */
  lock(source: string, lockMs: number): Promise<void>;

  /** A sign-in succeeded: the source's failures against that account are forgotten, on every node. */
  forget(source: string, account: string): Promise<void>;
}

/** Word of a policy change committed by any node. */
export interface PolicyChanges {
  /**
   * Calls `listener` after each committed policy change (of any node, this one included), and
   * once more whenever the listening connection is made again (a change may have been missed
   * meanwhile). Resolves, once listening, with what stops it.
   */
  listen(listener: () => void): Promise<() => Promise<void>>;
}

/** State the nodes of a cluster share through their database. */
export interface ClusterStore {
  readonly jobLeases: JobLeases;
  readonly webhookOutbox: WebhookOutbox;
  readonly loginFailures: LoginFailures;
  readonly policyChanges: PolicyChanges;
}
