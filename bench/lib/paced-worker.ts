/**
 * A paced accounting probe on its own thread (see paced.ts). workerData: the server port, secret,
 * which sessions to send Interim-Updates for, the rate. Posts `ready` once its datagrams are
 * encoded, starts on `go`, then posts the PacedResult.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Code } from '../../src/radius/index.js';
import { encodeAll } from './load.js';
import { runPaced } from './paced.js';
import { accountingAttributes, type AcctPhase } from './traffic.js';

export interface PacedProbe {
  port: number;
  secret: string;
  /** Interim-Updates for sessions first … first + count − 1 (one each). */
  first: number;
  count: number;
  eventTime: number;
  /** What each request is (default Interim-Update; bench/events.ts sends Starts, one new session each). */
  phase?: AcctPhase;
  rate: number;
  sockets: number;
  drainMs: number;
}

const o = workerData as PacedProbe;
const port = parentPort!;
const datagrams = encodeAll(o.count, Code.AccountingRequest, o.secret, (k) => accountingAttributes(o.first + k, o.phase ?? 'Interim-Update', o.eventTime));
port.once('message', () => {
  void runPaced({ port: o.port, secret: o.secret, datagrams, rate: o.rate, sockets: o.sockets, drainMs: o.drainMs }).then((result) => port.postMessage(result));
});
port.postMessage('ready');
