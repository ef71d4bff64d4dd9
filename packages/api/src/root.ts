import { deltasRouter } from './routers/deltas.ts';
import { entitiesRouter } from './routers/entities.ts';
import { explorerRouter } from './routers/explorer.ts';
import { nodeRouter } from './routers/node.ts';
import { peersRouter } from './routers/peers.ts';
import { schemasRouter } from './routers/schemas.ts';
import { createCallerFactory, createRouter } from './trpc.ts';

export const appRouter = createRouter({
  deltas: deltasRouter,
  entities: entitiesRouter,
  schemas: schemasRouter,
  node: nodeRouter,
  peers: peersRouter,
  explorer: explorerRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (tests, the CLI in-process): `createCaller(createContext(...))`. */
export const createCaller = createCallerFactory(appRouter);
