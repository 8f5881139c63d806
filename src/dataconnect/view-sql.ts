/**
 * The SELECT behind each DataConnect view, over OpenMnT's tables (the same table and column names
 * on every engine), written once: what differs between engines — timestamps, JSON fields, the
 * per-query scope, a few functions — comes from a `ViewSql` (sqlite-views.ts, postgres-views.ts).
 */
import { VIEWS, type ViewColumn, type ViewDefinition, type ViewScope } from './views.js';

/** The expressions that differ between engines. */
export interface ViewSql {
  /** A view timestamp from epoch milliseconds (the column's type says with or without zone). */
  timestamp(ms: string, type: ViewColumn['type']): string;
  /** A top-level field of a JSON text column, as text. */
  json(column: string, field: string): string;
  /** One attribute of the accounting record's `Name=value:!:Name=value` text. */
  attribute(column: string, name: string): string;
  /** The policy set (`part` set) or rule (`part` rule) of an `authz_policy` (`Set >> Rule`). */
  policyPart(column: string, part: 'set' | 'rule'): string;
  text(expression: string): string;
  /** True when a 0/1 (or boolean) column holds true. */
  isTrue(column: string): string;
  /** The node's name and version, and now in epoch milliseconds (one value per query). */
  nodeName: string;
  nodeVersion: string;
  nowMs: string;
  /** True when the query's admin sees every row. */
  scopeAll: string;
  /** A subquery of the names of the query's admin's groups (one column). */
  scopeGroups: string;
  /** `a IS DISTINCT FROM b`. */
  distinct(a: string, b: string): string;
  /** The first device group of a device (`data` JSON) under `prefix#`, without the prefix. */
  deviceGroup(data: string, prefix: string): string;
  /** FROM of every device group name, as `d.name`. */
  deviceGroupNames: string;
  /** FROM of the failure catalogue, as `f.code`, `f.cause`. */
  failureCodes: string;
  /** One row with no columns of interest, for NODE_LIST and DUAL. */
  oneRow: string;
  /** The engine's type for a NULL of a view column's type. */
  nullType(type: ViewColumn['type']): string;
}

const WEEK_MS = 7 * 86_400_000;

/** The rows a delegated admin may see of a view (the other roles see all). */
function scopeFilter(e: ViewSql, scope: ViewScope, column: string): string | null {
  switch (scope.kind) {
    case 'public':
      return null;
    case 'none':
      return e.scopeAll;
    case 'group':
      return `(${e.scopeAll} OR ${column} IN (${e.scopeGroups}))`;
    case 'endpoint':
      return `(${e.scopeAll} OR ${column} IN (SELECT o.key FROM policy_objects o WHERE o.kind = 'endpoints' AND ${e.json('o.data', 'group')} IN (${e.scopeGroups})))`;
  }
}

/** An expression, or a timestamp from epoch milliseconds (rendered by the column's type). */
type Expr = string | { ms: string };

interface Part {
  /** Column name → expression; a column left out is NULL. */
  map: Record<string, Expr>;
  /** FROM (and joins). */
  from: string;
  /** Conditions besides the scope. */
  where?: string[];
  /** The base expression the scope filter tests (a MAC or a group name). */
  scopeColumn?: string;
  groupBy?: string;
}

function selectOf(e: ViewSql, view: ViewDefinition, part: Part): string {
  const known = new Set(view.columns.map((c) => c.name));
  for (const name of Object.keys(part.map)) if (!known.has(name)) throw new Error(`${view.name}: no column ${name}`);
  const render = (c: ViewColumn) => {
    const x = part.map[c.name];
    if (x === undefined) return `CAST(NULL AS ${e.nullType(c.type)})`;
    return typeof x === 'string' ? x : e.timestamp(x.ms, c.type);
  };
  const list = view.columns.map((c) => `${render(c)} AS ${c.name}`).join(',\n  ');
  const where = [...(part.where ?? [])];
  const filter = scopeFilter(e, view.scope, part.scopeColumn ?? 'NULL');
  if (filter !== null) where.push(filter);
  return `SELECT ${list}\nFROM ${part.from}${where.length > 0 ? `\nWHERE ${where.join(' AND ')}` : ''}${part.groupBy ? `\nGROUP BY ${part.groupBy}` : ''}`;
}

