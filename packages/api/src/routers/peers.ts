import { addPeerInputSchema, requirePeerService } from '../peers.ts';
import { adminProcedure, readProcedure } from '../trpc.ts';

export const peersRouter = {
  /** Every link, dialled or accepted, with its state, lag and last error. */
  list: readProcedure.query(({ ctx }) => ({ peers: requirePeerService(ctx.peers).list() })),
  /** Keeps a link to another node's sync endpoint (redialled with backoff until it answers). */
  add: adminProcedure
    .input(addPeerInputSchema)
    .mutation(({ ctx, input }) => ({ peer: requirePeerService(ctx.peers).add(input.address) })),
};
