import { parseTrustText, type TrustJson } from '@rhizome/api';
import { z } from 'zod';
import { createUsageError } from './errors.ts';

// The same bounds the API applies, checked here so a typo is a usage error, not a round trip.
export const entityIdInput = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters');

export const asOfInput = z
  .string()
  .regex(/^\d+$/, 'must be a non-negative integer (milliseconds since the epoch)')
  .transform(Number)
  .refine(Number.isSafeInteger, 'is too large');

export const urlInput = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

export const positiveIntegerInput = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be an integer from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be an integer from 1 to ${max}`);

// What `put` sends is exactly what the API accepts: one schema, owned by the contract package.
export { propertiesInput } from '@rhizome/api';

/** Parses `value` with `schema`, or throws a usage error naming what was wrong. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw createUsageError(`${what}${path}: ${issue?.message ?? 'invalid'}`, {
    path: issue?.path ?? [],
  });
}

/** The `--as-of` option of a read command, validated; undefined when absent. */
export function parseAsOfOption(value: unknown): number | undefined {
  return typeof value === 'string' ? parseInput(asOfInput, value, '--as-of') : undefined;
}

/** `--trust alice,bob` and `--signed`: whom the reader trusts, or undefined for everyone. */
export function parseTrustOptions(trust: unknown, signed: unknown): { trust?: TrustJson } {
  try {
    const parsed = parseTrustText(
      typeof trust === 'string' ? trust : undefined,
      signed === true ? 'true' : undefined,
    );
    return parsed === undefined ? {} : { trust: parsed };
  } catch (error) {
    const path = (error as { path?: (string | number)[] }).path ?? ['trust'];
    throw createUsageError(`--trust: ${(error as Error).message}`, { path });
  }
}

export const TRUST_OPTIONS = {
  trust: { type: 'string' },
  signed: { type: 'boolean' },
} as const;

export const TRUST_HELP = [
  '--trust <a,b>     only deltas by these creators exist for the read',
  '--signed          only deltas signed by a currently valid key of their creator',
];
