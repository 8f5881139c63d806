/** A Server-Sent Events reader over a real HTTP connection: parses messages as they arrive, waits for the one wanted. */
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  #res: IncomingMessage | null = null;
  #buffer = '';
  #waiters: (() => void)[] = [];
  #ended = false;
  body = '';

  private constructor() {}

  /**
   * Opens `path` on the node's API port with the given headers; resolves once the status is known.
   * `tls`: over HTTPS, trusting the node's self-signed certificate.
   */
  static open(port: number, path: string, headers: Record<string, string>, tls = false): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const options = { host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } };
      const req = (tls ? httpsRequest : request)(tls ? { ...options, rejectUnauthorized: false } : options, (res) => {
        client.#res = res;
        client.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.#feed(chunk));
        res.on('end', () => client.#end());
        res.on('error', () => client.#end());
        res.on('close', () => client.#end());
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  #feed(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\n\n')) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const message: SseMessage = { id: undefined, event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') message.id = value;
        else if (field === 'event') message.event = value;
        else if (field === 'data') {
          message.data += (hasData ? '\n' : '') + value;
          hasData = true;
        }
      }
      if (hasData) this.messages.push(message);
    }
    this.#wake();
  }

  #end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Waits until `done(messages)` holds (checked on every arrival); fails if the stream ends first. */
  async until(done: (messages: SseMessage[]) => boolean, what = 'the expected events'): Promise<SseMessage[]> {
    while (!done(this.messages)) {
      if (this.#ended) throw new Error(`the stream ended before ${what}; got ${JSON.stringify(this.messages.map((m) => [m.id, m.event]))}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.messages;
  }

  /** Waits for the response to end (for error answers). */
  async finished(): Promise<void> {
    while (!this.#ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  pause(): void {
    this.#res?.pause();
  }

  resume(): void {
    this.#res?.resume();
  }

  close(): void {
    this.#res?.destroy();
  }
}

/** The session events among the messages, parsed. */
export function sessionEvents(messages: SseMessage[]): { id: number; type: string; session: Record<string, unknown> }[] {
  return messages.filter((m) => m.event.startsWith('session.')).map((m) => JSON.parse(m.data) as { id: number; type: string; session: Record<string, unknown> });
}
