import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
const { migrate } = await import('./dist/src/store/migrations.js');
const { postgresDataConnectStatements, POSTGRES_ROLE_STATEMENTS, POSTGRES_TARGET } = await import('./dist/src/dataconnect/postgres-views.js');
const { translate } = await import('./dist/src/dataconnect/dialect.js');
const db = new Database(':memory:'); migrate(db);
const tables = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all().map((r) => r.sql
  .replace(/INTEGER PRIMARY KEY AUTOINCREMENT/g, 'bigserial PRIMARY KEY').replace(/INTEGER PRIMARY KEY/g, 'bigint PRIMARY KEY')
  .replace(/\bINTEGER\b/g, 'bigint').replace(/\bREAL\b/g, 'double precision').replace(/\bTEXT\b/g, 'text').replace(/WITHOUT ROWID/g, '') + ';');
const now = Date.now();
const data = [
 `INSERT INTO auth_records (id, received_at, passed, nas_ip, server, calling_station_id, authz_policy) VALUES (1, ${now - 60000}, 1, '10.0.0.1', 'n1', 'AA:BB:CC:DD:EE:01', 'Wired_802.1X_Closed >> Rule1');`,
 `INSERT INTO auth_records (id, received_at, passed, nas_ip, server, calling_station_id, authz_policy) VALUES (2, ${now - 7200000}, 1, '10.0.0.1', 'n1', 'AA:BB:CC:DD:EE:02', 'Wired_802.1X_Closed >> Rule1');`,
 `INSERT INTO coa_audit (id, at, admin, origin, mac, action, action_type, outcome, attempts, nas_ip) VALUES (1, ${now - 1000}, 'a', 'api', 'AA:BB:CC:DD:EE:01', 'reauth', 'default', 'ack', 1, '10.0.0.1');`,
 `INSERT INTO accounting_records (id, received_at, nas_ip, status_type, server, attributes, calling_station_id) VALUES (1, ${now}, '10.0.0.1', 'Start', 'n1', 'NAS-Port=5:!:Service-Type=Framed-User', 'AA:BB:CC:DD:EE:01');`,
 `INSERT INTO policy_objects (kind, key, version, data, updated_at) VALUES ('devices', 'sw1', 1, '{"address":"10.0.0.1","vendor":"cisco","deviceGroups":["Location#All Locations#B1"]}', ${now});`,
];
const q = (sql) => translate(sql, POSTGRES_TARGET).sql + ';';
const queries = [
  q(`SELECT DISTINCT CALLING_STATION_ID FROM RADIUS_AUTHENTICATIONS WHERE POLICY_SET_NAME = 'Wired_802.1X_Closed' AND TIMESTAMP_TIMEZONE > SYSDATE - 1/24`),
  q(`SELECT TO_CHAR(TIMESTAMP_TIMEZONE, 'HH24:MI:SS') as time, CALLING_STATION_ID as mac, NAS_IP_ADDRESS as nas, MESSAGE_CODE, PASSED FROM RADIUS_ACCOUNTING WHERE MESSAGE_CODE IN ('COA-ACK', 'COA-NAK', 'Disconnect-ACK', 'Disconnect-NAK') AND TIMESTAMP_TIMEZONE > SYSDATE - 1/24 ORDER BY TIMESTAMP_TIMEZONE DESC FETCH FIRST 20 ROWS ONLY`),
  q(`SELECT SERVICE_TYPE, NAS_PORT FROM RADIUS_ACCOUNTING WHERE ACCT_STATUS_TYPE = 'Start'`),
  q(`SELECT * FROM NETWORK_DEVICES`),
  q(`SELECT * FROM NETWORK_DEVICE_GROUPS`),
  q(`SELECT COUNT(*) FROM RADIUS_AUTHENTICATION_SUMMARY`),
  q(`SELECT * FROM COA_EVENTS`),
  q(`SELECT SYSDATE - NUMTODSINTERVAL(6, 'HOUR') FROM DUAL`),
];
const ddl = postgresDataConnectStatements(true, [{ code: "5400 it's", cause: 'x' }]).map((s) => s.endsWith(';') ? s : s + ';');
writeFileSync('/tmp/dc-pg.sql', ['\\set ON_ERROR_STOP on', ...tables, ...data, ...ddl, ...POSTGRES_ROLE_STATEMENTS.map((s) => s + ';'), 'SET search_path = dataconnect, public;', ...queries].join('\n'));
