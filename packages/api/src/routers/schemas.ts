import { z } from 'zod';
import { adminProcedure, readProcedure } from '../trpc.ts';

export const schemasRouter = {
  /** Stores a schema (JSON form, see `SchemaJson` in @rhizome/views) under its name. */
  put: adminProcedure
    .input(z.object({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()) }))
    .mutation(({ ctx, input }) => ctx.node.putSchema(input.name, input.schema, ctx.principal)),
  get: readProcedure
    .input(z.object({ name: z.string().min(1) }))
    .query(({ ctx, input }) => ctx.node.getSchema(input.name)),
  list: readProcedure.query(({ ctx }) => ctx.node.listSchemas()),
};
