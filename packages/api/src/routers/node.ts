import { publicProcedure, readProcedure } from '../trpc.ts';

export const nodeRouter = {
  /** Liveness, without credentials. */
  health: publicProcedure.query(({ ctx }) => ({
    status: ctx.node.accepting ? 'ok' : 'closing',
    nodeId: ctx.node.nodeId,
  })),
  status: readProcedure.query(({ ctx }) => ctx.node.status()),
};
