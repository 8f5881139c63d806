/**
 * Promotion of the synchronous standby while two nodes ingest accounting: PostgreSQL servers of
 * the test's own (test/helpers/pg-cluster.ts), a primary whose commits wait for the standby
 * (`synchronous_standby_names` naming it, `synchronous_commit = on`, as the README gives them) and
 * nodes whose URL names both hosts. The primary is killed with SIGKILL while radclient NAS stream
 * Starts to both nodes; the nodes stop acknowledging and say so in /health; the standby is
 * promoted; the nodes find it by themselves (nothing restarted, nothing reconfigured) and /health
 * names the new server; the NAS send again what they were not answered for. On the promoted
 * server every acknowledged record is there, each request once, no session duplicated, the
 * active count exact. Every step waits on a condition, never on a sleep.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { sendUntilAcked, streamAccounting, type AcctPacket } from '../helpers/nas-stream.js';
import { eventually as eventuallyWithin, nodeHealth as health, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { needPgCluster, startPrimary, startStandby, type PgCluster } from '../helpers/pg-cluster.js';
import { needTool } from '../helpers/tools.js';

const skip =
  needPgCluster() ||
  needTool('radclient', 'freeradius-utils') ||
  needTool('stdbuf', 'coreutils');
const SECRET = 'testing123';
/** Sessions each node's NAS starts. */
const PER_NAS = 300;

const mac = (i: number) => `0F:00:00:00:${(i >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(i & 255).toString(16).padStart(2, '0').toUpperCase()}`;

function packet(status: 'Start' | 'Interim-Update', i: number): AcctPacket {
  return {
    key: `${status}:p-${i}`,
    text: `Acct-Status-Type = ${status}, Acct-Session-Id = "p-${i}", Calling-Station-Id = "${mac(i)}", NAS-IP-Address = 10.73.0.${1 + Math.floor(i / PER_NAS)}${status === 'Start' ? '' : ', Acct-Session-Time = 60'}`,
  };
}




/** Polls until a value comes, within a generous bound (two minutes: a promotion takes its time). */
const eventually = <T>(what: string, check: () => Promise<T | undefined>) => eventuallyWithin(what, check, 120);

