/**
 * The database on a file system that really fills up (a 4 MiB tmpfs): accounting that cannot be
 * committed is not acknowledged, /health answers 503 with why, the log says so once rather than
 * once per batch, /metrics counts the failures; once space is freed the node recovers by itself
 * (its probe write commits) and answers again.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Code, encodePacket } from '../../src/radius/index.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';
import { UdpClient } from '../helpers/udp-client.js';

const tmpfs = mountTmpfs('4m');
const skip = 'skip' in tmpfs ? tmpfs.skip : false;

let identifier = 0;
function accounting(session: number, status: 'Start' | 'Interim-Update' = 'Start'): Buffer {
  return encodePacket(
    {
      code: Code.AccountingRequest,
      identifier: identifier++ & 0xff,
      attributes: [
        { name: 'Acct-Status-Type', value: status },
        { name: 'Acct-Session-Id', value: `full-disk-${session}` },
        { name: 'Calling-Station-Id', value: macOf(session) },
        { name: 'User-Name', value: `user-${session}` },
        { name: 'NAS-IP-Address', value: '10.9.9.9' },
      ],
    },
    { secret: SECRET },
  );
}

function macOf(session: number): string {
  return `0D:00:00:00:${((session >> 8) & 0xff).toString(16).padStart(2, '0')}:${(session & 0xff).toString(16).padStart(2, '0')}`.toUpperCase();
}

/** Polls `check` until it returns a value (not undefined); fails after a generous minute. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 2400; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

interface Health {
  status: number;
  body: Record<string, unknown>;
}

describe('database on a full disk', { skip }, () => {
  const mounted = tmpfs as Tmpfs;
  const lines: Record<string, unknown>[] = [];
  const log = new PassThrough();
  log.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const filler = () => join(mounted.dir, 'filler');
  let server: TestServer;
  let client: UdpClient;
  /** Log lines written before the disk filled up. */
  let loggedBeforeFull = 0;
  /** The first session whose Start went unanswered once the disk was full; later sessions follow it. */
  let unanswered = 0;
  let nextSession = 1;

  const health = async (): Promise<Health> => {
    const res = await fetch(`http://127.0.0.1:${server.api.port}/health`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const metrics = async () => (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text();
  /** The value of one series in the exposition text. */
  const metric = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const failedPackets = async () => (await server.radius.stats()).accounting.dropped['handler-failed'];

  before(async () => {
    server = await startTestServer((c) => {
      c.store.path = join(mounted.dir, 'openmnt.db');
      c.log.level = 'info';
    }, log);
    client = await UdpClient.open();
  });
  after(async () => {
    rmSync(filler(), { force: true });
    await client?.close();
    await server?.stop();
    mounted.unmount();
  });

  test('a healthy store answers and reports 200 with the commit fields', async () => {
    assert.ok(await client.request(accounting(0), server.ports.accounting, 3000, SECRET), 'answered while there is space');
    const h = await health();
    assert.equal(h.status, 200);
    assert.equal(h.body.writes, 'ok');
    assert.equal(h.body.writeFailures, 0);
    assert.equal(h.body.commitBacklog, 0);
    assert.equal(typeof h.body.lastCommitAgeSeconds, 'number');
    assert.equal(typeof h.body.freeBytes, 'number');
    assert.equal(h.body.diskSpace, 'low', 'a 4 MiB file system is below the default store.minFreeMiB');
  });

  test('disk full: no Accounting-Response, and /health answers 503 with the failure', async (t) => {
    fillUp(filler());
    loggedBeforeFull = lines.length;

    // A WAL that the checkpointing thread has wholly copied is reused from its start, so the first
    // commits after the disk filled may still fit in space the WAL already holds: those are stored,
    // and answered. Once a commit needs a new block it fails: not stored, so not acknowledged, and
    // the NAS keeps the record and retransmits it.
    let storedAfterFull = 0;
    for (;;) {
      const session = nextSession++;
      const answer = await client.request(accounting(session), server.ports.accounting, 1000, SECRET);
      if (answer === null) {
        unanswered = session;
        break;
      }
      storedAfterFull++;
      assert.ok(storedAfterFull < 5000, 'the store kept answering on a full disk');
    }
    t.diagnostic(`${storedAfterFull} Starts committed into space the WAL already held before one failed`);
    const failing = await eventually('/health answers 503', async () => {
      const h = await health();
      return h.status === 503 ? h : undefined;
    });
    assert.equal(failing.body.status, 'degraded');
    assert.equal(failing.body.store, 'failing');
    assert.equal(failing.body.writes, 'failing');
    assert.ok((failing.body.writeFailures as number) >= 1);
    const last = failing.body.lastWriteFailure as { reason: string; message: string; at: string };
    assert.equal(last.reason, 'disk-full');
    assert.match(last.message, /full/);
    assert.equal(typeof failing.body.failingSeconds, 'number');
  });

  test('forty more failed batches: the log holds one failure line, /metrics counts every failure', async () => {
    // Forty more failed batches, each on its own (the next packet is sent once the last one failed
    // or was answered: a commit that fits in space the WAL already holds still succeeds).
    let failed = 0;
    for (let sent = 0; failed < 40; sent++) {
      assert.ok(sent < 2000, `only ${failed} of ${sent} batches failed on a full disk`);
      const session = nextSession++;
      const before = await failedPackets();
      let answered = false;
      void client.request(accounting(session), server.ports.accounting, 10_000, SECRET).then((r) => (answered = r !== null));
      const outcome = await eventually(`packet ${session} fails or is answered`, async () => ((await failedPackets()) > before ? 'failed' : answered ? 'answered' : undefined));
      if (outcome === 'failed') failed++;
    }

    const since = lines.slice(loggedBeforeFull);
    const failureLines = since.filter((l) => String(l.msg).includes('write failed'));
    // Once, and again a minute later: two lines allow for a machine slow enough to take a minute here.
    assert.ok(failureLines.length >= 1 && failureLines.length <= 2, `${failureLines.length} failure lines for 41 failed batches`);
    assert.equal(failureLines[0]!.reason, 'disk-full');
    assert.equal(failureLines[0]!.err, undefined, 'no stack trace');
    assert.ok(since.length <= 6, `a handful of log lines while failing, not one per batch: ${since.map((l) => l.msg).join(' | ')}`);

    const text = await metrics();
    assert.ok((metric(text, 'openmnt_store_write_failures_total{reason="disk-full"}') ?? 0) >= 41, 'every failed batch counted');
    assert.ok(((await health()).body.writeFailures as number) >= 41);
    assert.equal(metric(text, 'openmnt_store_failing'), 1);
    assert.equal(typeof metric(text, 'openmnt_store_commit_backlog'), 'number');
    assert.equal(typeof metric(text, 'openmnt_store_seconds_since_last_commit'), 'number');
    assert.ok((metric(text, 'openmnt_store_free_bytes') ?? -1) >= 0);
  });

  test('space freed: the probe write commits, /health is 200 again and accounting is answered', async () => {
    rmSync(filler());
    const recovered = await eventually('/health answers 200 again', async () => {
      const h = await health();
      return h.status === 200 ? h : undefined;
    });
    assert.equal(recovered.body.writes, 'ok');
    assert.equal(recovered.body.failingSeconds, null);
    assert.ok((recovered.body.writeFailures as number) >= 41, 'failures since start are still reported');
    assert.ok(lines.some((l) => l.msg === 'store commits again after failing'));

    // The record the NAS kept (sent again) is now stored and answered.
    const reply = await eventually('the retransmission is answered', () => client.request(accounting(unanswered), server.ports.accounting, 2000, SECRET).then((r) => r ?? undefined));
    assert.equal(reply[0], Code.AccountingResponse);
    assert.equal((await server.store.accountingRecordsByMac({ mac: macOf(unanswered), since: 0, limit: 5 })).length, 1);
    assert.equal(metric(await metrics(), 'openmnt_store_failing'), 0);
  });
});
