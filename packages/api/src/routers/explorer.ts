import { isReference } from '@rhizome/core';
import { isReferenceValue, valueOf } from '@rhizome/views';
import { z } from 'zod';
import { ApiErrorCode, createApiError } from '@rhizome/node';
import { asOfInput, entityIdInput } from '../inputs.ts';
import type { HyperviewJson, RhizomeNode } from '@rhizome/node';
import { readProcedure } from '../trpc.ts';

/** Entities scanned at most to count a listing; a larger count is reported as a lower bound. */
const COUNT_SCAN_LIMIT = 10_000;
/** Entities in a neighbourhood picture at most; beyond it the picture is cut and says so. */
const NEIGHBOURHOOD_LIMIT = 80;
const SCAN_PAGE = 100;

export interface ExplorerEntityRow {
  readonly id: string;
  /** Properties with a visible delta. */
  readonly properties: number;
  /** Visible deltas over those properties (a delta under two properties counts twice). */
  readonly deltas: number;
}

export interface ExplorerEntityPage {
  readonly entities: readonly ExplorerEntityRow[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly cursor: string | null;
  /** Entities matching the prefix (and schema); a lower bound when `totalCapped`. */
  readonly total: number;
  readonly totalCapped: boolean;
}

export interface NeighbourhoodNode {
  readonly id: string;
  /** Links from the centre: 0 for the centre itself. */
  readonly hops: number;
}

export interface NeighbourhoodEdge {
  /** The entity whose hyperview holds the delta. */
  readonly from: string;
  /** The entity the delta's other reference pointer targets. */
  readonly to: string;
  /** The property (targetContext) the delta sits under at `from`. */
  readonly property: string;
}

export interface Neighbourhood {
  readonly id: string;
  readonly nodes: readonly NeighbourhoodNode[];
  readonly edges: readonly NeighbourhoodEdge[];
  /** True when the picture was cut at its size limit. */
  readonly truncated: boolean;
}

const listInput = z
  .object({
    prefix: z.string().max(512).optional(),
    schema: z.string().min(1).optional(),
    after: z.string().optional(),
    limit: z.number().int().positive().max(200).optional(),
  })
  .strict();

async function rowOf(node: RhizomeNode, id: string): Promise<ExplorerEntityRow> {
  const properties = Object.values((await node.hyperview(id)).properties);
  return {
    id,
    properties: properties.length,
    deltas: properties.reduce((sum, deltas) => sum + deltas.length, 0),
  };
}

/** Every entity id in order (by prefix, or those the schema's query matches), stopping at `stop`. */
async function scanIds(
  node: RhizomeNode,
  input: z.infer<typeof listInput>,
  visit: (id: string) => boolean,
): Promise<void> {
  const prefix = input.prefix ?? '';
  if (input.schema === undefined) {
    let after: string | undefined;
    for (;;) {
      const page = await node.listEntities({
        prefix,
        limit: SCAN_PAGE,
        ...(after === undefined ? {} : { after }),
      });
      for (const id of page.entities) if (!visit(id)) return;
      if (page.cursor === null) return;
      after = page.cursor;
    }
  }
  let cursor: string | undefined;
  for (;;) {
    const page = await node.query({
      schema: input.schema,
      limit: SCAN_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const entity of page.entities)
      if (entity.id.startsWith(prefix) && !visit(entity.id)) return;
    if (page.cursor === null) return;
    cursor = page.cursor;
  }
}

async function listEntities(
  node: RhizomeNode,
  input: z.infer<typeof listInput>,
): Promise<ExplorerEntityPage> {
  const limit = input.limit ?? 50;
  const ids: string[] = [];
  let total = 0;
  let more = false;
  await scanIds(node, input, (id) => {
    total++;
    if (input.after === undefined || id > input.after) {
      if (ids.length < limit) ids.push(id);
      else more = true;
    }
    return total < COUNT_SCAN_LIMIT;
  });
  const totalCapped = total >= COUNT_SCAN_LIMIT;
  return {
    entities: await Promise.all(ids.map((id) => rowOf(node, id))),
    cursor: more || (totalCapped && ids.length === limit) ? (ids.at(-1) ?? null) : null,
    total,
    totalCapped,
  };
}

/** The entities a property value refers to: a reference, or references inside a composite. */
function referencedIds(value: unknown, into: string[] = []): string[] {
  if (isReferenceValue(value)) into.push(value.id);
  else if (Array.isArray(value)) for (const item of value) referencedIds(item, into);
  else if (typeof value === 'object' && value !== null)
    for (const item of Object.values(value)) referencedIds(item, into);
  return into;
}

/**
 * Entities linked to the centre through references, breadth first, both ways: a visible delta
 * under `A.property` whose value there (`valueOf`) is or holds a reference to B links A to B,
 * whether it is read from A's hyperview or found among the deltas that point at B.
 */
async function collectNeighbourhood(
  node: RhizomeNode,
  id: string,
  hops: number,
): Promise<Neighbourhood> {
  const depth = new Map<string, number>([[id, 0]]);
  const edges = new Map<string, NeighbourhoodEdge>();
  const hyperviews = new Map<string, HyperviewJson['properties']>();
  const hyperviewOf = async (entityId: string): Promise<HyperviewJson['properties']> => {
    let properties = hyperviews.get(entityId);
    if (properties === undefined) {
      properties = (await node.hyperview(entityId)).properties;
      hyperviews.set(entityId, properties);
    }
    return properties;
  };
  let truncated = false;
  let frontier = [id];
  for (let hop = 1; hop <= hops && frontier.length > 0; hop++) {
    const next: string[] = [];
    // `far` is the end of the link away from the frontier entity.
    const addLink = (from: string, to: string, property: string, far: string): void => {
      if (!depth.has(far)) {
        if (depth.size >= NEIGHBOURHOOD_LIMIT) {
          truncated = true;
          return;
        }
        depth.set(far, hop);
        next.push(far);
      }
      edges.set(`${from}\u0000${to}\u0000${property}`, { from, to, property });
    };
    for (const entity of frontier) {
      for (const [property, deltas] of Object.entries(await hyperviewOf(entity))) {
        for (const delta of deltas) {
          for (const target of referencedIds(valueOf(delta, entity, property)))
            if (target !== entity) addLink(entity, target, property, target);
        }
      }
      for (const delta of await node.referencesTo(entity)) {
        for (const pointer of delta.pointers) {
          const holder = pointer.target;
          const property = pointer.targetContext;
          if (property === undefined || !isReference(holder) || holder.id === entity) continue;
          if (!referencedIds(valueOf(delta, holder.id, property)).includes(entity)) continue;
          // Only a visible delta links: it is then in the holder's hyperview under the property.
          const listed = (await hyperviewOf(holder.id))[property] ?? [];
          if (listed.some((visible) => visible.id === delta.id))
            addLink(holder.id, entity, property, holder.id);
        }
      }
    }
    frontier = next;
  }
  return {
    id,
    nodes: [...depth].map(([nodeId, hopsAway]) => ({ id: nodeId, hops: hopsAway })),
    edges: [...edges.values()],
    truncated,
  };
}

/** What the Explorer web page reads beyond the entity and node routers. */
export const explorerRouter = {
  /** Entity ids by prefix, or those holding a schema's properties, with counts, paged by `after`. */
  entities: readProcedure
    .input(listInput.optional())
    .query(({ ctx, input }) => listEntities(ctx.node, input ?? {})),
  /** Every stored delta of the entity by property, classified for the read, with each resolver's choice. */
  inspect: readProcedure
    .input(
      z
        .object({ id: entityIdInput, schema: z.string().min(1).optional(), asOf: asOfInput })
        .strict(),
    )
    .query(async ({ ctx, input }) => {
      const inspection = await ctx.node.inspect(input.id, {
        ...(input.schema === undefined ? {} : { schema: input.schema }),
        ...(input.asOf === undefined ? {} : { asOf: input.asOf }),
      });
      if (inspection.times.length === 0) {
        throw createApiError(ApiErrorCode.EntityNotFound, `entity "${input.id}" has no delta`, {
          details: { id: input.id },
        });
      }
      return inspection;
    }),
  /** The entities one or two links away through reference pointers, and the links. */
  neighbourhood: readProcedure
    .input(
      z
        .object({ id: entityIdInput, hops: z.union([z.literal(1), z.literal(2)]).optional() })
        .strict(),
    )
    .query(({ ctx, input }) => collectNeighbourhood(ctx.node, input.id, input.hops ?? 1)),
};
