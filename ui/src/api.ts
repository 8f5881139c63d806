// The console's only way to the node: the documented JSON API (/api/v1) and the sign-in face
// (/ui/sign-in, /ui/session, /ui/sign-out), with the session cookie the browser keeps and the
// CSRF token the node gave at sign-in sent on every request.

export interface Me {
  admin: string;
  role: string;
  roleName: string;
  may: { read: boolean; coa: boolean; write: boolean; policy: boolean; admins: boolean };
  /** A delegated admin's groups (the only endpoints it may see). */
  groups?: string[];
  csrfToken: string;
  idleMinutes: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
const signedOutListeners = new Set<() => void>();

export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export async function request<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (csrfToken !== '') headers['X-CSRF-Token'] = csrfToken;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await res.text();
  let value: unknown = null;
  try {
    value = text === '' ? null : JSON.parse(text);
  } catch {
    value = null;
  }
  if (!res.ok) {
    const v = (value ?? {}) as { error?: string; message?: string };
    if (res.status === 401 && path !== '/ui/sign-in') for (const l of signedOutListeners) l();
    throw new ApiError(res.status, v.error ?? String(res.status), v.message ?? `${res.status} ${res.statusText}`);
  }
  return value as T;
}

export async function signIn(username: string, password: string): Promise<Me> {
  const me = await request<Me>('/ui/sign-in', { method: 'POST', body: { username, password } });
  csrfToken = me.csrfToken;
  return me;
}

export async function whoAmI(): Promise<Me | null> {
  try {
    const me = await request<Me>('/ui/session');
    csrfToken = me.csrfToken;
    return me;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function signOut(): Promise<void> {
  try {
    await request('/ui/sign-out', { method: 'POST' });
  } finally {
    csrfToken = '';
  }
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
