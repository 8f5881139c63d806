/**
 * How long the slowest commits take, with the WAL checkpointed by the committing connection
 * (SQLite's automatic checkpoint at walMaxMiB) and by the node's checkpointing thread
 * (checkpointer-thread.ts), in one run. The store runs on its writing thread as `openmnt serve`
 * runs it; group commits of BATCH accounting writes follow each other as fast as they commit
 * (Start, then Interim-Update, for SESSIONS sessions). Every RADIUS answer and session event waits
 * for its commit, so a commit's tail is theirs too.
 *
 *   npm run bench:commit-tail
 *   SESSIONS=50000 BATCH=64 ROUNDS=2 SYNC=full npm run bench:commit-tail
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerStore } from '../src/store/index.js';
import { fmt } from './lib/load.js';
import { tempDir } from './lib/processes.js';
import { accountingWrite } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 100_000);
const BATCH = Number(process.env.BATCH ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SYNC = process.env.SYNC === 'full' ? 'full' : 'normal';

interface Tail {
  rate: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  walMiB: number;
}

async function run(background: boolean, round: number): Promise<Tail> {
  const dir = tempDir(`commit-tail-${background ? 'bg' : 'auto'}-${round}`);
  const path = join(dir.path, 'directory.db');
  const store = await new WorkerStore({ path, synchronous: SYNC, backgroundCheckpoints: background }).ready();
  const durations: number[] = [];
  let walMax = 0;
  const at = Date.now();
  const started = performance.now();
  for (const kind of ['start', 'interim'] as const) {
    for (let from = 0; from < SESSIONS; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, SESSIONS - from) }, (_, k) => accountingWrite(from + k, kind, at));
      const t0 = performance.now();
      await store.write({ accounting: batch });
      durations.push(performance.now() - t0);
      if (durations.length % 16 === 0) walMax = Math.max(walMax, statSync(`${path}-wal`).size);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  dir.remove();
  durations.sort((a, b) => a - b);
  const q = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!;
  return { rate: (2 * SESSIONS) / seconds, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: durations.at(-1)!, walMiB: walMax / 2 ** 20 };
}

async function main(): Promise<void> {
  console.log(`commit-tail: ${fmt(2 * SESSIONS)} accounting writes in group commits of ${BATCH}, synchronous ${SYNC}, ${ROUNDS} alternating rounds`);
  const auto: Tail[] = [];
  const bg: Tail[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    auto.push(await run(false, r));
    bg.push(await run(true, r));
  }
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const row = (label: string, f: (t: Tail) => string) => console.log(`  ${label.padEnd(22)}${auto.map(f).join(' / ').padStart(26)}${bg.map(f).join(' / ').padStart(30)}`);
  console.log(`  ${''.padEnd(22)}${'checkpoint in the commit'.padStart(26)}${'checkpointing thread'.padStart(30)}`);
  row('writes/s', (t) => fmt(Math.round(t.rate)));
  row('commit p50', (t) => ms(t.p50));
  row('commit p99', (t) => ms(t.p99));
  row('commit p99.9', (t) => ms(t.p999));
  row('commit max', (t) => ms(t.max));
  row('largest WAL seen', (t) => `${t.walMiB.toFixed(1)} MiB`);
  console.log('  (one figure per round; walMaxMiB 16: the committing connection checkpoints at 16 MiB, or at 64 MiB as the bound behind the thread)');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
