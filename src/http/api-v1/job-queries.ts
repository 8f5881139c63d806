/**
 * The query parameters of the job API, read into the runner's queries:
 *
 *   GET /api/v1/coa/jobs?state=&limit=&before=           -> { jobs: [summary], next }
 *   GET /api/v1/coa/jobs/{id}/results?outcome=&limit=&after= -> { results: [result], next }
 *
 * `before` / `after` take the `next` of the previous page. A parameter this API does not know is
 * refused rather than ignored, so a misspelt filter never silently returns everything.
 */
import { QueryReader } from './query.js';
import { JOB_LIST_LIMIT, JOB_OUTCOMES, JOB_RESULT_LIMIT, type JobListQuery, type JobOutcome, type JobResultQuery, type JobState } from '../../coa/jobs.js';

const JOB_STATES: readonly JobState[] = ['running', 'done', 'cancelled', 'interrupted'];

export function jobListQuery(params: URLSearchParams): JobListQuery {
  const q = new QueryReader(params, ['state', 'limit', 'before']);
  return {
    state: q.oneOf('state', JOB_STATES),
    limit: q.integer('limit', 1, JOB_LIST_LIMIT.max),
    before: q.integer('before', 1, Number.MAX_SAFE_INTEGER),
  };
}

export function jobResultQuery(params: URLSearchParams): JobResultQuery {
  const q = new QueryReader(params, ['outcome', 'limit', 'after']);
  return {
    outcome: q.oneOf<JobOutcome>('outcome', JOB_OUTCOMES),
    limit: q.integer('limit', 1, JOB_RESULT_LIMIT.max),
    after: q.integer('after', 0, Number.MAX_SAFE_INTEGER),
  };
}
