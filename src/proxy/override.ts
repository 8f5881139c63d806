/**
 * Local policy after the proxy: the home server's Access-Accept rebuilt with the authorization a
 * profile assigned here gives (a quarantine), for the RADIUS handlers to send instead.
 */
import { profileAttributes } from '../auth/index.js';
import type { Authorization } from '../policy/compile.js';
import { Code, getAttribute, type AttributeInput, type RadiusPacket } from '../radius/index.js';
import type { AccessReply } from '../radius-server/index.js';

/** What a home server's Accept authorized: the attributes a local profile replaces (names in lower case: they match in any). */
const AUTHORIZATION = new Set(['tunnel-type', 'tunnel-medium-type', 'tunnel-private-group-id', 'filter-id', 'session-timeout', 'termination-action', 'class']);

/**
 * The home server's Accept with its authorization replaced by the local profile's (keys, EAP and
 * everything else kept as they are), or turned into an Access-Reject carrying EAP-Failure when
 * the local profile denies access.
 */
export function overrideAccept(accept: RadiusPacket, local: Authorization, audit: string | undefined, server: string): { answer: AccessReply; attributes: AttributeInput[] } {
  if (local.deny) {
    const eap = getAttribute(accept, 'EAP-Message');
    // RFC 3748 §4.2: Failure is code 4 with the identifier of the exchange's last Request.
    const failure = eap !== undefined && Buffer.isBuffer(eap.value) && eap.value.length >= 2 ? [{ name: 'EAP-Message', value: Buffer.from([4, eap.value[1]!, 0, 4]) }] : [];
    return { answer: { code: Code.AccessReject, attributes: failure }, attributes: failure };
  }
  const kept: AttributeInput[] = accept.attributes
    .filter((a) => !AUTHORIZATION.has(a.name.toLowerCase()) && a.name !== 'Message-Authenticator' && a.name !== 'Proxy-State')
    .filter((a) => !(a.name === 'Cisco-AVPair' && typeof a.value === 'string' && /^(ACS:CiscoSecure-Defined-ACL|cts:security-group-tag)=/.test(a.value)))
    .map((a) => (a.vendorId === undefined && a.name.startsWith('Attr-') ? { type: a.type, value: a.value } : a.name.startsWith('Vendor-') ? { vendorId: a.vendorId!, vendorType: a.vendorType!, value: a.value } : { name: a.name, value: a.value, ...(a.tag === undefined ? {} : { tag: a.tag }) })) as AttributeInput[];
  const attributes = [...kept, ...profileAttributes(local.profile, audit === undefined ? null : `CACS:${audit}:${server}`)];
  return { answer: { code: Code.AccessAccept, attributes }, attributes };
}

