/**
 * The DataConnect views as data, engine-neutral: name, what it holds, its columns in ISE's order
 * with ISE's types (Oracle's names for them: VARCHAR2, NUMBER, TIMESTAMP(6), TIMESTAMP(6) WITH TIME
 * ZONE), and who may see its rows. The SQL that fills each view is per engine (sqlite-views.ts; the
 * PostgreSQL one beside it). Columns OpenMnT keeps no data for are present and NULL, so a query
 * written for ISE finds every column it names.
 *
 * Columns after ISE's own are OpenMnT's additions, marked `extra` (RADIUS_ACCOUNTING's
 * MESSAGE_CODE and PASSED, which the CoA cookbook reads there, and the CoA details of COA_EVENTS).
 */
export type ColumnType = 'VARCHAR2' | 'NUMBER' | 'TIMESTAMP' | 'TIMESTAMP WITH TIME ZONE';

export interface ViewColumn {
  name: string;
  type: ColumnType;
  /** An OpenMnT addition, not in ISE's view. */
  extra?: boolean;
}

/**
 * `endpoint`: a delegated admin sees the rows of its groups' endpoints (by the view's MAC column);
 * `group`: the rows of its groups; `none`: nothing; `public`: everyone sees it whole (DUAL).
 * Every other role with `read` sees all rows.
 */
export type ViewScope = { kind: 'endpoint'; macColumn: string } | { kind: 'group' } | { kind: 'none' } | { kind: 'public' };

export interface ViewDefinition {
  name: string;
  description: string;
  columns: ViewColumn[];
  scope: ViewScope;
}

const TYPE: Record<string, ColumnType> = { V: 'VARCHAR2', N: 'NUMBER', T: 'TIMESTAMP', TZ: 'TIMESTAMP WITH TIME ZONE' };

/** `NAME:TYPE` words (V, N, T, TZ); a `+` after the type marks an OpenMnT addition. */
function cols(spec: string): ViewColumn[] {
  return spec
    .trim()
    .split(/\s+/)
    .map((w) => {
      const [name, type] = w.split(':') as [string, string];
      const extra = type.endsWith('+');
      const t = TYPE[extra ? type.slice(0, -1) : type];
      if (t === undefined) throw new Error(`view column ${w}: unknown type`);
      return extra ? { name, type: t, extra } : { name, type: t };
    });
}

const endpoint = (macColumn: string): ViewScope => ({ kind: 'endpoint', macColumn });
const NONE: ViewScope = { kind: 'none' };

const AUTH_COLUMNS = `ID:N TIMESTAMP_TIMEZONE:TZ ISE_NODE:V SYSLOG_MESSAGE_CODE:N USERNAME:V USER_TYPE:V CALLING_STATION_ID:V
  ACCESS_SERVICE:V FRAMED_IP_ADDRESS:V IDENTITY_STORE:V IDENTITY_GROUP:V AUDIT_SESSION_ID:V AUTHENTICATION_METHOD:V
  AUTHENTICATION_PROTOCOL:V SERVICE_TYPE:V DEVICE_NAME:V DEVICE_TYPE:V LOCATION:V NAS_IP_ADDRESS:V NAS_PORT_ID:V
  NAS_PORT_TYPE:V AUTHORIZATION_PROFILES:V POSTURE_STATUS:V SECURITY_GROUP:V FAILURE_REASON:V RESPONSE_TIME:N PASSED:V
  FAILED:N CREDENTIAL_CHECK:V ENDPOINT_PROFILE:V MDM_SERVER_NAME:V POLICY_SET_NAME:V AUTHORIZATION_RULE:V
  NAS_IPV6_ADDRESS:V FRAMED_IPV6_ADDRESS:V ORIG_CALLING_STATION_ID:V CHECKSUM:V TIMESTAMP:T`;

const ACCT_COLUMNS = `ID:N TIMESTAMP_TIMEZONE:TZ ISE_NODE:V SYSLOG_MESSAGE_CODE:V SESSION_ID:V USERNAME:V USER_TYPE:V
  CALLING_STATION_ID:V ACCT_SESSION_ID:V ACCT_STATUS_TYPE:V ACCT_SESSION_TIME:N SERVICE_TYPE:V FRAMED_PROTOCOL:V
  ACCT_INPUT_OCTETS:V ACCT_OUTPUT_OCTETS:V ACCT_INPUT_PACKETS:N ACCT_OUTPUT_PACKETS:N FRAMED_IP_ADDRESS:V NAS_PORT:V
  NAS_IP_ADDRESS:V ACCT_TERMINATE_CAUSE:V ACCESS_SERVICE:V AUDIT_SESSION_ID:V ACCT_MULTI_SESSION_ID:V ACCT_AUTHENTIC:V
  TERMINATION_ACTION:V SESSION_TIMEOUT:V IDLE_TIMEOUT:V ACCT_INTERIM_INTERVAL:V ACCT_DELAY_TIME:V EVENT_TIMESTAMP:V
  NAS_IDENTIFIER:V NAS_PORT_ID:V ACCT_TUNNEL_CONNECTION:V ACCT_TUNNEL_PACKET_LOST:V DEVICE_NAME:V DEVICE_GROUPS:V
  SERVICE_SELECTION_POLICY:V IDENTITY_STORE:V AD_DOMAIN:V IDENTITY_GROUP:V AUTHORIZATION_POLICY:V FAILURE_REASON:V
  SECURITY_GROUP:V CISCO_H323_SETUP_TIME:T CISCO_H323_CONNECT_TIME:T CISCO_H323_DISCONNECT_TIME:T RESPONSE_TIME:N
  STARTED:N STOPPED:N NAS_IPV6_ADDRESS:V FRAMED_IPV6_ADDRESS:V TIMESTAMP:T VN:V MESSAGE_CODE:V+ PASSED:V+`;

