/**
 * The admin accounts (`/api/v1/admins`), Super Admin only: list, add, set a password, remove.
 * The same directory `openmnt admin …` edits; a removed account or a changed password ends the
 * account's console sessions at once (`onChanged`).
 */
import { OpenMntError } from '../../errors.js';
import { parseRole, ROLE_NAMES, type AdminDirectory } from '../admins.js';
import { readJson, sendJson } from '../context.js';
import type { Route } from './router.js';

const MAX_BODY = 4096;

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new OpenMntError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  return value;
}

async function objectBody(req: Parameters<typeof readJson>[0], allowed: readonly string[]): Promise<Record<string, unknown>> {
  const body = await readJson(req, MAX_BODY);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OpenMntError('INVALID_ARGUMENT', 'the body must be a JSON object');
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw new OpenMntError('INVALID_ARGUMENT', `unknown field ${key}: use ${allowed.join(', ')}`);
  return body as Record<string, unknown>;
}

export function adminRoutes(admins: AdminDirectory, onChanged: (name: string) => void): Route[] {
  const listed = () => ({ admins: admins.list().map((a) => ({ ...a, roleName: ROLE_NAMES[a.role] })) });
  return [
    {
      path: '/admins',
      name: 'api/admins',
      methods: {
        GET: { right: 'admins', doing: 'manage admin accounts', handler: async (ctx) => sendJson(ctx.res, 200, listed(), { 'Cache-Control': 'no-store' }) },
        POST: {
          right: 'admins',
          doing: 'manage admin accounts',
          readsBody: true,
          handler: async (ctx) => {
            const body = await objectBody(ctx.req, ['name', 'password', 'role']);
            const admin = await admins.add(field(body, 'name'), field(body, 'password'), parseRole(field(body, 'role')));
            sendJson(ctx.res, 201, { ...admin, roleName: ROLE_NAMES[admin.role] }, { Location: `/api/v1/admins/${encodeURIComponent(admin.name)}` });
          },
        },
      },
    },
    {
      path: '/admins/:name',
      name: 'api/admins/{name}',
      methods: {
        PATCH: {
          right: 'admins',
          doing: 'manage admin accounts',
          readsBody: true,
          handler: async (ctx, p) => {
            const body = await objectBody(ctx.req, ['password']);
            await admins.passwd(p.name!, field(body, 'password'));
            onChanged(p.name!);
            sendJson(ctx.res, 200, listed());
          },
        },
        DELETE: {
          right: 'admins',
          doing: 'manage admin accounts',
          handler: async (ctx, p) => {
            await admins.remove(p.name!);
            onChanged(p.name!);
            sendJson(ctx.res, 200, listed());
          },
        },
      },
    },
  ];
}
