/**
 * Session webhooks: radclient opens and closes sessions, each receiver gets the events its types
 * and filters select, signed the Standard Webhooks way; a 5xx is retried with the same id; 410
 * stops deliveries to that receiver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EventBus } from '../../src/events/bus.js';
import { SessionWebhooks } from '../../src/events/webhooks.js';
import { createLogger } from '../../src/logger.js';
import { startStore } from '../../src/store/index.js';
import { waitFor } from '../helpers/node-api.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET as RADIUS_SECRET, startTestServer } from '../helpers/server.js';
import { accountingStart } from '../helpers/session-writes.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = `whsec_${Buffer.from('a-session-webhook-key-32-bytes!!').toString('base64')}`;
const logger = createLogger('silent');

describe('session webhooks', { timeout: 120_000 }, () => {
  test('each receiver gets what its types and filters select, signed', async () => {
    const closedOnly = await new WebhookReceiver(SECRET).start();
    const oneMac = await new WebhookReceiver(SECRET).start();
    const server = await startTestServer((c) => {
      c.events.webhooks = [
        { url: closedOnly.url, secret: SECRET, types: ['closed'] },
        { url: oneMac.url, secret: SECRET, types: [], mac: '00:11:22:33:77:02' },
      ];
    });
    try {
      const packets = [
        'Acct-Status-Type = Start, Acct-Session-Id = "w1", Calling-Station-Id = "00-11-22-33-77-01", NAS-IP-Address = 10.3.3.3',
        'Acct-Status-Type = Start, Acct-Session-Id = "w2", Calling-Station-Id = "00-11-22-33-77-02", NAS-IP-Address = 10.3.3.3',
      ];
      assert.equal((await radclient({ port: server.ports.accounting, secret: RADIUS_SECRET, kind: 'acct', packets })).status, 0);
      const stops = packets.map((p) => p.replace('Start', 'Stop'));
      assert.equal((await radclient({ port: server.ports.accounting, secret: RADIUS_SECRET, kind: 'acct', packets: stops })).status, 0);
      // An answer leaves after its commit, but the commit's events reach this thread by a message
      // of their own and wait up to the bus's fan-out interval: drain only once they are handed
      // over (the lists below then say whether anything more, or other, was delivered).
      await waitFor('the closed events handed to both receivers', () => closedOnly.received.length >= 2 && oneMac.received.length >= 2, 60_000);
      await server.sessionWebhooks.drain();
      const bodies = (r: WebhookReceiver) => r.received.map((h) => JSON.parse(h.body) as { type: string; data: { id: number; session: { callingStationId: string } } });
      assert.deepEqual(bodies(closedOnly).map((b) => [b.type, b.data.session.callingStationId]).sort(), [
        ['session.closed', '00:11:22:33:77:01'],
        ['session.closed', '00:11:22:33:77:02'],
      ]);
      assert.deepEqual(bodies(oneMac).map((b) => b.type).sort(), ['session.closed', 'session.started']);
      assert.ok([...closedOnly.received, ...oneMac.received].every((h) => h.signatureValid));
    } finally {
      await server.stop();
      await closedOnly.close();
      await oneMac.close();
    }
  });

  test('retried with the same webhook-id after a 5xx; 410 disables the receiver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-hooks-'));
    const flaky = await new WebhookReceiver(SECRET).start();
    const gone = await new WebhookReceiver(SECRET).start();
    flaky.statuses = [503, 200];
    gone.statuses = [410];
    const store = await startStore({ driver: 'sqlite', path: join(dir, 'db.sqlite'), synchronous: 'normal' });
    const bus = await new EventBus(store, logger).start();
    const hooks = new SessionWebhooks({
      receivers: [
        { url: flaky.url, secret: SECRET, types: [] },
        { url: gone.url, secret: SECRET, types: [] },
      ],
      maxAttempts: 4,
      logger,
      baseDelayMs: 10,
    }).attach(bus);
    try {
      await store.write({ accounting: [accountingStart('h1', '00:11:22:33:88:01')] });
      await hooks.drain();
      await store.write({ accounting: [accountingStart('h2', '00:11:22:33:88:02')] });
      await hooks.drain();
      assert.equal(flaky.received.length, 3, 'first event twice (503, then 200), second once');
      assert.equal(flaky.received[0]!.id, flaky.received[1]!.id);
      assert.equal(gone.received.length, 1, 'nothing after the 410');
      assert.equal(hooks.deliveries().filter((d) => d.state === 'disabled').length, 1);
    } finally {
      await hooks.close();
      await store.close();
      await flaky.close();
      await gone.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
