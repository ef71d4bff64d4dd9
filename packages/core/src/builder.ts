import type { Clock } from './clock.ts';
import { createDelta } from './create.ts';
import { CoreErrorCode, RhizomeError } from './errors.ts';
import { createDeltaSigner } from './sign.ts';
import type { KeyInput } from './signing-key.ts';
import { Vocabulary } from './vocabulary.ts';
import { isReference, type Delta, type Pointer, type Primitive, type Reference } from './types.ts';

export interface DeltaBuilderOptions {
  readonly creator: string;
  readonly host: string;
  /** Supplies `timeCreated` at build time unless `at()` fixed it. */
  readonly clock?: Clock;
  /** A fixed `timeCreated` (wins over the clock). */
  readonly timeCreated?: number;
  /**
   * An Ed25519 secret key (see generateSigningKey): `build()` then signs every delta with it.
   * Checked here, so a bad key throws SIGNING_KEY_INVALID before anything is built.
   */
  readonly signingKey?: KeyInput;
}

/** One end of a relation: `entity.property` will list the delta. */
export interface RelationEnd {
  readonly entity: string | Reference;
  readonly property: string;
  /** The pointer's localContext; defaults to `property`. */
  readonly role?: string;
}

export type PropertyValue = Primitive | Reference;

/**
 * Assembles one delta. Any number of properties of any number of entities can go into one delta:
 * each entity gets a pointer per property (`entity` → { id } @ property) and each value a pointer
 * whose localContext is the property name. Because a value is found by its property name, two
 * entities set in one delta must agree on the value of a property they share; a disagreement
 * throws BUILDER_CONFLICT rather than invent labels.
 */
export interface DeltaBuilder {
  /** Fix `timeCreated` (ms since epoch). */
  at(timeCreated: number): DeltaBuilder;
  /** Set properties of an entity. */
  set(entity: string | Reference, properties: Readonly<Record<string, PropertyValue>>): DeltaBuilder;
  /** Relate entities: one reference pointer per end, each listed under its property. */
  relate(...ends: RelationEnd[]): DeltaBuilder;
  /** Add a raw pointer. */
  pointer(pointer: Pointer): DeltaBuilder;
  /** Negate a delta (or a negation, which restores what it negated). */
  negate(deltaId: string): DeltaBuilder;
  /** Declare transaction `transactionId` with `size` members. */
  declareTransaction(transactionId: string, size: number): DeltaBuilder;
  /** Make this delta a member of transaction `transactionId`. */
  inTransaction(transactionId: string): DeltaBuilder;
  /** The pointers so far (a copy). */
  pointers(): Pointer[];
  /** Validate, hash, sign (with `signingKey`) and freeze. The builder can keep being used afterwards. */
  build(): Delta;
}

export function createDeltaBuilder(options: DeltaBuilderOptions): DeltaBuilder {
  const pointers: Pointer[] = [];
  // localContext → canonical value, for the values of set() (one value per property name).
  const values = new Map<string, string>();
  let timeCreated = options.timeCreated;
  const sign = options.signingKey === undefined ? undefined : createDeltaSigner(options.signingKey);

  const toReference = (entity: string | Reference): Reference =>
    typeof entity === 'string' ? { id: entity } : { id: entity.id };

  const addValue = (property: string, value: PropertyValue): void => {
    const key = isReference(value) ? `ref:${value.id}` : `val:${JSON.stringify(value)}`;
    const existing = values.get(property);
    if (existing === undefined) {
      values.set(property, key);
      pointers.push({ localContext: property, target: isReference(value) ? { id: value.id } : value });
    } else if (existing !== key) {
      throw new RhizomeError(
        CoreErrorCode.BuilderConflict,
        `property "${property}" gets two different values in one delta; build two deltas instead`,
        { path: [property] },
      );
    }
  };

  const builder: DeltaBuilder = {
    at(time) {
      timeCreated = time;
      return builder;
    },
    set(entity, properties) {
      const reference = toReference(entity);
      const names = Object.keys(properties);
      if (names.length === 0) {
        throw new RhizomeError(CoreErrorCode.BuilderInvalid, 'set() needs at least one property');
      }
      for (const property of names) {
        const value = properties[property];
        if (value === undefined) {
          throw new RhizomeError(CoreErrorCode.BuilderInvalid, `property "${property}" is undefined`, {
            path: [property],
          });
        }
        pointers.push({ localContext: Vocabulary.entity, target: reference, targetContext: property });
        addValue(property, value);
      }
      return builder;
    },
    relate(...ends) {
      if (ends.length < 2) {
        throw new RhizomeError(CoreErrorCode.BuilderInvalid, 'relate() needs at least two ends');
      }
      for (const end of ends) {
        pointers.push({
          localContext: end.role ?? end.property,
          target: toReference(end.entity),
          targetContext: end.property,
        });
      }
      return builder;
    },
    pointer(pointer) {
      pointers.push(pointer);
      return builder;
    },
    negate(deltaId) {
      pointers.push({
        localContext: Vocabulary.negates,
        target: { id: deltaId },
        targetContext: Vocabulary.negatedBy,
      });
      return builder;
    },
    declareTransaction(transactionId, size) {
      if (!Number.isInteger(size) || size < 1) {
        throw new RhizomeError(CoreErrorCode.BuilderInvalid, `transaction size must be a positive integer, got ${size}`);
      }
      pointers.push({
        localContext: Vocabulary.transaction,
        target: { id: transactionId },
        targetContext: Vocabulary.transactionSize,
      });
      addValue(Vocabulary.transactionSize, size);
      return builder;
    },
    inTransaction(transactionId) {
      pointers.push({
        localContext: Vocabulary.transaction,
        target: { id: transactionId },
        targetContext: Vocabulary.transactionDeltas,
      });
      return builder;
    },
    pointers() {
      return pointers.slice();
    },
    build() {
      const time = timeCreated ?? options.clock?.now() ?? Date.now();
      const delta = createDelta({ timeCreated: time, host: options.host, creator: options.creator, pointers });
      return sign === undefined ? delta : sign(delta);
    },
  };
  return builder;
}
