import { addPeerInputSchema, removePeerInputSchema, requirePeerService } from '../peers.ts';
import { adminProcedure, readProcedure } from '../trpc.ts';

export const peersRouter = {
  /** Every link, dialled or accepted, with its state, lag and last error. */
  list: readProcedure.query(({ ctx }) => ({ peers: requirePeerService(ctx.peers).list() })),
  /**
   * Keeps a link to another node's sync endpoint (redialled with backoff until it answers), and
   * saves it so that the node dials it again after a restart.
   */
  add: adminProcedure.input(addPeerInputSchema).mutation(async ({ ctx, input }) => ({
    peer: await requirePeerService(ctx.peers).add(input.address),
  })),
  /** Stops dialling a peer added through the API, closes its link and forgets it. */
  remove: adminProcedure.input(removePeerInputSchema).mutation(async ({ ctx, input }) => {
    await requirePeerService(ctx.peers).remove(input.address);
    return { address: input.address };
  }),
};