/** The SELECT parts of each view; a view with several parts is their UNION ALL. */
function partsOf(e: ViewSql, hasAdminLogins: boolean): Record<string, Part[]> {
  const attr = (name: string) => e.attribute('r.attributes', name);
  const failureReason = `CASE WHEN a.failure_reason_code IS NULL THEN a.failure_reason ELSE ${e.text('a.failure_reason_code')} || ' ' || coalesce(a.failure_reason, '') END`;
  const AUTH: Part = {
    from: 'auth_records a',
    scopeColumn: 'a.calling_station_id',
    map: {
      ID: 'a.id',
      TIMESTAMP_TIMEZONE: { ms: 'a.received_at' },
      ISE_NODE: 'a.server',
      SYSLOG_MESSAGE_CODE: 'a.message_code',
      USERNAME: 'a.user_name',
      CALLING_STATION_ID: 'a.calling_station_id',
      FRAMED_IP_ADDRESS: 'a.framed_ip',
      IDENTITY_STORE: 'a.identity_store',
      IDENTITY_GROUP: 'a.identity_group',
      AUDIT_SESSION_ID: 'a.audit_session_id',
      AUTHENTICATION_METHOD: 'a.authentication_method',
      AUTHENTICATION_PROTOCOL: 'a.authentication_protocol',
      SERVICE_TYPE: 'a.service_type',
      DEVICE_NAME: 'a.network_device_name',
      NAS_IP_ADDRESS: 'a.nas_ip',
      NAS_PORT_ID: 'a.nas_port_id',
      NAS_PORT_TYPE: 'a.nas_port_type',
      AUTHORIZATION_PROFILES: 'a.selected_authz_profile',
      FAILURE_REASON: failureReason,
      RESPONSE_TIME: 'a.response_time_ms',
      PASSED: `CASE WHEN ${e.isTrue('a.passed')} THEN 'Pass' ELSE 'Fail' END`,
      FAILED: `CASE WHEN ${e.isTrue('a.passed')} THEN 0 ELSE 1 END`,
      POLICY_SET_NAME: e.policyPart('a.authz_policy', 'set'),
      AUTHORIZATION_RULE: e.policyPart('a.authz_policy', 'rule'),
      TIMESTAMP: { ms: 'a.received_at' },
    },
  };

  // What a CoA row says it is: the packet (a Disconnect-Request for a plain disconnect, a
  // CoA-Request for reauthentication and the port commands) and the answer.
  const coaMessageCode =
    "CASE WHEN c.action = 'disconnect' AND c.action_type = 'default' THEN 'Disconnect' ELSE 'COA' END || " +
    "CASE c.outcome WHEN 'ack' THEN '-ACK' WHEN 'nak' THEN '-NAK' WHEN 'timeout' THEN '-TIMEOUT' ELSE '-NOT-SENT' END";
  const coaText =
    `c.action || ' (' || c.action_type || '): ' || c.outcome || coalesce(', Error-Cause ' || ${e.text('c.error_cause')} || coalesce(' ' || c.error_cause_text, ''), '') || ` +
    `', attempts ' || ${e.text('c.attempts')} || coalesce(', ' || c.detail, '')`;
  const rtt = 'CAST(round(c.rtt_ms) AS INTEGER)';

  const ACCT: Part = {
    from: 'accounting_records r',
    scopeColumn: 'r.calling_station_id',
    map: {
      ID: 'r.id',
      TIMESTAMP_TIMEZONE: { ms: 'r.received_at' },
      ISE_NODE: 'r.server',
      SESSION_ID: 'r.audit_session_id',
      USERNAME: 'r.user_name',
      CALLING_STATION_ID: 'r.calling_station_id',
      ACCT_SESSION_ID: 'r.acct_session_id',
      ACCT_STATUS_TYPE: 'r.status_type',
      ACCT_SESSION_TIME: 'r.session_time',
      SERVICE_TYPE: attr('Service-Type'),
      FRAMED_PROTOCOL: attr('Framed-Protocol'),
      ACCT_INPUT_OCTETS: e.text('r.input_octets'),
      ACCT_OUTPUT_OCTETS: e.text('r.output_octets'),
      ACCT_INPUT_PACKETS: 'r.input_packets',
      ACCT_OUTPUT_PACKETS: 'r.output_packets',
      FRAMED_IP_ADDRESS: 'r.framed_ip',
      NAS_PORT: attr('NAS-Port'),
      NAS_IP_ADDRESS: 'r.nas_ip',
      ACCT_TERMINATE_CAUSE: 'r.terminate_cause',
      AUDIT_SESSION_ID: 'r.audit_session_id',
      ACCT_MULTI_SESSION_ID: attr('Acct-Multi-Session-Id'),
      ACCT_AUTHENTIC: attr('Acct-Authentic'),
      TERMINATION_ACTION: attr('Termination-Action'),
      SESSION_TIMEOUT: attr('Session-Timeout'),
      IDLE_TIMEOUT: attr('Idle-Timeout'),
      ACCT_INTERIM_INTERVAL: attr('Acct-Interim-Interval'),
      ACCT_DELAY_TIME: e.text('r.delay_time'),
      EVENT_TIMESTAMP: e.text('r.event_timestamp'),
      NAS_IDENTIFIER: attr('NAS-Identifier'),
      NAS_PORT_ID: attr('NAS-Port-Id'),
      DEVICE_NAME: 'r.nas_name',
      STARTED: "CASE WHEN r.status_type = 'Start' THEN 1 ELSE 0 END",
      STOPPED: "CASE WHEN r.status_type = 'Stop' THEN 1 ELSE 0 END",
      TIMESTAMP: { ms: 'r.received_at' },
    },
  };

  // CoA rows of RADIUS_ACCOUNTING; their ID is the audit record's, negated (it never meets an accounting ID).
  const ACCT_COA: Part = {
    from: 'coa_audit c',
    scopeColumn: 'c.mac',
    map: {
      ID: '-c.id',
      TIMESTAMP_TIMEZONE: { ms: 'c.at' },
      ISE_NODE: e.nodeName,
      SESSION_ID: 'c.audit_session_id',
      CALLING_STATION_ID: 'c.mac',
      NAS_PORT: e.text('c.nas_port'),
      NAS_IP_ADDRESS: 'c.nas_ip',
      AUDIT_SESSION_ID: 'c.audit_session_id',
      FAILURE_REASON: `CASE WHEN c.outcome = 'ack' THEN NULL ELSE coalesce(${e.text('c.error_cause')} || ' ' || c.error_cause_text, c.detail, c.outcome) END`,
      RESPONSE_TIME: rtt,
      STARTED: '0',
      STOPPED: '0',
      TIMESTAMP: { ms: 'c.at' },
      MESSAGE_CODE: coaMessageCode,
      PASSED: "CASE WHEN c.outcome = 'ack' THEN 'Pass' ELSE 'Fail' END",
    },
  };

  const weekOf = (part: Part, column: string): Part => ({ ...part, where: [...(part.where ?? []), `${column} >= ${e.nowMs} - ${WEEK_MS}`] });
  const policyObjects = (kind: string) => ({ from: 'policy_objects p', where: [`p.kind = '${kind}'`] });
  const json = (field: string) => e.json('p.data', field);
  const address = json('address');

  return {
    RADIUS_AUTHENTICATIONS: [AUTH],
    RADIUS_AUTHENTICATIONS_WEEK: [weekOf(AUTH, 'a.received_at')],
    RADIUS_ACCOUNTING: [ACCT, ACCT_COA],
    RADIUS_ACCOUNTING_WEEK: [weekOf(ACCT, 'r.received_at'), weekOf(ACCT_COA, 'c.at')],
    RADIUS_AUTHENTICATION_SUMMARY: [
      {
        from: 'auth_records a',
        scopeColumn: 'a.calling_station_id',
        map: {
          TIMESTAMP: { ms: '(a.received_at - a.received_at % 3600000)' },
          ISE_NODE: 'a.server',
          USERNAME: 'a.user_name',
          CALLING_STATION_ID: 'a.calling_station_id',
          IDENTITY_STORE: 'a.identity_store',
          IDENTITY_GROUP: 'a.identity_group',
          DEVICE_NAME: 'a.network_device_name',
          NAS_PORT_ID: 'a.nas_port_id',
          AUTHORIZATION_PROFILES: 'a.selected_authz_profile',
          FAILURE_REASON: failureReason,
          TOTAL_RESPONSE_TIME: 'sum(a.response_time_ms)',
          MAX_RESPONSE_TIME: 'max(a.response_time_ms)',
          PASSED_COUNT: `sum(CASE WHEN ${e.isTrue('a.passed')} THEN 1 ELSE 0 END)`,
          FAILED_COUNT: `sum(CASE WHEN ${e.isTrue('a.passed')} THEN 0 ELSE 1 END)`,
        },
        groupBy: '(a.received_at - a.received_at % 3600000), a.server, a.user_name, a.calling_station_id, a.identity_store, a.identity_group, a.network_device_name, a.nas_port_id, a.selected_authz_profile, a.failure_reason_code, a.failure_reason',
      },
    ],
    COA_EVENTS: [
      {
        from: 'coa_audit c',
        scopeColumn: 'c.mac',
        map: {
          LOGGED_AT: { ms: 'c.at' },
          COA_EVENT_ID: e.text('c.id'),
          COA_STATUS: "CASE WHEN c.outcome = 'ack' THEN 'Success' ELSE 'Failure' END",
          CALLING_STATION_ID: 'c.mac',
          OPERATION_MESSAGE_TEXT: coaText,
          ACTION: 'c.action',
          ACTION_TYPE: 'c.action_type',
          OUTCOME: 'c.outcome',
          MESSAGE_CODE: coaMessageCode,
          NAS_IP_ADDRESS: 'c.nas_ip',
          AUDIT_SESSION_ID: 'c.audit_session_id',
          ERROR_CAUSE: 'c.error_cause',
          ATTEMPTS: 'c.attempts',
          RESPONSE_TIME: rtt,
          ADMIN_NAME: 'c.admin',
          JOB_ID: 'c.job_id',
        },
      },
    ],
    ADAPTIVE_NETWORK_CONTROL: [
      {
        from: 'config_audit k',
        where: ["k.kind = 'endpoints'", e.distinct(e.json('k.before', 'profile'), e.json('k.after', 'profile'))],
        scopeColumn: 'k.key',
        map: {
          LOGGED_AT: { ms: 'k.at' },
          ENDPOINT_ID: 'k.key',
          ID: 'k.id',
          OPERATION_TYPE: `CASE WHEN ${e.json('k.after', 'profile')} IS NULL THEN 'CLEAR' ELSE 'APPLY' END`,
          OPERATION_STATUS: "'SUCCESS'",
          ADMIN_IDENTITY: 'k.admin',
          ISE_NODE: e.nodeName,
        },
      },
    ],
    ENDPOINTS_DATA: [
      {
        ...policyObjects('endpoints'),
        scopeColumn: 'p.key',
        map: {
          ID: 'p.key',
          MAC_ADDRESS: 'p.key',
          STATIC_ASSIGNMENT: `CASE WHEN ${json('profile')} IS NULL THEN 'false' ELSE 'true' END`,
          STATIC_GROUP_ASSIGNMENT: `CASE WHEN ${json('group')} IS NULL THEN 'false' ELSE 'true' END`,
          IDENTITY_GROUP_ID: json('group'),
          UPDATE_TIME: { ms: 'p.updated_at' },
          VERSION: 'p.version',
          ENDPOINT_ID: 'p.key',
          CUSTOM_ATTRIBUTES: json('attributes'),
        },
      },
    ],
    ENDPOINT_IDENTITY_GROUPS: [
      { ...policyObjects('groups'), scopeColumn: 'p.key', map: { ID: 'p.key', NAME: 'p.key', DESCRIPTION: json('description'), UPDATE_TIME: { ms: 'p.updated_at' } } },
    ],
    NETWORK_DEVICES: [
      {
        ...policyObjects('devices'),
        map: {
          ID: 'p.key',
          NAME: 'p.key',
          IP_MASK: `CASE WHEN ${address} LIKE '%/%' THEN ${address} WHEN ${address} LIKE '%:%' THEN ${address} || '/128' ELSE ${address} || '/32' END`,
          PROFILE_NAME: json('vendor'),
          LOCATION: e.deviceGroup('p.data', 'Location'),
          TYPE: e.deviceGroup('p.data', 'Device Type'),
        },
      },
    ],
    NETWORK_DEVICE_GROUPS: [{ from: e.deviceGroupNames, map: { ID: 'd.name', NAME: 'd.name' } }],
    AUTHORIZATION_PROFILES: [{ ...policyObjects('profiles'), map: { NAME: 'p.key', DESCRIPTION: json('description') } }],
    FAILURE_CODE_CAUSE: [{ from: e.failureCodes, map: { FAILURE_CODE: 'f.code', FAILURE_CAUSE: 'f.cause' } }],
    CHANGE_CONFIGURATION_AUDIT: [
      {
        from: 'config_audit k',
        map: {
          ID: 'k.id',
          TIMESTAMP_TIMEZONE: { ms: 'k.at' },
          TIMESTAMP: { ms: 'k.at' },
          ISE_NODE: e.nodeName,
          ADMIN_NAME: 'k.admin',
          INTERFACE: 'k.source',
          OBJECT_NAME: 'k.key',
          OBJECT_TYPE: 'k.kind',
          EVENT: "CASE k.operation WHEN 'create' THEN 'Added configuration' WHEN 'update' THEN 'Changed configuration' ELSE 'Deleted configuration' END",
          REQUESTED_OPERATION: 'k.operation',
          HOST_ID: e.nodeName,
          MODIFIED_PROPERTIES: e.text('k.before'),
          DETAILS: e.text('k.after'),
          OBJECT_ID: 'k.key',
        },
      },
    ],
    ADMINISTRATOR_LOGINS: hasAdminLogins
      ? [
          {
            from: 'admin_logins l',
            map: {
              TIMESTAMP_TIMEZONE: { ms: 'l.at' },
              TIMESTAMP: { ms: 'l.at' },
              ISE_NODE: e.nodeName,
              ADMIN_NAME: 'l.admin',
              IP_ADDRESS: "CASE WHEN l.source NOT LIKE '%:%' THEN l.source END",
              IPV6_ADDRESS: "CASE WHEN l.source LIKE '%:%' THEN l.source END",
              INTERFACE: 'l.interface',
              EVENT_DETAILS: 'l.detail',
              EVENT: 'l.event',
            },
          },
        ]
      : [{ from: e.oneRow, where: ['1 = 0'], map: {} }],
    NODE_LIST: [
      {
        from: e.oneRow,
        map: { HOSTNAME: e.nodeName, NODE_TYPE: "'MNT'", NODE_ROLE: "'STANDALONE'", ACTIVE_STATUS: "'CONNECTED'", PATCH_VERSION: e.nodeVersion, API_NODE: '1' },
      },
    ],
    DUAL: [{ from: e.oneRow, map: { DUMMY: "'X'" } }],
  };
}

/** The SELECT of every view, by name, for `e`. `hasAdminLogins`: whether the store records sign-ins. */
export function viewSelects(e: ViewSql, hasAdminLogins: boolean): { name: string; sql: string }[] {
  const parts = partsOf(e, hasAdminLogins);
  return VIEWS.map((view) => {
    const list = parts[view.name];
    if (list === undefined) throw new Error(`no SQL for view ${view.name}`);
    return { name: view.name, sql: list.map((p) => selectOf(e, view, p)).join('\nUNION ALL\n') };
  });
}
