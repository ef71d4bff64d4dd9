import {
  addPeerInputSchema,
  assertScope,
  removePeerInputSchema,
  requirePeerService,
  type PeerService,
} from '@rhizome/api';
import { Hono } from 'hono';
import type { ServerEnv } from './env.ts';
import { parseWith, readJson } from './parse.ts';

/** GET /api/peers (read), POST /api/peers and DELETE /api/peers?address= (admin). */
export function createPeerRoutes(peers: PeerService | undefined): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.get('/', (c) => {
    assertScope(c.var.principal, 'read');
    return c.json({ peers: requirePeerService(peers).list() });
  });

  routes.post('/', async (c) => {
    assertScope(c.var.principal, 'admin');
    const input = parseWith(addPeerInputSchema, await readJson(c), 'peer');
    return c.json({ peer: await requirePeerService(peers).add(input.address) }, 201);
  });

  // The address goes in the query string: it is itself a URL, awkward as a path segment.
  routes.delete('/', async (c) => {
    assertScope(c.var.principal, 'admin');
    const input = parseWith(removePeerInputSchema, { address: c.req.query('address') }, 'peer');
    await requirePeerService(peers).remove(input.address);
    return c.body(null, 204);
  });

  return routes;
}
