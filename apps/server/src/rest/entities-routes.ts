import {
  ApiErrorCode,
  assertScope,
  createApiError,
  entityIdInput,
  parseCountText,
  parseOrderByText,
  parseTrustText,
  parseWhereText,
  propertiesInput,
  type TrustJson,
} from '@rhizome/api';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ServerEnv } from './env.ts';
import { integerParam, parseWith, readJson } from './parse.ts';
import { encodeSharedFrame, formatEvent, respondWithEvents } from './sse.ts';

const putBody = z.strictObject({ properties: propertiesInput });
const listPrefix = z.string().max(512, 'must be at most 512 characters');

/** `?trust=alice,bob` and `?signed=true`: whom the reader trusts (INVALID_REQUEST when malformed). */
function trustParam(c: Context<ServerEnv>): { trust?: TrustJson } {
  const trust = parseTrustText(c.req.query('trust'), c.req.query('signed'));
  return trust === undefined ? {} : { trust };
}

export function createEntityRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.get('/', async (c) => {
    assertScope(c.var.principal, 'read');
    const schemaText = c.req.query('schema');
    const prefix = c.req.query('prefix');
    const trust = trustParam(c);
    if (schemaText === undefined) {
      // Without a schema: every entity, schemaless views. A query needs a schema's properties.
      const needsSchema = ['where', 'orderBy', 'count'].find(
        (name) => c.req.query(name) !== undefined,
      );
      if (needsSchema !== undefined) {
        throw createApiError(
          ApiErrorCode.InvalidRequest,
          `query parameter "${needsSchema}" needs "schema"`,
          { details: { parameter: needsSchema } },
        );
      }
      const cursor = c.req.query('cursor');
      const limit = integerParam(c, 'limit');
      const asOf = integerParam(c, 'asOf');
      return c.json(
        await c.var.node.listViews({
          ...(prefix === undefined
            ? {}
            : { prefix: parseWith(listPrefix, prefix, 'query parameter "prefix"') }),
          ...(cursor === undefined ? {} : { cursor }),
          ...(limit === undefined ? {} : { limit }),
          ...(asOf === undefined ? {} : { asOf }),
          ...trust,
        }),
      );
    }
    if (prefix !== undefined) {
      throw createApiError(
        ApiErrorCode.InvalidRequest,
        'query parameter "prefix" applies only without "schema"',
        { details: { parameter: 'prefix' } },
      );
    }
    const schema = parseWith(z.string().min(1), schemaText, 'query parameter "schema"');
    const whereText = c.req.query('where');
    const orderByText = c.req.query('orderBy');
    const countText = c.req.query('count');
    const cursor = c.req.query('cursor');
    const limit = integerParam(c, 'limit');
    const asOf = integerParam(c, 'asOf');
    // `where`, `orderBy` and `count` are checked by the node: QUERY_INVALID with the bad part's path.
    return c.json(
      await c.var.node.query({
        schema,
        ...(whereText === undefined ? {} : { where: parseWhereText(whereText) }),
        ...(orderByText === undefined ? {} : { orderBy: parseOrderByText(orderByText) }),
        ...(countText === undefined ? {} : { count: parseCountText(countText) }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(limit === undefined ? {} : { limit }),
        ...(asOf === undefined ? {} : { asOf }),
        ...trust,
      }),
    );
  });

  // Server-Sent Events: the view now, then each change; as tRPC `entities.watch`, but the frame
  // of a change is encoded once for every subscriber of the same view.
  routes.get('/:id/watch', (c) => {
    assertScope(c.var.principal, 'read');
    const id = parseWith(entityIdInput, c.req.param('id'), 'entity id');
    const schema = c.req.query('schema');
    const trust = trustParam(c);
    return respondWithEvents(c, {
      open: (signal) =>
        c.var.node.watchEntity(
          id,
          { ...(schema === undefined ? {} : { schema }), ...trust },
          signal,
        ),
      frame: (view) => encodeSharedFrame(view, () => formatEvent(view)),
      awaitFirst: true,
    });
  });

  routes.get('/:id/hyperview', async (c) => {
    assertScope(c.var.principal, 'read');
    const asOf = integerParam(c, 'asOf');
    const verification = c.req.query('verification');
    if (verification !== undefined && verification !== 'true' && verification !== 'false') {
      throw createApiError(
        ApiErrorCode.InvalidRequest,
        'query parameter "verification" must be true or false',
        { details: { verification } },
      );
    }
    return c.json(
      await c.var.node.hyperview(c.req.param('id'), {
        ...(asOf === undefined ? {} : { asOf }),
        ...trustParam(c),
        ...(verification === 'true' ? { verification: true } : {}),
      }),
    );
  });

  routes.get('/:id', async (c) => {
    assertScope(c.var.principal, 'read');
    const asOf = integerParam(c, 'asOf');
    const schema = c.req.query('schema');
    return c.json(
      await c.var.node.view(c.req.param('id'), {
        ...(asOf === undefined ? {} : { asOf }),
        ...(schema === undefined ? {} : { schema }),
        ...trustParam(c),
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
