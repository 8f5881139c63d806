/** A session event as our stream and webhooks show it: the session with ISO 8601 times. */
import type { Session, SessionEvent } from '../store/index.js';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** The session's fields that have a value (most of a session's sixty are empty: leaving them out halves each event). */
export function sessionView(s: Session): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s)) if (value !== null && value !== undefined) out[key] = value;
  for (const key of ['startedAt', 'updatedAt', 'closedAt', 'authAt', 'acctAt'] as const) if (s[key] !== null && s[key] !== undefined) out[key] = iso(s[key]);
  return out;
}

export function eventView(e: SessionEvent): Record<string, unknown> {
  return { id: e.id, type: e.type, at: iso(e.at), session: sessionView(e.session) };
}

const sseText = new WeakMap<SessionEvent, string>();
const sseBatches = new WeakMap<readonly SessionEvent[], Buffer>();

/**
 * A whole committed batch as SSE bytes, built once for every stream that takes all of it (no
 * filter, nothing of it sent yet): fifty streams then share one buffer instead of each encoding
 * its own copy.
 */
export function sseBatch(events: readonly SessionEvent[]): Buffer {
  let bytes = sseBatches.get(events);
  if (bytes === undefined) {
    bytes = Buffer.from(events.map(sseMessage).join(''), 'utf8');
    sseBatches.set(events, bytes);
  }
  return bytes;
}

/**
 * The event as one SSE message (`id`, `event: session.<type>`, `data`). Serialised once per event,
 * however many streams send it.
 */
export function sseMessage(e: SessionEvent): string {
  let text = sseText.get(e);
  if (text === undefined) {
    text = `id: ${e.id}\nevent: session.${e.type}\ndata: ${JSON.stringify(eventView(e))}\n\n`;
    sseText.set(e, text);
  }
  return text;
}
