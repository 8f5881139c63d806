import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onSignedOut, signOut, whoAmI, type Me } from './api';
import { Toasts } from './toast';
import { SignIn } from './pages/sign-in';
import { Dashboard } from './pages/dashboard';
import { LiveSessions } from './pages/sessions';
import { LiveLogs } from './pages/logs';
import { EndpointPage } from './pages/endpoint';
import { BulkCoa } from './pages/bulk';
import { AuditLog } from './pages/audit';
import { AdminAccounts } from './pages/admins';
import { Groups } from './pages/groups';
import { NetworkDevices } from './pages/devices';
import './style.css';

/** Hash routes (`#/sessions`, `#/endpoint/AA:BB:…`): the node serves one page, the app the rest. */
function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'dashboard').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** `needs`: the right the page's reads need (a delegated admin has only `endpoints`: Groups). */
const PAGES: { id: string; label: string; needs: 'read' | 'admins' | 'any' }[] = [
  { id: 'dashboard', label: 'Dashboard', needs: 'read' },
  { id: 'sessions', label: 'Live Sessions', needs: 'read' },
  { id: 'logs', label: 'Live Logs', needs: 'read' },
  { id: 'endpoint', label: 'Endpoint', needs: 'read' },
  { id: 'groups', label: 'Groups', needs: 'any' },
  { id: 'bulk', label: 'Bulk CoA', needs: 'read' },
  { id: 'devices', label: 'Network devices', needs: 'read' },
  { id: 'audit', label: 'Audit log', needs: 'read' },
  { id: 'admins', label: 'Admin accounts', needs: 'admins' },
];

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    whoAmI().then(setMe, () => setMe(null));
    return onSignedOut(() => setMe(null));
  }, []);
  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  const visible = PAGES.filter((p) => p.needs === 'any' || me.may[p.needs]);
  // A page the role cannot read (typed in, or a link) is not drawn: the first one it may see is.
  const [asked, arg] = route;
  const page = visible.some((p) => p.id === (asked || 'dashboard')) ? asked || 'dashboard' : visible[0]!.id;
  let body;
  switch (page) {
    case 'groups':
      body = <Groups me={me} group={arg} />;
      break;
    case 'devices':
      body = <NetworkDevices me={me} />;
      break;
    case 'sessions':
      body = <LiveSessions me={me} />;
      break;
    case 'logs':
      body = <LiveLogs initial={arg} />;
      break;
    case 'endpoint':
      body = <EndpointPage me={me} mac={arg} />;
      break;
    case 'bulk':
      body = <BulkCoa me={me} />;
      break;
    case 'audit':
      body = <AuditLog />;
      break;
    case 'admins':
      body = <AdminAccounts me={me} />;
      break;
    default:
      body = <Dashboard />;
  }
  return (
    <>
      <header>
        <strong class="brand">OpenMnT</strong>
        <nav aria-label="Main">
          {visible.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {me.admin} ({me.roleName})
        </span>
        <button type="button" onClick={() => signOut().finally(() => setMe(null))}>
          Sign out
        </button>
      </header>
      <main>{body}</main>
      <Toasts />
    </>
  );
}

render(<App />, document.getElementById('app')!);
