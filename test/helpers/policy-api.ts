/** A JSON call of the /api/v1 policy routes as one of the test admins, with its status, ETag and body. */
import { ADMINS, basic } from './mnt.js';
import type { TestServer } from './server.js';

export async function api(server: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, as: keyof typeof ADMINS = 'super-admin') {
  const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1${path}`, {
    method,
    headers: { authorization: basic(ADMINS[as]), 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text) as Record<string, any>;
  } catch {
    json = { text };
  }
  return { status: res.status, etag: res.headers.get('etag'), json };
}

