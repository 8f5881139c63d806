/**
 * A pxGrid 2.0 consumer for tests, doing what Cisco's sample clients do: the control handshake
 * over REST, the session queries, and a WebSocket that subscribes the way the Go sample does (no
 * CONNECT, one SUBSCRIBE with `destination` and `id:0` in a binary message).
 */
import WebSocket from 'ws';
import { ADMINS, basic } from './mnt.js';

export interface PxAnswer {
  status: number;
  json: Record<string, unknown> | null;
  text: string;
}

export const pxBasic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

/** POST of JSON to any path of the node (pxGrid calls are all POST). */
export async function pxPost(port: number, path: string, body: unknown, authorization?: string, rawBody?: string): Promise<PxAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body: rawBody ?? JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

export interface Consumer {
  nodeName: string;
  password: string;
  secret: string;
  restBaseUrl: string;
  wsUrl: string;
  sessionTopic: string;
  providerNode: string;
}

/** AccountCreate → AccountActivate (PENDING) → an admin approves → AccountActivate (ENABLED) → ServiceLookup ×2 → AccessSecret. */
export async function handshake(port: number, nodeName: string): Promise<Consumer> {
  const created = await pxPost(port, '/pxgrid/control/AccountCreate', { nodeName });
  if (created.status !== 200) throw new Error(`AccountCreate: ${created.status} ${created.text}`);
  const password = created.json!.password as string;
  const auth = pxBasic(nodeName, password);
  let state = (await pxPost(port, '/pxgrid/control/AccountActivate', { description: 'test consumer' }, auth)).json!.accountState;
  if (state === 'PENDING') {
    const approved = await fetch(`http://127.0.0.1:${port}/api/v1/pxgrid/accounts/${nodeName}/approve`, { method: 'POST', headers: { authorization: basic(ADMINS['super-admin']) } });
    if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${await approved.text()}`);
    state = (await pxPost(port, '/pxgrid/control/AccountActivate', {}, auth)).json!.accountState;
  }
  if (state !== 'ENABLED') throw new Error(`account state ${String(state)}`);
  const [session] = (await pxPost(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.session' }, auth)).json!.services as { nodeName: string; properties: Record<string, string> }[];
  const [pubsub] = (await pxPost(port, '/pxgrid/control/ServiceLookup', { name: session!.properties.wsPubsubService }, auth)).json!.services as { nodeName: string; properties: Record<string, string> }[];
  const secret = (await pxPost(port, '/pxgrid/control/AccessSecret', { peerNodeName: pubsub!.nodeName }, auth)).json!.secret as string;
  return {
    nodeName,
    password,
    secret,
    restBaseUrl: session!.properties.restBaseUrl!,
    wsUrl: pubsub!.properties.wsUrl!,
    sessionTopic: session!.properties.sessionTopic!,
    providerNode: pubsub!.nodeName,
  };
}

/** A query of the session service, as a consumer sends it (Basic nodeName:secret). */
export async function sessionQuery(consumer: Consumer, call: string, body: unknown): Promise<PxAnswer> {
  const url = new URL(`${consumer.restBaseUrl}/${call}`);
  return pxPost(Number(url.port), url.pathname, body, pxBasic(consumer.nodeName, consumer.secret));
}

export interface ReceivedFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
  binary: boolean;
}

/** Parses one STOMP frame the way the Go sample's parser does (command, headers, body up to NUL). */
export function parseFrame(data: Buffer): ReceivedFrame | null {
  const text = data.toString('utf8');
  if (text.trim() === '') return null; // a heart-beat
  const blank = text.indexOf('\n\n');
  const [command, ...lines] = text.slice(0, blank).split('\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon)] = line.slice(colon + 1);
  }
  const nul = text.indexOf('\0', blank + 2);
  return { command: command!, headers, body: text.slice(blank + 2, nul), binary: false };
}

/** A raw WebSocket consumer: collects every frame and heart-beat, waits for the one wanted. */
export class RawStompClient {
  readonly frames: ReceivedFrame[] = [];
  heartBeats = 0;
  closed = false;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = parseFrame(data);
      if (frame === null) this.heartBeats++;
      else this.frames.push({ ...frame, binary: isBinary });
      this.#wake();
    });
    ws.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    ws.on('error', () => undefined);
  }

  /** Connects with Basic credentials; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, authorization: string | undefined, protocols: string[] = []): Promise<RawStompClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers: authorization === undefined ? {} : { authorization } });
      ws.once('open', () => resolve(new RawStompClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** What the Go sample sends: SUBSCRIBE with destination and id:0, in a binary message, no CONNECT. */
  subscribeLikeGoSample(topic: string): void {
    this.ws.send(Buffer.from(`SUBSCRIBE\ndestination:${topic}\nid:0\n\n\0`), { binary: true });
  }

  send(text: string, binary = false): void {
    this.ws.send(Buffer.from(text), { binary });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async until(done: () => boolean, what: string): Promise<void> {
    while (!done()) {
      if (this.closed) throw new Error(`the WebSocket closed before ${what}; frames: ${JSON.stringify(this.frames.map((f) => f.command))}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Waits for the server to close the connection. */
  async closedByServer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  messages(): { sequence: number; sessions: Record<string, unknown>[] }[] {
    return this.frames.filter((f) => f.command === 'MESSAGE').map((f) => JSON.parse(f.body) as { sequence: number; sessions: Record<string, unknown>[] });
  }

  close(): void {
    this.ws.close();
  }
}
