import { z } from 'zod';
import {
  asOfInput,
  countInput,
  entityIdInput,
  limitInput,
  orderByInput,
  propertiesInput,
  trustInput,
  whereInput,
} from '../inputs.ts';
import { readProcedure, streamOf, writeProcedure } from '../trpc.ts';

const schemaName = z.string().min(1).optional();

const queryInput = z.object({
  schema: z.string().min(1),
  where: whereInput.optional(),
  orderBy: orderByInput.optional(),
  count: countInput.optional(),
  limit: limitInput,
  cursor: z.string().optional(),
  asOf: asOfInput,
  trust: trustInput,
});

export const entitiesRouter = {
  /** Every visible delta per property; `verification: true` adds the ids of verified deltas. */
  hyperview: readProcedure
    .input(
      z.object({
        id: entityIdInput,
        asOf: asOfInput,
        trust: trustInput,
        verification: z.boolean().optional(),
      }),
    )
    .query(({ ctx, input }) => {
      const { id, ...read } = input;
      return ctx.node.hyperview(id, stripUndefined(read));
    }),
  /** The resolved view, under a schema or schemaless (every property, last-write-wins). */
  get: readProcedure
    .input(
      z.object({ id: entityIdInput, schema: schemaName, asOf: asOfInput, trust: trustInput }),
    )
    .query(({ ctx, input }) => {
      const { id, ...read } = input;
      return ctx.node.view(id, stripUndefined(read));
    }),
  /** One delta setting these properties, written as the caller. */
  put: writeProcedure
    .input(z.object({ id: entityIdInput, properties: propertiesInput }))
    .mutation(({ ctx, input }) =>
      ctx.node.putProperties(input.id, input.properties, ctx.principal),
    ),
  /** Every entity with a visible delta, schemaless (last-write-wins), in id order, paged. */
  list: readProcedure
    .input(
      z
        .object({
          prefix: z.string().max(512).optional(),
          limit: limitInput,
          cursor: z.string().optional(),
          asOf: asOfInput,
          trust: trustInput,
        })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.node.listViews(stripUndefined(input ?? {}))),
  query: readProcedure
    .input(queryInput)
    .query(({ ctx, input }) => ctx.node.query(stripUndefined(input))),
  /** The query's first page now, then whenever a write changes it. */
  watchQuery: readProcedure
    .input(queryInput)
    .subscription(({ ctx, input, signal }) =>
      streamOf(ctx.node.watchQuery(stripUndefined(input), signal)),
    ),
  /** The view now, then on every change of the resolved value (as the reader trusts). */
  watch: readProcedure
    .input(z.object({ id: entityIdInput, schema: schemaName, trust: trustInput }))
    .subscription(({ ctx, input, signal }) => {
      const { id, ...options } = input;
      return streamOf(ctx.node.watchEntity(id, stripUndefined(options), signal));
    }),
};

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
