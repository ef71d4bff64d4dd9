import type { DeltaStore } from '@rhizome/storage';
import { validateEntity, type Schema, type ValidationReport } from '@rhizome/views';
import { ApiErrorCode, createApiError } from './errors.ts';
import type { EntityCache } from './entity-cache.ts';
import type { ReadOptionsJson } from './node-types.ts';

export interface ValidateInput extends ReadOptionsJson {
  readonly schema: string;
  readonly id: string;
}

export interface InvalidEntitiesInput extends ReadOptionsJson {
  readonly schema: string;
  readonly limit?: number;
  /** The previous page's `cursor`: an entity id, scanning resumes after it. */
  readonly cursor?: string;
}

export interface InvalidEntitiesPageJson {
  /** Reports of the invalid entities found, in entity-id order. */
  readonly reports: readonly ValidationReport[];
  /**
   * Pass as `cursor` to go on; null once every candidate was scanned. A page can be short, even
   * empty, with a cursor: the request stopped at its scan bound (`maxValidationScan`).
   */
  readonly cursor: string | null;
  /** Candidate entities this request checked. */
  readonly scanned: number;
}

export interface NodeValidation {
  /** One entity's report under the schema (SCHEMA_NOT_FOUND, ENTITY_NOT_FOUND without any visible delta). */
  validate(input: ValidateInput): Promise<ValidationReport>;
  /** The schema's invalid entities, a page at a time, scanning a bounded number of candidates. */
  listInvalid(input: InvalidEntitiesInput): Promise<InvalidEntitiesPageJson>;
}

export interface NodeValidationOptions {
  readonly store: DeltaStore;
  readonly cache: EntityCache;
  readonly requireSchema: (name: string) => Schema;
  readonly checkLimit: (limit: number | undefined) => void;
  /** Candidate entities one `listInvalid` call checks at most (default 10,000). */
  readonly maxScan?: number;
}

/** Candidates are taken from storage this many at a time. */
const SCAN_CHUNK = 200;

// Reference checks read the referenced entities' hyperviews: one hop must be resident.
const hopsOf = (schema: Schema): number =>
  schema.entityResolver === undefined &&
  Object.values(schema.properties).some(
    (definition) => definition.kind === 'reference' && definition.target !== undefined,
  )
    ? 1
    : 0;

/**
 * Validation over the node's storage: candidates come from storage like a query's (entities with
 * a stored delta under one of the schema's properties, any property under an entity resolver),
 * are made resident through the entity cache, and are validated in its view store with no await
 * in between. A page stops at `limit` invalid entities or after `maxScan` candidates, whichever
 * comes first, so one request never walks the whole store.
 */
export function createNodeValidation(options: NodeValidationOptions): NodeValidation {
  const { store, cache, requireSchema, checkLimit } = options;
  const maxScan = options.maxScan ?? 10_000;
  const readOf = (asOf: number | undefined) => (asOf === undefined ? {} : { asOf });

  // The entity would be listed by a query of the schema: a visible delta under one of its properties.
  const isInstance = (schema: Schema, id: string, asOf: number | undefined): boolean => {
    const visible = cache.views.hyperview(id, readOf(asOf)).properties;
    if (schema.entityResolver !== undefined) return visible.size > 0;
    return Object.keys(schema.properties).some((property) => visible.has(property));
  };

  const validateResident = (schema: Schema, id: string, asOf: number | undefined) =>
    validateEntity(cache.views, schema, id, readOf(asOf));

  return {
    async validate(input) {
      const schema = requireSchema(input.schema);
      await cache.ensureNested(input.id, hopsOf(schema));
      if (cache.views.hyperview(input.id, readOf(input.asOf)).properties.size === 0) {
        throw createApiError(
          ApiErrorCode.EntityNotFound,
          `entity "${input.id}" has no visible delta`,
          { details: { id: input.id } },
        );
      }
      return validateResident(schema, input.id, input.asOf);
    },
    async listInvalid(input) {
      checkLimit(input.limit);
      const schema = requireSchema(input.schema);
      const limit = input.limit ?? 100;
      const properties =
        schema.entityResolver === undefined ? Object.keys(schema.properties) : undefined;
      if (properties !== undefined && properties.length === 0)
        return { reports: [], cursor: null, scanned: 0 };
      const hops = hopsOf(schema);
      const reports: ValidationReport[] = [];
      let scanned = 0;
      let after = input.cursor;
      for (;;) {
        const page = await store.entities({
          limit: Math.min(SCAN_CHUNK, maxScan - scanned),
          ...(properties === undefined ? {} : { properties }),
          ...(after === undefined ? {} : { after }),
        });
        // One storage call for the page's own closures; then, when references are checked, each
        // entity's one hop (what is already resident costs nothing).
        await cache.ensure(page.entities);
        for (const [i, id] of page.entities.entries()) {
          if (hops > 0) await cache.ensureNested(id, hops);
          scanned++;
          after = id;
          if (!isInstance(schema, id, input.asOf)) continue;
          const report = validateResident(schema, id, input.asOf);
          if (report.valid) continue;
          reports.push(report);
          if (reports.length === limit) {
            const more = i < page.entities.length - 1 || page.cursor !== null;
            return { reports, cursor: more ? id : null, scanned };
          }
        }
        if (page.cursor === null) return { reports, cursor: null, scanned };
        if (scanned >= maxScan) return { reports, cursor: after ?? null, scanned };
      }
    },
  };
}
