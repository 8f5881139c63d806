/** The CoA routes of the JSON API: one CoA, bulk jobs (start, list, progress, cancel) and the CoA audit log. */
import { OpenMntError, isOpenMntError } from '../../errors.js';
import type { JobRunner } from '../../coa/jobs.js';
import type { CoaAction, CoaService } from '../../coa/types.js';
import { macArgument } from '../mnt/calls.js';
import type { Store } from '../../store/index.js';
import { readJson, sendJson, streamJsonList } from '../context.js';
import { HttpError } from '../errors.js';
import { jobListQuery, jobResultQuery } from './job-queries.js';
import { parseJobSpec } from './job-spec.js';
import { QueryReader } from './query.js';
import type { Route } from './router.js';

/** A job may list many MACs (100,000 and more); every other call takes a small body. */
export const MAX_JOB_BODY = 8 * 1024 * 1024;

const ACTIONS: Record<string, CoaAction> = {
  reauth: { action: 'reauth', type: 'default' },
  'reauth-last': { action: 'reauth', type: 'last' },
  'reauth-rerun': { action: 'reauth', type: 'rerun' },
  disconnect: { action: 'disconnect', type: 'default' },
  bounce: { action: 'disconnect', type: 'bounce' },
  shutdown: { action: 'disconnect', type: 'shutdown' },
};

/** `{"mac": "...", "action": "reauth|reauth-last|reauth-rerun|disconnect|bounce|shutdown"}`. */
async function parseCoaBody(body: unknown): Promise<{ mac: string; action: CoaAction }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OpenMntError('INVALID_ARGUMENT', 'CoA: the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (key !== 'mac' && key !== 'action') throw new OpenMntError('INVALID_ARGUMENT', `CoA: unknown field ${key}: use mac, action`);
  if (typeof b.mac !== 'string') throw new OpenMntError('INVALID_ARGUMENT', 'CoA: mac must be a MAC address');
  const action = typeof b.action === 'string' ? ACTIONS[b.action] : undefined;
  if (action === undefined) throw new OpenMntError('INVALID_ARGUMENT', `CoA: action must be one of ${Object.keys(ACTIONS).join(', ')}`);
  return { mac: macArgument(b.mac, 'CoA: mac'), action };
}

export function coaRoutes(store: Store, jobs: JobRunner | undefined, coa?: CoaService): Route[] {
  const runner = (): JobRunner => {
    if (jobs === undefined) throw new HttpError(503, 'UNAVAILABLE', 'CoA jobs are not running on this node');
    return jobs;
  };
  return [
    {
      path: '/coa',
      name: 'api/coa',
      methods: {
        POST: {
          right: 'coa',
          doing: 'issue CoA',
          readsBody: true,
          handler: async (ctx) => {
            if (coa === undefined) throw new HttpError(503, 'UNAVAILABLE', 'the CoA engine is not running on this node');
            const { mac, action } = await parseCoaBody(await readJson(ctx.req, 4096));
            try {
              const result = await coa.send({ target: { mac }, action, admin: ctx.admin.name, origin: 'api' });
              sendJson(ctx.res, 200, { acknowledged: result.outcome === 'ack', ...result });
            } catch (error) {
              // ISE's meaning ("Session data is not available") in this API's shape: the endpoint has no
              // active session now, whatever a list showed a moment ago.
              if (isOpenMntError(error, 'SESSION_NOT_FOUND')) throw new HttpError(404, 'SESSION_NOT_FOUND', error.message);
              throw error;
            }
          },
        },
      },
    },
    {
      path: '/coa/jobs',
      name: 'api/coa/jobs',
      methods: {
        GET: {
          right: 'read',
          doing: 'read CoA jobs',
          handler: async (ctx) => sendJson(ctx.res, 200, await runner().list(jobListQuery(ctx.url.searchParams))),
        },
        POST: {
          right: 'coa',
          doing: 'run CoA jobs',
          readsBody: true,
          handler: async (ctx) => {
            const spec = await parseJobSpec(await readJson(ctx.req, MAX_JOB_BODY));
            if (spec.dryRun) {
              const targets = await runner().select(spec.selector);
              return streamJsonList(ctx.res, 200, { dryRun: true, count: targets.length }, 'endpoints', targets);
            }
            const job = await runner().start(spec, ctx.admin.name);
            sendJson(ctx.res, 202, job, { Location: `/api/v1/coa/jobs/${job.id}` });
          },
        },
      },
    },
    {
      path: '/coa/jobs/:id',
      name: 'api/coa/jobs/{id}',
      methods: {
        GET: { right: 'read', doing: 'read CoA jobs', handler: async (ctx, p) => sendJson(ctx.res, 200, await runner().get(p.id!)) },
        DELETE: { right: 'coa', doing: 'cancel CoA jobs', handler: async (ctx, p) => sendJson(ctx.res, 200, await runner().cancel(p.id!)) },
      },
    },
    {
      path: '/coa/jobs/:id/results',
      name: 'api/coa/jobs/{id}/results',
      methods: {
        GET: {
          right: 'read',
          doing: 'read CoA jobs',
          handler: async (ctx, p) => sendJson(ctx.res, 200, await runner().results(p.id!, jobResultQuery(ctx.url.searchParams))),
        },
      },
    },
    {
      path: '/coa/audit',
      name: 'api/coa/audit',
      methods: {
        GET: {
          right: 'read',
          doing: 'read the CoA audit log',
          handler: async (ctx) => {
            const q = new QueryReader(ctx.url.searchParams);
            const limit = q.integer('limit', 1, 10_000) ?? 100;
            const records = await store.coaAudit({
              mac: q.mac('mac'),
              nasIp: q.ip('nas'),
              admin: q.text('admin'),
              outcome: q.oneOf('outcome', ['ack', 'nak', 'timeout', 'refused']),
              action: q.oneOf('action', ['reauth', 'disconnect']),
              jobId: q.text('job'),
              since: q.time('since'),
              until: q.time('until'),
              beforeId: q.integer('before', 1, Number.MAX_SAFE_INTEGER),
              limit,
            });
            const next = records.length === limit ? records[records.length - 1]!.id : null;
            sendJson(ctx.res, 200, { records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })), next });
          },
        },
      },
    },
  ];
}
