/**
 * `GET /api/v1/events`: session events as Server-Sent Events (see events/sse.ts), resumable with
 * `Last-Event-ID` (or `?lastEventId=` for a first connection that cannot set headers), filtered by
 * `type` (comma-separated), `nas`, `group` and `mac`. Reading sessions is the right it needs, as for
 * every session query.
 */
import type { EventBus } from '../../events/bus.js';
import type { EventFilter } from '../../events/filter.js';
import { SseStream } from '../../events/sse.js';
import { OpenMntError } from '../../errors.js';
import { SESSION_EVENT_TYPES, type SessionEventType } from '../../store/index.js';
import type { Context } from '../context.js';
import { HttpError } from '../errors.js';
import { QueryReader } from './query.js';
import type { Route } from './router.js';

export interface EventStreamSettings {
  maxQueued: number;
  keepAliveMs: number;
  /** Counts streams cut from the live feed by backpressure. */
  onCut?: () => void;
}

export function eventRoutes(bus: EventBus | undefined, settings: EventStreamSettings): Route[] {
  return [
    {
      path: '/events',
      name: 'api/events',
      methods: {
        GET: {
          right: 'read',
          doing: 'read session events',
          handler: async (ctx) => {
            if (bus === undefined) throw new HttpError(503, 'UNAVAILABLE', 'session events are not running on this node');
            const { filter, cursor } = streamRequest(ctx);
            const stream = new SseStream({ bus, res: ctx.res, filter, cursor, maxQueued: settings.maxQueued, keepAliveMs: settings.keepAliveMs, onCut: settings.onCut });
            stream.start();
            await stream.done;
          },
        },
      },
    },
  ];
}

function streamRequest(ctx: Context): { filter: EventFilter; cursor: number | null } {
  const q = new QueryReader(ctx.url.searchParams, ['type', 'nas', 'group', 'mac', 'lastEventId']);
  const types = q.text('type')?.split(',').map((t) => t.trim());
  for (const t of types ?? []) {
    if (!SESSION_EVENT_TYPES.includes(t as SessionEventType)) {
      throw new OpenMntError('INVALID_ARGUMENT', `query parameter type '${t}' is not valid: one or more of ${SESSION_EVENT_TYPES.join(', ')}, comma-separated`);
    }
  }
  const header = ctx.req.headers['last-event-id'];
  const raw = (Array.isArray(header) ? header[0] : header) ?? q.text('lastEventId');
  let cursor: number | null = null;
  if (raw !== undefined && raw !== '') {
    if (!/^\d{1,15}$/.test(raw.trim())) throw new OpenMntError('INVALID_ARGUMENT', `Last-Event-ID '${raw}' is not valid: the id of an event (a whole number)`);
    cursor = Number(raw.trim());
  }
  return { filter: { types: types as SessionEventType[] | undefined, nas: q.ip('nas'), group: q.text('group'), mac: q.mac('mac') }, cursor };
}
