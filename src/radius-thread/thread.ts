/**
 * The RADIUS thread: the listeners, their handlers and the directory's group commit (ingest.ts),
 * calling the store's writing thread over a port of their own. Its event loop serves nothing but
 * RADIUS, so no API answer, however long, delays an Access-Accept or an Accounting-Response.
 * Its log lines go to the main thread, which writes them where its own go.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isOpenMntError } from '../errors.js';
import { createLogger } from '../logger.js';
import { portChannel } from '../store/thread-channel.js';
import type { AccountingWrite, AuthWrite, WriteResult } from '../store/index.js';
import { Ingest } from './ingest.js';
import type { HostCall, RadiusThreadData, ThreadMessage } from './protocol.js';

const port = parentPort!;
const data = workerData as RadiusThreadData;
const post = (message: ThreadMessage) => port.postMessage(message);
const logger = createLogger(data.level, { write: (line: string) => post({ log: line }) } as unknown as NodeJS.WritableStream);
const writer = portChannel(data.writer, 'writer');
const ingest = new Ingest(
  data.config,
  {
    write: (batch: { accounting?: AccountingWrite[]; auth?: AuthWrite[] }) => writer.call<WriteResult>('write', batch),
    probe: (at: number) => writer.call<void>('probe', at),
  },
  logger,
  data.policy,
);

async function handle(call: HostCall): Promise<unknown> {
  switch (call.op) {
    case 'start':
      return ingest.start();
    case 'snapshot':
      return ingest.snapshot(call.resetDelay);
    case 'reload':
      return ingest.reload(call.reload);
    case 'policy':
      return ingest.setPolicy(call.snapshot);
    case 'close':
      await ingest.close();
      data.writer.close();
      return null;
  }
}

port.on('message', (call: HostCall) => {
  handle(call).then(
    (result) => post({ id: call.id, result }),
    (error: unknown) =>
      post({
        id: call.id,
        error: isOpenMntError(error) ? { code: error.code, message: error.message } : { code: 'RADIUS_THREAD_FAILED', message: error instanceof Error ? error.message : String(error) },
      }),
  );
});
