/**
 * What docs/scale-out.md claims for a distributed engine, measured here on one PostgreSQL with
 * hash partitions standing in for shards: the active-session table hash-partitioned on the
 * endpoint key (calling_station_id, the MAC) into SHARDS partitions, beside the same rows in one
 * table. For each: a MACAddress lookup (the endpoint key given: one partition), a session write
 * (Start insert, Interim update, Stop delete, all by the full identity, which holds the key), and
 * the two reads that have no key (by user name; the active count by counting), which touch every
 * partition. Each figure is server time per statement from a loop run inside the server (no
 * network, no client), and the partitions the plan touches and its buffers from EXPLAIN.
 *
 *   npm run bench:pg-shards          ROWS=200000 SHARDS=16 LOOPS=20000 PG_URL=postgres://postgres@127.0.0.1:5432/postgres
 *
 * A scratch database of its own is created and dropped. Times on a shared, loaded machine vary
 * run to run: compare the two columns of one run, not runs with each other.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

const ADMIN = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.ROWS ?? 200_000);
const SHARDS = Number(process.env.SHARDS ?? 16);
const LOOPS = Number(process.env.LOOPS ?? 20_000);

const COLUMNS = `
  id BIGINT NOT NULL,
  nas_ip TEXT NOT NULL,
  acct_session_id TEXT NOT NULL,
  calling_station_id TEXT NOT NULL,
  user_name TEXT,
  framed_ip TEXT,
  state TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  input_octets BIGINT`;

/** The MAC of row i, spelled as the store keeps it. */
const MAC_SQL = (i: string) => `upper(regexp_replace(lpad(to_hex(${i}), 12, '0'), '(..)(?!$)', '\\1:', 'g'))`;

