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

const PAGES: { id: string; label: string; admins?: boolean }[] = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'sessions', label: 'Live Sessions' },
  { id: 'logs', label: 'Live Logs' },
  { id: 'endpoint', label: 'Endpoint' },
  { id: 'bulk', label: 'Bulk CoA' },
  { id: 'audit', label: 'Audit log' },
  { id: 'admins', label: 'Admin accounts', admins: true },
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
  const [page, arg] = route;
  const visible = PAGES.filter((p) => !p.admins || me.may.admins);
  let body;
  switch (page) {
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
      body = me.may.admins ? <AdminAccounts me={me} /> : <p role="alert">Only a Super Admin manages admin accounts.</p>;
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
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === (page || 'dashboard') ? 'page' : undefined}>
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
