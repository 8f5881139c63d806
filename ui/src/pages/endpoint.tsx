// One endpoint by MAC: online status with its evidence, its sessions with Perform CoA, its
// authentication and accounting history and the CoA audit trail of this endpoint.
import { useEffect, useRef, useState } from 'preact/hooks';
import { request, type Me } from '../api';
import { ago, time, usePoll } from '../util';
import { SessionTable, type SessionRow } from './sessions';
import { AuthDetail, AuthTable, type AuthRow } from './logs';
import { AuditTable, type AuditRow } from './audit';

interface Endpoint {
  mac: string;
  online: boolean;
  sessions: SessionRow[];
  authentications: AuthRow[];
  accounting: { id: number; at: string; statusType: string; nasIp: string; acctSessionId: string | null; sessionSeconds: number | null; inputOctets: number | null; outputOctets: number | null; terminateCause: string | null }[];
  audit: AuditRow[];
}

export function EndpointPage({ me, mac }: { me: Me; mac?: string | undefined }) {
  const [draft, setDraft] = useState(mac ?? '');
  const [e, setE] = useState<Endpoint | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<AuthRow | null>(null);
  const current = useRef(mac);
  current.current = mac;
  // Another endpoint opened from a link: forget the one shown before.
  useEffect(() => {
    setDraft(mac ?? '');
    setE(null);
    setOpen(null);
  }, [mac]);
  const load = async () => {
    if (!mac) return;
    try {
      const answer = await request<Endpoint>(`/api/v1/endpoints/${encodeURIComponent(mac)}/activity`);
      if (current.current !== mac) return; // an answer about the endpoint shown before
      setE(answer);
      setError('');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  usePoll(load, 5000, [mac]);
  const latest = e?.sessions[0];
  return (
    <section aria-labelledby="endpoint-title">
      <h1 id="endpoint-title">Endpoint {e?.mac ?? mac ?? ''}</h1>
      <form class="filters" aria-label="Find an endpoint" onSubmit={(ev) => { ev.preventDefault(); location.hash = `#/endpoint/${encodeURIComponent(draft.trim())}`; }}>
        <label>
          MAC address
          <input name="mac" value={draft} onInput={(ev) => setDraft((ev.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">Open</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {e && (
        <>
          <p class="status">
            <span class={e.online ? 'badge on' : 'badge off'}>{e.online ? 'Online' : 'Offline'}</span> last authentication {ago(latest?.lastAuthenticationAt)}, last accounting {ago(latest?.lastAccountingAt)}
            {' · '}
            <a href={`#/logs/${encodeURIComponent(e.mac)}`}>Live Logs of this endpoint</a>
          </p>
          <h2>Sessions</h2>
          <SessionTable rows={e.sessions} me={me} onCoa={load} />
          <h2>Authentications (10 days)</h2>
          <AuthTable rows={e.authentications} onOpen={setOpen} />
          {open && <AuthDetail row={open} onClose={() => setOpen(null)} />}
          <h2>Accounting (5 days)</h2>
          <table aria-label="Accounting">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Type</th>
                <th scope="col">NAS</th>
                <th scope="col">Acct-Session-Id</th>
                <th scope="col">Duration (s)</th>
                <th scope="col">In / out octets</th>
                <th scope="col">Terminate cause</th>
              </tr>
            </thead>
            <tbody>
              {e.accounting.map((a) => (
                <tr key={a.id}>
                  <td>{time(a.at)}</td>
                  <td>{a.statusType}</td>
                  <td>{a.nasIp}</td>
                  <td>{a.acctSessionId}</td>
                  <td>{a.sessionSeconds}</td>
                  <td>
                    {a.inputOctets ?? ''} / {a.outputOctets ?? ''}
                  </td>
                  <td>{a.terminateCause}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>CoA audit trail</h2>
          <AuditTable rows={e.audit} />
        </>
      )}
    </section>
  );
}
