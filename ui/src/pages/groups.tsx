// Groups → Endpoints, the reference platform's flow: a group's endpoints, each online or offline
// with the evidence (last authentication, last accounting), Perform CoA only on online ones and
// only for roles that may. Kept live by the session event stream (an event about an endpoint on
// screen reads the page again); a delegated admin, who may not read the stream, sees it polled,
// and sees only its own groups (the server refuses the others).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, request, query, type Me } from '../api';
import { CoaMenu } from '../coa';
import { LiveBadge, throttled, useSessionEvents, type SessionEventMessage } from '../events';
import { ago, time, usePoll } from '../util';

interface GroupItem {
  name: string;
  description: string;
  profile: string | null;
}

interface EndpointStatus {
  mac: string;
  description: string;
  profile: string | null;
  online: boolean;
  session: { id: number; state: string; nasIp: string; nasName: string | null; nasPortId: string | null; userName: string | null; framedIp: string | null; startedAt: string | null; updatedAt: string | null } | null;
  lastAuthentication: { at: string; passed: boolean; failureReason: string | null; nasIp: string; authzProfile: string | null } | null;
  lastAccounting: { at: string; statusType: string; nasIp: string; terminateCause: string | null } | null;
}

interface EndpointPage {
  group: string;
  total: number;
  online: number;
  members: number;
  endpoints: EndpointStatus[];
  next: number | null;
}

const PAGE = 100;