async function main(): Promise<void> {
  const name = `openmnt_bench_shards_${randomBytes(4).toString('hex')}`;
  const admin = postgres(ADMIN, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`CREATE TABLE plain (${COLUMNS})`);
    await sql.unsafe(`CREATE TABLE sharded (${COLUMNS}) PARTITION BY HASH (calling_station_id)`);
    for (let p = 0; p < SHARDS; p++) await sql.unsafe(`CREATE TABLE sharded_${p} PARTITION OF sharded FOR VALUES WITH (MODULUS ${SHARDS}, REMAINDER ${p})`);
    for (const t of ['plain', 'sharded']) {
      // The identity index must hold the distribution key to be unique per shard: it does (MAC last
      // in SQLite's order, first here so the lookup by MAC uses it too).
      await sql.unsafe(`CREATE UNIQUE INDEX ${t}_identity ON ${t} (calling_station_id, nas_ip, acct_session_id)`);
      await sql.unsafe(`CREATE INDEX ${t}_mac ON ${t} (calling_station_id, updated_at)`);
      await sql.unsafe(`CREATE INDEX ${t}_user ON ${t} (user_name)`);
      await sql.unsafe(`
        INSERT INTO ${t} SELECT i, '10.0.' || (i % 200) || '.1', 's-' || i, ${MAC_SQL('i')}, 'user-' || i, NULL, 'started', 1, 1, 0
        FROM generate_series(1, ${ROWS}) AS i`);
      await sql.unsafe(`VACUUM ANALYZE ${t}`);
    }
    console.log(`hash partitions as shards: ${ROWS.toLocaleString('en')} active sessions, ${SHARDS} partitions on calling_station_id, ${LOOPS.toLocaleString('en')} statements a loop (server time, in-server loop)\n`);

    /** Microseconds per statement of `body` run LOOPS times inside the server, with i = 1..LOOPS. */
    const perStatement = async (body: string): Promise<number> => {
      await sql.unsafe(`CREATE OR REPLACE FUNCTION bench_loop() RETURNS double precision LANGUAGE plpgsql AS $$
        DECLARE t0 timestamptz; r record; k bigint; BEGIN
          t0 := clock_timestamp();
          FOR i IN 1..${LOOPS} LOOP k := 1 + (i * 7919) % ${ROWS}; ${body} END LOOP;
          RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / ${LOOPS};
        END $$`);
      const [row] = await sql.unsafe('SELECT bench_loop() AS us');
      return Number(row!.us);
    };
    /** Partitions (or the table) the plan reads, and its shared buffers, for one statement. */
    const plan = async (statement: string): Promise<{ scanned: number; buffers: number }> => {
      const rows = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement}`);
      const text = JSON.stringify(rows[0]!['QUERY PLAN']);
      // The partitioned parent named by an UPDATE or DELETE is no read of its own: partitions and plain only.
      const scanned = new Set([...text.matchAll(/"Relation Name":"([^"]+)"/g)].map((m) => m[1]).filter((r) => r !== 'sharded')).size;
      const top = (rows[0]!['QUERY PLAN'] as { Plan: Record<string, number> }[])[0]!.Plan;
      return { scanned, buffers: (top['Shared Hit Blocks'] ?? 0) + (top['Shared Read Blocks'] ?? 0) };
    };

    const cases: { what: string; body: (t: string) => string; explain: (t: string) => string }[] = [
      {
        what: 'Session/MACAddress (key given)',
        body: (t) => `SELECT * INTO r FROM ${t} WHERE calling_station_id = ${MAC_SQL('k')} ORDER BY updated_at DESC LIMIT 1;`,
        explain: (t) => `SELECT * FROM ${t} WHERE calling_station_id = '00:00:00:00:30:39' ORDER BY updated_at DESC LIMIT 1`,
      },
      {
        what: 'Interim: UPDATE by identity',
        body: (t) => `UPDATE ${t} SET updated_at = updated_at + 1, input_octets = i WHERE calling_station_id = ${MAC_SQL('k')} AND nas_ip = '10.0.' || (k % 200) || '.1' AND acct_session_id = 's-' || k;`,
        explain: (t) => `UPDATE ${t} SET updated_at = updated_at + 1 WHERE calling_station_id = '00:00:00:00:30:39' AND nas_ip = '10.0.65.1' AND acct_session_id = 's-12345'`,
      },
      {
        what: 'Start + Stop: INSERT, DELETE',
        body: (t) =>
          `INSERT INTO ${t} VALUES (${ROWS} + i, '10.9.0.1', 'n-' || i, ${MAC_SQL(`${ROWS} + i`)}, 'u', NULL, 'started', 1, 1, 0); DELETE FROM ${t} WHERE calling_station_id = ${MAC_SQL(`${ROWS} + i`)} AND nas_ip = '10.9.0.1' AND acct_session_id = 'n-' || i;`,
        explain: (t) => `DELETE FROM ${t} WHERE calling_station_id = '00:00:00:00:30:39' AND nas_ip = 'none' AND acct_session_id = 'none'`,
      },
      {
        what: 'Session/UserName (no key)',
        body: (t) => `SELECT * INTO r FROM ${t} WHERE user_name = 'user-' || k LIMIT 1;`,
        explain: (t) => `SELECT * FROM ${t} WHERE user_name = 'user-12345' LIMIT 1`,
      },
    ];
    const line = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(32) : c.padStart(26))).join(''));
    line(['', 'one table', `${SHARDS} hash partitions`]);
    for (const c of cases) {
      const figures = [];
      for (const t of ['plain', 'sharded']) {
        const p = await plan(c.explain(t));
        figures.push(`${(await perStatement(c.body(t))).toFixed(1)} µs ${p.scanned} rel ${p.buffers} buf`);
      }
      line([c.what, ...figures]);
    }
    // ActiveCount: counting reads every shard; the store keeps one counter row instead (which on a
    // distributed engine is one hot row every write transaction updates: see docs/scale-out.md).
    const counts = [];
    for (const t of ['plain', 'sharded']) {
      const t0 = process.hrtime.bigint();
      const p = await plan(`SELECT count(*) FROM ${t}`);
      counts.push(`${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms ${p.scanned} rel`);
    }
    line(['ActiveCount by count(*)', ...counts]);
    console.log('\nµs: server time per statement; rel: tables or partitions the plan reads; buf: shared buffers it touches.');
    console.log('Times from a loaded, shared machine: compare the two columns of this run only.');
  } finally {
    await sql.end({ timeout: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end({ timeout: 1 });
  }
}

await main();
