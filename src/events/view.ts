/** A session event as our stream and webhooks show it: the session with ISO 8601 times. */
import type { Session, SessionEvent } from '../store/index.js';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function sessionView(s: Session): Record<string, unknown> {
  return { ...s, startedAt: iso(s.startedAt), updatedAt: iso(s.updatedAt), closedAt: iso(s.closedAt), authAt: iso(s.authAt), acctAt: iso(s.acctAt) };
}

export function eventView(e: SessionEvent): Record<string, unknown> {
  return { id: e.id, type: e.type, at: iso(e.at), session: sessionView(e.session) };
}

const sseText = new WeakMap<SessionEvent, string>();

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
