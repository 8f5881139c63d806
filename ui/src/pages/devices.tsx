// Network devices: the NAS table of the runtime policy (GET /api/v1/devices; secrets never leave
// the node), with each device's active sessions, filters, and — for roles that may change the
// policy — add and delete.
import { useState } from 'preact/hooks';
import { request, query, type Me } from '../api';
import { toast } from '../toast';
import { usePoll } from '../util';

interface Device {
  name: string;
  address: string;
  vendor: string;
  coaPort: number;
  requireMessageAuthenticator: boolean;
  deviceGroups: string[];
  description: string;
  version: number;
}

interface DeviceList {
  total: number;
  items: Device[];
  next: number | null;
}

const PAGE = 50;
const EMPTY = { name: '', address: '', secret: '', vendor: 'cisco', coaPort: '3799', deviceGroups: '', description: '' };
const SINGLE_IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+$/i;

export function NetworkDevices({ me }: { me: Me }) {
  const [draft, setDraft] = useState({ q: '', vendor: '', deviceGroup: '' });
  const [applied, setApplied] = useState(draft);
  const [offset, setOffset] = useState(0);
  const [list, setList] = useState<DeviceList | null>(null);
  const [sessions, setSessions] = useState<Record<string, number>>({});
  const [error, setError] = useState('');
  const [form, setForm] = useState(EMPTY);
  const load = async () => {
    try {
      const l = await request<DeviceList>(`/api/v1/devices${query({ ...applied, limit: PAGE, offset })}`);
      setList(l);
      setError('');
      // Active sessions per device on this page (a CIDR block has no one NAS address to count by).
      const counts = await Promise.all(
        l.items.map(async (d) => [d.name, SINGLE_IP.test(d.address) ? (await request<{ total: number }>(`/api/v1/sessions${query({ nas: d.address, limit: 1 })}`)).total : -1] as const),
      );
      setSessions(Object.fromEntries(counts));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  usePoll(load, 15_000, [JSON.stringify(applied), offset]);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await request('/api/v1/devices', {
        method: 'POST',
        body: {
          name: form.name.trim(),
          address: form.address.trim(),
          secret: form.secret,
          vendor: form.vendor.trim(),
          coaPort: Number(form.coaPort),
          deviceGroups: form.deviceGroups.split(',').map((g) => g.trim()).filter((g) => g !== ''),
          description: form.description,
        },
      });
      toast('ok', `Network device ${form.name} added`);
      setForm(EMPTY);
      await load();
    } catch (err) {
      toast('error', `Could not add ${form.name}: ${err instanceof Error ? err.message : err}`);
    }
  };
  const remove = async (d: Device) => {
    if (!confirm(`Delete the network device ${d.name} (${d.address})? RADIUS from it is then dropped.`)) return;
    try {
      await request(`/api/v1/devices/${encodeURIComponent(d.name)}`, { method: 'DELETE' });
      toast('ok', `Network device ${d.name} deleted`);
      await load();
    } catch (err) {
      toast('error', `Could not delete ${d.name}: ${err instanceof Error ? err.message : err}`);
    }
  };
  const field = (key: keyof typeof EMPTY, label: string, type: 'text' | 'password' | 'number' = 'text') => (
    <label>
      {label}
      {type === 'password' ? (
        <input name={key} type="password" value={form[key]} onInput={(e) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value })} />
      ) : (
        <input name={key} inputMode={type === 'number' ? 'numeric' : undefined} value={form[key]} onInput={(e) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value })} />
      )}
    </label>
  );
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Network devices</h1>
      <form class="filters" aria-label="Filter network devices" onSubmit={(e) => { e.preventDefault(); setOffset(0); setApplied({ ...draft }); }}>
        <label>
          Name contains
          <input value={draft.q} onInput={(e) => setDraft({ ...draft, q: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Vendor
          <input value={draft.vendor} onInput={(e) => setDraft({ ...draft, vendor: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Device group
          <input value={draft.deviceGroup} onInput={(e) => setDraft({ ...draft, deviceGroup: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {list && (
        <>
          <p class="count">
            <span data-testid="device-total">{list.total}</span> network devices
          </p>
          <div class="table-wrap">
            <table class="devices" aria-label="Network devices">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Address</th>
                  <th scope="col">Vendor</th>
                  <th scope="col">CoA port</th>
                  <th scope="col">Message-Authenticator</th>
                  <th scope="col">Device groups</th>
                  <th scope="col">Active sessions</th>
                  <th scope="col">Description</th>
                  {me.may.policy && <th scope="col">Action</th>}
                </tr>
              </thead>
              <tbody>
                {list.items.map((d) => (
                  <tr key={d.name} data-device={d.name}>
                    <td>{d.name}</td>
                    <td>{d.address}</td>
                    <td>{d.vendor}</td>
                    <td>{d.coaPort}</td>
                    <td>{d.requireMessageAuthenticator ? 'required' : 'verified when present'}</td>
                    <td>{d.deviceGroups.join(', ')}</td>
                    <td>{sessions[d.name] === undefined ? '' : sessions[d.name]! < 0 ? '(address block)' : sessions[d.name]!.toLocaleString('en')}</td>
                    <td>{d.description}</td>
                    {me.may.policy && (
                      <td>
                        <button type="button" aria-label={`Delete ${d.name}`} onClick={() => remove(d)}>
                          Delete
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous page
            </button>
            <button type="button" disabled={list.next === null} onClick={() => list.next !== null && setOffset(list.next)}>
              Next page
            </button>
          </div>
        </>
      )}
      {me.may.policy && (
        <>
          <h2>Add a network device</h2>
          <form class="filters" aria-label="Add a network device" onSubmit={add}>
            {field('name', 'Name')}
            {field('address', 'Address (IP or CIDR)')}
            {field('secret', 'Shared secret', 'password')}
            {field('vendor', 'Vendor')}
            {field('coaPort', 'CoA port', 'number')}
            {field('deviceGroups', 'Device groups (comma-separated)')}
            {field('description', 'Description')}
            <button type="submit">Add device</button>
          </form>
        </>
      )}
    </section>
  );
}
