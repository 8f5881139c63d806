/**
 * The DataConnect views on SQLite: for each view of views.ts, the SELECT over OpenMnT's tables
 * that fills its columns. They are TEMP views of the DataConnect connection only (sqlite-engine.ts),
 * so the store's schema and migrations know nothing of them.
 *
 * Timestamps are text, `YYYY-MM-DD HH:MM:SS.SSS` in UTC: they compare as text, print as people read
 * them, and TO_CHAR, TRUNC and the date arithmetic of the dialect work on them (sqlite-functions.ts).
 * The functions named DC_… are registered on the connection.
 */
import { VIEWS, type ViewDefinition, type ViewScope } from './views.js';

const ts = (ms: string) => `strftime('%Y-%m-%d %H:%M:%f', (${ms}) / 1000.0, 'unixepoch')`;
const attr = (name: string) => `DC_ATTR(r.attributes, '${name}')`;
const WEEK_MS = 7 * 86_400_000;

/** The rows a delegated admin may see of a view (the other roles see all). */
function scopeFilter(scope: ViewScope, column: string): string | null {
  switch (scope.kind) {
    case 'public':
      return null;
    case 'none':
      return 'DC_SCOPE_ALL()';
    case 'group':
      return `(DC_SCOPE_ALL() OR ${column} IN (SELECT value FROM json_each(DC_SCOPE_GROUPS())))`;
    case 'endpoint':
      return `(DC_SCOPE_ALL() OR ${column} IN (SELECT key FROM policy_objects WHERE kind = 'endpoints' AND json_extract(data, '$.group') IN (SELECT value FROM json_each(DC_SCOPE_GROUPS()))))`;
  }
}

interface Part {
  /** Column name → expression; a column left out is NULL. */
  map: Record<string, string>;
  /** FROM (and joins). */
  from: string;
  /** Conditions besides the scope. */
  where?: string[];
  /** The base expression the scope filter tests (a MAC or a group name). */
  scopeColumn?: string;
  groupBy?: string;
}

function selectOf(view: ViewDefinition, part: Part): string {
  const known = new Set(view.columns.map((c) => c.name));
  for (const name of Object.keys(part.map)) if (!known.has(name)) throw new Error(`${view.name}: no column ${name}`);
  const list = view.columns.map((c) => `${part.map[c.name] ?? 'NULL'} AS ${c.name}`).join(',\n  ');
  const where = [...(part.where ?? [])];
  const filter = scopeFilter(view.scope, part.scopeColumn ?? 'NULL');
  if (filter !== null) where.push(filter);
  return `SELECT ${list}\nFROM ${part.from}${where.length > 0 ? `\nWHERE ${where.join(' AND ')}` : ''}${part.groupBy ? `\nGROUP BY ${part.groupBy}` : ''}`;
}

const policySetOf = (p: string) => `CASE WHEN instr(${p}, ' >> ') > 0 THEN substr(${p}, 1, instr(${p}, ' >> ') - 1) END`;
const ruleOf = (p: string) => `CASE WHEN instr(${p}, ' >> ') > 0 THEN substr(${p}, instr(${p}, ' >> ') + 4) ELSE ${p} END`;

const AUTH: Part = {
  from: 'auth_records a',
  scopeColumn: 'a.calling_station_id',
  map: {
    ID: 'a.id',
    TIMESTAMP_TIMEZONE: ts('a.received_at'),
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
    FAILURE_REASON: "CASE WHEN a.failure_reason_code IS NULL THEN a.failure_reason ELSE a.failure_reason_code || ' ' || coalesce(a.failure_reason, '') END",
    RESPONSE_TIME: 'a.response_time_ms',
    PASSED: "CASE WHEN a.passed THEN 'Pass' ELSE 'Fail' END",
    FAILED: 'CASE WHEN a.passed THEN 0 ELSE 1 END',
    POLICY_SET_NAME: policySetOf('a.authz_policy'),
    AUTHORIZATION_RULE: ruleOf('a.authz_policy'),
    TIMESTAMP: ts('a.received_at'),
  },
};

