/** The messages between the main thread and the RADIUS thread (host.ts ↔ thread.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { ErrorCode } from '../errors.js';
import type { IngestReload } from './ingest.js';
import type { PolicySnapshot } from '../policy/model.js';

/** What the thread starts with. `writer` is its own port to the store's writing thread. */
export interface RadiusThreadData {
  config: Config;
  writer: MessagePort;
  /** The main logger's level at start (it may differ from the file's, e.g. in tests). */
  level: string;
  /** The runtime policy to start with (plain data); absent: the file's `auth` and clients. */
  policy?: PolicySnapshot;
}

export type HostCall =
  | { id: number; op: 'start' }
  | { id: number; op: 'snapshot'; resetDelay: boolean }
  | { id: number; op: 'reload'; reload: IngestReload }
  /** A committed policy change: compiled here, in force from the next packet. */
  | { id: number; op: 'policy'; snapshot: PolicySnapshot }
  | { id: number; op: 'close' };

export type ThreadMessage =
  | { id: number; result: unknown }
  | { id: number; error: { code: ErrorCode; message: string } }
  /** One log line, written as is to the main logger's destination. */
  | { log: string };
