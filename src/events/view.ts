/** A session event as our stream and webhooks show it: the session with ISO 8601 times. */
import type { Session, SessionEvent } from '../store/index.js';
import { ByteSink, StringSink, type TextSink } from '../text-sink.js';

/** The session's times (epoch ms in the store), shown as ISO 8601 text. */
const TIME_FIELDS = ['startedAt', 'updatedAt', 'closedAt', 'authAt', 'acctAt'] as const;

/**
 * `Date.prototype.toISOString` for a whole number of ms in years 1970–9999, in arithmetic: V8
 * formats each call through snprintf, and a stream shows up to six times per event, so on the
 * thread that answers RADIUS that came to a tenth of what every event cost. Days to a civil date
 * as in H. Hinnant's days_from_civil inverse; anything else goes to toISOString.
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : isoTime(ms));

/** The session's fields that have a value (most of a session's sixty are empty: leaving them out halves each event). */
export function sessionView(s: Session): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s)) if (value !== null && value !== undefined) out[key] = value;
  for (const key of TIME_FIELDS) if (s[key] !== null && s[key] !== undefined) out[key] = iso(s[key]);
  return out;
}

export function eventView(e: SessionEvent): Record<string, unknown> {
  return { id: e.id, type: e.type, at: iso(e.at), session: sessionView(e.session) };
}

/** The session fields the store keeps as epoch ms and the views show as ISO 8601. */
const TIME_NAMES: ReadonlySet<string> = new Set(TIME_FIELDS);
const [MINUS, DIGIT_0, DIGIT_9, COMMA, OPEN_BRACE, CLOSE_BRACE] = ['-', '0', '9', ',', '{', '}'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number];

/**
 * `sessionView` as JSON text into `sink`, from the store's JSON of the session when the event
 * carries it (empty fields already left out there): only the times change, so the text is copied
 * with each time member's number replaced by its ISO text, instead of parsed into an object,
 * copied into another and serialised again.
 *
 * The store's text is compact (SQLite's json_object: no white space). A time member is a name
 * ending in `At":` after `{` or `,`, then a whole number ending at `,` or `}`. One search for
 * `At":` walks the text once (a search per name cost five walks, 1.3 µs an event); inside a JSON
 * string every quote is escaped, so a value cannot hold an unescaped `At":`.
 */
export function writeSessionView(sink: TextSink, e: SessionEvent): void {
  const json = e.sessionJson;
  if (json === undefined) {
    sink.text(JSON.stringify(sessionView(e.session)));
    return;
  }
  let copied = 0;
  for (let at = json.indexOf('At":'); at >= 0; at = json.indexOf('At":', at + 4)) {
    const digits = at + 4;
    const nameStart = json.lastIndexOf('"', at) + 1;
    const before = json.charCodeAt(nameStart - 2);
    let end = json.charCodeAt(digits) === MINUS ? digits + 1 : digits;
    while (end < json.length && json.charCodeAt(end) >= DIGIT_0 && json.charCodeAt(end) <= DIGIT_9) end++;
    const after = json.charCodeAt(end);
    if ((before !== COMMA && before !== OPEN_BRACE) || (after !== COMMA && after !== CLOSE_BRACE) || end === digits) continue;
    if (!TIME_NAMES.has(json.slice(nameStart, at + 2))) continue;
    sink.text(json.slice(copied, digits));
    sink.text(`"${isoTime(Number(json.slice(digits, end)))}"`);
    copied = end;
  }
  sink.text(copied === 0 ? json : json.slice(copied));
}

export function sessionViewJson(e: SessionEvent): string {
  const sink = new StringSink();
  writeSessionView(sink, e);
  return sink.value;
}

const sseText = new WeakMap<SessionEvent, string>();
const sseBatches = new WeakMap<readonly SessionEvent[], Buffer>();
/** Reused for every batch: a batch is written and taken in one synchronous call. */
const batchSink = new ByteSink();

/**
 * A whole committed batch as SSE bytes, built once for every stream that takes all of it (no
 * filter, nothing of it sent yet): fifty streams then share one buffer instead of each encoding
 * its own copy.
 */
export function sseBatch(events: readonly SessionEvent[]): Buffer {
  let bytes = sseBatches.get(events);
  if (bytes === undefined) {
    // Each event's text is made here rather than through sseMessage: keeping it for filtered
    // streams (a WeakMap entry per event) cost more than making it again for the few that ask.
    for (const e of events) {
      const text = sseText.get(e);
      if (text === undefined) writeSseMessage(batchSink, e);
      else batchSink.text(text);
    }
    bytes = batchSink.take();
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
    const sink = new StringSink();
    writeSseMessage(sink, e);
    text = sink.value;
    sseText.set(e, text);
  }
  return text;
}

/** The same members, in the same order, as JSON.stringify(eventView(e)). */
function writeSseMessage(sink: TextSink, e: SessionEvent): void {
  sink.text(`id: ${e.id}\nevent: session.${e.type}\ndata: {"id":${e.id},"type":"${e.type}","at":"${isoTime(e.at)}","session":`);
  writeSessionView(sink, e);
  sink.text('}\n\n');
}