/**
 * What a CoA row says it is: the packet (a Disconnect-Request for a plain disconnect, a CoA-Request
 * for reauthentication and the port commands) and the answer.
 */
const COA_MESSAGE_CODE =
  "CASE WHEN c.action = 'disconnect' AND c.action_type = 'default' THEN 'Disconnect' ELSE 'COA' END || " +
  "CASE c.outcome WHEN 'ack' THEN '-ACK' WHEN 'nak' THEN '-NAK' WHEN 'timeout' THEN '-TIMEOUT' ELSE '-NOT-SENT' END";
const COA_TEXT =
  "c.action || ' (' || c.action_type || '): ' || c.outcome || coalesce(', Error-Cause ' || c.error_cause || coalesce(' ' || c.error_cause_text, ''), '') || " +
  "', attempts ' || c.attempts || coalesce(', ' || c.detail, '')";

const ACCT: Part = {
  from: 'accounting_records r',
  scopeColumn: 'r.calling_station_id',
  map: {
    ID: 'r.id',
    TIMESTAMP_TIMEZONE: ts('r.received_at'),
    ISE_NODE: 'r.server',
    SESSION_ID: 'r.audit_session_id',
    USERNAME: 'r.user_name',
    CALLING_STATION_ID: 'r.calling_station_id',
    ACCT_SESSION_ID: 'r.acct_session_id',
    ACCT_STATUS_TYPE: 'r.status_type',
    ACCT_SESSION_TIME: 'r.session_time',
    SERVICE_TYPE: attr('Service-Type'),
    FRAMED_PROTOCOL: attr('Framed-Protocol'),
    ACCT_INPUT_OCTETS: 'CAST(r.input_octets AS TEXT)',
    ACCT_OUTPUT_OCTETS: 'CAST(r.output_octets AS TEXT)',
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
    ACCT_DELAY_TIME: 'CAST(r.delay_time AS TEXT)',
    EVENT_TIMESTAMP: 'CAST(r.event_timestamp AS TEXT)',
    NAS_IDENTIFIER: attr('NAS-Identifier'),
    NAS_PORT_ID: attr('NAS-Port-Id'),
    DEVICE_NAME: 'r.nas_name',
    STARTED: "CASE WHEN r.status_type = 'Start' THEN 1 ELSE 0 END",
    STOPPED: "CASE WHEN r.status_type = 'Stop' THEN 1 ELSE 0 END",
    TIMESTAMP: ts('r.received_at'),
  },
};

/** CoA rows of RADIUS_ACCOUNTING; their ID is the audit record's, negated (it never meets an accounting ID). */
const ACCT_COA: Part = {
  from: 'coa_audit c',
  scopeColumn: 'c.mac',
  map: {
    ID: '-c.id',
    TIMESTAMP_TIMEZONE: ts('c.at'),
    ISE_NODE: 'DC_NODE_NAME()',
    SESSION_ID: 'c.audit_session_id',
    CALLING_STATION_ID: 'c.mac',
    NAS_PORT: 'CAST(c.nas_port AS TEXT)',
    NAS_IP_ADDRESS: 'c.nas_ip',
    AUDIT_SESSION_ID: 'c.audit_session_id',
    FAILURE_REASON: "CASE WHEN c.outcome = 'ack' THEN NULL ELSE coalesce(c.error_cause || ' ' || c.error_cause_text, c.detail, c.outcome) END",
    RESPONSE_TIME: 'CAST(round(c.rtt_ms) AS INTEGER)',
    STARTED: '0',
    STOPPED: '0',
    TIMESTAMP: ts('c.at'),
    MESSAGE_CODE: COA_MESSAGE_CODE,
    PASSED: "CASE WHEN c.outcome = 'ack' THEN 'Pass' ELSE 'Fail' END",
  },
};

const weekOf = (part: Part, column: string): Part => ({ ...part, where: [...(part.where ?? []), `${column} >= DC_NOW_MS() - ${WEEK_MS}`] });

