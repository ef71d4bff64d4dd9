import { trustSchema } from '@rhizome/node';
import type { OrderBy, Where } from '@rhizome/views';
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

/**
 * `where`, `orderBy` and `count` of a query are typed here but validated by the node (zod, in
 * `@rhizome/views`), so that a bad query is QUERY_INVALID with the path of the bad part on every
 * transport, not a transport-specific input error.
 */
export const whereInput = z.custom<Where>(() => true);

export const orderByInput = z.custom<readonly OrderBy[]>(() => true);

export const countInput = z.custom<boolean>(() => true);

export const limitInput = z.number().int().positive().optional();

/** Whom the reader trusts (creators and/or signed only); the node's own schema, so both agree. */
export const trustInput = trustSchema.optional();
