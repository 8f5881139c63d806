export { AuthPolicy, profileAttributes, rejected, type AccessRequestFacts, type AuthDecision } from './policy.js';
export { FAILURE_REASONS, failureReasonCatalogue, failureReasonText, type FailureReason } from './failure-reasons.js';
