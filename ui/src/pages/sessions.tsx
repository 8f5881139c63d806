// Live Sessions: ISE's columns, filters on any of them, server-side paging by cursor (the browser
// never holds more than one page), live updates from the session event stream (polling only while
// the stream is down), and Perform CoA on online rows for roles that may.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { request, query, type Me } from '../api';
import { CoaMenu } from '../coa';
import { LiveBadge, throttled, useSessionEvents, type EventSession, type SessionEventMessage } from '../events';
import { time, usePoll } from '../util';

export interface SessionRow {
  id: number;
  state: string;
  startedAt: string;
  updatedAt: string;
  mac: string;
  userName: string | null;
  framedIp: string | null;
  nasIp: string;
  nasName: string | null;
  nasPortId: string | null;
  auditSessionId: string | null;
  authzProfile: string | null;
  identityGroup: string | null;
  vlan: string | null;
  sgt: string | null;
  server: string;
  lastAuthenticationAt: string | null;
  lastAccountingAt: string | null;
}

interface Page {
  total: number;
  sessions: SessionRow[];
  next: string | null;
}

const FILTERS: { key: string; label: string }[] = [
  { key: 'mac', label: 'Endpoint MAC' },
  { key: 'user', label: 'Identity' },
  { key: 'ip', label: 'Endpoint IP' },
  { key: 'nas', label: 'NAS IP' },
  { key: 'audit', label: 'Audit session ID' },
  { key: 'profile', label: 'Authorization profile' },
  { key: 'group', label: 'Identity group' },
];

const SORTS: { key: string; label: string }[] = [
  { key: '', label: 'First seen (any size)' },
  { key: '-updatedAt', label: 'Updated, newest first' },
  { key: '-startedAt', label: 'Initiated, newest first' },
  { key: 'mac', label: 'Endpoint MAC' },
  { key: 'userName', label: 'Identity' },
  { key: 'nasIp', label: 'NAS IP' },
];

/** Polling, only while the event stream is down. */
export const POLL_MS = 3000;
/** At most one read of the page a second, however many events ask for one. */
const RELOAD_MS = 1000;

/** A row on screen brought up to date from an event about its session (no request needed). */
function patched(row: SessionRow, s: EventSession): SessionRow {
  return {
    ...row,
    state: s.state,
    updatedAt: s.updatedAt ?? row.updatedAt,
    userName: s.userName ?? row.userName,
    framedIp: s.framedIp ?? row.framedIp,
    nasPortId: s.nasPortId ?? row.nasPortId,
    auditSessionId: s.auditSessionId ?? row.auditSessionId,
    authzProfile: s.selectedAuthzProfile ?? row.authzProfile,
    identityGroup: s.identityGroup ?? row.identityGroup,
    vlan: s.vlan ?? row.vlan,
    sgt: s.sgt ?? row.sgt,
  };
}

/** "Disconnect requested" until the accounting Stop closes the session (the NAS ACKed, the Stop may lag). */
const disconnectRequested = new Set<string>();

export function stateText(row: SessionRow): string {
  if (row.state !== 'closed' && disconnectRequested.has(`${row.id}`)) return 'disconnect requested';
  return row.state === 'closed' ? 'closed' : row.state === 'authenticated' ? 'authenticated' : 'started';
}

