/**
 * A NAS as the failover tests need one: radclient sending a stream of Accounting-Requests to one
 * node, with each request's fate known. radclient's `-x` output names every request it sends (its
 * Id on its socket, then the attributes) and every response (the same Id): so a request counts as
 * acknowledged only when its own Accounting-Response arrived. A NAS that gives up on a node (the
 * node was killed, its database gone) is stopped, and what it had not been answered for is sent
 * again elsewhere, as a NAS fails over.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface AcctPacket {
  /** What identifies this request among all the test sends: `Start:cl-17`. */
  key: string;
  /** The attributes as radclient reads them: `Attr = value, …`. */
  text: string;
}

export interface NasStream {
  /** Keys of the requests an Accounting-Response arrived for, so far. */
  readonly acked: Set<string>;
  /** Resolves with the acknowledged keys once radclient has ended (of itself or stopped). */
  readonly done: Promise<Set<string>>;
  /** Resolves once at least `n` requests are acknowledged (or radclient has ended). */
  ackedAtLeast(n: number): Promise<void>;
  /** Gives up on the node: radclient is ended; resolves once its output is read to the end. */
  stop(): Promise<Set<string>>;
}

/** Sends `packets` to 127.0.0.1:`port`, `parallel` in flight, each tried `tries` times. */
export function streamAccounting(port: number, secret: string, packets: readonly AcctPacket[], options: { parallel?: number; tries?: number; timeoutSeconds?: number } = {}): NasStream {
  // Line-buffered: a response is seen when radclient prints it, and nothing is lost when it is stopped.
  const child = spawn('stdbuf', ['-oL', 'radclient', '-x', '-r', String(options.tries ?? 3), '-t', String(options.timeoutSeconds ?? 2), '-p', String(options.parallel ?? 10), `127.0.0.1:${port}`, 'acct', secret], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const acked = new Set<string>();
  /** `socket port:Id` → the key of the request last sent with it. */
  const inFlight = new Map<string, string>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let sending: { slot: string; status?: string; session?: string } | null = null;
  const flushSending = () => {
    if (sending?.status !== undefined && sending.session !== undefined) inFlight.set(sending.slot, `${sending.status}:${sending.session}`);
    sending = null;
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let m: RegExpExecArray | null;
    if ((m = /^Sent Accounting-Request Id (\d+) from [^:]+:(\d+) /.exec(line))) {
      flushSending();
      sending = { slot: `${m[2]}:${m[1]}` };
    } else if (sending !== null && (m = /^\s+Acct-Status-Type = (\S+)/.exec(line))) {
      sending.status = m[1]!;
    } else if (sending !== null && (m = /^\s+Acct-Session-Id = "([^"]*)"/.exec(line))) {
      sending.session = m[1]!;
    } else if ((m = /^Received Accounting-Response Id (\d+) from \S+ to [^:]+:(\d+) /.exec(line))) {
      flushSending();
      const key = inFlight.get(`${m[2]}:${m[1]}`);
      if (key !== undefined) acked.add(key);
      for (let i = waiters.length - 1; i >= 0; i--) if (acked.size >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
    } else if (!/^\s/.test(line)) {
      flushSending();
    }
  });
  const done = new Promise<Set<string>>((resolve) =>
    child.once('close', () => {
      for (const w of waiters.splice(0)) w.resolve();
      resolve(acked);
    }),
  );
  child.stdin!.end(packets.map((p) => p.text).join('\n\n') + '\n');
  return {
    acked,
    done,
    ackedAtLeast: (n) => (acked.size >= n || child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

/**
 * Sends `packets` to `port` until every one is acknowledged, each round resending what the last
 * left unanswered (as a NAS does with its unacknowledged accounting), at most `rounds` rounds.
 * Resolves with the keys acknowledged.
 */
export async function sendUntilAcked(port: number, secret: string, packets: readonly AcctPacket[], rounds = 5): Promise<Set<string>> {
  const acked = new Set<string>();
  let left = [...packets];
  for (let round = 0; round < rounds && left.length > 0; round++) {
    const got = await streamAccounting(port, secret, left).done;
    for (const k of got) acked.add(k);
    left = left.filter((p) => !acked.has(p.key));
  }
  return acked;
}
