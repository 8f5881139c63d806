import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const { migrate } = await import('./dist/src/store/migrations.js');
const { SqliteDataConnect } = await import('./dist/src/dataconnect/sqlite-engine.js');
const dir = mkdtempSync(join(tmpdir(), 'dc-'));
const path = join(dir, 'x.db');
const db = new Database(path); db.pragma('journal_mode = WAL'); migrate(db);
const ins = db.prepare(`INSERT INTO accounting_records (received_at, nas_ip, status_type, acct_session_id, calling_station_id, server, attributes) VALUES (?, '10.0.0.1', 'Start', ?, ?, 'n', 'User-Name=x:!:NAS-Port=5:!:Service-Type=Framed-User:!:Acct-Authentic=RADIUS:!:NAS-Port-Id=Gi1/0/1')`);
db.transaction(() => { for (let i = 0; i < 100000; i++) ins.run(Date.now() - i * 10, 's' + i, 'AA:BB:CC:00:' + String(i % 100).padStart(2, '0') + ':' + String(i % 37).padStart(2,'0')); })();
const e = new SqliteDataConnect({ path, nodeName: 'n1', version: '0.1', failureReasons: [], heapLimitBytes: 2e8 });
for (const sql of [
 'SELECT CALLING_STATION_ID, COUNT(*) AS N, MAX(TIMESTAMP_TIMEZONE) AS LAST FROM RADIUS_ACCOUNTING GROUP BY CALLING_STATION_ID ORDER BY N DESC, LAST DESC FETCH FIRST 20 ROWS ONLY',
 'SELECT COUNT(*) FROM RADIUS_ACCOUNTING',
 "SELECT COUNT(*) FROM RADIUS_ACCOUNTING WHERE TIMESTAMP_TIMEZONE > SYSDATE - 1/24",
 "SELECT COUNT(*) FROM RADIUS_ACCOUNTING WHERE MESSAGE_CODE IN ('COA-ACK')",
 "SELECT * FROM RADIUS_ACCOUNTING FETCH FIRST 1000 ROWS ONLY",
]) { const t = performance.now(); const r = e.query({ sql, maxRows: 10000, groups: null }); console.log((performance.now() - t).toFixed(0), 'ms', r.rows.length, sql.slice(0, 60)); }
