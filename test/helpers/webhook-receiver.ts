/** A webhook receiver over real HTTP on 127.0.0.1 that checks Standard Webhooks signatures itself. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  id: string;
  timestamp: number;
  body: string;
  /** The signature header verified against the shared secret, independently of the sender's code. */
  signatureValid: boolean;
}

export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  /** Status codes to answer, in turn; the last one repeats. */
  statuses: number[] = [200];
  delayMs = 0;
  #server: Server;
  url = '';

  constructor(readonly secret: string) {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        const timestamp = Number(req.headers['webhook-timestamp']);
        const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
        const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'));
        const offered = String(req.headers['webhook-signature'] ?? '')
          .split(' ')
          .map((s) => Buffer.from(s.replace(/^v1,/, '')));
        const signatureValid = offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected));
        this.received.push({ id, timestamp, body, signatureValid });
        const status = this.statuses.length > 1 ? this.statuses.shift()! : this.statuses[0]!;
        setTimeout(() => res.writeHead(status).end(), this.delayMs);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
