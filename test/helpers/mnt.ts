/** Helpers for MnT API tests: a node filled by radclient, admins of every role, requests, XML. */
import { connect } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import type { Role } from '../../src/http/index.js';
import { radclient } from './radclient.js';
import { SECRET, type TestServer } from './server.js';

export const PASSWORD = 'Test-Pass-1234';
export const ADMINS: Record<Role, string> = {
  'super-admin': 'root-admin',
  'system-admin': 'sys-admin',
  'mnt-admin': 'mnt-admin',
  'helpdesk-admin': 'helpdesk',
  'delegated-admin': 'delegated',
};

export async function addAdmins(server: TestServer): Promise<void> {
  // The delegated admin manages the endpoints of the group Lab only.
  for (const [role, name] of Object.entries(ADMINS)) await server.admins.add(name, PASSWORD, role as Role, role === 'delegated-admin' ? ['Lab'] : []);
}

export function basic(name: string, password = PASSWORD): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

export async function get(server: TestServer, path: string, options: { as?: Role | null; method?: string; accept?: string; password?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.as !== null) headers.authorization = basic(ADMINS[options.as ?? 'super-admin'], options.password);
  if (options.accept !== undefined) headers.accept = options.accept;
  const res = await fetch(`http://127.0.0.1:${server.api.port}${path}`, { method: options.method ?? 'GET', headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** A request written byte for byte on a socket, for targets and headers fetch would refuse or fix. */
export function raw(port: number, head: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    // Written, not ended: a half-closed socket may be dropped before an asynchronous answer.
    socket.write(head.endsWith('\r\n\r\n') ? head + body : `${head}\r\nConnection: close\r\n\r\n${body}`);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

const parser = new XMLParser({ ignoreAttributes: false, preserveOrder: true, parseTagValue: false });

export interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlNode[];
}

type Ordered = Record<string, unknown>[];

function toNode(entry: Record<string, unknown>): XmlNode {
  const name = Object.keys(entry).find((k) => k !== ':@')!;
  const content = entry[name] as Ordered;
  const attributes = Object.fromEntries(Object.entries((entry[':@'] ?? {}) as Record<string, string>).map(([k, v]) => [k.replace(/^@_/, ''), v]));
  const children = content.filter((c) => !('#text' in c)).map(toNode);
  const text = content.filter((c) => '#text' in c).map((c) => String(c['#text'])).join('');
  return { name, attributes, text, children };
}

/** Parses an answer with an XML parser (it must be well-formed) and returns its root element. */
export function parseXml(body: string): XmlNode {
  const doc = parser.parse(body, true) as Ordered;
  const root = doc.find((e) => !('?xml' in e));
  if (root === undefined) throw new Error(`no root element in ${body}`);
  return toNode(root);
}

export function childNames(node: XmlNode): string[] {
  return node.children.map((c) => c.name);
}

export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** True when `names` appear in `order` in the same relative order (absent elements are left out). */
export function followsOrder(names: readonly string[], order: readonly string[]): boolean {
  let at = -1;
  for (const n of names) {
    const i = order.indexOf(n, at + 1);
    if (i < 0) return false;
    at = i;
  }
  return true;
}

export interface Endpoint {
  mac: string;
  user: string;
  nas: string;
  ip: string;
  sid: string;
  audit: string;
}

/** Endpoints authenticated (MAB) and started through radclient, as a switch would. */
export async function fill(server: TestServer, endpoints: readonly Endpoint[]): Promise<void> {
  const auth = await radclient({
    port: server.ports.auth,
    secret: SECRET,
    kind: 'auth',
    packets: endpoints.map(
      (e) =>
        `User-Name = "${e.mac.replace(/:/g, '').toLowerCase()}", User-Password = "${e.mac.replace(/:/g, '').toLowerCase()}", Service-Type = Call-Check, ` +
        `Calling-Station-Id = "${e.mac.replace(/:/g, '-')}", NAS-IP-Address = ${e.nas}, NAS-Port-Id = "Gi1/0/${e.sid.slice(-2)}", ` +
        `Cisco-AVPair = "audit-session-id=${e.audit}", Message-Authenticator = 0x00`,
    ),
  });
  if (auth.status !== 0) throw new Error(`radclient auth: ${auth.stderr}${auth.stdout}`);
  const acct = await radclient({
    port: server.ports.accounting,
    secret: SECRET,
    kind: 'acct',
    packets: endpoints.map(
      (e) =>
        `Acct-Status-Type = Start, Acct-Session-Id = "${e.sid}", User-Name = "${e.user}", Calling-Station-Id = "${e.mac.replace(/:/g, '-')}", ` +
        `NAS-IP-Address = ${e.nas}, Framed-IP-Address = ${e.ip}, Cisco-AVPair = "audit-session-id=${e.audit}"`,
    ),
  });
  if (acct.status !== 0) throw new Error(`radclient acct: ${acct.stderr}${acct.stdout}`);
}
