import { z } from 'zod';
import { asOfInput, entityIdInput, limitInput } from '../inputs.ts';
import { adminProcedure, readProcedure } from '../trpc.ts';

const schemaName = z.string().min(1);

export const schemasRouter = {
  /** Stores a schema (JSON form, see `SchemaJson` in @rhizome/views) under its name. */
  put: adminProcedure
    .input(z.object({ name: schemaName, schema: z.record(z.string(), z.unknown()) }))
    .mutation(({ ctx, input }) => ctx.node.putSchema(input.name, input.schema, ctx.principal)),
  get: readProcedure
    .input(z.object({ name: schemaName }))
    .query(({ ctx, input }) => ctx.node.getSchema(input.name)),
  list: readProcedure.query(({ ctx }) => ctx.node.listSchemas()),
  /** The schema's invalid entities with their reports, a bounded scan per page. */
  invalid: readProcedure
    .input(
      z.strictObject({
        name: schemaName,
        limit: limitInput,
        cursor: entityIdInput.optional(),
        asOf: asOfInput,
      }),
    )
    .query(({ ctx, input }) =>
      ctx.node.listInvalid({
        schema: input.name,
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
        ...(input.asOf === undefined ? {} : { asOf: input.asOf }),
      }),
    ),
  /** One entity's validation report under the schema. */
  validate: readProcedure
    .input(z.strictObject({ name: schemaName, id: entityIdInput, asOf: asOfInput }))
    .query(({ ctx, input }) =>
      ctx.node.validate({
        schema: input.name,
        id: input.id,
        ...(input.asOf === undefined ? {} : { asOf: input.asOf }),
      }),
    ),
};
