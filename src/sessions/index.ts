export { toAccountingWrite, nasAddress, type AccountingEvent } from './accounting.js';
export { toAuthWrite, type AuthenticationEvent } from './authentication.js';
export { SessionDirectory, type CommitSink, type DirectoryOptions, type DirectoryStats } from './directory.js';
export { SessionHousekeeping, type HousekeepingOptions } from './housekeeping.js';
export { storeHealth, storeHealthReport, type CommitState, type StoreHealthReport } from './health.js';
export { normalizeMac, callingStationKey } from './mac.js';
export { attributeString, responseString } from './format.js';
export { ActivitySampler, type ActivitySamplerOptions, type ActivityTotals } from './activity.js';
