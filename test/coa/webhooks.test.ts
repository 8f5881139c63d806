/** Webhook delivery of audit events: signatures, retries with backoff, 410, dead and slow receivers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { WebhookDispatcher } from '../../src/coa/index.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { freeTcpPort } from '../helpers/ports.js';

const SECRET = `whsec_${Buffer.from('a-webhook-signing-key-of-32-bytes').toString('base64')}`;
const logger = createLogger('silent');
const timing = { baseDelayMs: 20, maxDelayMs: 80, timeoutMs: 2000 };

test('signed per Standard Webhooks; a 500 is retried until a 2xx', async () => {
  const receiver = await new WebhookReceiver(SECRET).start();
  receiver.statuses = [500, 503, 200];
  const hooks = new WebhookDispatcher({ receivers: [{ url: receiver.url, secret: SECRET }], maxAttempts: 5, logger, ...timing });
  hooks.publish('coa.audit', { mac: '00:11:22:33:44:55', outcome: 'nak' });
  await hooks.drain();
  await receiver.close();
  assert.equal(receiver.received.length, 3);
  assert.ok(receiver.received.every((r) => r.signatureValid));
  assert.equal(new Set(receiver.received.map((r) => r.id)).size, 1, 'retries keep the webhook-id');
  assert.equal(JSON.parse(receiver.received[0]!.body).data.outcome, 'nak');
  assert.equal(hooks.deliveries[0]!.state, 'delivered');
  assert.equal(hooks.deliveries[0]!.attempts, 3);
  assert.deepEqual(hooks.stats, { delivered: 1, failed: 0, dropped: 0, retried: 2 });
});

test('410 Gone disables the receiver', async () => {
  const receiver = await new WebhookReceiver(SECRET).start();
  receiver.statuses = [410];
  const hooks = new WebhookDispatcher({ receivers: [{ url: receiver.url, secret: SECRET }], maxAttempts: 5, logger, ...timing });
  hooks.publish('coa.audit', { n: 1 });
  await hooks.drain();
  hooks.publish('coa.audit', { n: 2 });
  await hooks.drain();
  await receiver.close();
  assert.equal(receiver.received.length, 1);
  assert.equal(hooks.deliveries[0]!.state, 'disabled');
});

test('a dead receiver is recorded as failed after the last try, and publishing never waits', async () => {
  const url = `http://127.0.0.1:${await freeTcpPort()}/gone`;
  const hooks = new WebhookDispatcher({ receivers: [{ url, secret: SECRET }], maxAttempts: 3, logger, ...timing });
  for (let i = 0; i < 50; i++) hooks.publish('coa.audit', { i });
  // publish returned while every delivery is still under way: it only queues.
  assert.ok(hooks.deliveries.every((d) => d.state === 'pending'));
  await hooks.drain();
  assert.equal(hooks.stats.failed, 50);
  assert.ok(hooks.deliveries.every((d) => d.state === 'failed' && d.attempts === 3 && d.lastError !== null));
});

test('a slow receiver does not hold up publishing', async () => {
  const receiver = await new WebhookReceiver(SECRET).start();
  receiver.delayMs = 500;
  const hooks = new WebhookDispatcher({ receivers: [{ url: receiver.url, secret: SECRET }], maxAttempts: 2, logger, ...timing });
  hooks.publish('coa.audit', { slow: true });
  assert.equal(hooks.deliveries[0]!.state, 'pending', 'publish returned before the receiver answered');
  await hooks.drain();
  await receiver.close();
  assert.equal(hooks.stats.delivered, 1);
});