describe('promotion of the synchronous standby during ingest', { skip, timeout: 600_000 }, () => {
  let primary: PgCluster;
  let standby: PgCluster;
  let dir: string;
  let nodes: NodeProcess[] = [];

  before(async () => {
    primary = await startPrimary({ synchronousStandby: 'standby1' });
    standby = await startStandby(primary, 'standby1');
    await eventually('the standby streams as the synchronous one', async () =>
      primary.psql("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'") === 'sync' ? true : undefined,
    );
    primary.psql('CREATE DATABASE openmnt');
    dir = mkdtempSync(join(tmpdir(), 'openmnt-pg-promotion-'));
    const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/openmnt`;
    const env = (name: string) => ({
      OPENMNT_NODE__NAME: name,
      OPENMNT_STORE__DRIVER: 'postgres',
      OPENMNT_STORE__URL: url,
      OPENMNT_STORE__POOL_SIZE: '3',
      OPENMNT_STORE__CONNECT_TIMEOUT_SECONDS: '2',
      OPENMNT_API__ADMINS_FILE: join(dir, `admins-${name}.json`),
      OPENMNT_API__TLS__DIR: join(dir, `tls-${name}`),
      OPENMNT_PXGRID__ACCOUNTS_FILE: join(dir, `pxgrid-${name}.json`),
    });
    // One after the other: each start makes its TLS pair, and the machine may be busy.
    for (const name of ['node-a', 'node-b']) nodes.push(await startNodeProcess(env(name), [], { api: true }));
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    nodes = [];
    standby?.remove();
    primary?.remove();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('the nodes resume on the promoted standby by themselves; nothing acknowledged is lost, nothing kept twice; /health shows the outage and the new server', async (t) => {
    for (const node of nodes) {
      const h = await health(node);
      assert.equal(h.status, 200);
      assert.equal(h.body.storeServer, `127.0.0.1:${primary.port}`, 'reading from the primary');
      assert.equal(typeof h.body.storeSchemaVersion, 'number');
    }
    const starts = nodes.map((_, n) => Array.from({ length: PER_NAS }, (_, k) => packet('Start', n * PER_NAS + k)));
    const acknowledged = new Set<string>();
    const keep = (keys: Iterable<string>) => {
      for (const k of keys) acknowledged.add(k);
    };

    // Both NAS stream their Starts; once each node has answered a part, the primary dies.
    const streams = nodes.map((node, n) => streamAccounting(node.ports.accounting, SECRET, starts[n]!, { parallel: 2, tries: 1, timeoutSeconds: 2 }));
    await Promise.all(streams.map((s) => s.ackedAtLeast(30)));
    primary.kill();

    // The outage as each node reports it: 503, no server answering a read, writes not committing
    // (failing, or stalled while the driver waits for a host that is a primary). The standby is up
    // and in recovery all along: no pool may take it (two runs of this test once saw reads answered
    // there; the driver's mend in scripts/patch-postgres-driver.mjs is why they are not).
    for (const node of nodes) {
      // What the node last said, for the failure message: the outage must show, whatever it says.
      let last: unknown;
      // Reads and writes learn of the outage each in its own time: a write waiting for a host is
      // not failing until its connection attempt ends (one run saw the read side first, writes
      // still 'ok'), so the report is awaited until it shows both.
      const down = await eventually('/health answers 503 with no server and writes not committing', async () => {
        const h = await health(node);
        last = { status: h.status, body: h.body };
        assert.notEqual(h.body.storeServer, `127.0.0.1:${standby.port}`, `reads answered by the standby in recovery: ${JSON.stringify(h.body)}`);
        return h.status === 503 && h.body.storeServer === null && h.body.writes !== 'ok' ? h : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}; node ${nodes.indexOf(node) + 1} last answered ${JSON.stringify(last)}`);
      });
      assert.ok(['failing', 'stalled'].includes(down.body.writes as string), `writes: ${String(down.body.writes)}`);
      assert.equal(down.body.storeReadable, false);
      assert.equal(down.body.storeServer, null);
      t.diagnostic(`during the outage: ${JSON.stringify({ status: down.status, store: down.body.store, storeReadable: down.body.storeReadable, storeServer: down.body.storeServer, writes: down.body.writes, lastWriteFailure: down.body.lastWriteFailure })}`);
    }
    // The NAS give up on what was not answered (they will send it again).
    for (const s of streams) keep(await s.stop());
    const unanswered = starts.map((packets) => packets.filter((p) => !acknowledged.has(p.key)));
    t.diagnostic(`acknowledged before the promotion: ${acknowledged.size} of ${2 * PER_NAS}`);

    standby.promote();
    assert.equal(standby.inRecovery(), false);
    // Nothing is restarted or reconfigured: each node finds the promoted server in its URL.
    for (const node of nodes) {
      const up = await eventually('/health answers 200 again', async () => {
        const h = await health(node);
        return h.status === 200 && h.body.writes === 'ok' ? h : undefined;
      });
      assert.equal(up.body.storeServer, `127.0.0.1:${standby.port}`, 'now on the promoted server');
      assert.equal(up.body.storeServerInRecovery, false, 'and it is a primary now');
      assert.equal(up.body.storeReadable, true);
    }

    // The NAS send again what they were not answered for (a retransmission: Acct-Delay-Time raised).
    for (const [n, node] of nodes.entries()) {
      keep(await sendUntilAcked(node.ports.accounting, SECRET, unanswered[n]!.map((p) => ({ key: p.key, text: `${p.text}, Acct-Delay-Time = 10` }))));
    }
    // And the sessions go on, each NAS now on the other node.
    const interims = nodes.map((_, n) => Array.from({ length: PER_NAS }, (_, k) => packet('Interim-Update', n * PER_NAS + k)));
    for (const [n, node] of nodes.entries()) keep(await sendUntilAcked(node.ports.accounting, SECRET, interims[1 - n]!));
    assert.equal(acknowledged.size, 4 * PER_NAS, 'every request acknowledged in the end');

    const sql = postgres(`postgres://postgres@127.0.0.1:${standby.port}/openmnt`, { max: 1, onnotice: () => undefined });
    try {
      const rows = await sql.unsafe<{ key: string; n: number }[]>("SELECT status_type || ':' || acct_session_id AS key, count(*)::int AS n FROM accounting_records GROUP BY 1");
      const stored = new Map(rows.map((r) => [r.key, r.n]));
      assert.deepEqual([...acknowledged].filter((k) => !stored.has(k)), [], 'every acknowledged record is on the promoted server');
      assert.deepEqual([...stored].filter(([, n]) => n > 1), [], 'no request kept twice');
      assert.equal(stored.size, acknowledged.size);
      const [counts] = await sql.unsafe<{ sessions: number; active: number; counter: number }[]>(
        'SELECT (SELECT count(*) FROM sessions_active)::int + (SELECT count(*) FROM sessions_closed)::int AS sessions, (SELECT count(*) FROM sessions_active)::int AS active, (SELECT active_sessions FROM store_counters)::int AS counter',
      );
      assert.deepEqual(counts, { sessions: 2 * PER_NAS, active: 2 * PER_NAS, counter: 2 * PER_NAS }, 'one session per endpoint; the count exact');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
