/**
 * `GET /api/v1/openapi.json`: an OpenAPI 3.1 document made from the route table itself, so it
 * covers every /api/v1 route (the CoA jobs and audit too) and cannot drift from what the pipeline
 * dispatches; a test walks both. Per operation: its parameters, the right it needs, and the
 * answers every call may give (400, 401, 403, 404, 412 where an If-Match applies).
 */
import { sendJson } from '../context.js';
import { API_V1_PREFIX, type Route } from './router.js';

const ERROR = { $ref: '#/components/responses/Error' };

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = API_V1_PREFIX + route.path.replace(/:([a-z]+)/gi, '{$1}');
    const params = [...route.path.matchAll(/:([a-z]+)/gi)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(route.methods)) {
      const rights = typeof op.right === 'string' ? [op.right] : op.right;
      const responses: Record<string, unknown> = {
        [method === 'POST' && !route.path.includes('/bulk') && !route.path.includes('import') && !route.path.includes('anc') && !route.path.startsWith('/dc/') ? '201' : '200']: { description: 'done', content: { 'application/json': { schema: { type: 'object' } } } },
        '400': ERROR,
        '401': ERROR,
        '403': ERROR,
        '404': ERROR,
      };
      if (method === 'PATCH' || method === 'DELETE') responses['412'] = ERROR;
      item[method.toLowerCase()] = {
        operationId: `${method.toLowerCase()}_${route.name.replace(/[^A-Za-z0-9]+/g, '_')}`,
        summary: op.doing,
        'x-openmnt-rights': rights,
        parameters: [
          ...params,
          ...(method === 'PATCH' || method === 'DELETE' ? [{ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } }] : []),
        ],
        ...(op.body !== undefined || (route.path === '/coa/jobs' && method === 'POST') ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
        responses,
      };
    }
    paths[path] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'OpenMnT JSON API', version: '1' },
    servers: [{ url: '/' }],
    security: [{ basic: [] }],
    paths,
    components: {
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
      responses: {
        Error: {
          description: 'an error: its stable code and what went wrong',
          content: { 'application/json': { schema: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
    },
  };
}

/** The route serving the document; `routes` is read when asked, so it includes itself. */
export function openApiRoute(routes: () => readonly Route[]): Route {
  return {
    path: '/openapi.json',
    name: 'api/openapi.json',
    methods: { GET: { right: ['read', 'endpoints'], doing: 'read the API description', handler: async (ctx) => sendJson(ctx.res, 200, openApiDocument(routes())) } },
  };
}
