/**
 * Approving pxGrid consumers: list the accounts (PENDING ones wait here), approve (ENABLED),
 * disable, remove. Changing an account takes the `write` right; Helpdesk Admins may only look.
 */
import type { PxGridService } from '../pxgrid/service.js';
import { sendJson } from '../context.js';
import { HttpError } from '../errors.js';
import type { Route } from './router.js';

export function pxgridAccountRoutes(pxgrid: PxGridService | undefined): Route[] {
  const accounts = () => {
    if (pxgrid === undefined) throw new HttpError(503, 'UNAVAILABLE', 'pxGrid is turned off on this node (pxgrid.enabled)');
    return pxgrid.accounts;
  };
  return [
    {
      path: '/pxgrid/accounts',
      name: 'api/pxgrid/accounts',
      methods: { GET: { right: 'read', doing: 'read pxGrid accounts', handler: async (ctx) => sendJson(ctx.res, 200, { accounts: accounts().list() }) } },
    },
    {
      path: '/pxgrid/accounts/:name',
      name: 'api/pxgrid/accounts/{name}',
      methods: {
        DELETE: {
          right: 'write',
          doing: 'remove pxGrid accounts',
          handler: async (ctx, p) => {
            accounts().remove(p.name!);
            ctx.res.writeHead(204).end();
          },
        },
      },
    },
    {
      path: '/pxgrid/accounts/:name/approve',
      name: 'api/pxgrid/accounts/{name}/approve',
      methods: { POST: { right: 'write', doing: 'approve pxGrid accounts', handler: async (ctx, p) => sendJson(ctx.res, 200, accounts().decide(p.name!, 'ENABLED', ctx.admin.name)) } },
    },
    {
      path: '/pxgrid/accounts/:name/disable',
      name: 'api/pxgrid/accounts/{name}/disable',
      methods: { POST: { right: 'write', doing: 'disable pxGrid accounts', handler: async (ctx, p) => sendJson(ctx.res, 200, accounts().decide(p.name!, 'DISABLED', ctx.admin.name)) } },
    },
  ];
}
