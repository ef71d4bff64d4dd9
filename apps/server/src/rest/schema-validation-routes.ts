import { assertScope, entityIdInput } from '@rhizome/api';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ServerEnv } from './env.ts';
import { parseWith } from './parse.ts';

const integerText = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a non-negative integer')
  .transform(Number);

const readParams = { asOf: integerText.optional() };

const invalidParams = z.strictObject({
  ...readParams,
  limit: integerText.optional(),
  cursor: entityIdInput.optional(),
});

const validateParams = z.strictObject(readParams);

/** Drops absent optional fields, so the node's inputs never hold `undefined`. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/**
 * `GET /api/schemas/:name/invalid` and `GET /api/schemas/:name/validate/:id`: validation reports
 * (docs/semantics.md, "Required properties and validation"). Mounted next to the schema routes.
 */
export function createSchemaValidationRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.get('/:name/invalid', async (c) => {
    assertScope(c.var.principal, 'read');
    const params = parseWith(invalidParams, c.req.query(), 'query parameters');
    return c.json(
      await c.var.node.listInvalid({ schema: c.req.param('name'), ...defined(params) }),
    );
  });

  routes.get('/:name/validate/:id', async (c) => {
    assertScope(c.var.principal, 'read');
    const params = parseWith(validateParams, c.req.query(), 'query parameters');
    const id = parseWith(entityIdInput, c.req.param('id'), 'entity id');
    return c.json(
      await c.var.node.validate({ schema: c.req.param('name'), id, ...defined(params) }),
    );
  });

  return routes;
}