export const VIEWS: readonly ViewDefinition[] = [
  {
    name: 'RADIUS_AUTHENTICATIONS',
    description: 'Every RADIUS authentication, passed and failed',
    columns: cols(AUTH_COLUMNS),
    scope: endpoint('CALLING_STATION_ID'),
  },
  {
    name: 'RADIUS_AUTHENTICATIONS_WEEK',
    description: 'RADIUS_AUTHENTICATIONS of the last 7 days',
    columns: cols(AUTH_COLUMNS),
    scope: endpoint('CALLING_STATION_ID'),
  },
  {
    name: 'RADIUS_ACCOUNTING',
    description: 'Every accounting request, and every CoA and Disconnect with what the NAS answered (MESSAGE_CODE COA-ACK, COA-NAK, Disconnect-ACK, Disconnect-NAK …)',
    columns: cols(ACCT_COLUMNS),
    scope: endpoint('CALLING_STATION_ID'),
  },
  {
    name: 'RADIUS_ACCOUNTING_WEEK',
    description: 'RADIUS_ACCOUNTING of the last 7 days',
    columns: cols(ACCT_COLUMNS),
    scope: endpoint('CALLING_STATION_ID'),
  },
  {
    name: 'RADIUS_AUTHENTICATION_SUMMARY',
    description: 'Authentications counted per hour, node, user, endpoint, device, port, profile and failure reason',
    columns: cols(`TIMESTAMP:T ISE_NODE:V USERNAME:V CALLING_STATION_ID:V IDENTITY_STORE:V IDENTITY_GROUP:V DEVICE_NAME:V
      DEVICE_TYPE:V LOCATION:V ACCESS_SERVICE:V NAS_PORT_ID:V AUTHORIZATION_PROFILES:V FAILURE_REASON:V SECURITY_GROUP:V
      TOTAL_RESPONSE_TIME:N MAX_RESPONSE_TIME:N PASSED_COUNT:N FAILED_COUNT:N`),
    scope: endpoint('CALLING_STATION_ID'),
  },
  {
    name: 'COA_EVENTS',
    description: 'Every CoA and Disconnect OpenMnT sent (or could not send), with the outcome',
    columns: cols(`LOGGED_AT:T COA_EVENT_ID:V COA_STATUS:V CALLING_STATION_ID:V IP_ADDRESS:V USERNAME:V NEW_AUTHZ_RULE:V
      OLD_AUTHZ_PROFILE:V NEW_AUTHZ_PROFILE:V VENDOR_NAME:V INCIDENT_TYPE:V THREAT_EVENTS:V OPERATION_MESSAGE_TEXT:V
      ACTION:V+ ACTION_TYPE:V+ OUTCOME:V+ MESSAGE_CODE:V+ NAS_IP_ADDRESS:V+ AUDIT_SESSION_ID:V+ ERROR_CAUSE:N+ ATTEMPTS:N+
      RESPONSE_TIME:N+ ADMIN_NAME:V+ JOB_ID:V+`),
    scope: endpoint('CALLING_STATION_ID'),
  },
  {
    name: 'ADAPTIVE_NETWORK_CONTROL',
    description: "Changes of an endpoint's own profile (quarantine and its release) in the runtime policy",
    columns: cols('LOGGED_AT:T ENDPOINT_ID:V ID:N IP_ADDRESS:V IPV6_ADDRESS:V OPERATION_TYPE:V OPERATION_STATUS:V AUDIT_SESSION:V ADMIN_IDENTITY:V ADMIN_IP:V ISE_NODE:V'),
    scope: endpoint('ENDPOINT_ID'),
  },
  {
    name: 'ENDPOINTS_DATA',
    description: 'The endpoints of the runtime policy',
    columns: cols(`ID:V MAC_ADDRESS:V ENDPOINT_POLICY:V STATIC_ASSIGNMENT:V STATIC_GROUP_ASSIGNMENT:V IDENTITY_GROUP_ID:V
      ENDPOINT_IP:V ENDPOINT_POLICY_VERSION:N MATCHED_VALUE:V ENDPOINT_POLICY_ID:V MATCHED_POLICY_ID:V NMAP_SUBNET_SCANID:N
      PORTAL_USER:V AUTH_STORE_ID:V DEVICE_REGISTRATIONS_STATUS:N REG_TIMESTAMP:N POSTURE_APPLICABLE:N CREATE_TIME:T
      UPDATE_TIME:T PROFILE_SERVER:V BYOD_REG:V HOSTNAME:V VERSION:N POSTURE_EXPIRY:V NATIVE_UDID:V PHONE_ID:V
      PHONE_ID_TYPE:V MDM_SERVER_ID:V UNIQUE_SUBJECT_ID:V MDM_GUID:V ENDPOINT_UNIQUE_ID:V ENDPOINT_ID:V PROBE_DATA:V
      CUSTOM_ATTRIBUTES:V`),
    scope: endpoint('MAC_ADDRESS'),
  },
  {
    name: 'ENDPOINT_IDENTITY_GROUPS',
    description: 'The endpoint identity groups of the runtime policy',
    columns: cols('ID:V NAME:V DESCRIPTION:V CREATED_BY:V CREATE_TIME:T UPDATE_TIME:T STATUS:V'),
    scope: { kind: 'group' },
  },
  {
    name: 'NETWORK_DEVICES',
    description: 'The network devices (NAS) of the runtime policy',
    columns: cols('ID:V NAME:V IP_MASK:V PROFILE_NAME:V LOCATION:V TYPE:V'),
    scope: NONE,
  },
  {
    name: 'NETWORK_DEVICE_GROUPS',
    description: 'The network device groups the devices name',
    columns: cols('ID:V NAME:V DESCRIPTION:V CREATED_BY:V CREATE_TIME:T UPDATE_TIME:T ACTIVE_STATUS:V'),
    scope: NONE,
  },
  {
    name: 'AUTHORIZATION_PROFILES',
    description: 'The authorization profiles of the runtime policy',
    columns: cols('NAME:V DESCRIPTION:V'),
    scope: NONE,
  },
  {
    name: 'FAILURE_CODE_CAUSE',
    description: 'The failure reason catalogue (the MnT call FailureReasons)',
    columns: cols('FAILURE_CODE:V FAILURE_CAUSE:V'),
    scope: NONE,
  },
  {
    name: 'CHANGE_CONFIGURATION_AUDIT',
    description: 'Every change of the runtime policy: who, when, what before and after',
    columns: cols(`ID:N TIMESTAMP_TIMEZONE:TZ TIMESTAMP:T ISE_NODE:V MESSAGE_CODE:V ADMIN_NAME:V NAS_IP_ADDRESS:V
      NAS_IPV6_ADDRESS:V INTERFACE:V OBJECT_NAME:V OBJECT_TYPE:V MESSAGE_CLASS:V EVENT:V REQUESTED_OPERATION:V
      OPERATION_MESSAGE_TEXT:V HOST_ID:V REQUEST_RESPONSE_TYPE:V FAILURE_FLAG:V MODIFIED_PROPERTIES:V DETAILS:V OBJECT_ID:V
      APPLIED_TO_ACS_INSTANCE:V LOCAL_MODE:N`),
    scope: NONE,
  },
  {
    name: 'ADMINISTRATOR_LOGINS',
    description: 'Sign-ins of admins to the console and failed logins of the API and the console',
    columns: cols('TIMESTAMP_TIMEZONE:TZ TIMESTAMP:T ISE_NODE:V ADMIN_NAME:V IP_ADDRESS:V IPV6_ADDRESS:V INTERFACE:V ADMIN_SESSION:V EVENT_DETAILS:V EVENT:V'),
    scope: NONE,
  },
  {
    name: 'NODE_LIST',
    description: 'This node',
    columns: cols(`HOSTNAME:V NODE_TYPE:V GATEWAY:V NODE_ROLE:V ACTIVE_STATUS:V REPLICATION_STATUS:V PDP_SERVICES:V
      HOST_ALIAS:V CREATE_TIME:T UPDATE_TIME:T XGRID_ENABLED:N XGRID_PEER:V UDI_PID:V UDI_VID:V UDI_SN:V UDI_PT:V
      PATCH_VERSION:V PIC_NODE:N INSTALLATION_TYPE:V VM_INFO:V API_NODE:N`),
    scope: NONE,
  },
  {
    name: 'DUAL',
    description: "Oracle's one-row table, for SELECT SYSDATE FROM DUAL",
    columns: cols('DUMMY:V'),
    scope: { kind: 'public' },
  },
];

export const VIEW_NAMES: ReadonlySet<string> = new Set(VIEWS.map((v) => v.name));

/** Every column that holds a timestamp, in any view (the dialect's date arithmetic knows them). */
export const DATE_COLUMNS: ReadonlySet<string> = new Set(VIEWS.flatMap((v) => v.columns.filter((c) => c.type.startsWith('TIMESTAMP')).map((c) => c.name)));
