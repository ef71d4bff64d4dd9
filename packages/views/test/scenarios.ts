/**
 * The view scenarios, as data, so that any backend (in-memory here, Postgres later) can run the
 * same suite: see `describe-scenarios.ts` for the vitest runner. Each scenario ingests its steps in
 * order (one delta at a time) and checks its expectations after each step.
 */
import { createDeltaBuilder, freezeDelta, Vocabulary, type Delta, type Pointer } from '@rhizome/core';
import { defineSchema, prop, type Hyperview, type ReadOptions, type Schema } from '../src/index.ts';

export type ScenarioExpectation =
  /** The schemaless view (every property, last-write-wins) equals `equals`. */
  | { readonly kind: 'view'; readonly entityId: string; readonly read?: ReadOptions; readonly equals: unknown }
  /** The view under the scenario schema named `schema` equals `equals`. */
  | {
      readonly kind: 'resolve';
      readonly schema: string;
      readonly entityId: string;
      readonly read?: ReadOptions;
      readonly equals: unknown;
    }
  /** The hyperview's delta ids by property, in order (properties absent from `equals` must be absent). */
  | {
      readonly kind: 'hyperview';
      readonly entityId: string;
      readonly read?: ReadOptions;
      readonly equals: Readonly<Record<string, readonly string[]>>;
    }
  | { readonly kind: 'visible'; readonly deltaId: string; readonly read?: ReadOptions; readonly visible: boolean };

export interface ScenarioStep {
  readonly ingest: readonly Delta[];
  readonly expect: readonly ScenarioExpectation[];
}

export interface ViewScenario {
  readonly name: string;
  readonly schemas?: readonly Schema[];
  readonly steps: readonly ScenarioStep[];
}

/** What a backend must offer to run the scenarios. Methods may be async. */
export interface ScenarioBackend {
  ingest(deltas: readonly Delta[]): void | Promise<void>;
  hyperview(entityId: string, read?: ReadOptions): Hyperview | Promise<Hyperview>;
  view(entityId: string, read?: ReadOptions): unknown;
  resolve(schema: Schema, entityId: string, read?: ReadOptions): unknown;
  isVisible(deltaId: string, read?: ReadOptions): boolean | Promise<boolean>;
}

const HOST = 'host-1';
const at = (timeCreated: number, creator = 'alice', host = HOST) =>
  createDeltaBuilder({ creator, host, timeCreated });

const set = (time: number, entity: string, properties: Record<string, string | number | boolean | null>, creator?: string) =>
  at(time, creator).set(entity, properties).build();
const negate = (time: number, target: Delta | string, creator?: string) =>
  at(time, creator).negate(typeof target === 'string' ? target : target.id).build();

/** A delta with a forged id: content addressing makes negation cycles impossible otherwise. */
function forge(id: string, timeCreated: number, pointers: Pointer[]): Delta {
  return freezeDelta({ id, timeCreated, creator: 'mallory', host: HOST, pointers });
}
const forgedNegation = (id: string, time: number, target: string): Delta =>
  forge(id, time, [{ localContext: Vocabulary.negates, target: { id: target }, targetContext: Vocabulary.negatedBy }]);

const ids = (...deltas: Delta[]) => deltas.map((delta) => delta.id);

function idempotent(): ViewScenario {
  const a = set(1, 'e', { name: 'A' });
  return {
    name: 'ingest is idempotent by id',
    steps: [
      { ingest: [a, a], expect: [{ kind: 'hyperview', entityId: 'e', equals: { name: ids(a) } }] },
      { ingest: [a], expect: [{ kind: 'view', entityId: 'e', equals: { name: 'A' } }] },
    ],
  };
}

function lastWriteWins(): ViewScenario {
  const a = set(2, 'e', { name: 'B' });
  const b = set(1, 'e', { name: 'A' });
  return {
    name: 'default view is last-write-wins by (timeCreated, id), whatever the arrival order',
    steps: [
      {
        ingest: [a, b],
        expect: [
          { kind: 'view', entityId: 'e', equals: { name: 'B' } },
          { kind: 'hyperview', entityId: 'e', equals: { name: ids(b, a) } },
        ],
      },
    ],
  };
}

