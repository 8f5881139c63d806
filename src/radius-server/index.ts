export { NasClientTable, type NasClient } from './clients.js';
export { DuplicateCache, type DuplicateVerdict } from './duplicates.js';
export {
  RadiusServer,
  DROP_REASONS,
  type AccessReply,
  type DropReason,
  type ListenerStats,
  type NasStats,
  type RadiusHandlers,
  type RadiusServerOptions,
  type RequestContext,
} from './server.js';
