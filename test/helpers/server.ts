/** An OpenMnT node on ephemeral ports with a throw-away SQLite file, for in-process tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before } from 'node:test';
import { defaultConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { UdpClient } from './udp-client.js';

export const SECRET = 'testing123';

export interface TestServer extends RunningServer {
  config: Config;
  dir: string;
  stop(): Promise<void>;
}

export function testConfig(dir: string, change?: (c: Config) => void): Config {
  const config = defaultConfig();
  config.node.name = 'openmnt-test';
  config.radius.auth = { host: '127.0.0.1', port: 0 };
  config.radius.accounting = { host: '127.0.0.1', port: 0 };
  config.radius.clients = [
    {
      name: 'test-switch',
      address: '127.0.0.1',
      secret: SECRET,
      vendor: 'cisco',
      coaPort: 3799,
      requireMessageAuthenticator: false,
      deviceGroups: [],
    },
  ];
  config.api.host = '127.0.0.1';
  config.api.port = 0;
  config.api.tls = { enabled: false, certFile: '', keyFile: '', dir: join(dir, 'tls') };
  config.api.adminsFile = join(dir, 'admins.json');
  config.pxgrid.accountsFile = join(dir, 'pxgrid-accounts.json');
  // The lowest cost the node accepts: every test node makes a few hashes, and 2^17 takes long.
  config.api.passwordHashCost = 14;
  config.store.path = join(dir, 'openmnt.db');
  config.store.synchronous = 'normal';
  config.log.level = 'silent';
  change?.(config);
  return config;
}

/** `log`, when given, receives the node's log lines (at the level `change` sets; silent otherwise). */
export async function startTestServer(change?: (c: Config) => void, log?: NodeJS.WritableStream): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-test-'));
  const config = testConfig(dir, change);
  const running = await startServer(config, createLogger(config.log.level, log));
  return {
    ...running,
    config,
    dir,
    async stop() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A test server and a UDP client for the tests of the enclosing suite (or file): started before
 * them, stopped after. Read the fields inside the tests, once `before` has run.
 */
export function serverWithClient(change?: (c: Config) => void): { server: TestServer; client: UdpClient } {
  const fixture = {} as { server: TestServer; client: UdpClient };
  before(async () => {
    fixture.server = await startTestServer(change);
    fixture.client = await UdpClient.open();
  });
  after(async () => {
    await fixture.client.close();
    await fixture.server.stop();
  });
  return fixture;
}

/** A log stream to hand to startTestServer, and what it has received so far. */
export function logCapture(): { stream: NodeJS.WritableStream; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}
