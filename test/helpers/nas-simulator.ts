/**
 * A NAS that answers CoA and Disconnect requests over real UDP on 127.0.0.1 with a real secret,
 * recording every datagram it receives. What it answers is set per test: ACK, NAK with an
 * Error-Cause, silence, a forged reply before the real one, or a delay.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  Code,
  decodePacket,
  encodeResponse,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  type RadiusPacket,
} from '../../src/radius/index.js';

export type NasBehaviour =
  | { kind: 'ack' }
  | { kind: 'nak'; errorCause: number }
  | { kind: 'silent' }
  | { kind: 'forge-then-ack' }
  | { kind: 'delay'; ms: number };

export interface Received {
  raw: Buffer;
  packet: RadiusPacket;
  at: number;
  /** Request Authenticator and Message-Authenticator verified with the NAS's secret. */
  authentic: boolean;
  /** The sender's address and port (tells apart the nodes of a cluster). */
  from: { address: string; port: number };
}

export class NasSimulator {
  readonly secret: string;
  readonly received: Received[] = [];
  behaviour: NasBehaviour;
  #socket: Socket;
  port = 0;

  constructor(secret: string, behaviour: NasBehaviour = { kind: 'ack' }) {
    this.secret = secret;
    this.behaviour = behaviour;
    this.#socket = createSocket('udp4');
    this.#socket.on('message', (raw, from) => this.#onRequest(raw, from));
  }

  /** Listens on `host` (any 127/8 address stands for a NAS of its own on this machine). */
  start(port = 0, host = '127.0.0.1'): Promise<this> {
    return new Promise((resolve) =>
      this.#socket.bind(port, host, () => {
        this.port = this.#socket.address().port;
        // Bulk tests send hundreds of requests at once; the default buffer would drop some.
        this.#socket.setRecvBufferSize(4 * 1024 * 1024);
        resolve(this);
      }),
    );
  }

  readonly #waiters: { count: number; resolve: () => void }[] = [];

  /** Resolves once `count` requests in all have arrived: tests wait for the event, not for a time. */
  waitForRequests(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  #onRequest(raw: Buffer, from: { address: string; port: number }): void {
    const packet = decodePacket(raw);
    const authentic = verifyRequestAuthenticator(raw, this.secret) && verifyMessageAuthenticator(raw, this.secret) !== false;
    this.received.push({ raw: Buffer.from(raw), packet, at: performance.now(), authentic, from: { address: from.address, port: from.port } });
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.received.length >= this.#waiters[i]!.count) this.#waiters.splice(i, 1)[0]!.resolve();
    }
    const ackCode = packet.code === Code.CoARequest ? Code.CoAACK : Code.DisconnectACK;
    const nakCode = packet.code === Code.CoARequest ? Code.CoANAK : Code.DisconnectNAK;
    const reply = (code: number, secret = this.secret, attributes: { name: string; value: number }[] = []) =>
      this.#socket.send(encodeResponse(packet, code, attributes, secret, { messageAuthenticator: true }), from.port, from.address);
    const b = this.behaviour;
    switch (b.kind) {
      case 'ack':
        return reply(ackCode);
      case 'nak':
        return reply(nakCode, this.secret, [{ name: 'Error-Cause', value: b.errorCause }]);
      case 'silent':
        return;
      case 'forge-then-ack':
        // Signed with the wrong secret: the sender must ignore it and keep waiting.
        reply(ackCode, `${this.secret}-forged`);
        setTimeout(() => reply(ackCode), 30);
        return;
      case 'delay':
        setTimeout(() => reply(ackCode), b.ms);
        return;
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
