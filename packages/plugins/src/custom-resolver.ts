import type { Delta, RhizomeError } from '@rhizome/core';
import { valueOf } from '@rhizome/views';
import {
  createEntityResolution,
  type EntityResolution,
  type ValueOf,
} from './entity-resolution.ts';
import { planPlugins } from './plan.ts';
import { lastWriteWins } from './builtins/last-write-wins.ts';
import { createTracer, type TraceOption } from './trace.ts';
import type { EntityChange, ResolvedView, ResolverPlugin } from './types.ts';

export interface CustomResolverOptions {
  /** Debug tracing: `true`, a sink, or unset to follow `DEBUG=rhizome:*` / `rhizome:plugins`. */
  readonly trace?: TraceOption;
  /**
   * How a delta's value for a property is read. Default: the views rule (`valueOf` of
   * @rhizome/views), so a custom resolver and the built-in views always agree. (Not called
   * `valueOf`: every object already has one.)
   */
  readonly readValue?: ValueOf;
  /** Plugin failures during ingest land here (default: ignored after tracing); ingest never throws. */
  readonly onError?: (error: RhizomeError) => void;
}

/**
 * A resolver for a whole entity built from plugins, one per output property, run in dependency
 * order. Construction validates everything (typed errors); ingest never throws.
 */
export interface CustomResolver {
  /** The declared plugins in execution order. */
  readonly plugins: readonly ResolverPlugin[];
  /** Output properties in execution order. */
  readonly order: readonly string[];
  /** Every property whose deltas some plugin reads (including plain-property dependencies). */
  readonly reads: readonly string[];
  /** Some plugin keeps tombstones: resolving needs the entity's negated deltas, not only the visible. */
  readonly needsNegatedDeltas: boolean;
  /** An incremental resolution of one entity, optionally seeded with deltas. */
  createEntity(entityId: string, initial?: EntityChange, options?: EntityOptions): EntityResolution;
  /** From scratch: the visible deltas of the entity (and, for tombstone plugins, its negated ones). */
  resolve(
    entityId: string,
    visible: Iterable<Delta>,
    negated?: Iterable<Delta>,
    options?: EntityOptions,
  ): ResolvedView;
}

/** Per-entity overrides, e.g. the value rule a views schema applies to this read. */
export interface EntityOptions {
  readonly readValue?: ValueOf;
}

const ignore = (): void => {};

export function createCustomResolver(
  plugins: readonly ResolverPlugin[],
  options: CustomResolverOptions = {},
): CustomResolver {
  const plan = planPlugins(plugins, (property) => lastWriteWins({ property }));
  const tracer = createTracer(options.trace);
  const settings = {
    plan,
    readValue: options.readValue ?? valueOf,
    tracer,
    onError: options.onError ?? ignore,
  };
  const withOverrides = (entityOptions: EntityOptions | undefined) =>
    entityOptions?.readValue === undefined
      ? settings
      : { ...settings, readValue: entityOptions.readValue };
  const declared = plan.slots.filter((slot) => slot.declared).map((slot) => slot.plugin);
  const order = declared.map((plugin) => plugin.property);
  if (tracer !== undefined)
    tracer({ kind: 'order', order: plan.slots.map((slot) => slot.plugin.property) });
  return {
    plugins: declared,
    order,
    reads: [...plan.readers.keys()],
    needsNegatedDeltas: plan.slots.some((slot) => slot.keepsTombstones),
    createEntity: (entityId, initial, entityOptions) =>
      createEntityResolution(entityId, withOverrides(entityOptions), initial),
    resolve(entityId, visible, negated, entityOptions) {
      const entity = createEntityResolution(entityId, withOverrides(entityOptions), {
        visible,
        negated: negated ?? [],
      });
      const view = entity.view();
      entity.dispose();
      return view;
    },
  };
}