function twoContexts(): ViewScenario {
  const both = set(1, 'e', { a: 1, b: 2 });
  const twice = at(2)
    .pointer({ localContext: 'x', target: { id: 'e' }, targetContext: 'tag' })
    .pointer({ localContext: 'y', target: { id: 'e' }, targetContext: 'tag' })
    .pointer({ localContext: 'tag', target: 'red' })
    .build();
  return {
    name: 'a delta under two contexts appears under both, never twice under one',
    steps: [
      {
        ingest: [both, twice],
        expect: [
          { kind: 'hyperview', entityId: 'e', equals: { a: ids(both), b: ids(both), tag: ids(twice) } },
          { kind: 'view', entityId: 'e', equals: { a: 1, b: 2, tag: 'red' } },
        ],
      },
    ],
  };
}

function actorRoleFilm(): ViewScenario {
  const casting = at(1)
    .relate(
      { entity: 'keanu', property: 'roles', role: 'actor' },
      { entity: 'neo', property: 'portrayedBy', role: 'role' },
      { entity: 'matrix', property: 'cast', role: 'film' },
    )
    .build();
  return {
    name: 'one delta relating actor, role and film appears under each of them',
    steps: [
      {
        ingest: [casting],
        expect: [
          { kind: 'hyperview', entityId: 'keanu', equals: { roles: ids(casting) } },
          { kind: 'hyperview', entityId: 'neo', equals: { portrayedBy: ids(casting) } },
          { kind: 'hyperview', entityId: 'matrix', equals: { cast: ids(casting) } },
          { kind: 'view', entityId: 'keanu', equals: { roles: { role: { id: 'neo' }, film: { id: 'matrix' } } } },
          { kind: 'view', entityId: 'matrix', equals: { cast: { actor: { id: 'keanu' }, role: { id: 'neo' } } } },
        ],
      },
    ],
  };
}

function referenceValue(): ViewScenario {
  const friend = at(1).relate({ entity: 'ann', property: 'friends' }, { entity: 'bob', property: 'friends' }).build();
  const manyRefs = at(2).set('ann', { boss: { id: 'carl' } }).build();
  return {
    name: 'value: the only other reference pointer; the named pointer when several',
    steps: [
      {
        ingest: [friend, manyRefs],
        expect: [
          { kind: 'view', entityId: 'ann', equals: { friends: { id: 'bob' }, boss: { id: 'carl' } } },
          { kind: 'view', entityId: 'bob', equals: { friends: { id: 'ann' } } },
        ],
      },
    ],
  };
}

function negationBasics(): ViewScenario {
  const value = set(1, 'e', { name: 'A' });
  const older = set(0, 'e', { name: 'old' });
  const n1 = negate(2, value);
  const n2 = negate(3, n1);
  const n3 = negate(4, n2);
  return {
    name: 'negation hides; double negation restores; triple negation hides again',
    steps: [
      {
        ingest: [older, value, n1],
        expect: [
          { kind: 'view', entityId: 'e', equals: { name: 'old' } },
          { kind: 'visible', deltaId: value.id, visible: false },
          { kind: 'visible', deltaId: n1.id, visible: true },
          { kind: 'hyperview', entityId: 'e', equals: { name: ids(older) } },
        ],
      },
      {
        ingest: [n2],
        expect: [
          { kind: 'view', entityId: 'e', equals: { name: 'A' } },
          { kind: 'visible', deltaId: n1.id, visible: false },
        ],
      },
      { ingest: [n3], expect: [{ kind: 'view', entityId: 'e', equals: { name: 'old' } }] },
    ],
  };
}

