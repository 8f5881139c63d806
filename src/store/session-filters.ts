/**
 * The session query's filters as SQL conditions, the same for every engine: one order, one meaning.
 * Only two expressions differ between SQL dialects (a prefix test and the larger of two times);
 * each engine passes its own.
 */
import type { SessionFilters } from './types.js';

export interface FilterDialect {
  /** True when `authz_policy` starts with the parameter's policy set or rule (`?` is the parameter). */
  authzPolicyPrefix: string;
  /** The later of `updated_at` and `closed_at` (a session's last change). */
  lastChange: string;
}

/** The conditions of a session query other than the MAC and paging, `?` for each parameter. */
export function filterConditions(query: SessionFilters, dialect: FilterDialect): [sql: string, value: unknown][] {
  return [
    ['user_name = ?', query.userName],
    ['nas_ip = ?', query.nasIp],
    ['framed_ip = ?', query.framedIp],
    ['audit_session_id = ?', query.auditSessionId],
    ['identity_group = ?', query.identityGroup],
    ['selected_authz_profile = ?', query.selectedAuthzProfile],
    // A policy set alone (`Default`) selects every rule of it; `Default >> MAB-Staff` one rule.
    [dialect.authzPolicyPrefix, query.authzPolicy],
    ['started_at >= ?', query.startedFrom],
    ['started_at <= ?', query.startedTo],
    [`${dialect.lastChange} >= ?`, query.changedFrom],
  ];
}

/** The tables a scope reads, active first. */
export function tablesFor(scope: 'active' | 'closed' | 'all'): ('sessions_active' | 'sessions_closed')[] {
  return scope === 'active' ? ['sessions_active'] : scope === 'closed' ? ['sessions_closed'] : ['sessions_active', 'sessions_closed'];
}
