/**
 * OpenMnT's own JSON API (what ISE has no call for) as a table of routes: a path pattern with
 * `:name` segments, and per method the right it needs and its handler. The table is data, so the
 * OpenAPI document and the tests can walk the same list the pipeline dispatches on.
 */
import { OpenMntError } from '../../errors.js';
import { roleAllows, type Right } from '../admins.js';
import type { Context } from '../context.js';
import { HttpError, methodNotAllowed } from '../errors.js';

export type RouteHandler = (ctx: Context, params: Record<string, string>) => Promise<void>;

export interface Operation {
  /** The right it needs; with a list, any one of them. */
  right: Right | readonly Right[];
  /** The largest body it reads itself (bytes); without, a body sent is read and dropped. */
  body?: number;
  /** Said in a 403: what the admin may not do. */
  doing: string;
  /** The handler reads the request body itself (with its own limit); otherwise it is dropped. */
  readsBody?: boolean;
  handler: RouteHandler;
}

export interface Route {
  /** Under `/api/v1`, e.g. `/coa/jobs/:id`. */
  path: string;
  /** The metrics label. */
  name: string;
  methods: Partial<Record<'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', Operation>>;
}

interface Compiled {
  route: Route;
  pattern: RegExp;
  params: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export const API_V1_PREFIX = '/api/v1';

export class Router {
  readonly #routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => {
      const params: string[] = [];
      const source = route.path
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          params.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      return { route, pattern: new RegExp(`^${source}$`), params };
    });
  }

  /** The route of a path under the prefix, or null; its parameters are decoded when it is run. */
  find(pathname: string): { route: Route; raw: RegExpExecArray; params: string[] } | null {
    const path = pathname.slice(API_V1_PREFIX.length);
    for (const { route, pattern, params } of this.#routes) {
      const m = pattern.exec(path);
      if (m !== null) return { route, raw: m, params };
    }
    return null;
  }

  /** The route of a path under the prefix with its parameters, or a 404. */
  match(pathname: string, found = this.find(pathname)): Match {
    if (found === null) throw new OpenMntError('UNKNOWN_CALL', `no call has the path ${pathname}`);
    const values: Record<string, string> = {};
    found.params.forEach((name, i) => {
      values[name] = safeDecode(found.raw[i + 1]!);
    });
    return { route: found.route, params: values };
  }

  operation(match: Match, method: string): Operation | undefined {
    return match.route.methods[method as keyof Route['methods']];
  }

  /** Runs the matched operation: 405 for a method the route lacks, 403 for a role without the right. */
  async run(ctx: Context, match: Match): Promise<void> {
    const operation = match.route.methods[ctx.method as keyof Route['methods']];
    if (operation === undefined) throw methodNotAllowed(`${API_V1_PREFIX}${match.route.path}`, Object.keys(match.route.methods), ctx.method);
    const rights: readonly Right[] = typeof operation.right === 'string' ? [operation.right] : operation.right;
    if (!rights.some((right) => roleAllows(ctx.admin.role, right))) {
      throw new HttpError(403, 'FORBIDDEN', `admin '${ctx.admin.name}' (${ctx.admin.role}) may not ${operation.doing}`);
    }
    await operation.handler(ctx, match.params);
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OpenMntError('INVALID_ARGUMENT', `the path segment '${segment}' is not valid percent-encoding`);
  }
}