function negationBeforeTarget(): ViewScenario {
  const value = set(1, 'e', { name: 'A' });
  const negation = negate(2, value);
  return {
    name: 'a negation that arrives before its target applies when the target arrives',
    steps: [
      { ingest: [negation], expect: [{ kind: 'view', entityId: 'e', equals: {} }] },
      {
        ingest: [value],
        expect: [
          { kind: 'view', entityId: 'e', equals: {} },
          { kind: 'visible', deltaId: value.id, visible: false },
        ],
      },
    ],
  };
}

function negationWithoutTarget(): ViewScenario {
  const value = set(1, 'e', { name: 'A' });
  const negation = negate(2, 'x'.repeat(43));
  return {
    name: 'a negation whose target never arrives changes nothing and is never a value',
    steps: [
      {
        ingest: [negation, value],
        expect: [
          { kind: 'view', entityId: 'e', equals: { name: 'A' } },
          { kind: 'view', entityId: 'x'.repeat(43), equals: {} },
          { kind: 'hyperview', entityId: 'x'.repeat(43), equals: {} },
        ],
      },
    ],
  };
}

function negationCycle(): ViewScenario {
  // a ⇄ b negate each other; c is negated only by a. Grounded semantics: all undecided → hidden.
  const target = set(1, 'e', { name: 'A' });
  const keep = set(0, 'e', { name: 'kept' });
  const a = forgedNegation('cycle-a', 2, 'cycle-b');
  const b = forge('cycle-b', 3, [
    { localContext: Vocabulary.negates, target: { id: 'cycle-a' }, targetContext: Vocabulary.negatedBy },
  ]);
  const c = forge('cycle-c', 4, [
    { localContext: Vocabulary.negates, target: { id: 'cycle-a' }, targetContext: Vocabulary.negatedBy },
    { localContext: Vocabulary.negates, target: { id: target.id }, targetContext: Vocabulary.negatedBy },
  ]);
  const self = forgedNegation('self', 5, 'self');
  return {
    name: 'negation cycles terminate; anything depending on a cycle is hidden (grounded rule)',
    steps: [
      {
        ingest: [a, b, target, keep, self],
        expect: [
          { kind: 'visible', deltaId: 'cycle-a', visible: false },
          { kind: 'visible', deltaId: 'cycle-b', visible: false },
          { kind: 'visible', deltaId: 'self', visible: false },
          { kind: 'view', entityId: 'e', equals: { name: 'A' } },
        ],
      },
      {
        // c is unattacked, so c is IN; a is OUT; b is IN. The cycle is decided; target is negated by c.
        ingest: [c],
        expect: [
          { kind: 'visible', deltaId: 'cycle-a', visible: false },
          { kind: 'visible', deltaId: 'cycle-b', visible: true },
          { kind: 'visible', deltaId: target.id, visible: false },
          { kind: 'view', entityId: 'e', equals: { name: 'kept' } },
        ],
      },
    ],
  };
}

function transactionBeforeDeclaration(): ViewScenario {
  const m1 = at(1).set('e', { a: 1 }).inTransaction('tx').build();
  const m2 = at(2).set('f', { b: 2 }).inTransaction('tx').build();
  const declaration = at(3).declareTransaction('tx', 2).build();
  return {
    name: 'transaction members before the declaration stay invisible, then appear together',
    steps: [
      {
        ingest: [m1, m2],
        expect: [
          { kind: 'view', entityId: 'e', equals: {} },
          { kind: 'view', entityId: 'f', equals: {} },
        ],
      },
      {
        ingest: [declaration],
        expect: [
          { kind: 'view', entityId: 'e', equals: { a: 1 } },
          { kind: 'view', entityId: 'f', equals: { b: 2 } },
          { kind: 'view', entityId: 'e', read: { asOf: 2 }, equals: {} },
        ],
      },
    ],
  };
}

function transactionIncomplete(): ViewScenario {
  const declaration = at(1).declareTransaction('tx2', 2).build();
  const m1 = at(2).set('e', { a: 1 }).inTransaction('tx2').build();
  const m2 = at(3).set('e', { b: 2 }).inTransaction('tx2').build();
  return {
    name: 'members stay invisible until exactly size members by the declaring creator exist',
    steps: [
      { ingest: [declaration, m1], expect: [{ kind: 'view', entityId: 'e', equals: {} }] },
      { ingest: [m2], expect: [{ kind: 'view', entityId: 'e', equals: { a: 1, b: 2 } }] },
    ],
  };
}

