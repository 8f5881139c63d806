/**
 * Scheduling priorities between the node's threads. When the cores are busy, the RADIUS thread and
 * the store's writing thread (whose commits RADIUS answers wait for) must run first: a NAS
 * retransmits after a few seconds and fails over after a few more, while an API client or a
 * reading thread can wait. Linux applies a priority set on a thread id to that thread alone, so
 * the threads that can wait lower their own (nice); elsewhere, or where not allowed, nothing changes.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice of the main thread (the API, CoA and jobs, and the fan-out of session events to their consumers). */
export const API_NICE = 5;
/** Nice of the store's reading thread (API reads and bulk-job selections) and of SQLite's checkpointing thread. */
export const READER_NICE = 10;

/** Lowers the calling thread's priority to `nice` (never raises it). Returns whether it did. */
export function lowerThisThread(nice: number): boolean {
  try {
    const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(thread) || thread <= 0) return false;
    if (getPriority(thread) >= nice) return false;
    setPriority(thread, nice);
    return true;
  } catch {
    // Not Linux (no /proc/thread-self) or not allowed: the thread keeps its priority.
    return false;
  }
}
