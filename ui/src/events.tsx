// Live updates from the node's session event stream (`GET /api/v1/events`, Server-Sent Events).
// The browser's EventSource sends the session cookie and, after a cut, reconnects by itself with
// Last-Event-ID, so nothing committed meanwhile is missed. Events are handed to the page in
// batches (at 200 events a second, one render per batch rather than one per event). While the
// stream is down the page polls instead (state 'polling'), and stops again once it is back.
import { useEffect, useRef, useState } from 'preact/hooks';

/** The session as an event carries it: the store's field names, only those that have a value. */
export interface EventSession {
  id: number;
  state: string;
  callingStationId: string;
  nasIp: string;
  updatedAt?: string;
  startedAt?: string;
  userName?: string;
  framedIp?: string;
  nasPortId?: string;
  auditSessionId?: string;
  selectedAuthzProfile?: string;
  identityGroup?: string;
  vlan?: string;
  sgt?: string;
}

export interface SessionEventMessage {
  id: number;
  type: 'authenticated' | 'started' | 'updated' | 'closed';
  at: string;
  session: EventSession;
}

/** 'stream': events arrive; 'polling': the stream is down, the page polls; 'off': not asked for. */
export type LiveState = 'off' | 'connecting' | 'stream' | 'polling';

const TYPES = ['authenticated', 'started', 'updated', 'closed'] as const;
/** Events gathered before they are handed over. */
const BATCH_MS = 250;
/** After the node refused the stream outright (EventSource gives up), a new one is tried this late. */
const REOPEN_MS = 10_000;

/**
 * Subscribes while `enabled`; `onEvents` gets each batch, `onOpen` each time the stream (re)opens
 * (the page then reads its list once, to be in step). Returns the stream's state.
 */
export function useSessionEvents(enabled: boolean, onEvents: (events: SessionEventMessage[]) => void, onOpen?: () => void, filter = ''): LiveState {
  const [state, setState] = useState<LiveState>(enabled ? 'connecting' : 'off');
  const handlers = useRef({ onEvents, onOpen });
  handlers.current = { onEvents, onOpen };
  useEffect(() => {
    if (!enabled) {
      setState('off');
      return;
    }
    let source: EventSource | null = null;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let flush: ReturnType<typeof setTimeout> | undefined;
    let pending: SessionEventMessage[] = [];
    let stopped = false;
    const deliver = () => {
      flush = undefined;
      const batch = pending;
      pending = [];
      if (!stopped && batch.length > 0) handlers.current.onEvents(batch);
    };
    const onMessage = (e: MessageEvent<string>) => {
      try {
        pending.push(JSON.parse(e.data) as SessionEventMessage);
      } catch {
        return; // not an event of ours: nothing to show
      }
      flush ??= setTimeout(deliver, BATCH_MS);
    };
    const open = () => {
      source = new EventSource(`/api/v1/events${filter}`, { withCredentials: true });
      source.onopen = () => {
        setState('stream');
        handlers.current.onOpen?.();
      };
      source.onerror = () => {
        setState('polling');
        // CLOSED: the node answered with an error (e.g. 401, 503) and EventSource will not retry.
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          reopen = setTimeout(open, REOPEN_MS);
        }
      };
      for (const t of TYPES) source.addEventListener(`session.${t}`, onMessage as EventListener);
      // Events older than the node's log were missed: read the list afresh.
      source.addEventListener('gap', () => handlers.current.onOpen?.());
    };
    setState('connecting');
    open();
    return () => {
      stopped = true;
      source?.close();
      clearTimeout(reopen);
      clearTimeout(flush);
    };
  }, [enabled, filter]);
  return state;
}

/** Runs `work` at most once per `ms`: calls in between are folded into one at the end. */
export function throttled(work: () => Promise<void> | void, ms: number): { (): void; cancel(): void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  const run = async () => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = Date.now();
    try {
      await work();
    } catch {
      // the page shows its own error
    } finally {
      running = false;
      if (again) {
        again = false;
        call();
      }
    }
  };
  const call = () => {
    if (timer !== undefined) return;
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  // Drops what is scheduled and a rerun asked for meanwhile (a run already under way finishes).
  call.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    again = false;
  };
  return call;
}

export function LiveBadge({ state }: { state: LiveState }) {
  const text =
    state === 'stream' ? 'Live: event stream' : state === 'polling' ? 'Live: polling (event stream down)' : state === 'connecting' ? 'Live: connecting…' : 'Paused';
  return (
    <span class={`live live-${state}`} data-testid="live-state">
      {text}
    </span>
  );
}
