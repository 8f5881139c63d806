/**
 * A home server for the proxy's tests, over real UDP on 127.0.0.1: it checks what it receives with
 * its own secret and answers as the test sets (accept with attributes, reject, a challenge with a
 * State, an answer signed with the wrong secret, garbage, or nothing), Status-Server included.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Code, decodePacket, encodeResponse, verifyMessageAuthenticator, verifyRequestAuthenticator, type AttributeInput, type RadiusPacket } from '../../src/radius/index.js';

export type HomeBehaviour =
  | { kind: 'accept'; attributes?: AttributeInput[] }
  | { kind: 'reject' }
  | { kind: 'challenge'; state: Buffer }
  | { kind: 'wrong-secret' }
  | { kind: 'garbage' }
  | { kind: 'silent' };

export interface HomeReceived {
  raw: Buffer;
  packet: RadiusPacket;
  /** Message-Authenticator (and, for accounting, the Request Authenticator) verified with this server's secret. */
  authentic: boolean;
}

export class FakeHome {
  readonly secret: string;
  readonly received: HomeReceived[] = [];
  behaviour: HomeBehaviour = { kind: 'accept' };
  /** Whether Status-Server is answered. */
  answersStatus = true;
  readonly #socket: Socket;
  readonly #waiters: { count: number; resolve: () => void }[] = [];
  port = 0;

  constructor(secret: string) {
    this.secret = secret;
    this.#socket = createSocket('udp4');
    this.#socket.on('message', (raw, from) => this.#on(raw, from.address, from.port));
  }

  start(port = 0): Promise<this> {
    return new Promise((resolve) =>
      this.#socket.bind(port, '127.0.0.1', () => {
        this.port = this.#socket.address().port;
        resolve(this);
      }),
    );
  }

  /** Resolves once `count` requests in all (Status-Server included) have arrived. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #on(raw: Buffer, address: string, port: number): void {
    let packet: RadiusPacket;
    try {
      packet = decodePacket(raw);
    } catch {
      return;
    }
    const ma = verifyMessageAuthenticator(raw, this.secret);
    const authentic = packet.code === Code.AccountingRequest ? verifyRequestAuthenticator(raw, this.secret) && ma !== false : ma === true;
    this.received.push({ raw, packet, authentic });
    for (let i = this.#waiters.length - 1; i >= 0; i--) if (this.received.length >= this.#waiters[i]!.count) this.#waiters.splice(i, 1)[0]!.resolve();
    const send = (b: Buffer) => this.#socket.send(b, port, address);
    if (packet.code === Code.StatusServer) {
      if (this.answersStatus) send(encodeResponse(packet, Code.AccessAccept, [], this.secret, { messageAuthenticator: true }));
      return;
    }
    if (packet.code === Code.AccountingRequest) {
      if (this.behaviour.kind !== 'silent') send(encodeResponse(packet, Code.AccountingResponse, [], this.secret));
      return;
    }
    const b = this.behaviour;
    switch (b.kind) {
      case 'accept':
        return send(encodeResponse(packet, Code.AccessAccept, b.attributes ?? [], this.secret, { messageAuthenticator: true }));
      case 'reject':
        return send(encodeResponse(packet, Code.AccessReject, [], this.secret, { messageAuthenticator: true }));
      case 'challenge':
        return send(encodeResponse(packet, Code.AccessChallenge, [{ name: 'State', value: b.state }, { name: 'EAP-Message', value: Buffer.from([1, 2, 0, 6, 25, 0x20]) }], this.secret, { messageAuthenticator: true }));
      case 'wrong-secret':
        return send(encodeResponse(packet, Code.AccessAccept, [], 'not-the-secret', { messageAuthenticator: true }));
      case 'garbage':
        return send(Buffer.from([2, packet.identifier, 0, 3, 1, 2, 3]));
      case 'silent':
        return;
    }
  }
}