export function SessionTable({ rows, me, onCoa }: { rows: SessionRow[]; me: Me; onCoa?: () => void }) {
  return (
    <div class="table-wrap">
      <table class="sessions" aria-label="Sessions">
        <thead>
          <tr>
            <th scope="col">Initiated</th>
            <th scope="col">Updated</th>
            <th scope="col">Status</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Identity</th>
            <th scope="col">IP address</th>
            <th scope="col">NAS</th>
            <th scope="col">Port</th>
            <th scope="col">Audit session ID</th>
            <th scope="col">Authorization profile</th>
            <th scope="col">VLAN</th>
            <th scope="col">SGT</th>
            <th scope="col">Identity group</th>
            <th scope="col">Server</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const online = r.state !== 'closed';
            return (
              <tr key={r.id} data-mac={r.mac}>
                <td>{time(r.startedAt)}</td>
                <td>{time(r.updatedAt)}</td>
                <td>
                  <span class={online ? 'badge on' : 'badge off'}>{stateText(r)}</span>
                </td>
                <td>
                  <a href={`#/endpoint/${encodeURIComponent(r.mac)}`}>{r.mac}</a>
                </td>
                <td>{r.userName}</td>
                <td>{r.framedIp}</td>
                <td>{r.nasName ? `${r.nasName} (${r.nasIp})` : r.nasIp}</td>
                <td>{r.nasPortId}</td>
                <td class="mono">{r.auditSessionId}</td>
                <td>{r.authzProfile}</td>
                <td>{r.vlan}</td>
                <td>{r.sgt}</td>
                <td>{r.identityGroup}</td>
                <td>{r.server}</td>
                <td>
                  {online && me.may.coa ? (
                    <CoaMenu
                      mac={r.mac}
                      onDone={(action, outcome) => {
                        if (outcome === 'ack' && ['disconnect', 'bounce', 'shutdown'].includes(action)) disconnectRequested.add(`${r.id}`);
                        onCoa?.();
                      }}
                    />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function LiveSessions({ me }: { me: Me }) {
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [applied, setApplied] = useState<Record<string, string>>({});
  const [sort, setSort] = useState('');
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState(true);
  const cursor = cursors[cursors.length - 1]!;
  // Bumped when live updates are switched off: an answer already on its way is then dropped, so a
  // frozen list stays exactly as it was when frozen.
  const generation = useRef(0);
  const load = async () => {
    const asked = generation.current;
    try {
      const p = await request<Page>(`/api/v1/sessions${query({ ...applied, sort, cursor, limit: 50 })}`);
      if (asked !== generation.current) return;
      setPage(p);
      setError('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useMemo(() => throttled(() => loadRef.current(), RELOAD_MS), []);
  useEffect(() => () => reload.cancel(), []);
  // Another filter, sort or page: an answer to the earlier one is dropped, and this one is read.
  useEffect(() => {
    generation.current++;
    void load();
  }, [JSON.stringify(applied), sort, cursor]);
  const onEvents = (events: SessionEventMessage[]) => {
    if (page === null) return;
    // An update of a row on screen is drawn from the event itself. Anything that may change which
    // rows the page holds or the total (a session begins or ends, or the list is sorted by a time
    // that moved) reads the page again, at most once a second.
    const byId = new Map(events.filter((e) => e.type === 'updated').map((e) => [e.session.id, e.session]));
    const onScreen = page.sessions.some((r) => byId.has(r.id));
    if (onScreen) setPage((p) => p && { ...p, sessions: p.sessions.map((r) => (byId.has(r.id) ? patched(r, byId.get(r.id)!) : r)) });
    if (sort !== '' || events.some((e) => e.type !== 'updated')) reload();
  };
  const liveState = useSessionEvents(live, onEvents, () => reload());
  usePoll(() => (live && liveState === 'polling' ? load() : undefined), POLL_MS, [JSON.stringify(applied), sort, cursor, live, liveState]);
  const apply = (e: Event) => {
    e.preventDefault();
    setApplied(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()])));
    setCursors(['']);
  };
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Live Sessions</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter sessions">
        {FILTERS.map((f) => (
          <label key={f.key}>
            {f.label}
            <input name={f.key} value={draft[f.key] ?? ''} onInput={(e) => setDraft({ ...draft, [f.key]: (e.currentTarget as HTMLInputElement).value })} />
          </label>
        ))}
        <label>
          Sort
          <select value={sort} onChange={(e) => { setSort((e.currentTarget as HTMLSelectElement).value); setCursors(['']); }}>
            {SORTS.map((s) => (
              <option key={s.key} value={s.key}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <label class="inline">
          <input
            type="checkbox"
            checked={live}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              // Frozen means frozen: an answer on its way is dropped, a refresh still scheduled
              // by the stream is called off.
              if (!on) {
                generation.current++;
                reload.cancel();
              }
              setLive(on);
            }}
          />{' '}
          Live updates
        </label>
        <LiveBadge state={liveState} />
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {page && (
        <>
          <p class="count" aria-live="polite">
            <span data-testid="total">{page.total.toLocaleString('en')}</span> sessions
            {cursors.length > 1 ? `, page ${cursors.length}` : ''}
          </p>
          <SessionTable rows={page.sessions} me={me} onCoa={load} />
          <div class="pager">
            <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <button type="button" disabled={page.next === null} onClick={() => page.next && setCursors([...cursors, page.next])}>
              Next page
            </button>
          </div>
        </>
      )}
    </section>
  );
}
