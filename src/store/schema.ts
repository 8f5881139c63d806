/**
 * Table layouts as data. Each column names the property it maps to, so the SQL, the row mapper
 * and the insert/update statements are generated from one list and cannot drift apart.
 */
import type { AccountingRecord, AuthRecord, CoaAuditRecord, Session, SessionSummary } from './types.js';

export type ColumnKind = 'text' | 'int' | 'real' | 'bool';

export interface Column<T> {
  key: keyof T & string;
  name: string;
  kind: ColumnKind;
  notNull?: boolean;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function columns<T>(spec: Record<keyof T & string, ColumnKind | `${ColumnKind}!`>): Column<T>[] {
  return Object.entries(spec).map(([key, kind]) => {
    const k = kind as string;
    return { key: key as keyof T & string, name: snake(key), kind: k.replace('!', '') as ColumnKind, notNull: k.endsWith('!') };
  });
}

/** `id` first: both session tables share this exact order, so rows move with `SELECT *`. */
export const SESSION_COLUMNS = columns<Session>({
  id: 'int!',
  nasIp: 'text!',
  acctSessionId: 'text!',
  callingStationId: 'text!',
  state: 'text!',
  startedAt: 'int!',
  updatedAt: 'int!',
  closedAt: 'int',
  closeReason: 'text',
  server: 'text!',
  origCallingStationId: 'text',
  userName: 'text',
  auditSessionId: 'text',
  nasIpv6: 'text',
  nasIdentifier: 'text',
  nasPort: 'int',
  nasPortId: 'text',
  nasPortType: 'text',
  calledStationId: 'text',
  framedIp: 'text',
  framedIpv6: 'text',
  serviceType: 'text',
  framedProtocol: 'text',
  otherAttributes: 'text',
  authId: 'int',
  authAt: 'int',
  identityGroup: 'text',
  networkDeviceName: 'text',
  authenticationMethod: 'text',
  authenticationProtocol: 'text',
  identityStore: 'text',
  selectedAuthzProfile: 'text',
  authzPolicy: 'text',
  endpointPolicy: 'text',
  vlan: 'text',
  dacl: 'text',
  sgt: 'text',
  sessionTimeout: 'int',
  terminationAction: 'text',
  authResponse: 'text',
  postureStatus: 'text',
  acctId: 'int',
  acctAt: 'int',
  acctStatusType: 'text',
  acctSessionTime: 'int',
  inputOctets: 'int',
  outputOctets: 'int',
  inputPackets: 'int',
  outputPackets: 'int',
  acctDelayTime: 'int',
  eventTimestamp: 'int',
  acctAuthentic: 'text',
  acctInterimInterval: 'int',
  acctClass: 'text',
  terminateCause: 'text',
  multiSessionId: 'text',
});

export const ACCOUNTING_COLUMNS = columns<AccountingRecord>({
  id: 'int!',
  receivedAt: 'int!',
  nasIp: 'text!',
  nasName: 'text',
  statusType: 'text!',
  acctSessionId: 'text',
  callingStationId: 'text',
  userName: 'text',
  auditSessionId: 'text',
  framedIp: 'text',
  sessionTime: 'int',
  inputOctets: 'int',
  outputOctets: 'int',
  inputPackets: 'int',
  outputPackets: 'int',
  delayTime: 'int',
  eventTimestamp: 'int',
  terminateCause: 'text',
  server: 'text!',
  attributes: 'text!',
});

export const AUTH_COLUMNS = columns<AuthRecord>({
  id: 'int!',
  receivedAt: 'int!',
  passed: 'bool!',
  failureReasonCode: 'int',
  failureReason: 'text',
  userName: 'text',
  nasIp: 'text!',
  nasPort: 'int',
  nasPortId: 'text',
  nasPortType: 'text',
  nasIdentifier: 'text',
  callingStationId: 'text',
  calledStationId: 'text',
  auditSessionId: 'text',
  acctSessionId: 'text',
  framedIp: 'text',
  identityGroup: 'text',
  networkDeviceName: 'text',
  authenticationMethod: 'text',
  authenticationProtocol: 'text',
  identityStore: 'text',
  selectedAuthzProfile: 'text',
  authzPolicy: 'text',
  serviceType: 'text',
  messageCode: 'int',
  response: 'text',
  executionSteps: 'text',
  otherAttributes: 'text',
  responseTimeMs: 'int',
  server: 'text!',
});

export const COA_AUDIT_COLUMNS = columns<CoaAuditRecord>({
  id: 'int!',
  at: 'int!',
  admin: 'text!',
  origin: 'text!',
  jobId: 'text',
  mac: 'text!',
  sessionId: 'int',
  auditSessionId: 'text',
  nasIp: 'text',
  nasPort: 'int',
  action: 'text!',
  actionType: 'text!',
  outcome: 'text!',
  errorCause: 'int',
  errorCauseText: 'text',
  attempts: 'int!',
  rttMs: 'real',
  detail: 'text',
});

function columnSql<T>(c: Column<T>, autoincrement: boolean): string {
  if (c.key === 'id') return autoincrement ? 'id INTEGER PRIMARY KEY AUTOINCREMENT' : 'id INTEGER PRIMARY KEY';
  const type = c.kind === 'text' ? 'TEXT' : c.kind === 'real' ? 'REAL' : 'INTEGER';
  return `${c.name} ${type}${c.notNull ? ' NOT NULL' : ''}`;
}

export function createTableSql<T>(table: string, cols: readonly Column<T>[], autoincrement = false): string {
  return `CREATE TABLE ${table} (\n  ${cols.map((c) => columnSql(c, autoincrement)).join(',\n  ')}\n)`;
}

/**
 * The source of a function `(row) => T` over a column list, each column read with `at(name, index)`:
 * integers stay numbers, booleans (SQLite's 0/1, PostgreSQL's own) become booleans. Generated as one
 * object literal, so every mapped row has the same fast shape: a loop that adds ~70 keys one by one
 * leaves V8 with slow dictionary objects (the mapping cost 30 µs a row). Keys and names come from
 * the column table above, never from input.
 */
function mapperOf<T, R>(cols: readonly Column<T>[], at: (name: string, index: number) => string): (row: R) => T {
  const body = cols.map((c, i) => `${JSON.stringify(c.key)}: ${c.kind === 'bool' ? `(${at(c.name, i)} === 1 || ${at(c.name, i)} === true)` : `${at(c.name, i)} ?? null`}`).join(',\n');
  return new Function('row', `return {\n${body}\n};`) as (row: R) => T;
}

/** Builds `(row) => T` for rows read as objects keyed by column name. */
export function rowMapper<T>(cols: readonly Column<T>[]): (row: Record<string, unknown>) => T {
  return mapperOf(cols, (name) => `row[${JSON.stringify(name)}]`);
}

/**
 * Builds `(row) => T` for rows read as arrays in the order of `cols` (`SELECT ${selectList(cols)}`
 * on a raw statement). The driver then makes no object of its own per row: for the 56 session
 * columns that object cost more than reading the row (about 40 % of a MnT lookup by MAC).
 */
export function rawRowMapper<T>(cols: readonly Column<T>[]): (row: readonly unknown[]) => T {
  return mapperOf(cols, (_name, index) => `row[${index}]`);
}

/** The column names of `cols`, in order, for a SELECT list read by rawRowMapper. */
export function selectList<T>(cols: readonly Column<T>[]): string {
  return cols.map((c) => c.name).join(', ');
}

/** What a session list shows of each session (SessionSummary), in the order both engines read its rows. */
export const SUMMARY_COLUMNS: readonly Column<Session>[] = (
  ['id', 'userName', 'callingStationId', 'nasIp', 'acctSessionId', 'auditSessionId', 'server', 'framedIp', 'framedIpv6'] as const
).map((key) => SESSION_COLUMNS.find((c) => c.key === key)!);

/** A row of SUMMARY_COLUMNS read as an array, as a SessionSummary (one object literal: one shape for every row). */
export const summaryOfRow = rawRowMapper(SUMMARY_COLUMNS) as (row: readonly unknown[]) => SessionSummary;

/**
 * Builds `(value, over?) => params` for an insert of the given columns, in column order: each
 * property of `over` that is not `undefined` wins over `value`'s, `undefined` becomes NULL,
 * booleans 0/1. Generated like `rowMapper`: a batch of writes builds thousands of these arrays,
 * and object spreads and per-key lookups were a visible share of a write.
 */
export function paramsBuilder<T>(
  cols: readonly Column<T>[],
  booleans: 'integer' | 'native' = 'integer',
): (value: Record<string, unknown>, over?: Record<string, unknown>) => unknown[] {
  const body = cols
    .map((c) => {
      const key = JSON.stringify(c.key);
      const v = `(over !== undefined && over[${key}] !== undefined ? over[${key}] : value[${key}])`;
      // SQLite has no boolean type (0/1); PostgreSQL takes its own.
      return c.kind === 'bool' && booleans === 'integer' ? `((x = ${v}) === undefined || x === null ? null : x ? 1 : 0)` : `(${v} ?? null)`;
    })
    .join(',\n');
  return new Function('value', 'over', `let x;\nreturn [\n${body}\n];`) as (value: Record<string, unknown>, over?: Record<string, unknown>) => unknown[];
}
