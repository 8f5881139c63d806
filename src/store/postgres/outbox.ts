/**
 * The webhook outbox in PostgreSQL (see ../cluster.ts): a row per message and receiver until it
 * is delivered or given up. An attempt leases its row (`owner`, `lease_until`, the database's
 * clock); claims skip rows another node has locked, so no two nodes attempt one message at once.
 * A node that dies during an attempt leaves its lease to run out; the message is then attempted
 * again by another node, with the same `webhook-id`, which is how receivers recognise a repeat.
 */
import type { Sql } from 'postgres';
import type { NewOutboxMessage, OutboxMessage, WebhookOutbox } from '../cluster.js';
import { pgAttempt, PG_NOW_MS } from './connect.js';


export class PgWebhookOutbox implements WebhookOutbox {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }


  async add(owner: string, leaseMs: number, messages: readonly NewOutboxMessage[]): Promise<number[]> {
    if (messages.length === 0) return [];
    const rows = await pgAttempt('keeping webhook messages', () =>
      this.#sql.unsafe(
        'INSERT INTO webhook_outbox (message_id, receiver, url, type, body, created_at, attempts, next_at, owner, lease_until) ' +
          `SELECT m, r, u, t, b, ${PG_NOW_MS}, 1, ${PG_NOW_MS}, $1, ${PG_NOW_MS} + $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS x(m, r, u, t, b, ord) ORDER BY ord RETURNING id`,
        [owner, leaseMs, messages.map((m) => m.messageId), messages.map((m) => m.receiver), messages.map((m) => m.url), messages.map((m) => m.type), messages.map((m) => m.body)] as never[],
      ),
    );
    // Identity values are handed out in the order the rows are inserted.
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  async claim(owner: string, receivers: readonly string[], limit: number, leaseMs: number): Promise<OutboxMessage[]> {
    if (receivers.length === 0 || limit <= 0) return [];
    const rows = await pgAttempt('taking webhook messages', () =>
      this.#sql.unsafe(
        `UPDATE webhook_outbox o SET owner = $1, lease_until = ${PG_NOW_MS} + $2, attempts = o.attempts + 1
         WHERE o.id IN (SELECT id FROM webhook_outbox WHERE receiver = ANY($3::text[]) AND next_at <= ${PG_NOW_MS}
                          AND (lease_until IS NULL OR lease_until < ${PG_NOW_MS}) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING o.id, o.message_id, o.receiver, o.url, o.type, o.body, o.attempts`,
        [owner, leaseMs, receivers, limit] as never[],
      ),
    );
    return rows
      .map((r) => ({ id: Number(r.id), messageId: r.message_id as string, receiver: r.receiver as string, url: r.url as string, type: r.type as string, body: r.body as string, attempts: Number(r.attempts) }))
      .sort((a, b) => a.id - b.id);
  }

  async remove(owner: string, id: number): Promise<void> {
    // Only while this node's attempt holds it: a message another node took over is that node's.
    await pgAttempt('removing a webhook message', () => this.#sql.unsafe('DELETE FROM webhook_outbox WHERE id = $1 AND owner = $2', [id, owner] as never[]));
  }

  async retryLater(owner: string, id: number, delayMs: number): Promise<void> {
    await pgAttempt('deferring a webhook message', () =>
      this.#sql.unsafe(`UPDATE webhook_outbox SET owner = NULL, lease_until = NULL, next_at = ${PG_NOW_MS} + $1 WHERE id = $2 AND owner = $3`, [Math.round(delayMs), id, owner] as never[]),
    );
  }

  async count(receivers: readonly string[]): Promise<number> {
    const [row] = await pgAttempt('counting webhook messages', () =>
      this.#sql.unsafe('SELECT COUNT(*)::int AS n FROM webhook_outbox WHERE receiver = ANY($1::text[])', [receivers] as never[]),
    );
    return Number(row?.n ?? 0);
  }
}
