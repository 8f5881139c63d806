/**
 * The composition root of `openmnt serve`: store → session directory → RADIUS listeners. Each part
 * is built from the configuration and handed what it needs; nothing else wires parts together.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { AuthPolicy, profileAttributes, type AccessRequestFacts } from './auth/index.js';
import { DEMO_CLIENT, type Config } from './config.js';
import {
  Code,
  ciscoAvPair,
  getAttribute,
  revealUserPassword,
  type AttributeInput,
  type RadiusPacket,
} from './radius/index.js';
import {
  NasClientTable,
  RadiusServer,
  type AccessReply,
  type NasClient,
  type RequestContext,
} from './radius-server/index.js';
import { SessionDirectory, toAccountingWrite, toAuthWrite } from './sessions/index.js';
import { startStore, type Store } from './store/index.js';
import { CoaEngine, JobRunner } from './coa/index.js';
import { AdminDirectory, LoginGuard, MetricsRegistry, startApiServer } from './mnt-api/index.js';
import { VERSION } from './version.js';

export interface RunningServer {
  ports: { auth: number; accounting: number };
  store: Store;
  directory: SessionDirectory;
  radius: RadiusServer;
  clients: NasClient[];
  coa: CoaEngine;
  jobs: JobRunner;
  api: { port: number; url: string };
  admins: AdminDirectory;
  /** Set when this start created the first admin account: shown once, never stored in clear. */
  initialAdmin: { name: string; password: string } | null;
  close(): Promise<void>;
}

export function nasClients(config: Config): NasClient[] {
  const configured = config.radius.clients.length > 0 ? config.radius.clients : [DEMO_CLIENT];
  return configured.map((c) => ({ ...c, secret: Buffer.from(c.secret, 'utf8') }));
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  if (config.store.path !== ':memory:') mkdirSync(dirname(config.store.path), { recursive: true });
  const store = await startStore(config.store);
  const directory = new SessionDirectory({
    store,
    logger: logger.child({ part: 'sessions' }),
    maxBatch: config.radius.maxBatch,
    ...config.sessions,
    retentionDays: config.retention.days,
    pruneIntervalMinutes: config.retention.pruneIntervalMinutes,
  });
  const policy = new AuthPolicy(config.auth);
  const server = config.node.name;
  const clients = nasClients(config);
  const clientTable = new NasClientTable(clients);

  const radius = new RadiusServer({
    auth: config.radius.auth,
    accounting: config.radius.accounting,
    clients: clientTable,
    duplicateWindowMs: config.radius.duplicateWindowSeconds * 1000,
    receiveBufferBytes: config.radius.receiveBufferBytes,
    logger: logger.child({ part: 'radius' }),
    handlers: {
      // Not an async function: nothing of the request stays referenced while the commit is awaited.
      accounting: (request) =>
        directory.recordAccounting(
          toAccountingWrite(
            { packet: request.packet, nasName: request.client.name, sourceAddress: request.source.address, receivedAt: request.receivedAt },
            server,
          ),
        ),
      access: async (request) => {
        const facts = accessFacts(request);
        const decision = policy.decide(facts);
        const reply: AttributeInput[] = [];
        if (decision.accept) {
          const audit = ciscoAvPair(request.packet, 'audit-session-id');
          if (facts.userName !== null) reply.push({ name: 'User-Name', value: facts.userName });
          reply.push(...profileAttributes(decision.profile ?? {}, audit === undefined ? null : `CACS:${audit}:${server}`));
        }
        await directory.recordAuthentication(
          toAuthWrite(
            {
              packet: request.packet,
              nasName: request.client.name,
              sourceAddress: request.source.address,
              receivedAt: request.receivedAt,
              decidedAt: Date.now(),
              decision,
              reply,
            },
            server,
          ),
        );
        const answer: AccessReply = { code: decision.accept ? Code.AccessAccept : Code.AccessReject, attributes: reply };
        return answer;
      },
    },
  });

  const ports = await radius.start();
  directory.start();

  const coa = new CoaEngine({ config: config.coa, clients: clientTable, store, logger: logger.child({ part: 'coa' }) });
  const jobs = new JobRunner({ coa, store, config: config.coa, logger: logger.child({ part: 'coa-jobs' }) });
  await jobs.markInterrupted();
  const admins = AdminDirectory.open(config.api.adminsFile);
  const initialAdmin = await admins.ensureInitialAdmin();
  const metrics = new MetricsRegistry();
  registerServerMetrics(metrics, radius, store);
  const api = await startApiServer({
    config,
    logger: logger.child({ part: 'mnt-api' }),
    store,
    admins,
    guard: new LoginGuard(config.api.lockout),
    metrics,
    coa,
    jobs,
    version: VERSION,
  });
  logger.info({ node: server, clients: clients.map((c) => `${c.name} ${c.address}`), store: config.store.path, api: api.url }, 'OpenMnT serving');

  return {
    ports,
    store,
    directory,
    radius,
    clients,
    coa,
    jobs,
    api: { port: api.port, url: api.url },
    admins,
    initialAdmin,
    async close() {
      await api.close();
      await jobs.close();
      await coa.close();
      await radius.close();
      await directory.close();
      await store.close();
    },
  };
}

