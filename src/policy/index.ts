export * from './model.js';
export { compilePolicy, deviceClients, type Authorization, type CompiledPolicy, type RequestContextFacts } from './compile.js';
export { PolicyService, type ApplyResult, type ChangeOrigin, type PolicyChange } from './service.js';
export { Enforcer, coaActionOf, type Enforcement, type EndpointEnforcement } from './enforce.js';
export { seedChanges, seedFromConfig, type SeedObject } from './seed.js';