function GroupList({ me, current }: { me: Me; current: string | undefined }) {
  const [groups, setGroups] = useState<GroupItem[] | null>(null);
  const [error, setError] = useState('');
  usePoll(
    async () => {
      // A delegated admin cannot read the group list: its own groups come with its session.
      if (!me.may.read) return setGroups((me.groups ?? []).map((name) => ({ name, description: '', profile: null })));
      try {
        setGroups((await request<{ items: GroupItem[] }>('/api/v1/groups?limit=10000')).items);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    30_000,
    [],
  );
  return (
    <nav aria-label="Identity groups">
      <h2>Identity groups</h2>
      {error && <p role="alert" class="error">{error}</p>}
      <ul>
        {(groups ?? []).map((g) => (
          <li key={g.name}>
            <a href={`#/groups/${encodeURIComponent(g.name)}`} aria-current={g.name === current ? 'page' : undefined}>
              {g.name}
            </a>
          </li>
        ))}
      </ul>
      {groups !== null && groups.length === 0 && <p>No groups.</p>}
    </nav>
  );
}

function Evidence({ e }: { e: EndpointStatus }) {
  const a = e.lastAuthentication;
  const c = e.lastAccounting;
  return (
    <>
      <td class="evidence">
        {a === null ? (
          'none in 10 days'
        ) : (
          <span title={time(a.at)}>
            {ago(a.at)} · <span class={a.passed ? 'pass' : 'fail'}>{a.passed ? 'passed' : `failed: ${a.failureReason ?? ''}`}</span> · NAS {a.nasIp}
          </span>
        )}
      </td>
      <td class="evidence">
        {c === null ? (
          'none in 5 days'
        ) : (
          <span title={time(c.at)}>
            {ago(c.at)} · {c.statusType}
            {c.terminateCause ? ` (${c.terminateCause})` : ''}
          </span>
        )}
      </td>
    </>
  );
}

function EndpointsTab({ me, group }: { me: Me; group: string }) {
  const [status, setStatus] = useState('');
  const [needle, setNeedle] = useState('');
  const [applied, setApplied] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<EndpointPage | null>(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState(true);
  // Bumped when the list is frozen or its selection changes: an answer already on its way is dropped.
  const generation = useRef(0);
  const load = async () => {
    const asked = generation.current;
    try {
      const p = await request<EndpointPage>(`/api/v1/groups/${encodeURIComponent(group)}/endpoints${query({ status, q: applied, limit: PAGE, offset })}`);
      if (asked !== generation.current) return;
      setPage(p);
      setError('');
    } catch (e) {
      if (asked === generation.current) setError(e instanceof ApiError && e.status === 403 ? `Not allowed: ${e.message}` : e instanceof Error ? e.message : String(e));
    }
  };
  const ref = useRef(load);
  ref.current = load;
  const reload = useMemo(() => throttled(() => ref.current(), 1000), []);
  useEffect(() => () => reload.cancel(), []);
  useEffect(() => {
    generation.current++;
    setPage(null);
    void load();
  }, [group, status, applied, offset]);
  // The stream needs the read right; without it (a delegated admin) the tab polls.
  const streamed = live && me.may.read;
  const onEvents = (events: SessionEventMessage[]) => {
    const shown = new Set(page?.endpoints.map((e) => e.mac));
    if (events.some((e) => shown.has(e.session.callingStationId))) reload();
  };
  const liveState = useSessionEvents(streamed, onEvents, () => reload());
  usePoll(() => (live && (!me.may.read || liveState === 'polling') ? load() : undefined), 5000, [group, status, applied, offset, live, liveState]);
  return (
    <div role="tabpanel" aria-label="Endpoints">
      <form class="filters" aria-label="Filter endpoints" onSubmit={(e) => { e.preventDefault(); setOffset(0); setApplied(needle.trim()); }}>
        <label>
          MAC address contains
          <input name="q" value={needle} onInput={(e) => setNeedle((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => { setOffset(0); setStatus((e.currentTarget as HTMLSelectElement).value); }}>
            <option value="">Online and offline</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
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
              // by the stream (up to a second out) is called off.
              if (!on) {
                generation.current++;
                reload.cancel();
              }
              setLive(on);
            }}
          />{' '}
          Live updates
        </label>
        <LiveBadge state={!live ? 'off' : me.may.read ? liveState : 'polling'} />
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {page && (
        <>
          <p class="count">
            <span data-testid="group-online">{page.online}</span> of <span data-testid="group-members">{page.members}</span> endpoints online
            {status || applied ? ` · ${page.total} shown by the filter` : ''}
          </p>
          <div class="table-wrap">
            <table class="group-endpoints" aria-label={`Endpoints of ${group}`}>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last authentication</th>
                  <th scope="col">Last accounting</th>
                  <th scope="col">Session</th>
                  <th scope="col">Description</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {page.endpoints.map((e) => (
                  <tr key={e.mac} data-mac={e.mac}>
                    <td>{me.may.read ? <a href={`#/endpoint/${encodeURIComponent(e.mac)}`}>{e.mac}</a> : e.mac}</td>
                    <td>
                      <span class={e.online ? 'badge on' : 'badge off'}>{e.online ? 'Online' : 'Offline'}</span>
                    </td>
                    <Evidence e={e} />
                    <td>{e.session ? `${e.session.userName ?? ''} ${e.session.framedIp ?? ''} on ${e.session.nasName ?? e.session.nasIp} ${e.session.nasPortId ?? ''}`.trim() : ''}</td>
                    <td>{e.description}</td>
                    <td>{e.online && me.may.coa ? <CoaMenu mac={e.mac} onDone={() => reload()} /> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous page
            </button>
            <button type="button" disabled={page.next === null} onClick={() => page.next !== null && setOffset(page.next)}>
              Next page
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function DetailsTab({ group }: { group: string }) {
  const [g, setG] = useState<(GroupItem & { coaOnChange: string | null }) | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    request<GroupItem & { coaOnChange: string | null }>(`/api/v1/groups/${encodeURIComponent(group)}`).then(setG, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [group]);
  return (
    <div role="tabpanel" aria-label="Details">
      {error && <p role="alert" class="error">{error}</p>}
      {g && (
        <dl class="detail">
          <dt>Name</dt>
          <dd>{g.name}</dd>
          <dt>Description</dt>
          <dd>{g.description}</dd>
          <dt>Authorization profile</dt>
          <dd>{g.profile ?? '(by the rules)'}</dd>
          <dt>CoA on change</dt>
          <dd>{g.coaOnChange ?? '(the setting)'}</dd>
        </dl>
      )}
    </div>
  );
}

export function Groups({ me, group }: { me: Me; group?: string | undefined }) {
  const [tab, setTab] = useState<'endpoints' | 'details'>('endpoints');
  const selected = group ?? (me.may.read ? undefined : me.groups?.[0]);
  const tabs: { id: 'endpoints' | 'details'; label: string }[] = [{ id: 'endpoints', label: 'Endpoints' }, ...(me.may.read ? [{ id: 'details' as const, label: 'Details' }] : [])];
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups{selected ? ` › ${selected}` : ''}</h1>
      <div class="split">
        <GroupList me={me} current={selected} />
        <section>
          {selected === undefined ? (
            <p>Choose an identity group to see its endpoints.</p>
          ) : (
            <>
              <div class="tabs" role="tablist" aria-label={`Group ${selected}`}>
                {tabs.map((t) => (
                  <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} onClick={() => setTab(t.id)}>
                    {t.label}
                  </button>
                ))}
              </div>
              {tab === 'endpoints' ? <EndpointsTab key={selected} me={me} group={selected} /> : <DetailsTab group={selected} />}
            </>
          )}
        </section>
      </div>
    </section>
  );
}