function transactionForeignSurplus(): ViewScenario {
  const declaration = at(1).declareTransaction('tx3', 1).build();
  const member = at(2).set('e', { a: 1 }).inTransaction('tx3').build();
  const foreign = at(3, 'mallory').set('e', { a: 666 }).inTransaction('tx3').build();
  return {
    name: 'a surplus member from another creator does not hide the transaction and is ignored',
    steps: [
      {
        ingest: [foreign, declaration, member],
        expect: [
          { kind: 'view', entityId: 'e', equals: { a: 1 } },
          { kind: 'visible', deltaId: foreign.id, visible: false },
        ],
      },
    ],
  };
}

function transactionOverfull(): ViewScenario {
  const declaration = at(1).declareTransaction('tx4', 1).build();
  const m1 = at(2).set('e', { a: 1 }).inTransaction('tx4').build();
  const m2 = at(3).set('e', { b: 2 }).inTransaction('tx4').build();
  return {
    name: 'more members than the size by the declaring creator: the transaction is void (none visible)',
    steps: [
      { ingest: [declaration, m1], expect: [{ kind: 'view', entityId: 'e', equals: { a: 1 } }] },
      {
        ingest: [m2],
        expect: [
          { kind: 'view', entityId: 'e', equals: {} },
          { kind: 'view', entityId: 'e', read: { asOf: 2 }, equals: { a: 1 } },
        ],
      },
    ],
  };
}

function transactionalNegation(): ViewScenario {
  const value = set(1, 'e', { name: 'A' });
  const declaration = at(2).declareTransaction('tx5', 2).build();
  const negation = at(3).negate(value.id).inTransaction('tx5').build();
  const other = at(4).set('e', { name: 'B' }).inTransaction('tx5').build();
  return {
    name: 'a negation inside a transaction applies only once the transaction completes',
    steps: [
      { ingest: [value, declaration, negation], expect: [{ kind: 'view', entityId: 'e', equals: { name: 'A' } }] },
      {
        ingest: [other],
        expect: [
          { kind: 'hyperview', entityId: 'e', equals: { name: ids(other) } },
          { kind: 'view', entityId: 'e', read: { asOf: 3 }, equals: { name: 'A' } },
        ],
      },
    ],
  };
}

function timeTravel(): ViewScenario {
  const first = set(10, 'e', { name: 'A' });
  const second = set(20, 'e', { name: 'B' });
  const negation = negate(30, second);
  return {
    name: 'asOf before and after a negation',
    steps: [
      {
        ingest: [first, second, negation],
        expect: [
          { kind: 'view', entityId: 'e', read: { asOf: 5 }, equals: {} },
          { kind: 'view', entityId: 'e', read: { asOf: 10 }, equals: { name: 'A' } },
          { kind: 'view', entityId: 'e', read: { asOf: 29 }, equals: { name: 'B' } },
          { kind: 'visible', deltaId: second.id, read: { asOf: 29 }, visible: true },
          { kind: 'view', entityId: 'e', read: { asOf: 30 }, equals: { name: 'A' } },
          { kind: 'view', entityId: 'e', equals: { name: 'A' } },
        ],
      },
    ],
  };
}