function registerServerMetrics(metrics: MetricsRegistry, radius: RadiusServer, store: Store): void {
  metrics.counterFrom('openmnt_radius_packets_total', 'RADIUS packets by listener and outcome (answered, duplicate answered, or the reason of a drop).', () => {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const [listener, stats] of Object.entries(radius.stats())) {
      out.push({ labels: { listener, outcome: 'answered' }, value: stats.answered });
      out.push({ labels: { listener, outcome: 'duplicate-answered' }, value: stats.duplicatesAnswered });
      for (const [reason, n] of Object.entries(stats.dropped)) out.push({ labels: { listener, outcome: `dropped-${reason}` }, value: n });
    }
    return out;
  });
  metrics.counterFrom('openmnt_radius_received_total', 'RADIUS datagrams received, by listener.', () =>
    Object.entries(radius.stats()).map(([listener, stats]) => ({ labels: { listener }, value: stats.received })),
  );
  metrics.gauge('openmnt_sessions_active', 'Sessions in the active directory.', () => store.countActive());
}

function textOf(packet: RadiusPacket, name: string): string | null {
  const a = getAttribute(packet, name);
  return a === undefined ? null : Buffer.isBuffer(a.value) ? a.value.toString('utf8') : String(a.value);
}

/** What the policy needs from an Access-Request, with the PAP password revealed. */
function accessFacts(request: RequestContext): AccessRequestFacts {
  const { packet, client } = request;
  const hidden = getAttribute(packet, 'User-Password');
  const chap = getAttribute(packet, 'CHAP-Password');
  const challenge = getAttribute(packet, 'CHAP-Challenge');
  const serviceType = getAttribute(packet, 'Service-Type');
  return {
    userName: textOf(packet, 'User-Name'),
    password: hidden !== undefined && Buffer.isBuffer(hidden.value) ? safeReveal(hidden.value, client.secret, packet.authenticator) : null,
    chap:
      chap !== undefined && Buffer.isBuffer(chap.value) && chap.value.length === 17
        ? {
            id: chap.value[0]!,
            response: chap.value.subarray(1),
            // RFC 2865 §5.3: without CHAP-Challenge, the Request Authenticator is the challenge.
            challenge: challenge !== undefined && Buffer.isBuffer(challenge.value) ? challenge.value : packet.authenticator,
          }
        : null,
    serviceType: serviceType !== undefined && typeof serviceType.value === 'number' ? serviceType.value : null,
    callingStationId: textOf(packet, 'Calling-Station-Id'),
    eap: getAttribute(packet, 'EAP-Message') !== undefined,
  };
}

/** A User-Password of impossible length cannot be revealed; it then matches no password. */
function safeReveal(hidden: Buffer, secret: Buffer, authenticator: Buffer): string | null {
  try {
    return revealUserPassword(hidden, secret, authenticator);
  } catch {
    return '\u0000invalid';
  }
}
