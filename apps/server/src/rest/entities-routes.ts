import { assertScope, propertiesInput, whereInput } from '@rhizome/api';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ServerEnv } from './env.ts';
import { integerParam, parseWith, readJson } from './parse.ts';

const putBody = z.strictObject({ properties: propertiesInput });

export function createEntityRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.get('/', (c) => {
    assertScope(c.var.principal, 'read');
    const schema = parseWith(
      z.string().min(1),
      c.req.query('schema'),
      'query parameter "schema" (required)',
    );
    const whereText = c.req.query('where');
    let where: unknown;
    if (whereText !== undefined) {
      try {
        where = JSON.parse(whereText);
      } catch {
        where = Symbol('not JSON');
      }
    }
    const cursor = c.req.query('cursor');
    const limit = integerParam(c, 'limit');
    const asOf = integerParam(c, 'asOf');
    return c.json(
      c.var.node.query({
        schema,
        ...(where === undefined
          ? {}
          : { where: parseWith(whereInput, where, 'query parameter "where" (a JSON object)') }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(limit === undefined ? {} : { limit }),
        ...(asOf === undefined ? {} : { asOf }),
      }),
    );
  });

  routes.get('/:id/hyperview', (c) => {
    assertScope(c.var.principal, 'read');
    const asOf = integerParam(c, 'asOf');
    return c.json(c.var.node.hyperview(c.req.param('id'), asOf === undefined ? {} : { asOf }));
  });

  routes.get('/:id', (c) => {
    assertScope(c.var.principal, 'read');
    const asOf = integerParam(c, 'asOf');
    const schema = c.req.query('schema');
    return c.json(
      c.var.node.view(c.req.param('id'), {
        ...(asOf === undefined ? {} : { asOf }),
        ...(schema === undefined ? {} : { schema }),
      }),
    );
  });

  routes.put('/:id', async (c) => {
    const principal = assertScope(c.var.principal, 'write');
    const body = parseWith(putBody, await readJson(c), 'body');
    const result = await c.var.node.putProperties(c.req.param('id'), body.properties, principal);
    return c.json({ id: result.id, status: result.status });
  });

  return routes;
}
