import { assertScope } from '@rhizome/api';
import { Hono } from 'hono';
import type { ServerEnv } from './env.ts';
import { readJson } from './parse.ts';

export function createSchemaRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.get('/', (c) => {
    assertScope(c.var.principal, 'read');
    return c.json({ schemas: c.var.node.listSchemas() });
  });

  routes.get('/:name', (c) => {
    assertScope(c.var.principal, 'read');
    return c.json(c.var.node.getSchema(c.req.param('name')));
  });

  routes.put('/:name', async (c) => {
    const principal = assertScope(c.var.principal, 'admin');
    return c.json(await c.var.node.putSchema(c.req.param('name'), await readJson(c), principal));
  });

  return routes;
}
