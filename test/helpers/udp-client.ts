/** A bare UDP RADIUS client built on our codec: sends exact bytes and collects what comes back. */
import { createSocket, type Socket } from 'node:dgram';
import { verifyResponseAuthenticator } from '../../src/radius/index.js';

export class UdpClient {
  readonly socket: Socket;
  readonly #waiting = new Map<number, (reply: Buffer) => boolean>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg) => {
      const id = msg[1];
      const resolve = id === undefined ? undefined : this.#waiting.get(id);
      if (resolve?.(msg)) this.#waiting.delete(id!);
    });
  }

  static async open(): Promise<UdpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpClient(socket);
  }

  send(datagram: Buffer, port: number): void {
    this.socket.send(datagram, port, '127.0.0.1');
  }

  /** Sends and waits for the reply with the datagram's identifier; null on timeout. With the
   * secret, only a reply whose Response Authenticator answers this very datagram counts, so a late
   * answer to an earlier request with the same identifier is never taken for this one. */
  request(datagram: Buffer, port: number, timeoutMs = 1000, secret?: string): Promise<Buffer | null> {
    const id = datagram[1]!;
    return new Promise((resolve) => {
      const waiter = (reply: Buffer) => {
        if (secret !== undefined && !verifyResponseAuthenticator(reply, datagram.subarray(4, 20), secret)) return false;
        clearTimeout(timer);
        resolve(reply);
        return true;
      };
      const timer = setTimeout(() => {
        // Only this request's own waiter: a later request may have taken the identifier since.
        if (this.#waiting.get(id) === waiter) this.#waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      this.#waiting.set(id, waiter);
      this.send(datagram, port);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
