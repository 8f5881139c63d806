/**
 * Failure reasons, numbered as ISE numbers them so that scripts which match on the code keep
 * working. The words are ours. The MnT API serves this catalogue (`FailureReasons`), and the
 * configuration may add entries or reword them.
 */
export interface FailureReason {
  id: number;
  /** One line: the id, then a short title, as ISE's `code` element reads. */
  title: string;
  cause: string;
  resolution: string;
}

export const FAILURE_REASONS: readonly FailureReason[] = [
  {
    id: 5400,
    title: 'Authentication failed',
    cause: 'The request did not satisfy the authentication or authorization policy.',
    resolution: 'Look at the failure reason of the authentication record for the specific cause.',
  },
  {
    id: 5405,
    title: 'RADIUS Request dropped',
    cause: 'The request was discarded without an answer (malformed, duplicate in progress, or from an unknown device).',
    resolution: 'Check the RADIUS drop counters and the log for the source address.',
  },
  {
    id: 5411,
    title: 'Supplicant stopped responding',
    cause: 'The endpoint did not complete the exchange in time.',
    resolution: 'Check the endpoint supplicant configuration and the link between the endpoint and the switch.',
  },
  {
    id: 11007,
    title: 'Could not locate Network Device or AAA Client',
    cause: 'The request came from an address that is not in the NAS client table.',
    resolution: 'Add the device (address or CIDR block and shared secret) to radius.clients, or correct its source address.',
  },
  {
    id: 11011,
    title: 'RADIUS listener failed',
    cause: 'One of the UDP ports used to receive RADIUS could not be opened.',
    resolution: 'Make sure no other process holds the authentication and accounting ports, or configure other ports.',
  },
  {
    id: 11036,
    title: 'The Message-Authenticator RADIUS attribute is invalid',
    cause: 'The HMAC in Message-Authenticator does not match; usually the shared secret differs between device and server.',
    resolution: 'Set the same shared secret on the device and in radius.clients.',
  },
  {
    id: 11037,
    title: 'Message-Authenticator is required but missing',
    cause: 'The device is configured to require Message-Authenticator and the Access-Request carried none.',
    resolution: 'Enable Message-Authenticator on the device, or clear requireMessageAuthenticator for it.',
  },
  {
    id: 12321,
    title: 'Authentication method is not supported',
    cause: 'The request used a method this node does not serve (only MAB, PAP and CHAP are served).',
    resolution: 'Configure the device or supplicant to use MAB, PAP or CHAP towards this node.',
  },
  {
    id: 15039,
    title: 'Rejected per authorization profile',
    cause: 'The selected authorization profile denies access.',
    resolution: 'Review the profile assigned to the endpoint, user or identity group.',
  },
  {
    id: 22040,
    title: 'Wrong password or invalid shared secret',
    cause: 'The password does not match the one stored for the user, or the shared secret differs.',
    resolution: 'Check the password with the user and the shared secret on the device.',
  },
  {
    id: 22056,
    title: 'Subject not found in the applicable identity store(s)',
    cause: 'No user or endpoint with this identity is known, and unknown identities are rejected.',
    resolution: 'Add the user or endpoint, or configure auth.unknownEndpoint with a profile for unknown endpoints.',
  },
  {
    id: 11353,
    title: 'No more external RADIUS servers; cannot perform failover',
    cause: 'The request was to be proxied, but no home server of its pool answered in time (or none is alive).',
    resolution: 'Check the home servers of the pool (proxy.homeServers): reachability, ports, shared secret; /metrics shows each one\'s state.',
  },
  {
    id: 11368,
    title: 'Review the logs of the external RADIUS server to determine the precise failure reason',
    cause: 'The home server the request was proxied to answered Access-Reject.',
    resolution: 'The home server knows why (wrong password, unknown user, certificate): look at its log for this request.',
  },
  {
    id: 22059,
    title: 'The advanced option that is configured for process failure is used',
    cause: 'Authentication could not be completed and the configured fallback was applied.',
    resolution: 'Review the identity store availability and the fallback setting.',
  },
  {
    id: 24206,
    title: 'User disabled',
    cause: 'The user account exists but is disabled.',
    resolution: 'Enable the account if the user should have access.',
  },
];

/** Steps ISE logs while it handles a request; kept by number so `execution_steps` reads as ISE's. */
export const STEP = {
  receivedAccessRequest: 11001,
  returnedAccessAccept: 11002,
  returnedAccessReject: 11003,
  createdSession: 11017,
  detectedHostLookup: 11027,
  evaluatingServiceSelection: 15008,
  evaluatingIdentityPolicy: 15041,
  selectedIdentityStore: 15013,
  evaluatingAuthorizationPolicy: 15036,
  selectedAuthorizationProfile: 15016,
  lookingUpEndpoint: 24209,
  foundEndpoint: 24211,
  lookingUpUser: 24210,
  foundUser: 24212,
  authenticationPassed: 22037,
  subjectNotFound: 22056,
  wrongPassword: 22040,
} as const;

export function failureReasonCatalogue(overrides: readonly FailureReason[] = []): FailureReason[] {
  const byId = new Map(FAILURE_REASONS.map((r) => [r.id, r]));
  for (const r of overrides) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** `<id> <title>` as ISE writes a failure reason in an authentication record. */
export function failureReasonText(id: number): string {
  const reason = FAILURE_REASONS.find((r) => r.id === id);
  return reason ? `${reason.id} ${reason.title}` : String(id);
}
