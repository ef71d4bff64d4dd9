import { RhizomeError } from '@rhizome/core';
import { parseTrust, type TrustJson } from '@rhizome/node';
import type { OrderBy, Where } from '@rhizome/views';

// Text the transports take (a URL parameter, a command-line option) turned into the query's
// JSON parts. What comes out is checked by the node with the rest of the query; only text that
// cannot be read at all fails here, with the same QUERY_INVALID and path.
function invalid(path: string, message: string): never {
  throw new RhizomeError('QUERY_INVALID', `invalid query at ${path}: ${message}`, {
    path: [path],
  });
}

/** `where` as JSON text. */
export function parseWhereText(text: string): Where {
  try {
    return JSON.parse(text) as Where;
  } catch {
    return invalid('where', 'not valid JSON');
  }
}

/**
 * `orderBy` as a JSON array (`[{"property":"age","direction":"desc"}]`) or the short form
 * `age:desc,name` (comma-separated keys, each `property` or `property:asc|desc`).
 */
export function parseOrderByText(text: string): readonly OrderBy[] {
  if (text.trimStart().startsWith('[')) {
    try {
      return JSON.parse(text) as OrderBy[];
    } catch {
      return invalid('orderBy', 'not valid JSON');
    }
  }
  return text.split(',').map((part) => {
    const colon = part.lastIndexOf(':');
    const direction = colon < 0 ? undefined : part.slice(colon + 1);
    if (direction !== undefined && direction !== 'asc' && direction !== 'desc')
      invalid('orderBy', `direction must be asc or desc (got "${direction}")`);
    const property = colon < 0 ? part : part.slice(0, colon);
    return direction === undefined ? { property } : { property, direction };
  });
}

/** `count` as text: `true` or `false`. */
export function parseCountText(text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return invalid('count', 'must be true or false');
}

/**
 * `trust` and `signed` as text (REST `?trust=alice,bob&signed=true`, CLI `--trust`, `--signed`):
 * comma-separated creators, and `true` or `false`. Undefined when neither is given; otherwise
 * checked as any trust setting (INVALID_REQUEST with the path `trust.…`).
 */
export function parseTrustText(
  creators: string | undefined,
  signed: string | undefined,
): TrustJson | undefined {
  if (creators === undefined && signed === undefined) return undefined;
  const trust: { creators?: string[]; signed?: unknown } = {};
  if (creators !== undefined) trust.creators = creators.split(',').map((part) => part.trim());
  if (signed !== undefined)
    trust.signed = signed === 'true' ? true : signed === 'false' ? false : signed;
  return parseTrust(trust);
}
