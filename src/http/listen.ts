/**
 * The API's listening socket: HTTPS with ECDHE and AEAD suites only (or plain HTTP when configured),
 * and the limits that keep a flood of connections from starving everyone else: a total and a
 * per-address cap, a deadline for the TLS handshake and for the request headers, an idle timeout,
 * and sockets that a protocol error leaves behind destroyed rather than left half-closed.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Config } from '../config.js';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import { OpenMntError, bindProblem } from '../errors.js';
import type { ApiDependencies } from './deps.js';
import { createApiHandler } from './pipeline.js';
import { clientCertificateOptions, loadTlsCredentials } from './tls.js';

/**
 * TLS 1.3's suites are all AEAD with forward secrecy. For TLS 1.2 only ECDHE key exchange with
 * GCM or ChaCha20-Poly1305: no static RSA (no forward secrecy), no CBC, no SHA-1 MACs.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** How long a socket that failed to parse gets to take its error answer before it is destroyed. */
const ERROR_LINGER_MS = 2000;

export interface RunningApi {
  port: number;
  url: string;
  server: Server;
  /** Open connections, for the tests and /metrics. */
  connections(): number;
  /** Loads the configured certificate and key again and serves them to new connections. */
  reloadTls(tls: Config['api']['tls']): Promise<void>;
  close(): Promise<void>;
}

/** Starts the API on the configured address: HTTPS unless configured otherwise. */
export async function startApiServer(deps: ApiDependencies): Promise<RunningApi> {
  const { config, logger, metrics } = deps;
  const limits = config.api.connections;
  const handler = createApiHandler(deps);
  const options = {
    maxHeaderSize: config.api.maxHeaderBytes,
    keepAliveTimeout: limits.idleSeconds * 1000,
    headersTimeout: limits.headersSeconds * 1000,
    requestTimeout: 300_000,
    // How often Node looks for connections past headersTimeout / requestTimeout.
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, (limits.headersSeconds * 1000) / 4)),
  };
  const secureOptions = { minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true } as const;
  let server: Server;
  if (config.api.tls.enabled) {
    const tls = await loadTlsCredentials(config.api.tls, [config.node.name, hostname()]);
    if (tls.generated) logger.info({ dir: config.api.tls.dir, fingerprint: tls.fingerprint }, 'made a self-signed certificate for the MnT API');
    const clientAuth = config.pxgrid.enabled ? clientCertificateOptions(config.pxgrid.clientCaFile) : {};
    server = createHttpsServer({ ...options, ...secureOptions, ...clientAuth, key: tls.key, cert: tls.cert, handshakeTimeout: limits.handshakeSeconds * 1000 }, handler);
  } else {
    server = createHttpServer(options, handler);
  }
  // Past the total, Node closes new connections as soon as they are accepted.
  server.maxConnections = limits.total;

  const refused = metrics.counter('openmnt_api_connections_refused_total', 'API connections closed on arrival, by reason.', ['reason']);
  const sockets = new Set<Socket>();
  const perSource = new Map<string, number>();
  metrics.gauge('openmnt_api_connections', 'Open API connections.', () => sockets.size);
  server.on('drop', () => refused.inc({ reason: 'total' }));
  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const open = perSource.get(source) ?? 0;
    if (open >= limits.perSource) {
      refused.inc({ reason: 'per-source' });
      socket.destroy();
      return;
    }
    perSource.set(source, open + 1);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      const left = (perSource.get(source) ?? 1) - 1;
      if (left <= 0) perSource.delete(source);
      else perSource.set(source, left);
    });
  });
  // WebSocket upgrades: only pxGrid's pubsub service takes them; anything else is refused.
  server.on('upgrade', (req: import('node:http').IncomingMessage, socket: Socket, head: Buffer) => {
    if (deps.pxgrid === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    deps.pxgrid.pubsub.upgrade(req, socket, head);
  });
  // A TLS client that stalls or fails its handshake: Node reports it here; the socket must go.
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    // The answer may never be sent (a peer that reads nothing); the socket is destroyed either way,
    // so it cannot linger half-closed holding a descriptor.
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), ERROR_LINGER_MS).unref();
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const failed = (port: number, error: unknown) =>
    new OpenMntError('START_FAILED', `cannot listen for the MnT API on TCP ${config.api.host}:${port}: ${bindProblem(error as NodeJS.ErrnoException)}`, { cause: error });
  try {
    await listen(config.api.port);
  } catch (error) {
    // 443 needs privilege; an unprivileged quick start falls back to 8443 rather than failing.
    if ((error as NodeJS.ErrnoException).code !== 'EACCES' || config.api.port !== 443) throw failed(config.api.port, error);
    logger.warn('port 443 needs privilege; the MnT API listens on 8443 instead (set api.port to choose)');
    await listen(8443).catch((e: unknown) => {
      throw failed(8443, e);
    });
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host;
  const url = `${config.api.tls.enabled ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/admin/API/mnt/`;
  logger.info({ url }, 'MnT API ready');
  return {
    port,
    url,
    server,
    connections: () => sockets.size,
    async reloadTls(tls) {
      if (!config.api.tls.enabled) return;
      const credentials = await loadTlsCredentials(tls, [config.node.name, hostname()]);
      const clientAuth = config.pxgrid.enabled ? clientCertificateOptions(config.pxgrid.clientCaFile) : {};
      (server as HttpsServer).setSecureContext({ ...secureOptions, ca: clientAuth.ca, key: credentials.key, cert: credentials.cert });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
