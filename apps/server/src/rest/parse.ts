import { ApiErrorCode, createApiError } from '@rhizome/api';
import type { Context } from 'hono';
import type { z } from 'zod';

/** Validates a value with zod; a failure is INVALID_REQUEST naming what was wrong. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  throw createApiError(
    ApiErrorCode.InvalidRequest,
    `invalid ${what}${at}: ${issue?.message ?? 'malformed'}`,
    {
      details: {
        issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      },
    },
  );
}

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw createApiError(ApiErrorCode.InvalidRequest, 'the request body is not valid JSON');
  }
}

/** A non-negative integer query parameter, or undefined when absent. */
export function integerParam(c: Context, name: string): number | undefined {
  const value = c.req.query(name);
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) {
    throw createApiError(
      ApiErrorCode.InvalidRequest,
      `query parameter "${name}" must be a non-negative integer`,
      {
        details: { [name]: value },
      },
    );
  }
  return Number(value);
}