const policyObjects = (kind: string) => ({ from: 'policy_objects p', where: [`p.kind = '${kind}'`] });
const json = (field: string) => `json_extract(p.data, '$.${field}')`;
const deviceGroup = (prefix: string) => `(SELECT substr(g.value, ${prefix.length + 2}) FROM json_each(p.data, '$.deviceGroups') g WHERE g.value LIKE '${prefix}#%' LIMIT 1)`;

/** The SELECT parts of each view; a view with several parts is their UNION ALL. */
function partsOf(hasAdminLogins: boolean): Record<string, Part[]> {
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
          TIMESTAMP: ts('a.received_at - a.received_at % 3600000'),
          ISE_NODE: 'a.server',
          USERNAME: 'a.user_name',
          CALLING_STATION_ID: 'a.calling_station_id',
          IDENTITY_STORE: 'a.identity_store',
          IDENTITY_GROUP: 'a.identity_group',
          DEVICE_NAME: 'a.network_device_name',
          NAS_PORT_ID: 'a.nas_port_id',
          AUTHORIZATION_PROFILES: 'a.selected_authz_profile',
          FAILURE_REASON: AUTH.map.FAILURE_REASON!,
          TOTAL_RESPONSE_TIME: 'sum(a.response_time_ms)',
          MAX_RESPONSE_TIME: 'max(a.response_time_ms)',
          PASSED_COUNT: 'sum(CASE WHEN a.passed THEN 1 ELSE 0 END)',
          FAILED_COUNT: 'sum(CASE WHEN a.passed THEN 0 ELSE 1 END)',
        },
        groupBy: 'a.received_at / 3600000, a.server, a.user_name, a.calling_station_id, a.identity_store, a.identity_group, a.network_device_name, a.nas_port_id, a.selected_authz_profile, a.failure_reason_code, a.failure_reason',
      },
    ],
    COA_EVENTS: [
      {
        from: 'coa_audit c',
        scopeColumn: 'c.mac',
        map: {
          LOGGED_AT: ts('c.at'),
          COA_EVENT_ID: 'CAST(c.id AS TEXT)',
          COA_STATUS: "CASE WHEN c.outcome = 'ack' THEN 'Success' ELSE 'Failure' END",
          CALLING_STATION_ID: 'c.mac',
          OPERATION_MESSAGE_TEXT: COA_TEXT,
          ACTION: 'c.action',
          ACTION_TYPE: 'c.action_type',
          OUTCOME: 'c.outcome',
          MESSAGE_CODE: COA_MESSAGE_CODE,
          NAS_IP_ADDRESS: 'c.nas_ip',
          AUDIT_SESSION_ID: 'c.audit_session_id',
          ERROR_CAUSE: 'c.error_cause',
          ATTEMPTS: 'c.attempts',
          RESPONSE_TIME: 'CAST(round(c.rtt_ms) AS INTEGER)',
          ADMIN_NAME: 'c.admin',
          JOB_ID: 'c.job_id',
        },
      },
    ],
    ADAPTIVE_NETWORK_CONTROL: [
      {
        from: 'config_audit k',
        where: ["k.kind = 'endpoints'", "json_extract(k.before, '$.profile') IS NOT json_extract(k.after, '$.profile')"],
        scopeColumn: 'k.key',
        map: {
          LOGGED_AT: ts('k.at'),
          ENDPOINT_ID: 'k.key',
          ID: 'k.id',
          OPERATION_TYPE: "CASE WHEN json_extract(k.after, '$.profile') IS NULL THEN 'CLEAR' ELSE 'APPLY' END",
          OPERATION_STATUS: "'SUCCESS'",
          ADMIN_IDENTITY: 'k.admin',
          ISE_NODE: 'DC_NODE_NAME()',
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
          UPDATE_TIME: ts('p.updated_at'),
          VERSION: 'p.version',
          ENDPOINT_ID: 'p.key',
          CUSTOM_ATTRIBUTES: json('attributes'),
        },
      },
    ],
    ENDPOINT_IDENTITY_GROUPS: [
      { ...policyObjects('groups'), scopeColumn: 'p.key', map: { ID: 'p.key', NAME: 'p.key', DESCRIPTION: json('description'), UPDATE_TIME: ts('p.updated_at') } },
    ],
    NETWORK_DEVICES: [
      {
        ...policyObjects('devices'),
        map: {
          ID: 'p.key',
          NAME: 'p.key',
          IP_MASK: `CASE WHEN instr(${json('address')}, '/') > 0 THEN ${json('address')} WHEN instr(${json('address')}, ':') > 0 THEN ${json('address')} || '/128' ELSE ${json('address')} || '/32' END`,
          PROFILE_NAME: json('vendor'),
          LOCATION: deviceGroup('Location'),
          TYPE: deviceGroup('Device Type'),
        },
      },
    ],
    NETWORK_DEVICE_GROUPS: [
      {
        from: "(SELECT DISTINCT g.value AS name FROM policy_objects p, json_each(p.data, '$.deviceGroups') g WHERE p.kind = 'devices') d",
        map: { ID: 'd.name', NAME: 'd.name' },
      },
    ],
    AUTHORIZATION_PROFILES: [{ ...policyObjects('profiles'), map: { NAME: 'p.key', DESCRIPTION: json('description') } }],
    FAILURE_CODE_CAUSE: [{ from: 'temp.dc_failure_codes f', map: { FAILURE_CODE: 'f.code', FAILURE_CAUSE: 'f.cause' } }],
    CHANGE_CONFIGURATION_AUDIT: [
      {
        from: 'config_audit k',
        map: {
          ID: 'k.id',
          TIMESTAMP_TIMEZONE: ts('k.at'),
          TIMESTAMP: ts('k.at'),
          ISE_NODE: 'DC_NODE_NAME()',
          ADMIN_NAME: 'k.admin',
          INTERFACE: 'k.source',
          OBJECT_NAME: 'k.key',
          OBJECT_TYPE: 'k.kind',
          EVENT: "CASE k.operation WHEN 'create' THEN 'Added configuration' WHEN 'update' THEN 'Changed configuration' ELSE 'Deleted configuration' END",
          REQUESTED_OPERATION: 'k.operation',
          HOST_ID: 'DC_NODE_NAME()',
          MODIFIED_PROPERTIES: 'k.before',
          DETAILS: 'k.after',
          OBJECT_ID: 'k.key',
        },
      },
    ],
    ADMINISTRATOR_LOGINS: hasAdminLogins
      ? [
          {
            from: 'admin_logins l',
            map: {
              TIMESTAMP_TIMEZONE: ts('l.at'),
              TIMESTAMP: ts('l.at'),
              ISE_NODE: 'DC_NODE_NAME()',
              ADMIN_NAME: 'l.admin',
              IP_ADDRESS: "CASE WHEN instr(l.source, ':') = 0 THEN l.source END",
              IPV6_ADDRESS: "CASE WHEN instr(l.source, ':') > 0 THEN l.source END",
              INTERFACE: 'l.interface',
              EVENT_DETAILS: 'l.detail',
              EVENT: 'l.event',
            },
          },
        ]
      : [{ from: '(SELECT 1)', where: ['0'], map: {} }],
    NODE_LIST: [
      {
        from: '(SELECT 1)',
        map: { HOSTNAME: 'DC_NODE_NAME()', NODE_TYPE: "'MNT'", NODE_ROLE: "'STANDALONE'", ACTIVE_STATUS: "'CONNECTED'", PATCH_VERSION: 'DC_NODE_VERSION()', API_NODE: '1' },
      },
    ],
    DUAL: [{ from: '(SELECT 1)', map: { DUMMY: "'X'" } }],
  };
}

/** `CREATE TEMP VIEW` statements for every view. `hasAdminLogins`: whether the store records sign-ins. */
export function sqliteViewStatements(hasAdminLogins: boolean): string[] {
  const parts = partsOf(hasAdminLogins);
  return VIEWS.map((view) => {
    const list = parts[view.name];
    if (list === undefined) throw new Error(`no SQLite SQL for view ${view.name}`);
    return `CREATE TEMP VIEW ${view.name} AS\n${list.map((p) => selectOf(view, p)).join('\nUNION ALL\n')}`;
  });
}
