import { z } from 'zod';
import { DeltaLimits } from './limits.ts';

/**
 * zod schemas of wire format version 1. They are the single statement of what a valid delta
 * looks like; `parseDelta` maps their issues onto typed errors with a JSON path.
 */
const name = z.string().min(1).max(DeltaLimits.maxNameLength);

export const referenceSchema = z.strictObject({ id: name });

export const primitiveSchema = z.union([
  z.string().max(DeltaLimits.maxStringLength),
  z.number().refine(Number.isFinite, 'numbers must be finite'),
  z.boolean(),
  z.null(),
]);

export const targetSchema = z.union([primitiveSchema, referenceSchema]);

export const pointerSchema = z
  .strictObject({
    localContext: name,
    target: targetSchema,
    targetContext: name.optional(),
  })
  .refine(
    (pointer) =>
      pointer.targetContext === undefined ||
      (typeof pointer.target === 'object' && pointer.target !== null),
    { message: 'targetContext is allowed only on a reference target', path: ['targetContext'] },
  );

export const deltaContentSchema = z.strictObject({
  timeCreated: z.number().int().min(0).max(DeltaLimits.maxTimeCreated),
  host: name,
  creator: name,
  pointers: z.array(pointerSchema).min(1).max(DeltaLimits.maxPointers),
});

export const deltaSchema = deltaContentSchema.extend({
  id: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'id must be 43 characters of base64url'),
  signature: z.string().max(DeltaLimits.maxNameLength).optional(),
});

export type DeltaInput = z.input<typeof deltaSchema>;
