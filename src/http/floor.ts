/**
 * The transport floor for `npm run bench:api`: `GET /bench-floor/{bytes}` answers a constant body
 * of that many bytes from the same HTTPS server, before credentials, routing or the store, so the
 * benchmark can print each MnT call beside what this server's TLS and HTTP alone cost for an answer
 * of the same size. It exists only when the process was started with OPENMNT_BENCH_FLOOR=1 (the
 * benchmark sets it on the child it starts); a node started any other way has no such path, and the
 * request goes on to the MnT face like any unknown path (401 without credentials, 404 with).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XML_TYPE } from './context.js';

export const FLOOR_ENV = 'OPENMNT_BENCH_FLOOR';
const PREFIX = '/bench-floor/';
/** The largest body the floor answers (the MnT answers it stands beside are a few KiB). */
const MAX_BYTES = 1 << 20;

/** The floor's handler (true: answered), or null unless the flag was set when the node started. */
export function transportFloor(env: NodeJS.ProcessEnv = process.env): ((req: IncomingMessage, res: ServerResponse) => boolean) | null {
  if (env[FLOOR_ENV] !== '1') return null;
  const bodies = new Map<number, Buffer>();
  return (req, res) => {
    const target = req.url ?? '';
    if (!target.startsWith(PREFIX)) return false;
    const bytes = Number(target.slice(PREFIX.length));
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_BYTES) return false;
    let body = bodies.get(bytes);
    if (body === undefined) {
      body = Buffer.alloc(bytes, 'x');
      bodies.set(bytes, body);
    }
    // The same headers as an MnT answer of the same size (Server is set by the pipeline before).
    res.writeHead(200, { 'Content-Type': XML_TYPE, 'Content-Length': bytes });
    res.end(body);
    req.resume();
    return true;
  };
}
