// Admin accounts, for a Super Admin: the same accounts `openmnt admin` manages.
import { useState } from 'preact/hooks';
import { request, type Me } from '../api';
import { toast } from '../toast';
import { time, usePoll } from '../util';

interface AdminRow {
  name: string;
  role: string;
  roleName: string;
  createdAt: string;
  passwordChangedAt: string;
}

export function AdminAccounts({ me }: { me: Me }) {
  const [list, setList] = useState<AdminRow[]>([]);
  const [form, setForm] = useState({ name: '', password: '', role: 'mnt-admin' });
  const load = async () => setList((await request<{ admins: AdminRow[] }>('/api/v1/admins')).admins);
  usePoll(load, 30000, []);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await request('/api/v1/admins', { method: 'POST', body: form });
      toast('ok', `Admin ${form.name} added`);
      setForm({ name: '', password: '', role: 'mnt-admin' });
      await load();
    } catch (err) {
      toast('error', `Could not add ${form.name}: ${err instanceof Error ? err.message : err}`);
    }
  };
  const remove = async (name: string) => {
    if (!confirm(`Remove the admin account ${name}?`)) return;
    try {
      await request(`/api/v1/admins/${encodeURIComponent(name)}`, { method: 'DELETE' });
      toast('ok', `Admin ${name} removed`);
      await load();
    } catch (err) {
      toast('error', `Could not remove ${name}: ${err instanceof Error ? err.message : err}`);
    }
  };
  return (
    <section aria-labelledby="admins-title">
      <h1 id="admins-title">Admin accounts</h1>
      <table aria-label="Admin accounts">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col">Password changed</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.name}>
              <td>{a.name}</td>
              <td>{a.roleName}</td>
              <td>{time(a.createdAt)}</td>
              <td>{time(a.passwordChangedAt)}</td>
              <td>
                {a.name !== me.admin && (
                  <button type="button" aria-label={`Remove ${a.name}`} onClick={() => remove(a.name)}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Add an admin</h2>
      <form class="filters" onSubmit={add} aria-label="Add an admin">
        <label>
          Name
          <input value={form.name} required onInput={(e) => setForm({ ...form, name: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Password
          <input type="password" autocomplete="new-password" required minLength={8} value={form.password} onInput={(e) => setForm({ ...form, password: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Role
          <select value={form.role} onChange={(e) => setForm({ ...form, role: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="super-admin">Super Admin</option>
            <option value="system-admin">System Admin</option>
            <option value="mnt-admin">MnT Admin</option>
            <option value="helpdesk-admin">Helpdesk Admin</option>
          </select>
        </label>
        <button type="submit">Add admin</button>
      </form>
    </section>
  );
}
