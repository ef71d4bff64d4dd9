import {
  addPeerInputSchema,
  assertScope,
  requirePeerService,
  type PeerService,
} from '@rhizome/api';
import { Hono } from 'hono';
import type { ServerEnv } from './env.ts';
import { parseWith, readJson } from './parse.ts';

/** GET /api/peers (read) and POST /api/peers (admin). */
export function createPeerRoutes(peers: PeerService | undefined): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.get('/', (c) => {
    assertScope(c.var.principal, 'read');
    return c.json({ peers: requirePeerService(peers).list() });
  });

  routes.post('/', async (c) => {
    assertScope(c.var.principal, 'admin');
    const input = parseWith(addPeerInputSchema, await readJson(c), 'peer');
    return c.json({ peer: requirePeerService(peers).add(input.address) }, 201);
  });

  return routes;
}
