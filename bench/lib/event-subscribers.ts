/**
 * The consumers of bench/events.ts, in a process of their own (forked): SSE streams on
 * /api/v1/events and pxGrid consumers subscribed to the session topic as Cisco's Go sample
 * subscribes (binary SUBSCRIBE, no CONNECT; here with a receipt to know when it is in place).
 * Each records, per event, the time from the event's commit (SSE `at`) or from the packet's
 * receipt (pxGrid `timestamp`: the session's last update) to its arrival here.
 *
 * IPC: the parent sends `{ sse, pxgrid, apiPort, admin, password }`; this process answers
 * `ready` once every consumer is in place, clears its figures on `reset`, answers `report`.
 */
import { request } from 'node:http';
import WebSocket from 'ws';

interface Setup {
  sse: number;
  pxgrid: number;
  apiPort: number;
  admin: string;
  password: string;
}

const latencies = { sse: [] as number[], pxgrid: [] as number[] };
const received = { sse: 0, pxgrid: 0 };
const AT = /"at":"([^"]+)"/;
const TIMESTAMP = /"timestamp":"([^"]+)"/g;

function openSse(o: Setup): Promise<void> {
  return new Promise((resolve, reject) => {
    const auth = `Basic ${Buffer.from(`${o.admin}:${o.password}`).toString('base64')}`;
    const req = request({ host: '127.0.0.1', port: o.apiPort, path: '/api/v1/events', headers: { authorization: auth, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = Date.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const m = AT.exec(block);
          if (m === null) continue;
          received.sse++;
          latencies.sse.push(now - Date.parse(m[1]!));
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
}

async function post(port: number, path: string, body: unknown, auth?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers.authorization = auth;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function openPxGrid(o: Setup, index: number): Promise<void> {
  const nodeName = `bench-consumer-${process.pid}-${index}`;
  const { password } = (await post(o.apiPort, '/pxgrid/control/AccountCreate', { nodeName })) as { password: string };
  const auth = `Basic ${Buffer.from(`${nodeName}:${password}`).toString('base64')}`;
  const { accountState } = (await post(o.apiPort, '/pxgrid/control/AccountActivate', {}, auth)) as { accountState: string };
  if (accountState !== 'ENABLED') throw new Error(`pxGrid account ${accountState} (the benchmark runs with pxgrid.autoApprove)`);
  const [pubsub] = ((await post(o.apiPort, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.pubsub' }, auth)) as { services: { nodeName: string; properties: { wsUrl: string } }[] }).services;
  const { secret } = (await post(o.apiPort, '/pxgrid/control/AccessSecret', { peerNodeName: pubsub!.nodeName }, auth)) as { secret: string };
  const ws = new WebSocket(pubsub!.properties.wsUrl, { headers: { authorization: `Basic ${Buffer.from(`${nodeName}:${secret}`).toString('base64')}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const now = Date.now();
      const text = data.toString('utf8');
      if (text.startsWith('RECEIPT')) return resolve();
      if (!text.startsWith('MESSAGE')) return;
      received.pxgrid++;
      for (const m of text.matchAll(TIMESTAMP)) latencies.pxgrid.push(now - Date.parse(m[1]!));
    });
    ws.send(Buffer.from('SUBSCRIBE\ndestination:/topic/com.cisco.ise.session\nid:0\nreceipt:ready\n\n\0'), { binary: true });
  });
}

function percentiles(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!);
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]! };
}

process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && 'apiPort' in message) {
    const o = message as Setup;
    void (async () => {
      for (let i = 0; i < o.sse; i++) await openSse(o);
      for (let i = 0; i < o.pxgrid; i++) await openPxGrid(o, i);
      process.send!('ready');
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  } else if (message === 'reset') {
    latencies.sse = [];
    latencies.pxgrid = [];
    received.sse = 0;
    received.pxgrid = 0;
    process.send!('reset');
  } else if (message === 'report') {
    process.send!({ received, sse: percentiles(latencies.sse), pxgrid: percentiles(latencies.pxgrid) });
  } else if (message === 'exit') {
    process.exit(0);
  }
});
