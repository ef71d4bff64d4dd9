import {
  parseSchema,
  serializeSchema,
  type SchemaJson,
  type SchemaParseOptions,
  type ViewStore,
  type Schema,
} from '@rhizome/views';

/**
 * Schemas live in the delta log itself: schema `name` is the last-write-wins value of property
 * `SCHEMA_PROPERTY` of entity `_schema:<name>`, a JSON string. So they are durable on every
 * backend, replicate like any other data, and have a history (asOf, negation).
 */
export const SCHEMA_ENTITY_PREFIX = '_schema:';
export const SCHEMA_PROPERTY = 'definition';

export function schemaEntityId(name: string): string {
  return `${SCHEMA_ENTITY_PREFIX}${name}`;
}

export interface SchemaRegistry {
  /** The current schema of that name, registered with the view store; undefined when none. */
  get(name: string): Schema | undefined;
  list(): SchemaJson[];
}

/** Where schemas are read and registered: the node's entity cache, whose view store may change. */
export interface SchemaHost {
  readonly views: ViewStore;
  registerSchema(schema: Schema): void;
}

export function createSchemaRegistry(
  host: SchemaHost,
  parseOptions: SchemaParseOptions = {},
): SchemaRegistry {
  // Parsed schemas by name, kept while their JSON is unchanged: the view store caches views per
  // schema object, so handing it the same object keeps those caches warm.
  const parsed = new Map<string, { text: string; schema: Schema }>();

  const load = (name: string): Schema | undefined => {
    const text = host.views.view(schemaEntityId(name))[SCHEMA_PROPERTY];
    if (typeof text !== 'string') return undefined;
    const cached = parsed.get(name);
    if (cached !== undefined && cached.text === text) return cached.schema;
    const schema = parseSchema(text, parseOptions);
    parsed.set(name, { text, schema });
    return schema;
  };

  const get = (name: string): Schema | undefined => {
    const schema = load(name);
    if (schema === undefined) return undefined;
    // Nested references name their schemas; the view store must know them before resolving.
    const pending = [schema];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (seen.has(next.name)) continue;
      seen.add(next.name);
      host.registerSchema(next);
      for (const definition of Object.values(next.properties)) {
        if (typeof definition.target !== 'string' || seen.has(definition.target)) continue;
        const target = load(definition.target);
        if (target !== undefined) pending.push(target);
      }
    }
    return schema;
  };

  return {
    get,
    list() {
      const names: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = host.views.entitiesWithProperty(SCHEMA_PROPERTY, {
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const id of page.ids)
          if (id.startsWith(SCHEMA_ENTITY_PREFIX))
            names.push(id.slice(SCHEMA_ENTITY_PREFIX.length));
        if (page.nextCursor === undefined) break;
        cursor = page.nextCursor;
      }
      const out: SchemaJson[] = [];
      for (const name of names) {
        const schema = load(name);
        if (schema !== undefined) out.push(serializeSchema(schema));
      }
      return out;
    },
  };
}
