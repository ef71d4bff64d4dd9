import { tracked } from '@trpc/server';
import { z } from 'zod';
import { limitInput } from '../inputs.ts';
import { readProcedure, streamOf, writeProcedure } from '../trpc.ts';

export const deltasRouter = {
  /** One or more deltas, stored atomically; `id`, `timeCreated`, `host` and `creator` may be left out. */
  append: writeProcedure
    .input(z.object({ deltas: z.array(z.unknown()).min(1) }))
    .mutation(async ({ ctx, input }) => ({
      results: await ctx.node.write(input.deltas, ctx.principal, { batch: true }),
    })),
  get: readProcedure
    .input(z.object({ id: z.string().min(1) }))
    .query(({ ctx, input }) => ctx.node.getDelta(input.id)),
  /** The local feed, in the order this node stored deltas. */
  list: readProcedure
    .input(z.object({ after: z.string().optional(), limit: limitInput }).optional())
    .query(({ ctx, input }) =>
      ctx.node.listDeltas({
        ...(input?.after === undefined ? {} : { after: input.after }),
        ...(input?.limit === undefined ? {} : { limit: input.limit }),
      }),
    ),
  negate: writeProcedure
    .input(z.object({ id: z.string().min(1) }))
    .mutation(({ ctx, input }) => ctx.node.negate(input.id, ctx.principal)),
  /**
   * Every delta stored from now on (raw stream), each event's id its local sequence number. With
   * `lastEventId` (which the client sends by itself when it reconnects), first the deltas stored
   * after that one, then live: no gap, no repeat.
   */
  stream: readProcedure
    .input(
      z
        .object({
          lastEventId: z
            .string()
            .regex(/^\d{1,16}$/, 'must be an event id this stream gave (a sequence number)')
            .nullish(),
        })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const last = input?.lastEventId;
      const entries = ctx.node.streamDeltas(
        {
          ...(last === undefined || last === null ? {} : { after: Number(last) }),
          ...(ctx.onStreamDropped === undefined ? {} : { onDropped: ctx.onStreamDropped }),
        },
        signal,
      );
      for await (const entry of streamOf(entries)) yield tracked(String(entry.seq), entry.delta);
    }),
};
