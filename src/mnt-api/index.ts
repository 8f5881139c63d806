export { AdminDirectory, ROLES, ROLE_NAMES, parseRole, roleAllows, parseBasicAuthorization, generatePassword, checkPasswordStrength, MIN_PASSWORD_LENGTH, type Admin, type Role, type Right } from './admins.js';
export { LoginGuard, type LoginGuardOptions } from './guard.js';
export { MetricsRegistry } from './metrics.js';
export { loadTlsCredentials, type TlsCredentials } from './tls.js';
export { PREFIXES, parseCall, type CallName, type ParsedCall, type Prefix } from './calls.js';
export { createApiHandler, startApiServer, failureCatalogue, PRODUCT_NAME, EMULATED_VERSION, type ApiDependencies, type RunningApi } from './http.js';
