/** The SQLite store against a real database file: the Store contract (contract.ts), and upgrades of older SQLite files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startStore, SCHEMA_VERSION, type AccountingWrite, type SessionSummary, type Store } from '../../src/store/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { acct, auth, clock, job, result, storeContract, wholeSummaries } from './contract.js';
import { activeSessionJson, activeSessionMembers } from '../../src/http/mnt/views.js';

const THREADED = process.env.OPENMNT_TEST_STORE_THREAD === '1';
const open = (file: string, synchronous: 'normal' | 'full' = 'normal') => startStore({ driver: 'sqlite', path: file, synchronous, thread: THREADED });

let dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'openmnt-store-'));
  dirs.push(d);
  return d;
};
let current = '';
storeContract(THREADED ? 'SQLite (threads)' : 'SQLite', {
  fresh: () => open((current = join(newDir(), 'store.db'))),
  reopen: () => open(current, 'full'),
  other: () => open(join(newDir(), 'x.db')),
  async cleanup() {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  },
});

let dir: string;
let store: Store;

describe('SQLite files', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-store-'));
    store = await open(join(dir, 'store.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('listSessionPages on SQLite: NUL, a lone surrogate, noncharacters listed as the whole rows read them', async () => {
    // The pages cross threads as JSON text built by SQLite; the contract (contract.ts) has the
    // pages, order, scopes and limits on both engines, with text PostgreSQL can store too.
    const odd = ['x\u0000y', 'lone\uD800x', '\uFFFE\uFFFF', 'a"b\\c'];
    const batch: AccountingWrite[] = odd.map((text, i) => acct('start', `ls-${i}-${text}`, `CC:00:00:00:00:0${i}`, { userName: text, auditSessionId: `audit-${text}` }));
    await store.write({ accounting: batch });
    const listed: SessionSummary[] = [];
    for await (const page of store.listSessionPages({}, 1000)) listed.push(...page);
    assert.deepEqual(listed, await wholeSummaries(store));
    assert.ok(listed.some((s) => s.userName === 'x\u0000y'), 'NUL listed unchanged');
    assert.ok(listed.some((s) => s.userName === '\uFFFE\uFFFF'), 'noncharacters listed unchanged');
    assert.equal(listed.filter((s) => s.userName?.startsWith('lone')).length, 1, 'a lone surrogate listed as its row reads it');
  });

  test('listSessionJsonPages: the bytes of activeSessionJson of every summary, comma-separated, page by page, in id order and within the limit', async () => {
    const odd = ['a"b\\c', 'x\u0000y', 'tab\tnl\n', '\u0001\u001f\u007f', 'é 漢字 😀', '\u2028\u2029', '<&>\'', '\uFFFE\uFFFF', 'lone\uD800x', '', '12', 'null'];
    const batch: AccountingWrite[] = [];
    for (let i = 0; i < 1300; i++) {
      const mac = `CD:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();
      const text = odd[i % odd.length]!;
      batch.push(acct('start', `lj-${i}-${text}`, mac, { userName: i % 5 === 0 ? null : text, framedIp: i % 3 === 0 ? null : text, framedIpv6: i % 7 === 0 ? '2001:db8::1' : null, auditSessionId: i % 4 === 0 ? null : `audit-${text}` }));
    }
    await store.write({ accounting: batch });
    // Sessions opened by an authentication have no Acct-Session-Id yet: '' is left out, not written.
    await store.write({ auth: [auth('CD:00:00:00:FF:01', true), auth('CD:00:00:00:FF:02', true)] });
    const summaries: SessionSummary[] = [];
    for await (const page of store.listSessionPages({}, 1000)) summaries.push(...page);
    assert.equal(summaries.length, 1302);
    assert.ok(summaries.some((s) => s.acctSessionId === ''));
    for (const prefix of ['/admin/API/mnt/', '/ise/mnt/'] as const) {
      const pages: Buffer[] = [];
      for await (const page of store.listSessionJsonPages!({}, 500, activeSessionMembers(prefix))) pages.push(Buffer.from(page));
      assert.equal(pages.length, 3);
      const text = pages.map((p) => p.toString('utf8')).join(',');
      assert.equal(text, summaries.map((s) => activeSessionJson(s, prefix)).join(','), prefix);
      assert.equal(JSON.parse(`[${text}]`).length, 1302);
    }
    const limited: Buffer[] = [];
    for await (const page of store.listSessionJsonPages!({ limit: 700 }, 500, activeSessionMembers('/admin/API/mnt/'))) limited.push(Buffer.from(page));
    assert.equal(JSON.parse(`[${limited.map((p) => p.toString('utf8')).join(',')}]`).length, 700);
    const none: unknown[] = [];
    for await (const page of store.listSessionJsonPages!({ mac: '00:00:00:00:00:00' }, 500, activeSessionMembers('/admin/API/mnt/'))) none.push(page);
    assert.deepEqual(none, []);
  });

  test('findLatestSession reads every column exactly as getSession does (its row comes as JSON text built by SQLite)', async () => {
    // The same awkward values as the list, in every kind of column a lookup answers with, and
    // integers past 2^53 and negative ones.
    const odd = ['a"b\\c', 'x\u0000y', 'tab\tnl\n', '\u0001\u001f\u007f', 'é 漢字 😀', '\u2028\u2029', '<&>\'', '\uFFFE\uFFFF', 'lone\uD800x', '', '12', 'null', '[1,2]'];
    const batch: AccountingWrite[] = odd.map((text, i) =>
      acct('start', `fl-${i}`, `DD:00:00:00:00:${i.toString(16).padStart(2, '0').toUpperCase()}`, {
        userName: text,
        auditSessionId: `audit-${text}`,
        nasPortId: text,
        otherAttributes: text,
        acctClass: text,
        inputOctets: 2 ** 53 + 1 + i,
        outputOctets: i === 0 ? null : -i,
        acctSessionTime: 2 ** 62,
      }),
    );
    await store.write({ accounting: batch });
    for (let i = 0; i < odd.length; i++) {
      const found = await store.findLatestSession({ mac: `DD:00:00:00:00:${i.toString(16).padStart(2, '0').toUpperCase()}` });
      assert.ok(found !== null, `session ${i} found`);
      assert.deepEqual(found, await store.getSession(found.id), `session ${i} (${JSON.stringify(odd[i])}) the same both ways`);
      if (!odd[i]!.includes('\uD800')) assert.equal(found.userName, odd[i]);
      assert.equal(found.inputOctets, 2 ** 53 + 1 + i);
    }
    const byAudit = await store.findLatestSession({ auditSessionId: `audit-${odd[0]}` });
    assert.equal(byAudit?.acctSessionId, 'fl-0');
  });

  test('a database of a newer schema version than this OpenMnT knows is refused with STORE_SCHEMA_NEWER, untouched', async () => {
    await store.close();
    const file = join(dir, 'newer.db');
    const db = new Database(file);
    migrate(db);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(open(file), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'STORE_SCHEMA_NEWER');
      assert.match(error.message, new RegExp(`version ${SCHEMA_VERSION + 1} is newer than this OpenMnT knows \\(${SCHEMA_VERSION}\\)`));
      return true;
    });
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
    check.close();
    store = await open(join(dir, 'store.db'));
  });

  test('a database of the previous schema version is upgraded in place: its data kept, jobs then kept too', async () => {
    await store.close();
    const file = join(dir, 'previous.db');
    const db = new Database(file);
    // Version 4: the schema before the job tables (5); later migrations must not change what this tests.
    migrate(db, 4);
    db.prepare(
      "INSERT INTO coa_audit (at, admin, origin, job_id, mac, action, action_type, outcome, attempts) VALUES (1, 'ops', 'job', 'old-job', 'AA:00:00:00:00:01', 'reauth', 'default', 'ack', 1)",
    ).run();
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'coa_jobs'").get() as { n: number }).n, 0);
    db.close();
    store = await open(file);
    await store.write({ accounting: [acct('start', 'm1', 'AA:00:00:00:00:01')] });
    assert.equal((await store.coaAudit({ jobId: 'old-job', limit: 10 })).length, 1, 'the audit log of the previous version is kept');
    await store.saveJob(job('after-upgrade', { total: 1 }));
    await store.appendJobResults('after-upgrade', [result(1)], { completed: 1, state: 'done', finishedAt: clock });
    assert.equal((await store.getJob('after-upgrade'))?.state, 'done');
    assert.deepEqual(await store.loadPolicy(), { revision: 0, objects: [] }, 'the policy tables exist, empty, after the upgrade');
    await store.close();
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
    store = await open(file);
  });
});
