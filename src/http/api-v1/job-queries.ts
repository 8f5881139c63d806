/**
 * The query parameters of the job API, read into the runner's queries:
 *
 *   GET /api/v1/coa/jobs?state=&limit=&before=           -> { jobs: [summary], next }
 *   GET /api/v1/coa/jobs/{id}/results?outcome=&limit=&after= -> { results: [result], next }
 *
 * `before` / `after` take the `next` of the previous page. A parameter this API does not know is
 * refused rather than ignored, so a misspelt filter never silently returns everything.
 */
import { OpenMntError } from '../../errors.js';
import { JOB_LIST_LIMIT, JOB_OUTCOMES, JOB_RESULT_LIMIT, type JobListQuery, type JobOutcome, type JobResultQuery, type JobState } from '../../coa/jobs.js';

const JOB_STATES: readonly JobState[] = ['running', 'done', 'cancelled', 'interrupted'];

function reader(params: URLSearchParams, known: readonly string[]) {
  for (const name of new Set(params.keys())) {
    if (!known.includes(name)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} is not known here: use ${known.join(', ')}`);
    if (params.getAll(name).length > 1) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} is given more than once`);
  }
  return {
    whole(name: string, min: number, max: number): number | undefined {
      const v = params.get(name);
      if (v === null) return undefined;
      if (!/^\d{1,16}$/.test(v) || Number(v) < min || Number(v) > max) {
        throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: a whole number from ${min} to ${max}`);
      }
      return Number(v);
    },
    oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
      const v = params.get(name);
      if (v === null) return undefined;
      if (!(allowed as readonly string[]).includes(v)) throw new OpenMntError('INVALID_ARGUMENT', `query parameter ${name} '${v}' is not valid: one of ${allowed.join(', ')}`);
      return v as T;
    },
  };
}

export function jobListQuery(params: URLSearchParams): JobListQuery {
  const q = reader(params, ['state', 'limit', 'before']);
  return {
    state: q.oneOf('state', JOB_STATES),
    limit: q.whole('limit', 1, JOB_LIST_LIMIT.max),
    before: q.whole('before', 1, Number.MAX_SAFE_INTEGER),
  };
}

export function jobResultQuery(params: URLSearchParams): JobResultQuery {
  const q = reader(params, ['outcome', 'limit', 'after']);
  return {
    outcome: q.oneOf<JobOutcome>('outcome', JOB_OUTCOMES),
    limit: q.whole('limit', 1, JOB_RESULT_LIMIT.max),
    after: q.whole('after', 0, Number.MAX_SAFE_INTEGER),
  };
}