function filters(): ViewScenario {
  const trusted = set(1, 'e', { name: 'A' }, 'alice');
  const untrusted = set(2, 'e', { name: 'M' }, 'mallory');
  const sabotage = negate(3, trusted, 'mallory');
  const fromOther = at(4, 'alice', 'host-2').set('e', { colour: 'red' }).build();
  return {
    name: 'delta filters: creator, host, time range and predicate apply to every delta, negations included',
    steps: [
      {
        ingest: [trusted, untrusted, sabotage, fromOther],
        expect: [
          { kind: 'view', entityId: 'e', equals: { name: 'M', colour: 'red' } },
          { kind: 'view', entityId: 'e', read: { filter: { creators: ['alice'] } }, equals: { name: 'A', colour: 'red' } },
          { kind: 'view', entityId: 'e', read: { filter: { hosts: [HOST] } }, equals: { name: 'M' } },
          { kind: 'view', entityId: 'e', read: { filter: { from: 2, to: 2 } }, equals: { name: 'M' } },
          {
            kind: 'view',
            entityId: 'e',
            read: { filter: { predicate: (delta) => delta.creator !== 'mallory' } },
            equals: { name: 'A', colour: 'red' },
          },
        ],
      },
    ],
  };
}

const personSchema = defineSchema({
  name: 'person',
  properties: {
    name: prop.string(),
    friends: prop.references('person', { resolver: 'set', depth: 3 }),
  },
});

