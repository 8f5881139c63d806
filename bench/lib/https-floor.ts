/**
 * The transport floor of a streamed list (bench/api.ts): a bare Node HTTPS server, run as a child
 * process like `openmnt serve`, with the node's certificate and the node's TLS settings (the same
 * protocol floor, suites and order), that answers `GET /stream/{bytes}` with that many bytes of a
 * constant chunk, chunked like the ActiveList and written with backpressure. No store, no
 * rendering: what moving the same bytes through TLS and HTTP costs on this machine. It runs at the
 * priority of the node's API thread.
 *
 *   node dist/bench/lib/https-floor.js CERT_FILE KEY_FILE   → prints the port it listens on
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLS_CIPHERS } from '../../src/http/index.js';
import { API_NICE, lowerThisThread } from '../../src/thread-priority.js';

/** The size of the ActiveList's writes (routes.ts CHUNK). */
const CHUNK = 64 * 1024;

// The node's API thread runs at API_NICE (server.ts): the floor competes for the cores as it does.
lowerThisThread(API_NICE);
const [certFile, keyFile] = process.argv.slice(2);
if (certFile === undefined || keyFile === undefined) {
  console.error('usage: https-floor CERT_FILE KEY_FILE');
  process.exit(2);
}
// XML-like bytes, so nothing downstream sees an unusual pattern.
const chunk = Buffer.from('    <activeSession>\n        <user_name>floor</user_name>\n    </activeSession>\n'.repeat(CHUNK).slice(0, CHUNK));

const server = createServer(
  { key: readFileSync(keyFile), cert: readFileSync(certFile), minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true },
  (req, res) => {
    const match = /^\/stream\/(\d+)$/.exec(req.url ?? '');
    if (match === null) {
      res.writeHead(404).end();
      return;
    }
    let left = Number(match[1]);
    res.writeHead(200, { 'Content-Type': 'application/xml;charset=UTF-8' });
    const pump = () => {
      while (left > 0) {
        const n = Math.min(CHUNK, left);
        left -= n;
        if (!res.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  },
);
server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
