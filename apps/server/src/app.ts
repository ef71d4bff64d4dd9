import {
  appRouter,
  ApiErrorCode,
  createApiError,
  createContext,
  hasScope,
  toErrorResponse,
  type PeerService,
  type RhizomeNode,
} from '@rhizome/api';
import { trpcServer } from '@hono/trpc-server';
import { Hono, type Context } from 'hono';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { limitBody } from './body-limit.ts';
import { connectionOf, createDroppableBody } from './droppable-body.ts';
import { createExplorerRoutes } from './explorer.ts';
import type { Metrics } from './metrics.ts';
import { createDeltaRoutes } from './rest/deltas-routes.ts';
import { createEntityRoutes } from './rest/entities-routes.ts';
import type { ServerEnv } from './rest/env.ts';
import { createPeerRoutes } from './rest/peers-routes.ts';
import { createSchemaRoutes } from './rest/schemas-routes.ts';
import { createSchemaValidationRoutes } from './rest/schema-validation-routes.ts';
import { createRequestGuards, requireJsonBody } from './request-guards.ts';
import type { Authenticator } from './tokens.ts';
import { assertSubscriptionAllowed } from './trpc-guards.ts';

export interface AppOptions {
  readonly node: RhizomeNode;
  /** The node's peers, when it runs sync. */
  readonly peers?: PeerService;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  /** Web origins allowed to call the node from a browser (RHIZOME_CORS_ORIGINS). */
  readonly corsOrigins?: readonly string[];
  /** Keep stack traces in tRPC error bodies (RHIZOME_DEBUG_ERRORS=on); never in production. */
  readonly debugErrors?: boolean;
  /** False while starting or draining: /readyz answers 503. */
  readonly isReady?: () => boolean;
}

function sendError(c: Context, error: unknown) {
  const { status, body } = toErrorResponse(error);
  if (status === 401) c.header('WWW-Authenticate', 'Bearer');
  return c.json(body, status as 400);
}

/** The Hono app of a node: tRPC at /trpc, REST under /api, health, readiness and metrics. */
export function createApp(options: AppOptions): Hono<ServerEnv> {
  const { node, authenticator, logger, metrics } = options;
  const app = new Hono<ServerEnv>();

  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    c.set('node', node);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.res.status === 404 ? 'unmatched' : routePath(c, -1);
    metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    const fields = {
      reqId: c.var.requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(seconds * 1000),
    };
    if (c.res.status >= 500) logger.error(fields, 'request failed');
    else logger.info(fields, 'request');
  });

  for (const guard of createRequestGuards({
    open: authenticator.open,
    corsOrigins: options.corsOrigins ?? [],
    refuse: sendError,
  }))
    app.use(guard);

  app.get('/healthz', (c) => c.json({ status: 'ok', nodeId: node.nodeId }));
  app.get('/readyz', async (c) => {
    if (!node.accepting || options.isReady?.() === false) {
      return sendError(c, createApiError(ApiErrorCode.NodeUnavailable, 'the node is not ready'));
    }
    await node.status(); // a store that cannot answer makes the node unready
    return c.json({ status: 'ready' });
  });
  app.get('/metrics', async (c) =>
    c.text(await metrics.render(node.stats()), 200, { 'content-type': metrics.contentType }),
  );

  const limit = limitBody({
    maxSize: options.bodyLimit,
    onError: (c) =>
      sendError(
        c,
        createApiError(
          ApiErrorCode.PayloadTooLarge,
          `the request body is over the limit of ${options.bodyLimit} bytes`,
          {
            details: { limit: options.bodyLimit },
          },
        ),
      ),
  });
  const authenticate = async (c: Context<ServerEnv>, next: () => Promise<void>) => {
    const result = authenticator.authenticate(c.req.header('authorization'));
    if (!result.ok)
      return sendError(c, createApiError(ApiErrorCode.Unauthenticated, result.reason));
    c.set('principal', result.principal);
    await next();
  };
  app.use('/api/*', requireJsonBody(sendError), limit, authenticate);
  app.use('/trpc/*', limit, authenticate, async (c, next) => {
    if (c.req.method === 'GET') {
      const procedurePath = c.req.path.slice('/trpc/'.length);
      try {
        assertSubscriptionAllowed(procedurePath, c.var.principal, (p) => hasScope(p, 'read'));
      } catch (error) {
        return sendError(c, error);
      }
    }
    await next();
  });

  // A subscription's response passes through a body that can be ended when the node drops its
  // subscriber (the context hands the procedure `onStreamDropped`). tRPC's own SSE producer only
  // pulls from the procedure when the body is read, so a stalled reader holds a few events at most.
  app.use('/trpc/*', async (c, next) => {
    let drop: (error: unknown) => void = () => {};
    c.set('dropStream', (error: unknown) => drop(error));
    await next();
    const body = c.res.body;
    if (body === null || !c.res.headers.get('content-type')?.startsWith('text/event-stream'))
      return;
    const droppable = createDroppableBody(body, connectionOf(c));
    drop = (error) => void droppable.drop(error);
    c.res = new Response(droppable.body, c.res);
  });
  app.use(
    '/trpc/*',
    trpcServer({
      endpoint: '/trpc',
      router: appRouter,
      createContext: (_opts, c) => ({
        ...createContext({
          node,
          principal: (c as Context<ServerEnv>).var.principal,
          ...(options.peers === undefined ? {} : { peers: options.peers }),
          debugErrors: options.debugErrors === true,
          onStreamDropped: (c as Context<ServerEnv>).var.dropStream,
        }),
      }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          logger.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
      },
    }),
  );

  app.route('/api/deltas', createDeltaRoutes());
  app.route('/api/entities', createEntityRoutes());
  app.route('/api/schemas', createSchemaRoutes());
  app.route('/api/schemas', createSchemaValidationRoutes());
  // The Explorer web app: public like /healthz; it asks for a token and sends it with each call.
  app.route('/', createExplorerRoutes());
  app.route('/api/peers', createPeerRoutes(options.peers));

  app.notFound((c) =>
    sendError(
      c,
      createApiError(ApiErrorCode.RouteNotFound, `no route for ${c.req.method} ${c.req.path}`),
    ),
  );
  app.onError((error, c) => {
    const { status } = toErrorResponse(error);
    if (status >= 500) logger.error({ err: error, reqId: c.var.requestId }, 'unhandled error');
    return sendError(c, error);
  });
  return app;
}