function nestedCycle(): ViewScenario {
  const names = [set(1, 'a', { name: 'Ann' }), set(1, 'b', { name: 'Bob' }), set(1, 'c', { name: 'Cy' })];
  const links = [
    at(2).relate({ entity: 'a', property: 'friends' }, { entity: 'b', property: 'knownBy' }).build(),
    at(2).relate({ entity: 'b', property: 'friends' }, { entity: 'c', property: 'knownBy' }).build(),
    at(2).relate({ entity: 'c', property: 'friends' }, { entity: 'a', property: 'knownBy' }).build(),
  ];
  return {
    name: 'a depth-3 nested schema over a cycle stops at the bound; only declared properties',
    schemas: [personSchema],
    steps: [
      {
        ingest: [...names, ...links],
        expect: [
          {
            kind: 'resolve',
            schema: 'person',
            entityId: 'a',
            equals: {
              name: 'Ann',
              friends: [
                {
                  id: 'b',
                  name: 'Bob',
                  friends: [{ id: 'c', name: 'Cy', friends: [{ id: 'a', name: 'Ann', friends: [{ id: 'b' }] }] }],
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

const numbers = defineSchema({
  name: 'stats',
  properties: {
    latest: prop.any({ resolver: 'lww' }),
    first: prop.any({ resolver: 'fww' }),
    min: prop.any({ resolver: 'min' }),
    max: prop.any({ resolver: 'max' }),
    sum: prop.any({ resolver: 'sum' }),
    average: prop.any({ resolver: 'average' }),
    count: prop.any({ resolver: 'count' }),
    concat: prop.any({ resolver: { kind: 'concat', separator: ', ' } }),
    majority: prop.any({ resolver: 'majority' }),
    set: prop.any({ resolver: 'set' }),
    list: prop.any({ resolver: 'list' }),
  },
});

function resolvers(): ViewScenario {
  const all = (time: number, value: string | number) =>
    at(time)
      .set('s', {
        latest: value,
        first: value,
        min: value,
        max: value,
        sum: value,
        average: value,
        count: value,
        concat: value,
        majority: value,
        set: value,
        list: value,
      })
      .build();
  return {
    name: 'built-in resolvers; aggregations skip non-numeric values',
    schemas: [numbers],
    steps: [
      {
        ingest: [all(3, 'x'), all(1, 4), all(2, 'y'), all(4, 2), all(5, 4)],
        expect: [
          {
            kind: 'resolve',
            schema: 'stats',
            entityId: 's',
            equals: {
              latest: 4,
              first: 4,
              min: 2,
              max: 4,
              sum: 10,
              average: 10 / 3,
              count: 5,
              concat: 'y, x',
              majority: 4,
              set: [4, 'y', 'x', 2],
              list: [4, 'y', 'x', 2, 4],
            },
          },
        ],
      },
    ],
  };
}

const pick = defineSchema({ name: 'pick', properties: { v: prop.any({ resolver: 'majority' }) } });

function majorityTie(): ViewScenario {
  return {
    name: 'majority tie goes to the value whose first delta is earliest',
    schemas: [pick],
    steps: [
      {
        ingest: [set(5, 'm', { v: 'late' }), set(2, 'm', { v: 'early' }), set(6, 'm', { v: 'late' }), set(7, 'm', { v: 'early' })],
        expect: [{ kind: 'resolve', schema: 'pick', entityId: 'm', equals: { v: 'early' } }],
      },
    ],
  };
}

const byCreator = defineSchema({
  name: 'by-creator',
  properties: {
    v: prop.any({ resolver: { kind: 'lww', tieBreak: 'creator' } }),
    w: prop.any({ resolver: { kind: 'lww', tieBreak: 'value' } }),
    h: prop.any({ resolver: { kind: 'lww', tieBreak: 'host' } }),
  },
});

function lwwTieBreaks(): ViewScenario {
  return {
    name: 'last-write-wins tie-breaks by creator, value or host when timeCreated ties',
    schemas: [byCreator],
    steps: [
      {
        ingest: [
          at(1, 'zed').set('t', { v: 'from-zed', w: 'a' }).build(),
          at(1, 'amy').set('t', { v: 'from-amy', w: 'b' }).build(),
          at(1, 'amy', 'host-z').set('t', { h: 'z' }).build(),
          at(1, 'amy', 'host-a').set('t', { h: 'a' }).build(),
        ],
        expect: [{ kind: 'resolve', schema: 'by-creator', entityId: 't', equals: { v: 'from-zed', w: 'b', h: 'z' } }],
      },
    ],
  };
}

const typed = defineSchema({ name: 'typed', properties: { name: prop.string(), age: prop.number({ resolver: 'max' }) } });

function schemaTyping(): ViewScenario {
  return {
    name: 'a schema view holds only declared properties; typed properties skip other types',
    schemas: [typed],
    steps: [
      {
        ingest: [set(1, 'p', { name: 'P', age: 30, extra: true }), set(2, 'p', { name: 7, age: 'old' })],
        expect: [{ kind: 'resolve', schema: 'typed', entityId: 'p', equals: { name: 'P', age: 30 } }],
      },
    ],
  };
}

/** Every scenario, as data. */
export const viewScenarios: readonly ViewScenario[] = [
  idempotent(),
  lastWriteWins(),
  twoContexts(),
  actorRoleFilm(),
  referenceValue(),
  negationBasics(),
  negationBeforeTarget(),
  negationWithoutTarget(),
  negationCycle(),
  transactionBeforeDeclaration(),
  transactionIncomplete(),
  transactionForeignSurplus(),
  transactionOverfull(),
  transactionalNegation(),
  timeTravel(),
  filters(),
  nestedCycle(),
  resolvers(),
  majorityTie(),
  lwwTieBreaks(),
  schemaTyping(),
];

/** Runs one expectation against a backend; returns a description of the mismatch, or undefined. */
export async function checkExpectation(
  backend: ScenarioBackend,
  scenario: ViewScenario,
  expectation: ScenarioExpectation,
): Promise<{ actual: unknown; expected: unknown }> {
  switch (expectation.kind) {
    case 'view':
      return { actual: await backend.view(expectation.entityId, expectation.read), expected: expectation.equals };
    case 'resolve': {
      const schema = scenario.schemas?.find((candidate) => candidate.name === expectation.schema);
      if (schema === undefined) throw new Error(`scenario "${scenario.name}" has no schema ${expectation.schema}`);
      return {
        actual: await backend.resolve(schema, expectation.entityId, expectation.read),
        expected: expectation.equals,
      };
    }
    case 'hyperview': {
      const hyperview = await backend.hyperview(expectation.entityId, expectation.read);
      const actual: Record<string, string[]> = {};
      for (const [property, deltas] of hyperview.properties) actual[property] = deltas.map((delta) => delta.id);
      return { actual, expected: expectation.equals };
    }
    case 'visible':
      return { actual: await backend.isVisible(expectation.deltaId, expectation.read), expected: expectation.visible };
  }
}
