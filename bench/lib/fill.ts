/** Fills a SQLite store with active sessions directly (no server): Starts shaped like the load generator's. */
import { Code, decodePacket } from '../../src/radius/index.js';
import { toAccountingWrite } from '../../src/sessions/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { encodeAll, fmt } from './load.js';
import { accountingAttributes } from './traffic.js';

const BATCH = 5000;

/** Writes Accounting-Request Start of sessions [from, to) into the store at `path`; returns sessions/s. */
export async function fillStore(path: string, from: number, to: number, label: string, secret = 'testing123'): Promise<number> {
  const eventTime = Math.floor(Date.now() / 1000);
  // No session events: nobody consumes them during a fill, and producing them halves its rate.
  const store = openSqliteStore({ path, synchronous: 'normal', sessionEvents: false });
  const t0 = performance.now();
  for (let i = from; i < to; i += BATCH) {
    const n = Math.min(BATCH, to - i);
    const datagrams = encodeAll(n, Code.AccountingRequest, secret, (k) => accountingAttributes(i + k, 'Start', eventTime));
    const batch = datagrams.map((d) =>
      toAccountingWrite({ packet: decodePacket(d), nasName: 'bench-switch', sourceAddress: '127.0.0.1', receivedAt: Date.now() }, 'openmnt'),
    );
    await store.write({ accounting: batch });
    if (((i - from) / BATCH) % 40 === 39) console.log(`${label}: fill ${fmt(i + n - from)} / ${fmt(to - from)}`);
  }
  await store.close();
  return (to - from) / ((performance.now() - t0) / 1000);
}
