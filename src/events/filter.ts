/** Which session events a consumer wants: every given criterion must match. */
import type { SessionEvent, SessionEventType } from '../store/index.js';

export interface EventFilter {
  types?: readonly SessionEventType[];
  /** NAS IP address. */
  nas?: string;
  /** Identity group. */
  group?: string;
  /** Endpoint MAC, normalised (`AA:BB:CC:DD:EE:FF`). */
  mac?: string;
}

export function matches(filter: EventFilter, event: SessionEvent): boolean {
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  const s = event.session;
  if (filter.nas !== undefined && s.nasIp !== filter.nas) return false;
  if (filter.group !== undefined && s.identityGroup !== filter.group) return false;
  if (filter.mac !== undefined && s.callingStationId !== filter.mac) return false;
  return true;
}
