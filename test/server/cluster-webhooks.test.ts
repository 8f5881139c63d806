/**
 * Session webhooks from two nodes on one PostgreSQL to one receiver: each event is delivered once
 * by the cluster (the shared outbox), and the events a node had not yet delivered when it was
 * killed (`kill -9`, its receiver down at the time) are delivered by the other node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { waitFor } from '../helpers/node-api.js';
import { clusterNodeEnv } from '../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { createTestDatabase, needPostgres, type TestDatabase } from '../helpers/postgres.js';
import { radclient } from '../helpers/radclient.js';
import { needTool } from '../helpers/tools.js';
import { WebhookReceiver, type ReceivedHook } from '../helpers/webhook-receiver.js';

const skip = (await needPostgres()) || needTool('radclient', 'freeradius-utils');
const SECRET = 'testing123';
const HOOK_SECRET = `whsec_${Buffer.from('cluster-webhooks-secret-key').toString('base64')}`;
const PER_NODE = 40;

const mac = (i: number) => `0D:00:00:00:${(i >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(i & 255).toString(16).padStart(2, '0').toUpperCase()}`;
const start = (i: number) => `Acct-Status-Type = Start, Acct-Session-Id = "wh-${i}", Calling-Station-Id = "${mac(i)}", NAS-IP-Address = 10.71.0.1, User-Name = "user-${i}"`;

/** The session event a delivery carries. */
const eventOf = (hook: ReceivedHook) => JSON.parse(hook.body) as { type: string; data: { id: number; session: { callingStationId?: string; macAddress?: string } } };

describe('session webhooks from two nodes on one PostgreSQL (shared outbox)', { skip }, () => {
  let db: TestDatabase;
  let dir: string;
  let store: PostgresStore;
  let receiver: WebhookReceiver;
  let nodes: NodeProcess[] = [];

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cluster-webhooks-'));
    receiver = await new WebhookReceiver(HOOK_SECRET).start();
    const config = join(dir, 'openmnt.yaml');
    writeFileSync(config, ['events:', '  webhookMaxAttempts: 50', '  webhooks:', `    - { url: "${receiver.url}", secret: "${HOOK_SECRET}", types: [started] }`, ''].join('\n'));
    nodes = await Promise.all(['node-a', 'node-b'].map((name) => startNodeProcess(clusterNodeEnv(dir, db.url, name), ['--config', config])));
    store = await openPostgresStore({ url: db.url, poolSize: 2, migrate: false });
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    await store?.close();
    await receiver?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const account = async (node: NodeProcess, from: number, count: number) => {
    const packets = Array.from({ length: count }, (_, k) => start(from + k));
    const run = await radclient({ port: node.ports.accounting, secret: SECRET, kind: 'acct', packets, retries: 3, timeoutSeconds: 5, extra: ['-p', '20'] });
    assert.equal((run.stdout.match(/Received Accounting-Response/g) ?? []).length, count, run.stderr);
  };
  const outboxEmpty = async () => Number((await store.sql.unsafe('SELECT COUNT(*)::int AS n FROM webhook_outbox'))[0]!.n) === 0;
  /** Of the deliveries the receiver acknowledged: how many times each event came, by event id. */
  const timesByEvent = (hooks: ReceivedHook[]) => {
    const times = new Map<number, number>();
    for (const h of hooks) times.set(eventOf(h).data.id, (times.get(eventOf(h).data.id) ?? 0) + 1);
    return times;
  };

  test('events written on either node: each delivered once, signed', async () => {
    await Promise.all(nodes.map((node, n) => account(node, n * PER_NODE, PER_NODE)));
    // Delivered and gone from the outbox: no attempt of them is left anywhere.
    await waitFor('every event delivered', async () => receiver.received.length >= 2 * PER_NODE && (await outboxEmpty()));
    const hooks = receiver.received;
    assert.ok(hooks.every((h) => h.signatureValid), 'every delivery signed with the shared secret');
    assert.equal(hooks.length, 2 * PER_NODE, 'one delivery per event, not one per node');
    assert.equal(new Set(hooks.map((h) => h.id)).size, hooks.length, 'every webhook-id once');
    const times = timesByEvent(hooks);
    assert.equal(times.size, 2 * PER_NODE);
    assert.ok([...times.values()].every((n) => n === 1));
  });

  test('a node killed while its receiver is down: the other node delivers its events', async () => {
    const [victim, survivor] = nodes as [NodeProcess, NodeProcess];
    receiver.statuses = [503];
    const first = receiver.received.length;
    await account(victim, 1000, PER_NODE);
    // Each event attempted at least once (and refused) before the node dies.
    await waitFor('first attempts refused', () => new Set(receiver.received.slice(first).map((h) => h.id)).size >= PER_NODE);
    victim.child.kill('SIGKILL');
    await victim.exitCode();
    nodes = [survivor];
    // From here on every request is answered 200 (the status is chosen when a request arrives).
    receiver.statuses = [200];
    const from = receiver.received.length;
    await waitFor('the survivor delivered them', async () => new Set(receiver.received.slice(from).map((h) => h.id)).size >= PER_NODE && (await outboxEmpty()));
    const delivered = receiver.received.slice(from);
    const times = timesByEvent(delivered);
    assert.equal(times.size, PER_NODE, 'every event of the killed node delivered');
    assert.ok([...times.values()].every((n) => n === 1), 'each once');
    const refusedIds = new Set(receiver.received.slice(first, from).map((h) => h.id));
    assert.ok(delivered.every((h) => refusedIds.has(h.id)), 'with the webhook-id of its first attempt');
  });
});
