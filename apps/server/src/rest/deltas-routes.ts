import { assertScope, ApiErrorCode, createApiError } from '@rhizome/api';
import { Hono } from 'hono';
import type { ServerEnv } from './env.ts';
import { integerParam, readJson } from './parse.ts';
import { encodeSharedFrame, formatEvent, respondWithEvents } from './sse.ts';

export function createDeltaRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();

  routes.post('/', async (c) => {
    const principal = assertScope(c.var.principal, 'write');
    const body = await readJson(c);
    const isBatch =
      typeof body === 'object' && body !== null && !Array.isArray(body) && 'deltas' in body;
    const inputs = isBatch ? (body as { deltas: unknown }).deltas : [body];
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw createApiError(ApiErrorCode.InvalidRequest, '"deltas" must be a non-empty array');
    }
    const results = await c.var.node.write(inputs, principal, { batch: isBatch });
    return c.json({ results });
  });

  routes.get('/', async (c) => {
    assertScope(c.var.principal, 'read');
    const after = c.req.query('after');
    const limit = integerParam(c, 'limit');
    const page = await c.var.node.listDeltas({
      ...(after === undefined ? {} : { after }),
      ...(limit === undefined ? {} : { limit }),
    });
    return c.json(page);
  });

  // Server-Sent Events of every delta stored from now on, each with its local seq as the event
  // id. `Last-Event-ID` (sent by EventSource on reconnect) or `?lastEventId=` resumes after it.
  routes.get('/stream', (c) => {
    assertScope(c.var.principal, 'read');
    const last = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    if (last !== undefined && !/^\d{1,16}$/.test(last)) {
      throw createApiError(
        ApiErrorCode.InvalidRequest,
        'Last-Event-ID must be an event id this stream gave (a sequence number)',
        { details: { lastEventId: last } },
      );
    }
    return respondWithEvents(c, {
      open: (signal, dropped) =>
        c.var.node.streamDeltas(
          { ...(last === undefined ? {} : { after: Number(last) }), onDropped: dropped },
          signal,
        ),
      frame: (entry) => encodeSharedFrame(entry, () => formatEvent(entry.delta, String(entry.seq))),
    });
  });

  routes.get('/:id', async (c) => {
    assertScope(c.var.principal, 'read');
    return c.json(await c.var.node.getDelta(c.req.param('id')));
  });

  routes.post('/:id/negate', async (c) => {
    const principal = assertScope(c.var.principal, 'write');
    const result = await c.var.node.negate(c.req.param('id'), principal);
    return c.json({ id: result.id, status: result.status });
  });

  return routes;
}
