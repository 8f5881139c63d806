/**
 * The process a DataConnect query runs in (SQLite). One query at a time: the parent sends
 * `{ init }` once, then `{ id, request }` messages, and reads back `{ id, result }` or
 * `{ id, error: { code, message } }`. The parent ends this process when a query passes its time
 * limit — the one sure way to stop a SQLite statement from outside — and when the node stops; it
 * also ends by itself when the parent goes away (the IPC channel closes).
 */
import { isOpenMntError } from '../errors.js';
import { SqliteDataConnect, type EngineInfo, type QueryRequest } from './sqlite-engine.js';

type Message = { init: EngineInfo } | { id: number; request: QueryRequest };

let engine: SqliteDataConnect | null = null;

function send(message: unknown): void {
  process.send?.(message);
}

process.on('message', (message: Message) => {
  if ('init' in message) {
    try {
      engine = new SqliteDataConnect(message.init);
      send({ ready: true });
    } catch (error) {
      send({ ready: false, error: { code: 'UNAVAILABLE', message: `DataConnect cannot open the store: ${(error as Error).message}` } });
    }
    return;
  }
  const { id, request } = message;
  try {
    if (engine === null) throw new Error('not initialised');
    send({ id, result: engine.query(request) });
  } catch (error) {
    const code = isOpenMntError(error) ? error.code : 'DC_SQL_ERROR';
    send({ id, error: { code, message: (error as Error).message ?? String(error) } });
  }
});

process.on('disconnect', () => {
  engine?.close();
  process.exit(0);
});
