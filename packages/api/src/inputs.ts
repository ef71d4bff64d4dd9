import { z } from 'zod';

/** Shared input shapes of the router and the REST layer, so both accept exactly the same. */
export const asOfInput = z.number().int().nonnegative().optional();

export const entityIdInput = z.string().min(1).max(512);

export const propertyValueInput = z.union([
  z.string(),
  z.number().finite(),
  z.boolean(),
  z.null(),
  z.strictObject({ id: z.string().min(1) }),
]);

export const propertiesInput = z
  .record(z.string().min(1), propertyValueInput)
  .refine((properties) => Object.keys(properties).length > 0, {
    message: 'at least one property is required',
  });

const conditionInput = z.strictObject({
  eq: z.unknown().optional(),
  in: z.array(z.unknown()).optional(),
  gt: z.union([z.number(), z.string()]).optional(),
  gte: z.union([z.number(), z.string()]).optional(),
  lt: z.union([z.number(), z.string()]).optional(),
  lte: z.union([z.number(), z.string()]).optional(),
  exists: z.boolean().optional(),
});

export const whereInput = z.record(z.string(), conditionInput);

export const limitInput = z.number().int().positive().optional();
