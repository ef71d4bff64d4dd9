import { assertValidQuery, type PageOptions } from './query.ts';
import type { Schema } from './schema.ts';
import type { ReadOptions } from './types.ts';
import { validateEntity, type ValidationReport } from './validate.ts';
import type { ViewStore } from './view-store.ts';

export interface InvalidEntitiesOptions extends PageOptions, ReadOptions {}

export interface InvalidEntitiesPage {
  /** Reports of invalid entities only, in entity-id order. */
  readonly reports: readonly ValidationReport[];
  /** Present when there may be more: pass it as `cursor` for the next page. */
  readonly nextCursor?: string;
}

/** Candidates are taken from `query` this many at first, twice as many each round after. */
const FIRST_CHUNK = 128;

/**
 * The schema's invalid entities (`validateEntity`), a page at a time in entity-id order. The
 * entities checked are those `query(schema)` lists for the read: at least one visible delta
 * under one of the schema's properties (any property under an entity resolver), so an entity
 * that never had any of them is not an instance of the schema and is never reported.
 * Throws QUERY_INVALID for a bad limit or cursor.
 */
export function listInvalidEntities(
  store: ViewStore,
  schema: Schema,
  options: InvalidEntitiesOptions = {},
): InvalidEntitiesPage {
  assertValidQuery(options);
  const limit = options.limit ?? 100;
  const read: ReadOptions = {
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
  };
  const reports: ValidationReport[] = [];
  let cursor = options.cursor;
  // Each `query` call lists candidates afresh; growing chunks keep that to a few calls.
  for (let chunk = FIRST_CHUNK; ; chunk *= 2) {
    const page = store.query(schema, {
      ...read,
      limit: chunk,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const id of page.ids) {
      const report = validateEntity(store, schema, id, read);
      if (report.valid) continue;
      reports.push(report);
      if (reports.length === limit) {
        const more = id !== page.ids.at(-1) || page.nextCursor !== undefined;
        return more ? { reports, nextCursor: id } : { reports };
      }
    }
    if (page.nextCursor === undefined) return { reports };
    cursor = page.nextCursor;
  }
}
