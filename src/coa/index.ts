export type * from './types.js';
export { CoaEngine, type CoaEngineOptions } from './service.js';
export { CoaSender, type CoaReply, type CoaSendRequest, type RetransmitPolicy, type SenderStats } from './sender.js';
export { RECIPES, recipeFor, type Recipe } from './recipes.js';
export { WebhookDispatcher, signWebhook, type WebhookDelivery, type WebhookOptions } from './webhooks.js';
export {
  JobRunner,
  type Job,
  type JobListQuery,
  type JobOutcome,
  type JobPage,
  type JobResult,
  type JobResultPage,
  type JobResultQuery,
  type JobSelector,
  type JobSelectorSummary,
  type JobSpec,
  type JobState,
  type JobTarget,
  type Pacing,
} from './jobs.js';
